"""Package a built template, as `sam package` does: zip, upload, rewrite the paths.

    build folder -> .stratus/package/<LogicalId>.zip (deterministic) -> PUT /_stratus/artifacts
    CodeUri, ContentUri, DefinitionUri, AWS::Include Location -> s3://stratus-artifacts/<sha256>
    AWS::Lambda::Function Code, AWS::Lambda::LayerVersion Content -> {S3Bucket, S3Key}
    BodyS3Location, DefinitionS3Location -> {Bucket, Key}

`build_and_package(template, endpoint_url)` is the entry `stratus deploy` and `stratus up` call;
its answer is the template to send to CreateStack/UpdateStack.

Zips are deterministic (entries sorted, timestamps fixed at 1980-01-01, permission bits kept,
nothing else recorded), so unchanged code has an unchanged SHA-256: its upload is skipped and
the server sees no change. A zip is made again only when its folder's listing (paths, sizes,
modification times, modes) changed since the last one; a rebuild without changes keeps them
all, because builds copy with times kept and link dependencies.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from stratus.store.artifacts import ARTIFACTS_BUCKET

from . import console as consoles
from .build import SKIPPED_DIRS, SKIPPED_SUFFIXES, BuildResult, Built, build
from .client import DEFAULT_ENDPOINT_URL, EndpointUrl
from .dependency_layer import attach, package_layer
from .local_artifacts import BuildError, Form, Pointer
from .progress import Progress
from .uploads import Uploader, sha256_of
from .zips import zip_files

PACKAGE_DIR = Path(".stratus") / "package"


@dataclass(frozen=True, slots=True)
class Placed:
    """An uploaded artifact and where its location goes in the template."""

    pointer: Pointer
    form: Form
    key: str


def build_and_package(
    template: Path,
    endpoint_url: str,
    *,
    console: Console | None = None,
    quiet: bool = False,
    cache_dir: Path | None = None,
    environ: Mapping[str, str] = os.environ,
) -> dict[str, Any]:
    """Build `template` (a file or its folder), upload its artifacts to the Stratus at
    `endpoint_url`, and return the template that names them. Raises CliError: BuildError
    naming the resource when it cannot be built, or the server's refusal."""
    # One progress display for both steps: each resource keeps one line, built then sent.
    with Progress(console, quiet=quiet) as progress:
        result = build(template, progress=progress, cache_dir=cache_dir, environ=environ)
        return package(result, Uploader(endpoint_url), progress=progress)


def package(
    result: BuildResult, uploader: Uploader, *, progress: Progress | None = None
) -> dict[str, Any]:
    """Upload what `result` built and return the template naming the uploads."""
    placed: list[Placed] = []
    layers: list[tuple[Built, str]] = []  # functions whose libraries went to a layer
    zips = result.project / PACKAGE_DIR
    with progress or Progress(quiet=True) as shown:
        for built in result.built:
            name = built.artifact.logical_id
            shown.update(name, "zipping")
            try:
                archive, key = package_zip(built, zips)
            except OSError as exc:
                raise BuildError(f"{name}: cannot zip {built.path} into {zips}: {exc}") from exc
            shown.update(name, "uploading")
            upload = uploader.upload(archive, key)
            sent = _sent(upload.sent, upload.size, key)
            if built.layer:
                shown.update(name, "zipping its libraries")
                try:
                    layer_archive, layer_key = package_layer(name, built.layer, zips)
                except OSError as exc:
                    problem = f"{name}: cannot zip its libraries into {zips}: {exc}"
                    raise BuildError(problem) from exc
                layer = uploader.upload(layer_archive, layer_key)
                sent += f"; libraries: {_sent(layer.sent, layer.size, layer_key)}"
                layers.append((built, layer_key))
            shown.done(name, f"{built.summary}; {sent}")
            placed.append(Placed(built.artifact.pointer, built.artifact.form, key))
        for artifact in result.files:
            path = artifact.path
            if artifact.nested:  # its own functions and nested templates go first
                path = _packaged_nested(artifact.path, zips, uploader, shown)
            upload = uploader.upload(path)
            shown.done(artifact.where, _sent(upload.sent, upload.size, upload.key))
            placed.append(Placed(artifact.pointer, artifact.form, upload.key))
    packaged = packaged_template(
        result.template, placed, drop_globals_code_uri=result.globals_code_uri
    )
    for built, layer_key in layers:
        attach(packaged, built.artifact.logical_id, layer_key, built.artifact.runtime)
    return packaged


