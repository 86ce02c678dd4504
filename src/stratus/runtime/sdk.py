"""The AWS SDK a Python environment imports, as Lambda's Python runtimes include boto3.

Environments get the server's own boto3, linked into `<work>/sdk` (launcher._link_sdk) and
appended to sys.path. A runtime whose interpreter that SDK does not support (its packages'
Requires-Python: boto3 1.43 wants 3.10, so python3.9, which Lambda still runs) gets one of
its own: the newest boto3 its interpreter's pip resolves for it, installed once per data
directory into `<work>/sdk-<runtime>` before the runtime's first environment starts (pip's
own cache keeps the wheels for the next data directory). Lambda's python3.9 likewise kept
the last boto3 that supports 3.9. Where pip or the package index cannot be reached, the
runtime keeps the server's SDK (`import boto3` then fails in it) and the server's log says
why, once.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import logging
import re
import shutil
import subprocess
from pathlib import Path

from stratus.runtime.interpreters import interpreter_for

log = logging.getLogger("stratus.runtime")

INSTALL_TIMEOUT_S = 600.0
PIP_WORDS = 500  # characters of pip's error output a failure keeps
_AT_LEAST = re.compile(r"^\s*>=\s*(\d+)\.(\d+)\s*$")


class PipFailed(Exception):
    """pip could not install: its own last words, or why it could not run."""


def pip_install(
    python: str, target: Path, requirement: str, python_version: str | None = None
) -> None:
    """`requirement` and its dependencies, wheels only, into `target` (pip --target) with
    the interpreter `python`; for `python_version` when given (pure-Python wheels)."""
    command = [
        python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--no-warn-script-location", "--only-binary=:all:", "--target", str(target),
    ]  # fmt: skip
    if python_version is not None:
        command += ["--python-version", python_version]
    try:
        subprocess.run(
            [*command, requirement], check=True, capture_output=True, timeout=INSTALL_TIMEOUT_S
        )
    except (OSError, subprocess.SubprocessError) as exc:
        stderr = (getattr(exc, "stderr", b"") or b"").decode(errors="replace")
        raise PipFailed(stderr[-PIP_WORDS:].strip() or str(exc)) from exc


def installed_version(target: Path, project: str) -> str:
    """`project version` of what pip installed into `target` (its dist-info), or "?"."""
    found = sorted(target.glob(f"{project}-*.dist-info"))
    return found[0].name.removesuffix(".dist-info").replace("-", " ") if found else "?"


def server_sdk_supports(version: tuple[int, int]) -> bool:
    """Whether the server's boto3 and its dependencies all run on Python `version`."""
    for package in ("boto3", "botocore", "s3transfer", "urllib3"):
        try:
            wanted = importlib.metadata.metadata(package)["Requires-Python"] or ""
        except importlib.metadata.PackageNotFoundError:
            continue
        found = _AT_LEAST.match(wanted)  # (the only form these packages use)
        if found and version < (int(found[1]), int(found[2])):
            return False
    return True


class RuntimeSdks:
    """Which SDK directory each runtime's environments import (see the module docstring)."""

    def __init__(self, work_dir: Path, server_sdk: Path) -> None:
        self._work_dir = work_dir
        self._server_sdk = server_sdk
        self._own: dict[str, Path] = {}  # runtime -> its own SDK, once installed
        self._settled: set[str] = set()  # runtimes whose SDK is decided
        self._locks: dict[str, asyncio.Lock] = {}

    def dir_for(self, runtime: str) -> Path:
        return self._own.get(runtime, self._server_sdk)

    async def wait_ready(self, runtime: str) -> None:
        """Before `runtime`'s environments start: its own SDK installed, if it needs one."""
        if runtime in self._settled:
            return
        async with self._locks.setdefault(runtime, asyncio.Lock()):
            if runtime not in self._settled:
                own = await asyncio.to_thread(self._own_sdk, runtime)
                if own is not None:
                    self._own[runtime] = own
                self._settled.add(runtime)

    def _own_sdk(self, runtime: str) -> Path | None:
        interpreter = interpreter_for(runtime)
        if not runtime.startswith("python") or interpreter.is_server_python:
            return None
        major, minor = runtime.removeprefix("python").split(".")
        if server_sdk_supports((int(major), int(minor))):
            return None
        target = self._work_dir / f"sdk-{runtime}"
        if target.is_dir():
            return target
        log.info(
            "runtime %s: the server's boto3 does not support Python %s.%s; installing the "
            "newest boto3 that does, for its functions, into %s",
            runtime, major, minor, target,
        )  # fmt: skip
        staging = target.with_name(target.name + ".installing")
        shutil.rmtree(staging, ignore_errors=True)
        try:
            pip_install(interpreter.path, staging, "boto3")
        except PipFailed as exc:
            log.warning(
                "runtime %s: could not install boto3 for it (%s); its functions get the "
                "server's, which Python %s.%s cannot import",
                runtime, exc, major, minor,
            )  # fmt: skip
            shutil.rmtree(staging, ignore_errors=True)
            return None
        staging.rename(target)
        version = installed_version(target, "boto3")
        log.info("runtime %s: boto3 installed for its functions (%s)", runtime, version)
        return target
