"""Resource limits for execution environments, enforced by the host, not trusted to the function.

At start-up `detect()` finds what this host offers and logs which isolation is active:

    cgroup v2   <root>/stratus-<pid>-<id>/<env>/{memory.max, memory.swap.max, pids.max}
    cgroup v1   <root>/memory/stratus-<pid>-<id>/<env>/memory.limit_in_bytes
                <root>/pids/stratus-<pid>-<id>/<env>/pids.max
    rlimits     RLIMIT_DATA = memory size (no pids limit), with a warning

The environment process writes its own pid into `cgroup.procs` before it runs any user code
(bootstrap.py), so no allocation escapes the limit.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("stratus.runtime")

CGROUP_ROOT = Path("/sys/fs/cgroup")
# Lambda allows 1024 processes and threads per execution environment.
PIDS_LIMIT = 1024
SPARE_CAGES = 16


@dataclass(frozen=True, slots=True)
class Limits:
    memory_bytes: int


@dataclass(slots=True)
class Cage:
    """The cgroups (or rlimits) of one environment; `env` goes into the child's environment."""

    env: dict[str, str]
    groups: tuple[Path, ...] = ()

    def out_of_memory(self) -> bool:
        """Did the kernel's OOM killer act in this cage? (v2 memory.events, v1 oom_control)"""
        for group in self.groups:
            for name in ("memory.events", "memory.oom_control"):
                counters = group / name
                if counters.exists() and _counter(counters.read_text(), "oom_kill") > 0:
                    return True
        return False

    def lift_memory_limit(self) -> None:
        """For a snapshot holder once its init is done (it runs no user code after that):
        children are born in its cgroup and are charged to it until they join their own, so a
        burst of forks must not hit the function's limit there."""
        # v1 wants memory+swap raised before memory (memory <= memsw at every moment).
        files = (
            ("memory.max", "max"),
            ("memory.memsw.limit_in_bytes", "-1"),
            ("memory.limit_in_bytes", "-1"),
        )
        for group in self.groups:
            for name, unlimited in files:
                if (group / name).exists():
                    (group / name).write_text(unlimited)

    def release(self) -> None:
        for group in self.groups:
            with contextlib.suppress(OSError):  # already gone
                group.rmdir()


class Sandbox:
    """Creates one Cage per environment using the best mechanism this host has."""

    def __init__(self, mode: str, roots: tuple[Path, ...]) -> None:
        self.mode = mode
        self._roots = roots
        self._spares: list[tuple[Path, ...]] = []
        self._warmer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stratus-cages")
        self._warming = False
        if roots:
            self._refill()

    def cage(self, env_id: str, limits: Limits) -> Cage:
        if self.mode == "rlimit":
            return Cage({"STRATUS_DATA_RLIMIT": str(limits.memory_bytes)})
        groups = self._spares.pop() if self._spares else self._make(env_id)
        self._refill()
        if self.mode == "cgroup2":
            (groups[0] / "memory.max").write_text(str(limits.memory_bytes))
            _write_if_exists(groups[0] / "memory.swap.max", "0")
            (groups[0] / "pids.max").write_text(str(PIDS_LIMIT))
        else:
            memory, pids = groups
            (memory / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
            _write_if_exists(memory / "memory.memsw.limit_in_bytes", str(limits.memory_bytes))
            (pids / "pids.max").write_text(str(PIDS_LIMIT))
        procs = os.pathsep.join(str(group / "cgroup.procs") for group in groups)
        return Cage({"STRATUS_CGROUP_PROCS": procs}, groups)

    def _make(self, name: str) -> tuple[Path, ...]:
        groups = tuple(root / name for root in self._roots)
        for group in groups:
            group.mkdir(exist_ok=True)
        return groups

    def _refill(self) -> None:
        """Keep SPARE_CAGES cgroups made ahead, off the event loop: mkdir in cgroupfs takes
        0.3-2 ms, which a snapshot restore should not wait for. (Joining a memory cgroup on
        cgroup v1 can also wait ~10 ms for the kernel after an idle spell, whichever cgroup it
        is; standby environments in zygote.py take that off the critical path.)"""
        if not self._warming and len(self._spares) < SPARE_CAGES:
            self._warming = True
            self._warmer.submit(self._make_spares)

    def _make_spares(self) -> None:
        try:
            while len(self._spares) < SPARE_CAGES:
                self._spares.append(self._make(f"spare-{uuid.uuid4().hex}"))
        except OSError as exc:
            log.warning("could not prepare spare cgroups: %s", exc)
        finally:
            self._warming = False

    def close(self) -> None:
        self._warmer.shutdown(wait=True, cancel_futures=True)
        for root in self._roots:
            for child in root.glob("*"):
                if child.is_dir():
                    with contextlib.suppress(OSError):
                        child.rmdir()
            with contextlib.suppress(OSError):
                root.rmdir()


def detect(cgroup_root: Path = CGROUP_ROOT) -> Sandbox:
    """Pick cgroup v2, then v1, then rlimits, and say which in the log."""
    for parent in (cgroup_root, cgroup_root / "memory", cgroup_root / "pids"):
        _remove_stale_roots(parent)
    # Unique per server, so several servers in one process (tests) never share a root.
    name = f"stratus-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    v2 = cgroup_root / "cgroup.controllers"
    if v2.exists() and {"memory", "pids"} <= set(v2.read_text().split()):
        root = cgroup_root / name
        try:
            root.mkdir(exist_ok=True)
            (root / "cgroup.subtree_control").write_text("+memory +pids")
        except OSError as exc:
            shutil.rmtree(root, ignore_errors=True)
            log.debug("cgroup v2 not usable: %s", exc)
        else:
            log.info("isolation: cgroup v2 memory and pids limits (%s)", root)
            return Sandbox("cgroup2", (root,))
    memory, pids = cgroup_root / "memory", cgroup_root / "pids"
    if (memory / "cgroup.procs").exists() and (pids / "cgroup.procs").exists():
        roots = (memory / name, pids / name)
        try:
            for root in roots:
                root.mkdir(exist_ok=True)
        except OSError as exc:
            log.debug("cgroup v1 not usable: %s", exc)
        else:
            log.info("isolation: cgroup v1 memory and pids limits (%s, %s)", *roots)
            return Sandbox("cgroup1", roots)
    log.warning(
        "isolation: no writable memory/pids cgroup on this host; falling back to RLIMIT_DATA "
        "for memory and no process limit (run as root on a host with cgroups for full limits)"
    )
    return Sandbox("rlimit", ())


def _remove_stale_roots(parent: Path) -> None:
    """Empty cgroups left by a server that was killed (its environments died with it)."""
    if not parent.is_dir():
        return
    for root in parent.glob("stratus-*"):
        pid = root.name.split("-")[1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            Sandbox("stale", (root,)).close()


def _counter(text: str, key: str) -> int:
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            return int(value)
    return 0


def _write_if_exists(path: Path, value: str) -> None:
    if path.exists():
        with contextlib.suppress(OSError):
            path.write_text(value)
