"""Confinement: each environment is a tenant with its own identity, processes and files.

Decided once at start-up (`detect`), applied by `lib/confine.py` inside each environment
before any user code runs, from a plan this module writes:

    identity   a uid (and gid) of its own from a reserved range, no capabilities, no new
               privileges (needs the server to run as root)
    processes  its own PID namespace: it sees and can signal only its own processes; the
               namespace's init dies with the server, and the kernel then kills the rest
    files      its own mount namespace: /var/task (its code), /opt (layers), /var/runtime
               read-only; /tmp and its bytecode cache writable; the data directory (code
               store, database, other environments) is mode 0700 and out of reach
    IPC, UTS   namespaces of its own (no shared SysV memory, its own hostname)

Where the host cannot do this, `Confinement.off` says why; the server logs it and lists it
in /_stratus/health: nothing runs less isolated silently.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

log = logging.getLogger("stratus.runtime")

# A range no real account uses (useradd stops at 60000; container subuid ranges at ~100000
# per user), in blocks: each server on the host holds one (a lock on its file, released by
# the kernel when the server dies), and each live environment takes a uid of its block,
# returned when it ends. Two servers never hand out the same uid.
UID_BASE = 1_500_000_000
UID_BLOCK = 2**20
# Uids a snapshot holder may give its children at once (its user namespace maps them): a
# range of its server's block, taken from the top while single uids are taken from below.
CHILD_UIDS = 1024
UID_BLOCKS = (2**31 - 1 - UID_BASE) // UID_BLOCK
UID_LOCKS = Path("/run/stratus/uid-blocks-1m")  # (blocks of 2**20: not the 65,536 of before)
TASK_ROOT = Path("/var/task")
RUNTIME_ROOT = Path("/var/runtime")
NAMESPACES = ("pid", "mnt", "ipc", "uts")
ROOTLESS_REASON = (
    "the server is not root, so environments run as its uid (in user namespaces of their "
    "own): a uid of their own per environment and Runtime APIs only their own uid can use "
    "need the server to run as root (e.g. docker run --privileged ...)"
)
# Can this (unprivileged) user make a user namespace with PID and mount namespaces in it?
USERNS_PROBE = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
if libc.unshare(0x10000000 | 0x20000000 | 0x00020000) != 0:
    raise SystemExit(os.strerror(ctypes.get_errno()))
"""


