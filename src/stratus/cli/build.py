"""Build a template's functions and layers, as `sam build` does, into `.stratus/build/`.

    template -> local_artifacts.find_local_artifacts -> for each code artifact:
      python        copy CodeUri  -> .stratus/build/<LogicalId>/          + dependencies
      python-layer  copy ContentUri -> .stratus/build/<LogicalId>/python/ + dependencies
      copy          copy CodeUri  -> .stratus/build/<LogicalId>/
      as-is         nothing: the folder (or .zip) is packaged as it is

Dependencies come from the cache (dependencies.py) and are hard-linked into the build
folder, so a rebuild without changes runs no pip and copies no library. A folder is built in
a staging sibling and renamed into place. Builds run two at a time (pip is the slow part and
the machine is shared); errors of every resource are reported together.

Never copied into a build: `.stratus`, `.aws-sam`, VCS folders, virtualenvs, caches, .pyc.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console

from . import console as consoles
from .dependencies import DependencyCache, Installed, default_cache_dir, has_requirements
from .dependency_layer import (
    MAX_LAYERS,
    Dependencies,
    collect,
    is_function,
    layer_count,
    vendored_names,
)
from .local_artifacts import (
    BuildError,
    CodeArtifact,
    FileArtifact,
    Recipe,
    find_local_artifacts,
)
from .progress import Progress
from .template_file import find_template, read_template

SKIPPED_DIRS = frozenset(
    {
        ".stratus",
        ".aws-sam",
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "__pycache__",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
    }
)
SKIPPED_SUFFIXES = (".pyc", ".pyo")
BUILD_DIR = Path(".stratus") / "build"
CONCURRENT_BUILDS = 2

DependencyState = Literal["none", "cached", "installed"]


@dataclass(frozen=True, slots=True)
class Built:
    artifact: CodeArtifact
    path: Path  # what to package: a build folder, the source folder, or a .zip
    dependencies: DependencyState
    seconds: float
    layer: Dependencies | None = None  # libraries kept apart (`stratus up`'s dependency layer)

    @property
    def summary(self) -> str:
        if self.artifact.recipe is Recipe.AS_IS:
            return "packaged as it is"
        deps = {"none": "", "cached": " (dependencies cached)", "installed": " (pip ran)"}
        layer = ", libraries in a layer" if self.layer else ""
        return f"built in {self.seconds:.2f} s{deps[self.dependencies]}{layer}"


@dataclass(frozen=True, slots=True)
class BuildResult:
    template_path: Path
    template: dict[str, Any]  # as loaded: short tags in long form
    built: tuple[Built, ...]
    files: tuple[FileArtifact, ...]
    globals_code_uri: bool
    seconds: float

    @property
    def project(self) -> Path:
        return self.template_path.parent


def build(
    template: Path,
    *,
    console: Console | None = None,
    quiet: bool = False,
    progress: Progress | None = None,
    cache_dir: Path | None = None,
    environ: Mapping[str, str] = os.environ,
    dependency_layer: bool = False,
) -> BuildResult:
    """Build every function and layer with local code of `template` (a file or its folder).
    With `dependency_layer`, a Python function's libraries stay out of its build folder and
    are named in `Built.layer` (dependency_layer.py)."""
    started = time.monotonic()
    path = find_template(template)
    loaded = read_template(path)
    found = find_local_artifacts(loaded, path.parent)
    cache = DependencyCache(cache_dir or default_cache_dir(environ), environ)
    build_root = path.parent / BUILD_DIR
    with progress or Progress(console, quiet=quiet) as shown:
        for logical_id, reason in found.skipped:
            shown.skip(logical_id, reason)
        apart = {
            a.logical_id
            for a in found.code
            if dependency_layer
            and a.recipe is Recipe.PYTHON
            and is_function(loaded, a.logical_id)
            and layer_count(loaded, a.logical_id) < MAX_LAYERS
        }
        built = _build_all(found.code, build_root, cache, shown, apart)
    return BuildResult(
        path,
        loaded,
        built,
        found.files,
        found.globals_code_uri,
        time.monotonic() - started,
    )


def _build_all(
    artifacts: Sequence[CodeArtifact],
    build_root: Path,
    cache: DependencyCache,
    progress: Progress,
    apart: frozenset[str] | set[str] = frozenset(),
) -> tuple[Built, ...]:
    for artifact in artifacts:
        progress.add(artifact.logical_id, "waiting")
    with ThreadPoolExecutor(CONCURRENT_BUILDS, thread_name_prefix="stratus-build") as pool:
        futures = [
            pool.submit(
                _build_one, artifact, build_root, cache, progress, artifact.logical_id in apart
            )
            for artifact in artifacts
        ]
        errors = _errors(futures)
    if errors:
        raise BuildError("\n".join(errors))
    return tuple(future.result() for future in futures)


def _errors(futures: Iterable[Future[Built]]) -> list[str]:
    errors = []
    for future in futures:
        exc = future.exception()
        if isinstance(exc, BuildError):
            errors.append(str(exc))
        elif exc is not None:
            raise exc
    return errors


def _build_one(
    artifact: CodeArtifact,
    build_root: Path,
    cache: DependencyCache,
    progress: Progress,
    apart: bool = False,
) -> Built:
    started = time.monotonic()
    logical_id = artifact.logical_id
    try:
        if artifact.recipe is Recipe.AS_IS:
            progress.done(logical_id, f"{_relative(artifact.path)}: packaged as it is")
            return Built(artifact, artifact.path, "none", time.monotonic() - started)
        installed = None
        requirements = artifact.path / "requirements.txt"
        wants = artifact.recipe in (Recipe.PYTHON, Recipe.PYTHON_LAYER)
        if wants and requirements.is_file() and has_requirements(requirements):
            installed = _dependencies(artifact, requirements, cache, progress)
        progress.update(logical_id, "copying")
        layer = None
        if apart:
            vendored = vendored_names(artifact.path, artifact.handler)
            layer = collect(installed.path if installed else None, artifact.path, vendored)
            folder = _assemble(artifact, build_root, None, skip=vendored)
        else:
            folder = _assemble(artifact, build_root, installed)
        _check_handler(artifact, folder, progress)
    except BuildError as exc:
        progress.fail(logical_id, str(exc).splitlines()[0].removeprefix(f"{logical_id}: "))
        raise
    state: DependencyState = (
        "none" if installed is None else ("cached" if installed.cached else "installed")
    )
    built = Built(artifact, folder, state, time.monotonic() - started, layer or None)
    progress.done(logical_id, f"{built.summary}  {_relative(folder)}")
    return built


def _dependencies(
    artifact: CodeArtifact, requirements: Path, cache: DependencyCache, progress: Progress
) -> Installed:
    runtime = artifact.runtime or "python3"
    progress.update(artifact.logical_id, f"pip install -r requirements.txt ({runtime})")
    installed = cache.install(artifact.logical_id, requirements, runtime, artifact.architecture)
    if installed.stand_in:
        progress.warn(
            f"{artifact.logical_id}: no {runtime} on this machine; dependencies installed "
            f"with {installed.interpreter} instead (install {runtime}, e.g. with pyenv, so "
            "compiled packages match)"
        )
    return installed


def _assemble(
    artifact: CodeArtifact,
    build_root: Path,
    installed: Installed | None,
    skip: frozenset[str] = frozenset(),
) -> Path:
    build_root.mkdir(parents=True, exist_ok=True)
    target = build_root / artifact.logical_id
    staging = build_root / f".{artifact.logical_id}.staging"
    shutil.rmtree(staging, ignore_errors=True)
    inner = staging / "python" if artifact.recipe is Recipe.PYTHON_LAYER else staging
    try:
        top = str(artifact.path)

        def ignored(directory: str, names: list[str]) -> set[str]:
            # `skip`: vendored libraries, at the top only (they go to the dependency layer)
            return _ignored(directory, names) | (set(names) & skip if directory == top else set())

        shutil.copytree(
            artifact.path, inner, ignore=ignored, symlinks=False, ignore_dangling_symlinks=True
        )
        if installed is not None:
            _link_tree(installed.path, inner)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(staging, target)
    except OSError as exc:
        raise BuildError(
            f"{artifact.logical_id}: cannot build {artifact.path} into {target}: {exc}"
        ) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _ignored(directory: str, names: list[str]) -> set[str]:
    return {n for n in names if n in SKIPPED_DIRS or n.endswith(SKIPPED_SUFFIXES)}


def _link_tree(source: Path, target: Path) -> None:
    """Lay `source` into `target` as hard links; the function's own files win."""
    for directory, subdirs, files in os.walk(source):
        relative = Path(directory).relative_to(source)
        (target / relative).mkdir(parents=True, exist_ok=True)
        for name in files:
            src, dst = Path(directory) / name, target / relative / name
            if dst.exists() or dst.is_symlink():
                continue
            try:
                os.link(src, dst, follow_symlinks=False)
            except OSError:  # another file system, or links not allowed
                shutil.copy2(src, dst, follow_symlinks=False)
        subdirs.sort()


def _check_handler(artifact: CodeArtifact, folder: Path, progress: Progress) -> None:
    """Warn (only: a layer may provide it) when a Python handler's module is not there."""
    handler = artifact.handler
    if artifact.recipe is not Recipe.PYTHON or not handler or "." not in handler:
        return
    module = handler.rpartition(".")[0].replace(".", "/")
    path = folder / module
    if not (path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()):
        progress.warn(
            f"{artifact.logical_id}: Handler {handler} needs {module}.py in CodeUri "
            f"{_relative(artifact.path)}, which has none (fine if a layer provides it)"
        )


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def build_command(
    template: Annotated[
        Path, typer.Argument(help="template.yaml (or .json), or the folder holding it.")
    ] = Path("."),
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
) -> None:
    """Build the template's functions and layers into .stratus/build/ (like `sam build`)."""
    result = build(template, quiet=quiet)
    if not quiet:
        consoles.note(
            f"built {len(result.built)} artifact(s) of {result.template_path.name} "
            f"in {result.seconds:.2f} s"
        )
