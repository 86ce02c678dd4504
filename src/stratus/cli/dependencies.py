"""A function's Python dependencies, installed by pip once per requirements and kept.

    <cache>/deps/<key>/       what `pip install -r requirements.txt --target` put there
    key = sha256(requirements text, runtime, architecture, stand-in interpreter if any)

`<cache>` is `STRATUS_CACHE_DIR`, else `$XDG_CACHE_HOME/stratus`, else `~/.cache/stratus`.
pip runs on the runtime's own interpreter (found as the server finds it, runtime/
interpreters.py) so compiled wheels match the Python that runs them; without one, on the
current Python, with a warning, and the cache key says so. Installs go to a temporary
sibling renamed into place: a failed or interrupted pip never leaves an entry that looks
complete, and two builds racing for the same key both end with the same tree.

Assumption: the key is the requirements' text. A requirement that names a moving target
(an unpinned version, `-r other.txt`, a local path) is not re-installed when the target
moves; pin versions, or delete the cache entry (`rm -rf <cache>/deps`).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from stratus.runtime.interpreters import interpreter_for

from .local_artifacts import BuildError

# Lines of pip's output shown when it fails: enough for the error and what led to it.
PIP_TAIL_LINES = 15
_PIP_ENVIRON = {
    "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    "PIP_USER": "0",
    "PIP_REQUIRE_VIRTUALENV": "0",
}


def default_cache_dir(environ: Mapping[str, str] = os.environ) -> Path:
    if environ.get("STRATUS_CACHE_DIR"):
        return Path(environ["STRATUS_CACHE_DIR"])
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "stratus"


def has_requirements(requirements: Path) -> bool:
    """Whether the file asks for anything (pip refuses a file of comments and options only)."""
    for raw in requirements.read_text(errors="replace").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if not line.startswith("-") or line.startswith(("-r", "-e", "--requirement", "--editable")):
            return True
    return False


@dataclass(frozen=True, slots=True)
class Installed:
    path: Path  # the cache entry: a tree to lay into a build folder
    cached: bool  # True when no pip ran
    interpreter: str  # the Python it was (or would have been) installed with
    stand_in: bool  # no interpreter of the runtime's version was found


class DependencyCache:
    def __init__(self, root: Path, environ: Mapping[str, str] = os.environ) -> None:
        self.root = root / "deps"
        self._environ = environ
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def install(
        self, logical_id: str, requirements: Path, runtime: str, architecture: str
    ) -> Installed:
        """The dependencies `requirements` names, from the cache or installed into it."""
        interpreter = interpreter_for(runtime)
        stand_in = not interpreter.exact
        text = requirements.read_text(errors="replace")
        key = cache_key(text, runtime, architecture, interpreter.path if stand_in else None)
        entry = self.root / key
        # One pip per key at a time: a second build with the same requirements waits and
        # takes the result instead of running pip again.
        with self._lock(key):
            if entry.is_dir():
                return Installed(entry, True, interpreter.path, stand_in)
            self._pip(logical_id, interpreter.path, requirements, entry)
        return Installed(entry, False, interpreter.path, stand_in)

    def _lock(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _pip(self, logical_id: str, python: str, requirements: Path, entry: Path) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".pip-", dir=self.root))
        command = [
            python,
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            # Environments compile into their own pycache prefix; .pyc files here only grow
            # the package.
            "--no-compile",
            "--target",
            str(staging),
            "-r",
            str(requirements),
        ]
        try:
            try:
                done = subprocess.run(
                    command,
                    cwd=requirements.parent,  # relative paths in requirements.txt start here
                    # A person's pip settings that contradict --target are overridden.
                    env={**self._environ, **_PIP_ENVIRON},
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    text=True,
                    errors="replace",
                    check=False,
                )
            except OSError as exc:
                raise BuildError(f"{logical_id}: cannot run {python} for pip: {exc}") from exc
            if done.returncode != 0:
                raise BuildError(_pip_failure(logical_id, python, requirements, done))
            try:
                os.replace(staging, entry)
            except OSError:
                if not entry.is_dir():  # another process renamed the same install first
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)


def cache_key(text: str, runtime: str, architecture: str, stand_in: str | None) -> str:
    material = "\n".join((runtime, architecture, stand_in or "", text))
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def _pip_failure(
    logical_id: str, python: str, requirements: Path, done: subprocess.CompletedProcess[str]
) -> str:
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    tail = "\n".join(f"    {line}" for line in lines[-PIP_TAIL_LINES:])
    hint = f"fix {requirements}"
    if "No module named pip" in done.stderr:
        hint = f"{python} has no pip: install it with `{python} -m ensurepip`"
    return (
        f"{logical_id}: pip could not install {requirements.name} "
        f"(exit {done.returncode}); {hint}\n{tail}"
    )
