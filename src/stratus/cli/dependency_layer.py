"""`stratus up`'s automatic dependency layer: a function's libraries leave its package.

    CodeUri/              own code (app.py, ...)        -> the function's zip (small)
    requirements.txt      -> pip, into the cache         \\
    CodeUri/<pkg>/ with a <pkg>-<v>.dist-info/ beside it  -> python/ of a layer zip, made once
                                                              and reused while they are unchanged

A save of one file then zips and uploads the function's own code only: the layer's zip is
made again only when its files' listing (paths, sizes, modification times) changes, and an
unchanged zip has an unchanged SHA-256, so it is not uploaded and the stack's layer version
stays. This is what `sam sync` does (its `AwsSamAutoDependencyLayerNestedStack`); here the
layer is a resource of the stack itself, `<Function>DepLayer`, an `AWS::Lambda::LayerVersion`
appended to the function's Layers. Python finds it as on AWS: /var/task first, then
/opt/python, so the function's own modules still win over a library of the same name.

Only `stratus up` does this (a dev loop); `stratus deploy` ships whole packages, as `sam
deploy` does. A function that already has five layers (Lambda's limit) keeps its libraries
in its package.

Vendored libraries (`pip install -t CodeUri ...`) are found by their `*.dist-info/RECORD`:
every top-level name a RECORD lists, and the dist-info folder itself, go to the layer; the
handler's own module never does.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stratus.store.artifacts import ARTIFACTS_BUCKET

from .zips import zip_files

LAYER_SUFFIX = "DepLayer"
MAX_LAYERS = 5  # Lambda's limit of layers per function
_FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")
_SKIPPED_DIRS = frozenset({"__pycache__"})
_SKIPPED_SUFFIXES = (".pyc", ".pyo")


@dataclass(frozen=True, slots=True)
class Dependencies:
    """The files of a function's layer: (path inside python/, file on this machine)."""

    files: tuple[tuple[str, Path], ...]
    installed: Path | None = None  # the pip cache entry they come from (never edited)
    vendored: tuple[tuple[str, Path], ...] = ()  # those from the function's folder

    def __bool__(self) -> bool:
        return bool(self.files)


def vendored_names(source: Path, handler: str | None) -> frozenset[str]:
    """Top-level names in `source` that belong to installed distributions (dist-info RECORDs),
    with the dist-info folders; never the handler's own module."""
    names: set[str] = set()
    try:
        entries = list(os.scandir(source))
    except OSError:
        return frozenset()
    for entry in entries:
        if not (entry.name.endswith(".dist-info") and entry.is_dir()):
            continue
        names.add(entry.name)
        record = Path(entry.path) / "RECORD"
        try:
            rows = list(csv.reader(io.StringIO(record.read_text(errors="replace"))))
        except OSError:
            continue
        for row in rows:
            if row and row[0] and not row[0].startswith(("..", "/")):
                names.add(row[0].split("/", 1)[0])
    if handler and "." in handler:
        module = handler.rpartition(".")[0].split(".", 1)[0]
        names -= {module, f"{module}.py"}
    return frozenset(n for n in names if (source / n).exists())


def collect(installed: Path | None, source: Path, vendored: frozenset[str]) -> Dependencies:
    """The layer's files: the pip-installed tree, then the vendored names of `source`; a
    path the function's own code has is left out (its file wins, as in a whole package)."""
    files: dict[str, Path] = {}
    for name in sorted(vendored):
        path = source / name
        if path.is_dir():
            files.update(_walk(path, name))
        elif path.is_file():
            files[name] = path
    vendored_files = tuple(sorted(files.items()))
    if installed is not None:
        shadowed = {relative for relative, _ in _walk(source, "", skip=vendored)}
        for relative, path in _installed_files(installed):
            top = relative.split("/", 1)[0]
            if top not in vendored and relative not in shadowed:
                files.setdefault(relative, path)
    return Dependencies(tuple(sorted(files.items())), installed, vendored_files)


_INSTALLED: dict[Path, tuple[tuple[str, Path], ...]] = {}


