"""The content-addressed code store: each deployment package is kept once, by its SHA-256.

    <data>/code/<sha256-hex>.zip     the archive as uploaded (GetFunction serves it back)
    <data>/code/<sha256-hex>/        its files, extracted once; environments run from here

Extraction goes to a temporary sibling and is renamed into place, so a crash never leaves a
half-extracted tree that looks complete.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from stratus.errors import Invalid

# AWS: 250 MB unzipped (function and layers together).
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class StoredCode:
    sha256_hex: str
    size: int
    root: Path

    @property
    def sha256_b64(self) -> str:
        """CodeSha256 as Lambda reports it: base64 of the raw digest."""
        return base64.b64encode(bytes.fromhex(self.sha256_hex)).decode()


class CodeStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def put(self, archive: bytes) -> StoredCode:
        """Store a zip archive and extract it; raise Invalid if it is not one."""
        digest = hashlib.sha256(archive).hexdigest()
        tree = self.root / digest
        if not tree.is_dir():
            self._extract(archive, tree)
        zip_path = self.root / f"{digest}.zip"
        if not zip_path.exists():
            _write_atomically(zip_path, archive)
        return StoredCode(digest, len(archive), tree)

    def get(self, sha256_hex: str) -> StoredCode:
        zip_path = self.root / f"{sha256_hex}.zip"
        return StoredCode(sha256_hex, zip_path.stat().st_size, self.root / sha256_hex)

    def archive(self, sha256_hex: str) -> bytes:
        return (self.root / f"{sha256_hex}.zip").read_bytes()

    def unzipped_size(self, sha256_hex: str) -> int:
        """Bytes the archive unzips to (its central directory says; it was checked on put)."""
        with zipfile.ZipFile(self.root / f"{sha256_hex}.zip") as bundle:
            return sum(member.file_size for member in bundle.infolist())

    def _extract(self, archive: bytes, tree: Path) -> None:
        try:
            bundle = zipfile.ZipFile(io.BytesIO(archive))
            members = bundle.infolist()
        except (zipfile.BadZipFile, ValueError) as exc:
            raise Invalid(
                f"Could not unzip uploaded file. Please check your file, then try to upload again. "
                f"({exc})"
            ) from exc
        unzipped = sum(member.file_size for member in members)
        if unzipped > MAX_UNZIPPED_BYTES:
            raise Invalid(f"Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes")
        staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=self.root))
        try:
            for member in members:
                _extract_member(bundle, member, staging)
            os.replace(staging, tree)
        except FileExistsError:
            pass  # another request extracted the same archive first
        except OSError as exc:
            if not tree.is_dir():
                raise Invalid(f"Could not unzip uploaded file: {exc}") from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def _extract_member(bundle: zipfile.ZipFile, member: zipfile.ZipInfo, staging: Path) -> None:
    target = (staging / member.filename).resolve()
    if not target.is_relative_to(staging.resolve()):
        raise Invalid(f"Zip entry {member.filename!r} points outside the archive")
    try:
        bundle.extract(member, staging)
    except (zipfile.BadZipFile, RuntimeError, EOFError) as exc:
        raise Invalid(f"Could not unzip {member.filename!r}: {exc}") from exc
    # Keep the executable bit (custom runtimes' bootstrap files need it).
    mode = (member.external_attr >> 16) & 0o777
    if mode and not member.is_dir():
        os.chmod(target, mode | stat.S_IRUSR)


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".upload-", dir=path.parent)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)
