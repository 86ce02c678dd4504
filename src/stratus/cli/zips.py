"""Deterministic zip archives: the same files give the same bytes (sorted as given, every
entry dated 1980-01-01, permission bits kept), so an unchanged package or layer has the same
sha256 and is not uploaded again."""

from __future__ import annotations

import os
import stat
import zipfile
from collections.abc import Sequence
from pathlib import Path

from .uploads import sha256_of

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_CHUNK = 1024 * 1024


def zip_files(entries: Sequence[tuple[str, Path]], archive: Path) -> str:
    """Write each `(name in the archive, file)` to `archive`; return its sha256."""
    partial = archive.with_name(f".{archive.name}.partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, path in entries:
            info = zipfile.ZipInfo(name, ZIP_EPOCH)
            info.create_system = 3  # Unix, so the mode below is read as one
            # Regular file, permission bits kept: a custom runtime's bootstrap stays executable.
            info.external_attr = (stat.S_IFREG | (path.stat().st_mode & 0o777)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with path.open("rb") as source, bundle.open(info, "w") as out:
                while chunk := source.read(_CHUNK):
                    out.write(chunk)
    os.replace(partial, archive)
    return sha256_of(archive)
