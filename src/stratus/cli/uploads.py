"""Send artifacts to the server, each once: HEAD by content hash first, PUT only when missing.

    HEAD /_stratus/artifacts/<sha256>   200: already there, nothing to send
    PUT  /_stratus/artifacts            the file, streamed from disk

The standard library's HTTP client: nothing more is needed for two requests, and the CLI
stays free of another dependency.
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .errors import CliError

PATH = "/_stratus/artifacts"
TIMEOUT_S = 300
_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Upload:
    key: str
    size: int
    sent: bool  # False when the server already had it


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class UploadStatistics:
    sent: int  # artifacts PUT
    skipped: int  # artifacts the server already had (or sent earlier by this uploader)
    bytes_sent: int


class Uploader:
    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self._known: set[str] = set()
        self._sent = self._skipped = self._bytes = 0

    def statistics(self) -> UploadStatistics:
        return UploadStatistics(self._sent, self._skipped, self._bytes)

    def upload(self, path: Path, key: str | None = None) -> Upload:
        """Make sure the server holds `path`'s content; `key` is its sha256 when known."""
        key = key or sha256_of(path)
        size = path.stat().st_size
        if key in self._known or self._exists(key):
            self._known.add(key)
            self._skipped += 1
            return Upload(key, size, sent=False)
        with path.open("rb") as body:
            request = urllib.request.Request(
                f"{self.endpoint_url}{PATH}",
                data=body,
                method="PUT",
                headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Length": str(size),
                },
            )
            raw = self._open(request)
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise CliError(
                f"{self.endpoint_url} did not answer an upload as a Stratus server does; "
                "is --endpoint-url right?"
            )
        if answer.get("Key") != key:
            raise CliError(
                f"the server stored {path} under {answer.get('Key')!r}, not its sha256 {key}; "
                "was the file changed during the upload? Run the command again"
            )
        self._known.add(key)
        self._sent += 1
        self._bytes += size
        return Upload(key, size, sent=True)

    def _exists(self, key: str) -> bool:
        request = urllib.request.Request(f"{self.endpoint_url}{PATH}/{key}", method="HEAD")
        try:
            self._open(request)
        except _Missing:
            return False
        return True

    def _open(self, request: urllib.request.Request) -> bytes:
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                body: bytes = response.read()
                return body
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and request.get_method() == "HEAD":
                raise _Missing from None
            raise CliError(f"the server refused an upload: {exc.code} {_message(exc)}") from None
        except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
            raise CliError(
                f"no Stratus server at {self.endpoint_url}; start one with `stratus server` "
                f"({getattr(exc, 'reason', exc)})"
            ) from None


class _Missing(Exception):
    pass


def _message(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read() or b"{}")
    except ValueError:
        return exc.reason
    return str(body.get("message") or body.get("Message") or exc.reason)