def packaged_template(
    template: Mapping[str, Any], placed: Sequence[Placed], *, drop_globals_code_uri: bool = False
) -> dict[str, Any]:
    """A copy of `template` naming the uploaded artifacts instead of local paths."""
    packaged = copy.deepcopy(dict(template))
    for item in placed:
        _set(packaged, item.pointer, location(item.form, item.key))
    if drop_globals_code_uri:
        # Every function that used it now has its own CodeUri; the local path must not reach
        # the server, where it means nothing.
        packaged["Globals"]["Function"].pop("CodeUri", None)
    return packaged


def _packaged_nested(template: Path, zips: Path, uploader: Uploader, shown: Progress) -> Path:
    """A nested stack's template built and packaged as the parent's is, written as JSON."""
    packaged = package(build(template, progress=shown), uploader, progress=shown)
    text = json.dumps(packaged, indent=2, sort_keys=True).encode()
    zips.mkdir(parents=True, exist_ok=True)
    written = zips / f"{hashlib.sha256(text).hexdigest()}.template.json"
    written.write_bytes(text)
    return written


def location(form: Form, key: str) -> Any:
    if form is Form.URI:
        return f"s3://{ARTIFACTS_BUCKET}/{key}"
    if form is Form.LAMBDA:
        return {"S3Bucket": ARTIFACTS_BUCKET, "S3Key": key}
    return {"Bucket": ARTIFACTS_BUCKET, "Key": key}


def package_zip(built: Built, zips: Path) -> tuple[Path, str]:
    """The zip to upload for `built` and its sha256: a .zip as it is, else a deterministic
    zip of the folder (reused while the folder's listing is unchanged)."""
    if built.path.is_file():
        return built.path, sha256_of(built.path)
    zips.mkdir(parents=True, exist_ok=True)
    name = built.artifact.logical_id
    archive, stamp_path = zips / f"{name}.zip", zips / f"{name}.json"
    files = sorted(_files(built.path))
    if not files:
        raise BuildError(
            f"{name}: {built.artifact.prop} {built.path} has no files to package; put the "
            "code there or fix the path"
        )
    fingerprint = _fingerprint(built.path, files)
    stamp = _read_stamp(stamp_path)
    if stamp.get("fingerprint") == fingerprint and archive.is_file():
        return archive, str(stamp["sha256"])
    key = zip_folder(built.path, files, archive)
    stamp_path.write_text(json.dumps({"fingerprint": fingerprint, "sha256": key}))
    return archive, key


def zip_folder(root: Path, files: Sequence[str], archive: Path) -> str:
    """Write `files` (paths relative to `root`, sorted) to `archive`; return its sha256."""
    return zip_files([(name, root / name) for name in files], archive)


def _files(root: Path) -> Iterator[str]:
    for directory, subdirs, names in os.walk(root):
        subdirs[:] = [d for d in subdirs if d not in SKIPPED_DIRS]
        relative = Path(directory).relative_to(root)
        for name in names:
            if not name.endswith(SKIPPED_SUFFIXES) and (Path(directory) / name).is_file():
                yield (relative / name).as_posix()


def _fingerprint(root: Path, files: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for name in files:
        info = (root / name).stat()
        digest.update(f"{name}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_mode}\n".encode())
    return digest.hexdigest()


def _read_stamp(path: Path) -> dict[str, Any]:
    try:
        stamp = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return stamp if isinstance(stamp, dict) else {}


def _set(node: dict[str, Any], pointer: Pointer, value: Any) -> None:
    *parents, last = pointer
    here: Any = node  # mappings and lists, as the template nests them
    for part in parents:
        # Indexes only on the way to a top-level Transform entry; mappings are made if missing
        # (a function whose CodeUri came from Globals has none of its own).
        here = here[part] if isinstance(part, int) else here.setdefault(part, {})
    here[last] = value


def _sent(sent: bool, size: int, key: str) -> str:
    what = f"uploaded {_size(size)}" if sent else "unchanged, not uploaded"
    return f"{what}  s3://{ARTIFACTS_BUCKET}/{key[:12]}…"


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def package_command(
    template: Annotated[
        Path, typer.Argument(help="template.yaml (or .json), or the folder holding it.")
    ] = Path("."),
    output_template_file: Annotated[
        Path | None,
        typer.Option(help="Write the packaged template here instead of to stdout."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
    endpoint_url: EndpointUrl = DEFAULT_ENDPOINT_URL,
) -> None:
    """Build, upload the code and print the template that names it (like `sam package`).

    The packaged template is ready for CreateStack or `aws cloudformation deploy`."""
    packaged = build_and_package(template, endpoint_url, quiet=quiet)
    text = json.dumps(packaged, indent=2)
    if output_template_file is None:
        typer.echo(text)
        return
    output_template_file.write_text(text + "\n")
    if not quiet:
        consoles.note(f"packaged template written to {output_template_file}")