@dataclass(slots=True)
class Confinement:
    """What this host lets Stratus do to confine environments, and the uids it hands out."""

    enabled: bool
    reason: str = ""  # why not (or, rootless, why not everything), with the command to fix it
    rootless: bool = False  # confined in user namespaces, with the server's uid
    _next: int = UID_BASE
    _end: int = UID_BASE + UID_BLOCK
    _free: list[int] = field(default_factory=list)
    _ranges_floor: int = UID_BASE + UID_BLOCK  # child ranges lie from here to _end
    _free_ranges: list[int] = field(default_factory=list)
    _lock: IO[str] | None = None  # held while the server lives

    @classmethod
    def detect(cls, wanted: bool = True) -> Confinement:
        if not wanted:
            return cls.off("turned off (STRATUS_ISOLATION=off)")
        if os.geteuid() != 0:
            return cls.detect_rootless()
        missing = [ns for ns in NAMESPACES if not Path(f"/proc/self/ns/{ns}").exists()]
        if missing:
            return cls.off(f"the kernel lacks {', '.join(missing)} namespaces")
        try:
            for mount_point in (TASK_ROOT, RUNTIME_ROOT):
                mount_point.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return cls.off(f"cannot make the mount point {exc.filename}: {exc.strerror}")
        try:
            base, lock = _claim_uid_block()
        except OSError as exc:
            return cls.off(f"cannot claim a block of uids under {UID_LOCKS}: {exc}")
        log.info(
            "isolation: each environment runs as its own uid (from %d) in its own PID, mount, "
            "IPC and UTS namespaces",
            base,
        )
        end = base + UID_BLOCK
        return cls(True, _next=base, _end=end, _ranges_floor=end, _lock=lock)

    @classmethod
    def detect_rootless(cls) -> Confinement:
        """Not root: environments can still have PID, mount, IPC and UTS namespaces of their
        own inside a user namespace each, if the host lets unprivileged users make them;
        they keep the server's uid (the only one it may map)."""
        probe = subprocess.run(
            [sys.executable, "-I", "-S", "-c", USERNS_PROBE],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode != 0:
            return cls.off(
                "the server is not root and cannot make user namespaces "
                f"({probe.stderr.strip() or probe.returncode}), so environments share its uid "
                "and see its processes (allow them: sysctl -w kernel.unprivileged_userns_clone=1 "
                "user.max_user_namespaces=15000, or on Ubuntu 24.04+ sysctl -w "
                "kernel.apparmor_restrict_unprivileged_userns=0; or run the server as root, "
                "e.g. docker run --privileged ...)"
            )
        log.info(
            "isolation (rootless): each environment in its own user, PID, mount, IPC and UTS "
            "namespaces, with the server's uid"
        )
        return cls(True, ROOTLESS_REASON, rootless=True)

    @classmethod
    def off(cls, reason: str) -> Confinement:
        log.warning("isolation: environments are NOT confined: %s", reason)
        return cls(False, reason)

    def allocate_uid(self) -> int:
        if self._free:
            return self._free.pop()
        if self._next >= self._ranges_floor:
            raise RuntimeError("no free environment uid left")
        self._next += 1
        return self._next - 1

    def release_uid(self, uid: int) -> None:
        self._free.append(uid)

    def allocate_children(self) -> int:
        """The first of CHILD_UIDS consecutive uids, for a snapshot holder's children."""
        if self._free_ranges:
            return self._free_ranges.pop()
        if self._ranges_floor - CHILD_UIDS < self._next:
            raise RuntimeError("no free range of environment uids left")
        self._ranges_floor -= CHILD_UIDS
        return self._ranges_floor

    def release_children(self, base: int) -> None:
        self._free_ranges.append(base)

    def close(self) -> None:
        """Give the block of uids back (the server has stopped its environments)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def _claim_uid_block() -> tuple[int, IO[str]]:
    UID_LOCKS.mkdir(parents=True, exist_ok=True)
    for index in range(UID_BLOCKS):
        lock = open(UID_LOCKS / f"{index}.lock", "w")  # noqa: SIM115 (held for the server's life)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        return UID_BASE + index * UID_BLOCK, lock
    raise OSError("every block is taken")


@dataclass(frozen=True, slots=True)
class Bind:
    source: Path
    target: Path
    writable: bool = False


def plan(
    uid: int,
    binds: list[Bind],
    reveal: list[Path],
    mount_namespace: str | None = None,
    network: bool = True,
    runtime_api: tuple[str, str] | None = None,
    children: int | None = None,
    hide: list[Path] | None = None,
) -> str:
    """The STRATUS_CONFINE value: `binds`, plus the host directories in `reveal` (an
    interpreter, the SDK) bound back under covers where the uid could not reach them, in a
    copy of `mount_namespace` (else the server's); without `network`, a network namespace
    with nothing but a loopback of its own, where `runtime_api` (inside, host) is relayed
    from the address inside to the server's listener on the host. `children`: the first of
    CHILD_UIDS host uids a snapshot holder gives its children (lib/confine.enter_child).
    `hide`: rootless, directories covered (the data directory, the server's home...), in
    a user namespace of its own (the uid is then the server's)."""
    covers, revealed = _covers(reveal, hide or [])
    every = [*binds, *(Bind(path, path) for path in revealed)]
    return json.dumps(
        {
            "uid": uid,
            "mount_namespace": mount_namespace,
            "network": network,
            "runtime_api": list(runtime_api) if runtime_api else None,
            "children": [children, CHILD_UIDS] if children is not None else None,
            "rootless": hide is not None,
            "cwd": str(TASK_ROOT),
            "covers": [str(cover) for cover in covers],
            "binds": [[str(b.source), str(b.target), b.writable] for b in every],
        }
    )


def interpreter_paths(executable: str, is_server_python: bool) -> list[Path]:
    """The directories an interpreter reads after start-up (its standard library, its
    site-packages): prefix and base prefix."""
    if is_server_python:
        return [Path(sys.prefix), Path(sys.base_prefix)]
    return [Path(executable).parents[1], Path(os.path.realpath(executable)).parents[1]]


def _covers(paths: list[Path], hide: list[Path]) -> tuple[list[Path], list[Path]]:
    """For each path, the highest ancestor others cannot traverse (then the path needs a
    cover over that ancestor and a bind back); paths already reachable need nothing, but
    those under /tmp (a virtualenv there) or under a directory to `hide` are bound back."""
    covers: set[Path] = {Path(os.path.realpath(h)) for h in hide}
    revealed: set[Path] = set()
    for path in (Path(os.path.realpath(p)) for p in paths):
        closed = next((a for a in reversed(path.parents) if _closed(a)), None)
        if closed is not None and closed != Path("/"):
            covers.add(closed)
            revealed.add(path)
        elif path.is_relative_to("/tmp") or any(path.is_relative_to(c) for c in covers):
            revealed.add(path)  # (hidden by the environment's own /tmp, or a cover)
    top_covers = [c for c in covers if not any(c != o and c.is_relative_to(o) for o in covers)]
    top_revealed = [
        p for p in revealed if not any(p != o and p.is_relative_to(o) for o in revealed)
    ]
    return sorted(top_covers), sorted(top_revealed)


def _closed(directory: Path) -> bool:
    try:
        return not directory.stat().st_mode & stat.S_IXOTH
    except OSError:
        return False
