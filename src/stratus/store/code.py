"""The content-addressed code store: each deployment package is kept once, by its SHA-256.

    <data>/code/<sha256-hex>.zip     the archive as uploaded (GetFunction serves it back)
    <data>/code/<sha256-hex>/        its files, extracted once; environments run from here

Extraction goes to a temporary sibling (`.extract-*`) and is renamed into place, so a crash
never leaves a half-extracted tree that looks complete; staging directories a crash left
behind are removed at start-up. A tree is sealed when written (directories 0555, files 0444,
plus the executable bits the archive gave), and checked against its archive's sizes and
CRC-32s before it is first used by this server and whenever the same archive is stored
again: a tree found changed (only root could, or an environment when isolation is off) is
extracted again, so what runs is always what CodeSha256 names.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import logging
import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from stratus.errors import Invalid

log = logging.getLogger("stratus.store")

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
        self._checked: set[str] = set()  # trees found intact since start-up
        for leftover in [*root.glob(".extract-*"), *root.glob(".upload-*"), *root.glob(".old-*")]:
            log.warning("removing %s, left by a crash", leftover)
            remove(leftover)

    def put(self, archive: bytes) -> StoredCode:
        """Store a zip archive and extract it; raise Invalid if it is not one."""
        digest = hashlib.sha256(archive).hexdigest()
        tree = self.root / digest
        if not tree.is_dir():
            self._extract(archive, tree)
        else:
            self._checked.discard(digest)
            self._ensure_intact(digest, archive)
        zip_path = self.root / f"{digest}.zip"
        if not zip_path.exists():
            _write_atomically(zip_path, archive)
        return StoredCode(digest, len(archive), tree)

    def get(self, sha256_hex: str) -> StoredCode:
        """The stored archive `sha256_hex`; its tree is checked on first use."""
        zip_path = self.root / f"{sha256_hex}.zip"
        if sha256_hex not in self._checked:
            self._ensure_intact(sha256_hex, zip_path.read_bytes())
        return StoredCode(sha256_hex, zip_path.stat().st_size, self.root / sha256_hex)

    def _ensure_intact(self, digest: str, archive: bytes) -> None:
        tree = self.root / digest
        with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
            problem = _difference(bundle, tree) if tree.is_dir() else "it is missing"
        if problem is not None:
            log.warning(
                "code tree %s does not match its archive (%s); extracting it again", digest, problem
            )
            stale = tree.with_name(f".old-{digest}-{os.getpid()}")
            with contextlib.suppress(FileNotFoundError):
                os.replace(tree, stale)
            self._extract(archive, tree)
            remove(stale)
        self._checked.add(digest)

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
            _seal(staging)
            os.replace(staging, tree)
        except OSError as exc:  # (ENOTEMPTY: another request extracted it first)
            if not tree.is_dir():
                raise Invalid(f"Could not unzip uploaded file: {exc}") from exc
        finally:
            remove(staging)


def _seal(tree: Path) -> None:
    """Read-only for everyone, the owner included: the tree is what CodeSha256 names."""
    for directory, _, files in os.walk(tree):
        for name in files:
            path = os.path.join(directory, name)
            mode = os.lstat(path).st_mode
            os.chmod(path, 0o555 if mode & 0o111 else 0o444)
        os.chmod(directory, 0o555)


def _difference(bundle: zipfile.ZipFile, tree: Path) -> str | None:
    """How `tree` differs from what `bundle` extracts to (None: it does not)."""
    expected = {m.filename.rstrip("/"): m for m in bundle.infolist() if not m.is_dir()}
    for directory, _, files in os.walk(tree):
        if os.lstat(directory).st_mode & 0o222:
            return f"{directory} is writable"
        for name in files:
            path = Path(directory, name)
            member = expected.pop(path.relative_to(tree).as_posix(), None)
            info = path.lstat()
            if member is None or not stat.S_ISREG(info.st_mode):
                return f"{path} is not in the archive"
            if info.st_mode & 0o222 or info.st_size != member.file_size:
                return f"{path} was changed"
            if _crc32(path) != member.CRC:
                return f"{path} was changed"
    return f"{next(iter(expected))} is missing" if expected else None


def _crc32(path: Path) -> int:
    crc = 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            crc = zlib.crc32(chunk, crc)
    return crc


def remove(tree: Path) -> None:
    """Remove a (possibly sealed) tree: without root, read-only directories must be opened
    up first."""
    if not tree.exists() and not tree.is_symlink():
        return
    if os.geteuid() != 0 and tree.is_dir():
        for directory, _, _ in os.walk(tree):
            with contextlib.suppress(OSError):
                os.chmod(directory, 0o700)
    if tree.is_dir() and not tree.is_symlink():
        shutil.rmtree(tree, ignore_errors=True)
    else:
        tree.unlink(missing_ok=True)


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
