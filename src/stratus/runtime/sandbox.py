"""Resource limits for execution environments, enforced by the host, not trusted to the function.

At start-up `detect()` finds what this host offers and logs which isolation is active:

    cgroup v2   <root>/stratus-<pid>-<id>/<env>/{memory.max, memory.swap.max, pids.max}
    cgroup v1   <root>/memory/stratus-<pid>-<id>/<env>/memory.limit_in_bytes
                <root>/pids/stratus-<pid>-<id>/<env>/pids.max
                <root>/freezer/stratus-<pid>-<id>/<env>/   (to kill the cage whole)
    rlimits     RLIMIT_DATA = memory size (no pids limit), with a warning

The environment process writes its own pid into `cgroup.procs` before it runs any user code
(bootstrap.py), so no allocation escapes the limit. A cage also carries the environment's
uid when environments are confined (confinement.py), and `kill` ends everything in it,
whatever process group or session it made: cgroup.kill on v2, freeze-and-kill on v1.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from stratus.runtime.confinement import Confinement

log = logging.getLogger("stratus.runtime")

CGROUP_ROOT = Path("/sys/fs/cgroup")
# Lambda allows 1024 processes and threads per execution environment.
PIDS_LIMIT = 1024
SPARE_CAGES = 16
# Freezing is quick for sleeping and running tasks; a task in uninterruptible sleep delays it.
FREEZE_WAIT_S = 0.5


@dataclass(frozen=True, slots=True)
class Limits:
    memory_bytes: int


@dataclass(slots=True)
class Cage:
    """The cgroups (or rlimits) of one environment; `env` goes into the child's environment."""

    env: dict[str, str]
    groups: tuple[Path, ...] = ()
    uid: int | None = None  # the environment's own uid (confined environments)
    confinement: Confinement | None = None  # gets `uid` back on release, if it gave it
    children: int | None = None  # a snapshot holder's: the first of its children's uids
    holder: bool = False  # a snapshot holder's (confined: its /tmp is divided, launcher.py)
    # The open peak-memory file, read with pread per invocation (None: not opened yet; -1:
    # there is none). Opening a cgroup file costs ~100 us under load, pread ~2 us.
    _peak_fd: int | None = None

    def kill(self) -> None:
        """Kill every process in the cage (blocking: run it in a thread). v2 has
        cgroup.kill; on v1 the freezer stops them all first, so nothing forks meanwhile."""
        for group in self.groups:
            if (group / "cgroup.kill").exists():
                with contextlib.suppress(OSError):
                    (group / "cgroup.kill").write_text("1")
                return
        freezer = next((g for g in self.groups if (g / "freezer.state").exists()), None)
        if freezer is not None:
            _freeze(freezer)
        try:
            for _ in range(100):
                pids = _pids(self.groups)
                if not pids:
                    return
                for pid in pids:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                if freezer is not None:
                    return  # frozen: nothing forked since the listing
                time.sleep(0.001)
        finally:
            if freezer is not None:
                with contextlib.suppress(OSError):
                    (freezer / "freezer.state").write_text("THAWED")

    def peak_memory_mb(self) -> int | None:
        """The environment's peak memory, whole processes and all, in MB rounded up (v2
        memory.peak, v1 memory.max_usage_in_bytes); None without a memory cgroup. Read on
        every invocation (REPORT), so the file stays open until `release`."""
        if self._peak_fd is None:
            self._peak_fd = self._open_peak()
        if self._peak_fd < 0:
            return None
        with contextlib.suppress(OSError, ValueError):
            return -(-int(os.pread(self._peak_fd, 32, 0)) // (1024 * 1024))
        return None

    def _open_peak(self) -> int:
        for group in self.groups:
            for name in ("memory.peak", "memory.max_usage_in_bytes"):
                with contextlib.suppress(OSError):
                    return os.open(group / name, os.O_RDONLY | os.O_CLOEXEC)
        return -1

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

    def processes(self) -> set[int]:
        """The host pids of the processes in the cage (none without cgroups)."""
        return _pids(self.groups)

    def release(self) -> None:
        if self._peak_fd is not None and self._peak_fd >= 0:
            os.close(self._peak_fd)
        self._peak_fd = -1
        for group in self.groups:
            with contextlib.suppress(OSError):  # already gone
                group.rmdir()
        if self.confinement is not None and self.uid is not None:
            self.confinement.release_uid(self.uid)
            if self.children is not None:
                self.confinement.release_children(self.children)
            self.confinement = None


class Sandbox:
    """Creates one Cage per environment using the best mechanism this host has."""

    def __init__(
        self, mode: str, roots: tuple[Path, ...], confinement: Confinement | None = None
    ) -> None:
        self.mode = mode
        self.confinement = confinement or Confinement(False, "not asked for")
        self._roots = roots
        self._spares: list[tuple[Path, ...]] = []
        self._warmer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stratus-cages")
        self._warming = False
        if roots:
            self._refill()

    def cage(
        self, env_id: str, limits: Limits, owner: int | None = None, holder: bool = False
    ) -> Cage:
        """A new environment's cage. `owner`: the uid of a snapshot holder whose child will
        join the cage itself (as the holder's uid, before it takes one of its own), else a
        fresh uid if environments are confined; `holder`: a snapshot holder's, which also
        gets a range of uids for its children."""
        uid, lender, children = owner, None, None
        if owner is None and self.confinement.enabled and not self.confinement.rootless:
            uid, lender = self.confinement.allocate_uid(), self.confinement
            if holder:
                children = self.confinement.allocate_children()
        if self.mode == "rlimit":
            env = {"STRATUS_DATA_RLIMIT": str(limits.memory_bytes)}
            return Cage(env, (), uid, lender, children, holder)
        groups = self._spares.pop() if self._spares else self._make(env_id)
        self._refill()
        if self.mode == "cgroup2":
            (groups[0] / "memory.max").write_text(str(limits.memory_bytes))
            _write_if_exists(groups[0] / "memory.swap.max", "0")
            (groups[0] / "pids.max").write_text(str(PIDS_LIMIT))
        else:
            memory, pids = groups[:2]
            (memory / "memory.limit_in_bytes").write_text(str(limits.memory_bytes))
            _write_if_exists(memory / "memory.memsw.limit_in_bytes", str(limits.memory_bytes))
            (pids / "pids.max").write_text(str(PIDS_LIMIT))
        if owner is not None:
            for group in groups:
                os.chown(group / "cgroup.procs", owner, owner)
        procs = os.pathsep.join(str(group / "cgroup.procs") for group in groups)
        return Cage({"STRATUS_CGROUP_PROCS": procs}, groups, uid, lender, children, holder)

    def report(self, private_tmp: bool, tmp_capped: bool) -> dict[str, object]:
        """What /_stratus/health says: each protection, and for those that are off, why
        and how to turn them on (docs/design.md, "Isolation", has the same list)."""
        confined = self.confinement.enabled
        rootless = self.confinement.rootless
        as_root = confined and not rootless
        freezer = any(root.parent.name == "freezer" for root in self._roots)
        namespaced = " (in a user namespace)" if rootless else ""
        protections = {
            "limits": self.mode,
            "tmp": "private" if private_tmp else "TMPDIR",
            "tmp_size": "capped" if tmp_capped else "per file",
            "identity": "own uid" if as_root else "off",
            "processes": "own PID namespace" + namespaced if confined else "off",
            "files": "own mount namespace" + namespaced if confined else "off",
            "runtime_api": "own uid only" if as_root else "off",
            "snapshots": (
                "own uid and PID namespace per environment"
                if as_root
                else "own PID namespace per environment" + namespaced
                if confined
                else "off"
            ),
            "reclaim": {
                "cgroup2": "cgroup.kill",
                "cgroup1": "freezer" if freezer else "cgroup",
            }.get(self.mode, "process group"),
        }
        off = [name for name, value in protections.items() if value == "off"]
        enable = {name: self.confinement.reason for name in off}
        if not tmp_capped:
            off.append("tmp_size")
            enable["tmp_size"] = (
                self.confinement.reason or "run as root with loop devices and mkfs.ext4"
            )
        if self.mode == "rlimit":
            off.append("limits")
            enable["limits"] = "run as root on a host with memory and pids cgroups"
        return protections | {"off": off, "enable": enable}

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
        self.confinement.close()
        self._warmer.shutdown(wait=True, cancel_futures=True)
        for root in self._roots:
            for child in root.glob("*"):
                if child.is_dir():
                    with contextlib.suppress(OSError):
                        child.rmdir()
            with contextlib.suppress(OSError):
                root.rmdir()


def detect(cgroup_root: Path = CGROUP_ROOT, isolation: bool = True) -> Sandbox:
    """Pick cgroup v2, then v1, then rlimits, and say which in the log; confine
    environments (confinement.py) if `isolation` and the host allows it."""
    confinement = Confinement.detect(isolation)
    for parent in (cgroup_root, *(cgroup_root / c for c in ("memory", "pids", "freezer"))):
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
            return Sandbox("cgroup2", (root,), confinement)
    memory, pids = cgroup_root / "memory", cgroup_root / "pids"
    freezer = cgroup_root / "freezer"
    if (memory / "cgroup.procs").exists() and (pids / "cgroup.procs").exists():
        roots: tuple[Path, ...] = (memory / name, pids / name)
        if (freezer / "cgroup.procs").exists():
            roots += (freezer / name,)
        else:
            log.warning(
                "isolation: no freezer cgroup; reclaiming an environment kills its processes "
                "one by one (mount it: mkdir /sys/fs/cgroup/freezer && mount -t cgroup -o "
                "freezer freezer /sys/fs/cgroup/freezer)"
            )
        try:
            for root in roots:
                root.mkdir(exist_ok=True)
        except OSError as exc:
            log.debug("cgroup v1 not usable: %s", exc)
        else:
            log.info("isolation: cgroup v1 memory and pids limits (%s)", ", ".join(map(str, roots)))
            return Sandbox("cgroup1", roots, confinement)
    log.warning(
        "isolation: no writable memory/pids cgroup on this host; falling back to RLIMIT_DATA "
        "for memory and no process limit (run as root on a host with cgroups for full limits)"
    )
    return Sandbox("rlimit", (), confinement)


def _remove_stale_roots(parent: Path) -> None:
    """Cgroups left by a server that was killed: kill whatever still runs there (nothing,
    when its environments died with it, as they should), then remove them."""
    if not parent.is_dir():
        return
    for root in parent.glob("stratus-*"):
        pid = root.name.split("-")[1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            for group in [*root.glob("*/"), root]:
                if group.is_dir():
                    Cage({}, (group,)).kill()
            Sandbox("stale", (root,)).close()


def _counter(text: str, key: str) -> int:
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            return int(value)
    return 0


def _freeze(group: Path) -> None:
    with contextlib.suppress(OSError):
        (group / "freezer.state").write_text("FROZEN")
        deadline = time.monotonic() + FREEZE_WAIT_S
        while (group / "freezer.state").read_text().strip() != "FROZEN":
            if time.monotonic() > deadline:
                return
            time.sleep(0.001)


def _pids(groups: tuple[Path, ...]) -> set[int]:
    pids: set[int] = set()
    for group in groups:
        with contextlib.suppress(OSError):
            pids.update(int(line) for line in (group / "cgroup.procs").read_text().split())
    return pids


def _write_if_exists(path: Path, value: str) -> None:
    if path.exists():
        with contextlib.suppress(OSError):
            path.write_text(value)
