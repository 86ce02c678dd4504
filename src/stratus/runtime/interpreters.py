"""Find the Python interpreter for each `python3.X` runtime on this host.

Looks in pyenv's versions (PYENV_ROOT or ~/.pyenv) and then on PATH (skipping pyenv shims,
which fail for versions pyenv has not selected). A runtime with no matching interpreter runs
on the server's own Python, with a warning in the log that says so.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

log = logging.getLogger("stratus.runtime")

PYTHON_RUNTIMES = tuple(f"python3.{minor}" for minor in range(9, 15))


@dataclass(frozen=True, slots=True)
class Interpreter:
    runtime: str
    path: str
    exact: bool  # False when standing in for a missing version

    @property
    def is_server_python(self) -> bool:
        return os.path.realpath(self.path) == os.path.realpath(sys.executable)


@cache
def interpreter_for(runtime: str) -> Interpreter:
    version = runtime.removeprefix("python")
    # OS-only runtimes (provided.*) bring their own bootstrap; the server's Python only runs
    # the wrapper that enters the sandbox first (runtime/custom.py).
    if not runtime.startswith("python") or version == (
        f"{sys.version_info.major}.{sys.version_info.minor}"
    ):
        return Interpreter(runtime, sys.executable, exact=True)
    found = _from_pyenv(version) or _from_path(version)
    if found:
        log.info("runtime %s runs on %s", runtime, found)
        return Interpreter(runtime, found, exact=True)
    log.warning(
        "runtime %s: no python%s found on this host; running it on the server's Python %d.%d "
        "(%s) instead",
        runtime,
        version,
        sys.version_info.major,
        sys.version_info.minor,
        sys.executable,
    )
    return Interpreter(runtime, sys.executable, exact=False)


def _from_pyenv(version: str) -> str | None:
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if not root.is_dir():
        return None
    pattern = re.compile(rf"^{re.escape(version)}\.(\d+)$")
    candidates = sorted(
        (int(m.group(1)), d) for d in root.iterdir() if (m := pattern.match(d.name))
    )
    for _, directory in reversed(candidates):
        binary = directory / "bin" / f"python{version}"
        if os.access(binary, os.X_OK):
            return str(binary)
    return None


def _from_path(version: str) -> str | None:
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if Path(directory).name == "shims":
            continue
        found = shutil.which(f"python{version}", path=directory)
        if found:
            return found
    return None
