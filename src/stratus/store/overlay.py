"""Lay extracted archives over each other: the merged directory a function's layers make.

    <root>/<sha256 of the ordered archive list>/     hard links into the code store

Built in a temporary sibling and renamed into place, so a crash never leaves a half-merged
directory that looks complete; two racing merges build the same tree and one rename wins.
Files are hard links (copies across filesystems), so a merge costs no data copy.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from stratus.store.code import CodeStore


def merge(code: CodeStore, root: Path, shas: Sequence[str]) -> Path:
    """The directory under `root` holding the extracted archives `shas`, laid over each
    other in order (made on first use)."""
    target = root / hashlib.sha256("\n".join(shas).encode()).hexdigest()
    if target.is_dir():
        return target
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".merge-", dir=root))
    try:
        for sha in shas:
            _overlay(code.get(sha).root, staging)
        staging.chmod(0o755)
        os.replace(staging, target)
    except OSError:
        if not target.is_dir():
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _overlay(source: Path, target: Path) -> None:
    """Add `source`'s tree to `target`; a later file replaces an earlier one (or a directory)."""
    for directory, subdirs, files in os.walk(source):
        here = target / Path(directory).relative_to(source)
        for name in subdirs:
            destination = here / name
            if destination.is_symlink() or destination.is_file():
                destination.unlink()
            destination.mkdir(exist_ok=True)
        for name in files:
            destination = here / name
            if destination.is_dir() and not destination.is_symlink():
                shutil.rmtree(destination)
            elif destination.exists() or destination.is_symlink():
                destination.unlink()
            try:
                os.link(Path(directory) / name, destination)
            except OSError:  # another filesystem, or links not allowed: copy instead
                shutil.copy2(Path(directory) / name, destination)