def _installed_files(installed: Path) -> tuple[tuple[str, Path], ...]:
    """A pip cache entry's files, listed once per process: an entry is renamed into place
    whole and never edited afterwards (dependencies.py)."""
    if installed not in _INSTALLED:
        _INSTALLED[installed] = tuple(_walk(installed, ""))
    return _INSTALLED[installed]


def _walk(
    root: Path, prefix: str, skip: frozenset[str] = frozenset()
) -> Iterator[tuple[str, Path]]:
    """Files under `root` as (prefix/relative path, path); `skip`: names left out at the top."""
    for directory, subdirs, names in os.walk(root):
        top = directory == str(root)
        subdirs[:] = sorted(
            d for d in subdirs if d not in _SKIPPED_DIRS and not (top and d in skip)
        )
        relative = Path(directory).relative_to(root).as_posix()
        base = "/".join(p for p in (prefix, relative) if p and p != ".")
        for name in names:
            path = Path(directory) / name
            if top and name in skip:
                continue
            if not name.endswith(_SKIPPED_SUFFIXES) and path.is_file():
                yield (f"{base}/{name}" if base else name), path


def layer_count(template: Mapping[str, Any], logical_id: str) -> int:
    """Layers the function has already (its own, plus SAM's Globals for a SAM function)."""
    resource = (template.get("Resources") or {}).get(logical_id) or {}
    own = (resource.get("Properties") or {}).get("Layers")
    count = len(own) if isinstance(own, list) else 0
    if resource.get("Type") == "AWS::Serverless::Function":
        shared = ((template.get("Globals") or {}).get("Function") or {}).get("Layers")
        count += len(shared) if isinstance(shared, list) else 0
    return count


def package_layer(logical_id: str, dependencies: Dependencies, zips: Path) -> tuple[Path, str]:
    """The layer's zip (`python/...`) and its sha256, made again only when the files'
    listing changed since the last one."""
    zips.mkdir(parents=True, exist_ok=True)
    archive = zips / f"{logical_id}.{LAYER_SUFFIX}.zip"
    stamp_path = zips / f"{logical_id}.{LAYER_SUFFIX}.json"
    # The cache entry's name stands for its files (it never changes); vendored files may.
    fingerprint = _fingerprint(dependencies.vendored, str(dependencies.installed))
    try:
        stamp = json.loads(stamp_path.read_text())
    except (OSError, ValueError):
        stamp = {}
    if isinstance(stamp, dict) and stamp.get("fingerprint") == fingerprint and archive.is_file():
        return archive, str(stamp["sha256"])
    key = _zip(dependencies.files, archive)
    stamp_path.write_text(json.dumps({"fingerprint": fingerprint, "sha256": key}))
    return archive, key


def attach(
    template: dict[str, Any], logical_id: str, key: str, runtime: str | None
) -> dict[str, Any]:
    """`template` with the layer `<logical_id>DepLayer` (content `key`) added and appended
    to the function's Layers; changed in place and returned."""
    resources = template["Resources"]
    layer_id = f"{logical_id}{LAYER_SUFFIX}"
    properties: dict[str, Any] = {
        "Content": {"S3Bucket": ARTIFACTS_BUCKET, "S3Key": key},
        "Description": f"Dependencies of {logical_id}, laid out by stratus up",
    }
    if runtime:
        properties["CompatibleRuntimes"] = [runtime]
    resources[layer_id] = {"Type": "AWS::Lambda::LayerVersion", "Properties": properties}
    function = resources[logical_id].setdefault("Properties", {})
    function["Layers"] = [*(function.get("Layers") or []), {"Ref": layer_id}]
    return template


def is_function(template: Mapping[str, Any], logical_id: str) -> bool:
    resource = (template.get("Resources") or {}).get(logical_id) or {}
    return resource.get("Type") in _FUNCTION_TYPES


def _fingerprint(files: Sequence[tuple[str, Path]], base: str) -> str:
    digest = hashlib.sha256(base.encode())
    for name, path in files:
        info = path.stat()
        digest.update(f"{name}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_mode}\n".encode())
    return digest.hexdigest()


def _zip(files: Sequence[tuple[str, Path]], archive: Path) -> str:
    """The layer's archive: every file under python/, where the runtime looks."""
    return zip_files([(f"python/{name}", path) for name, path in files], archive)
