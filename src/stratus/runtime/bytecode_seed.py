"""Bytecode of the AWS SDK and the standard library, compiled once per runtime and linked
into each new function's bytecode cache, so a function's first environment does not compile
boto3 and botocore itself.

Confined, every function has a bytecode cache of its own (launcher._bytecode_dir: no
function can plant bytecode another one runs), so the first environment of every new
function compiled everything it imported: for `import boto3; boto3.client(...)` that was
~3.5 s of a 5.4 s init on the loaded 2 cores (1.9 s once cached), and with SnapStart all of
it stood between PublishVersion and Active. On Lambda the runtime's SDK comes compiled.

    seeds = BytecodeSeeds(base, view)
    seeds.link_into(runtime, interpreter_path, is_server_python, new_cache_dir, sdk_dir)

The seed is made by the server (trusted code: its own SDK installation and the runtime's
standard library) with the runtime's interpreter, at the paths environments see (the SDK at
/var/runtime/sdk). Its files are root's and read-only; a function's cache gets hard links
to them in directories it may write (0777, as the cache itself: its environments' uids
differ), so a function can replace its own links, never another function's bytecode. The
first function of a runtime after the server starts does not wait for the seed: it is
made in a thread for the ones after it.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

from stratus.runtime.confinement import RUNTIME_ROOT

log = logging.getLogger("stratus.runtime")

SEED_TIMEOUT_S = 300.0

# Run by the runtime's interpreter: import what environments import at init (bootstrap's
# standard library, boto3 and a client), then compile every loaded source module into the
# seed at the path an environment loads it from.
SEED_SCRIPT = r"""
import importlib.util, os, py_compile, sys
seed, sdk_host, sdk_inside = sys.argv[1:4]
if sdk_host:
    sys.path.append(sdk_host)
import contextlib, ctypes, importlib, json, logging, resource, select, signal, socket
import stat, struct, time, traceback, random, threading
import boto3
boto3.client("lambda", region_name="us-east-1")
sys.pycache_prefix = seed
for module in list(sys.modules.values()):
    path = getattr(module, "__file__", None)
    if not isinstance(path, str) or not path.endswith(".py"):
        continue
    inside = path
    if sdk_host and path.startswith(sdk_host + os.sep):
        inside = sdk_inside + path[len(sdk_host):]
    try:
        py_compile.compile(
            path, cfile=importlib.util.cache_from_source(inside), dfile=inside, doraise=True
        )
    except (OSError, py_compile.PyCompileError):
        pass
"""


class BytecodeSeeds:
    def __init__(self, base: Path, view: Callable[[Path], Path]) -> None:
        self._base = base  # where seeds live (beside the functions' caches)
        self._view = view  # a path as the server reaches it (scratch filesystems)
        self._making: set[str] = set()
        self._lock = threading.Lock()

    def link_into(
        self, runtime: str, interpreter: str, server_python: bool, cache: Path, sdk_dir: Path
    ) -> None:
        """Seed a new function's bytecode cache `cache` if this runtime's seed is made; else
        start making it (of the SDK in `sdk_dir`), for the next new function."""
        seed = self._view(self._base / "seed" / runtime)
        if seed.is_dir():
            _link_tree(seed, self._view(cache))
            return
        with self._lock:
            if runtime in self._making:
                return
            self._making.add(runtime)
        sdk = "" if server_python else str(sdk_dir)
        threading.Thread(
            target=self._make, args=(seed, interpreter, sdk), name="bytecode-seed", daemon=True
        ).start()

    def _make(self, seed: Path, interpreter: str, sdk: str) -> None:
        staging = seed.with_name(seed.name + ".making")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        command = [interpreter, "-I", "-c", SEED_SCRIPT, str(staging), sdk]
        command.append(str(RUNTIME_ROOT / "sdk"))
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)  # (background)
            subprocess.run(command, check=True, capture_output=True, timeout=SEED_TIMEOUT_S)
            staging.rename(seed)
        except (OSError, subprocess.SubprocessError) as exc:
            log.warning("could not compile the SDK's bytecode for %s: %s", seed.name, exc)
            shutil.rmtree(staging, ignore_errors=True)


def _link_tree(source: Path, target: Path) -> None:
    """Hard links to every file of `source` in `target`, in directories anyone may write."""
    for directory, _, files in os.walk(source):
        into = target / os.path.relpath(directory, source)
        into.mkdir(parents=True, exist_ok=True)
        into.chmod(0o777)
        for name in files:
            try:
                os.link(os.path.join(directory, name), into / name)
            except FileExistsError:
                pass
            except OSError:  # (another filesystem) a copy, still the server's and read-only
                shutil.copyfile(os.path.join(directory, name), into / name)
