"""Tiny wheels made on the spot, so tests install real packages with pip and no network."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path


def make_wheel(directory: Path, name: str, version: str, files: dict[str, str]) -> Path:
    """A pure-Python wheel of `files` ({path: source}) in `directory`; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    dist_info = f"{name}-{version}.dist-info"
    entries = dict(files)
    entries[f"{dist_info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    entries[f"{dist_info}/WHEEL"] = (
        "Wheel-Version: 1.0\nGenerator: stratus-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record = []
    for path, source in entries.items():
        digest = hashlib.sha256(source.encode()).digest()
        encoded = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        record.append(f"{path},sha256={encoded},{len(source.encode())}")
    record.append(f"{dist_info}/RECORD,,")
    entries[f"{dist_info}/RECORD"] = "\n".join(record) + "\n"
    wheel = directory / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as bundle:
        for path, source in entries.items():
            bundle.writestr(path, source)
    return wheel


def offline_requirements(wheels: Path, *requirements: str) -> str:
    """A requirements.txt that makes pip look only in `wheels` (pip reads options there)."""
    return "\n".join(["--no-index", f"--find-links {wheels}", *requirements]) + "\n"
