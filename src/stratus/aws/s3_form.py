"""multipart/form-data as a browser upload sends it to S3 (POST to a bucket), read as it
streams: the fields before the `file` part are collected (small, bounded), then the file
part is handed over as an async iterator of its bytes, never held whole. Parts after the
file are ignored, as S3 ignores them.

    --BOUNDARY\\r\\n
    Content-Disposition: form-data; name="key"\\r\\n\\r\\n
    uploads/${filename}\\r\\n
    --BOUNDARY\\r\\n
    Content-Disposition: form-data; name="file"; filename="cat.jpg"\\r\\n
    Content-Type: image/jpeg\\r\\n\\r\\n
    …bytes…\\r\\n
    --BOUNDARY--\\r\\n
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from email.message import Message

from starlette.requests import ClientDisconnect
from starlette.types import Receive

from stratus.objects.errors import InvalidArgument, MalformedPostRequest

# S3 takes up to 20 KB of form fields before the file; a little room over that.
FIELDS_LIMIT = 64 * 1024


def boundary_of(content_type: str) -> bytes | None:
    message = Message()
    message["content-type"] = content_type
    if message.get_content_type() != "multipart/form-data":
        return None
    boundary = message.get_param("boundary")
    return boundary.encode("latin-1") if isinstance(boundary, str) and boundary else None


class FormStream:
    """One request's form: `wait_fields` first, then iterate the file's bytes."""

    def __init__(self, receive: Receive, boundary: bytes) -> None:
        self._receive = receive
        self._delimiter = b"\r\n--" + boundary
        self._buffer = b"\r\n"  # the first delimiter has no CRLF before it
        self._more = True
        self.received = 0
        self.trailers: dict[str, str] = {}
        self.ended = False  # the whole body was received
        self.filename = ""
        self.file_type = ""

    async def _wait_chunk(self) -> None:
        if not self._more:
            raise _malformed()
        message = await self._receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        self.received += len(chunk)
        self._more = bool(message.get("more_body", False))
        self.ended = not self._more
        self._buffer += chunk

    async def _wait_until(self, marker: bytes, limit: int) -> int:
        while (at := self._buffer.find(marker)) < 0:
            if len(self._buffer) > limit:
                raise _malformed()
            await self._wait_chunk()
        return at

    async def wait_fields(self) -> dict[str, str]:
        """The fields before the file (names lower-cased), up to the file's first byte.
        No file part: S3's InvalidArgument about the file."""
        fields: dict[str, str] = {}
        await self._wait_until(self._delimiter, FIELDS_LIMIT)
        while True:
            start = self._buffer.find(self._delimiter) + len(self._delimiter)
            while len(self._buffer) < start + 2:
                await self._wait_chunk()
            if self._buffer[start : start + 2] == b"--":
                raise InvalidArgument(
                    "POST requires exactly one file upload per request.", "file", "0"
                )
            end = await self._wait_until(b"\r\n\r\n", FIELDS_LIMIT)
            head = self._headers(self._buffer[start + 2 : end])
            self._buffer = self._buffer[end + 4 :]
            name = head.get_param("name", header="content-disposition")
            if not isinstance(name, str) or not name:
                raise _malformed()
            name = name.lower()
            if name == "file":
                filename = head.get_param("filename", header="content-disposition")
                self.filename = filename.rsplit("/", 1)[-1] if isinstance(filename, str) else ""
                self.file_type = head.get("content-type", "")
                return fields
            at = await self._wait_until(self._delimiter, FIELDS_LIMIT)
            fields[name] = self._buffer[:at].decode("utf-8", "replace")
            self._buffer = self._buffer[at:]
            if sum(len(v) for v in fields.values()) > FIELDS_LIMIT:
                raise _malformed()

    @staticmethod
    def _headers(raw: bytes) -> Message:
        message = Message()
        for line in raw.decode("utf-8", "replace").split("\r\n"):
            name, colon, value = line.partition(":")
            if not colon:
                raise _malformed()
            message[name.strip()] = value.strip()
        return message

    async def __aiter__(self) -> AsyncIterator[bytes]:
        """The file's bytes, up to the delimiter after it (held back while it may be
        arriving split across chunks)."""
        keep = len(self._delimiter) - 1
        while True:
            at = self._buffer.find(self._delimiter)
            if at >= 0:
                if at:
                    yield self._buffer[:at]
                self._buffer = self._buffer[at:]
                return
            if len(self._buffer) > keep:
                yield self._buffer[:-keep]
                self._buffer = self._buffer[-keep:]
            await self._wait_chunk()

    async def wait_drain(self, limit: int) -> bool:
        """Read (and drop) the rest of the body, up to `limit` bytes; whether it ended."""
        self._buffer = b""
        while self._more:
            if self.received > limit:
                return False
            await self._wait_chunk()
            self._buffer = b""
        return True


def _malformed() -> MalformedPostRequest:
    return MalformedPostRequest(
        "The body of your POST request is not well-formed multipart/form-data."
    )


__all__ = ["FormStream", "boundary_of"]
