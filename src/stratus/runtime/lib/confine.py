"""Confine an execution environment: its own identity, processes and view of the files.

Standard library only, Python 3.9 syntax, like bootstrap.py, which calls `enter(plan)` before
any user code runs (the server asks for it with STRATUS_CONFINE, a JSON plan made by
stratus.runtime.confinement). It starts as root and ends as three processes:

    outside   the supervisor's child, root, in the host's PID namespace: waits, then exits
              as the environment did (same status or signal). PDEATHSIG: dies with the server.
    init      PID 1 of a new PID namespace: reaps orphans, reports the environment's exit
              status to `outside` through a pipe. Dies with `outside` (PDEATHSIG); when it
              dies the kernel kills everything left in the namespace, setsid or not.
    env       PID 2: the environment itself. Runs as the plan's uid (no capabilities, no
              new privileges), sees its own /proc, and the mount tree below.

`enter` returns only in `env`. User code never runs as PID 1, which the kernel protects
from signals sent inside its namespace (a handler's os.kill(os.getpid(), SIGSEGV) must kill
it, as on Lambda).

Mount namespace (made before the forks, inherited by both; a copy of `mount_namespace`'s
when the plan names one):
    covers   tmpfs over directories the uid could not traverse anyway (e.g. /root), so the
             directories the environment needs under them (an interpreter in ~/.pyenv) are
             bound back and everything else there is gone
    binds    [source, target, writable]: /var/task, /opt, /var/runtime (read-only), /tmp
             and the bytecode cache (writable); sources are opened before any cover is
             mounted, so a cover may hide them
    /tmp     a filesystem of EphemeralStorage's size when the server made one (scratch.py)
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import select
import signal
import socket
import stat
import struct
import sys
from typing import Any, NoReturn

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
SIOCSIFFLAGS, IFF_UP, IFF_RUNNING = 0x8914, 0x1, 0x40
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
STATUS = struct.Struct("i")

_LIBC: list[Any] = []


class ConfinementError(OSError):
    """The environment could not be confined: it must not run at all."""


def libc() -> Any:
    if not _LIBC:
        lib = ctypes.CDLL(None, use_errno=True)
        lib.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_void_p]
        lib.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
        _LIBC.append(lib)
    return _LIBC[0]


def enter(plan: dict[str, Any]) -> None:
    """Confine this process as `plan` says; returns in the environment process only."""
    if plan.get("mount_namespace"):  # where the server keeps /tmp filesystems (scratch.py)
        handle = os.open(plan["mount_namespace"], os.O_RDONLY | os.O_CLOEXEC)
        _check(libc().setns(handle, CLONE_NEWNS), "setns")
        os.close(handle)
    namespaces = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
    if not plan.get("network", True):
        namespaces |= CLONE_NEWNET
    _check(libc().unshare(namespaces), "unshare")
    if namespaces & CLONE_NEWNET:
        _loopback_up()
    _mount(b"none", "/", None, MS_REC | MS_PRIVATE)
    _mount_tree(plan)
    status_read, status_write = os.pipe()
    # Listed now: once init mounts its /proc, `outside` (in the same mount namespace but not
    # in init's PID namespace) has no /proc/self.
    inherited = [int(name) for name in os.listdir("/proc/self/fd")]
    init = os.fork()
    if init:
        os.close(status_write)
        _wait_outside(init, status_read, inherited)
    os.close(status_read)
    _die_with_parent(status_write)
    _mount(b"proc", "/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    env = os.fork()
    if env:
        _serve_as_init(env, status_write, inherited)
    os.close(status_write)
    _drop_privileges(int(plan["uid"]))
    # As every environment has (after the uid change, which clears it).
    _check(libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
    os.chdir(plan["cwd"])


def _loopback_up() -> None:
    """A new network namespace has only `lo`, down: bring it up (servers on localhost work,
    nothing else is reachable)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH", b"lo", IFF_UP | IFF_RUNNING))


def _mount_tree(plan: dict[str, Any]) -> None:
    binds = plan.get("binds", [])
    handles = [os.open(source, os.O_PATH | os.O_CLOEXEC) for source, _, _ in binds]
    for cover in plan.get("covers", []):
        _mount(b"tmpfs", cover, b"tmpfs", MS_NOSUID | MS_NODEV, b"mode=755,size=64k")
    for index, (_, target, writable) in enumerate(binds):  # (no zip(strict=) on 3.9)
        handle = handles[index]
        if not os.path.exists(target):  # only under a cover: the host's mount points exist
            _mount_point(target, stat.S_ISDIR(os.fstat(handle).st_mode))
        _mount(f"/proc/self/fd/{handle}".encode(), target, None, MS_BIND | MS_REC)
        flags = MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV
        _mount(None, target, None, flags if writable else flags | MS_RDONLY)
        os.close(handle)


def _mount_point(target: str, directory: bool) -> None:
    """An empty directory or file to bind onto (a single-module package such as six.py is a
    file)."""
    if directory:
        os.makedirs(target)
        return
    os.makedirs(os.path.dirname(target), exist_ok=True)
    os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))


def _wait_outside(init: int, status_read: int, inherited: list[int]) -> NoReturn:
    """The supervisor's child: hold nothing of the environment's, wait, exit as it did."""
    _close_all_but(status_read, inherited)
    raw = b""
    while len(raw) < STATUS.size:
        chunk = os.read(status_read, STATUS.size - len(raw))
        if not chunk:
            break
        raw += chunk
    _, init_status = os.waitpid(init, 0)
    status = STATUS.unpack(raw)[0] if len(raw) == STATUS.size else init_status
    sys.stdout.flush()
    if os.WIFSIGNALED(status):
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def _serve_as_init(env: int, status_write: int, inherited: list[int]) -> NoReturn:
    """PID 1: reap every orphan; when the environment exits, report how and end the
    namespace (the kernel kills whatever is left)."""
    _close_all_but(status_write, inherited)
    while True:
        pid, status = os.waitpid(-1, 0)
        if pid == env:
            os.write(status_write, STATUS.pack(status))
            os._exit(0)


def _close_all_but(keep: int, inherited: list[int]) -> None:
    """Close every descriptor above stderr but `keep`: the ones open at the fork only
    (closerange over 65536 numbers takes 40 ms on Python 3.9, which has no close_range)."""
    for fd in inherited:
        if fd > 2 and fd != keep:
            with contextlib.suppress(OSError):  # the listing's own descriptor, closed
                os.close(fd)


def _die_with_parent(status_write: int) -> None:
    """Die with `outside`, even if it died before this took effect (its pipe end is gone)."""
    _check(libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
    poller = select.poll()
    poller.register(status_write, select.POLLOUT)
    if any(events & select.POLLERR for _, events in poller.poll(0)):
        os._exit(1)


def _drop_privileges(uid: int) -> None:
    """Become `uid` for good: no supplementary groups, no capabilities, and no way back
    through set-user-ID programs. Dumpable again, so the process owns its /proc entries."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    _check(libc().prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "prctl")
    _check(libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl")


def _mount(
    source: bytes | None,
    target: str,
    fstype: bytes | None,
    flags: int,
    data: bytes | None = None,
) -> None:
    _check(libc().mount(source, target.encode(), fstype, flags, data), f"mount {target}")


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise ConfinementError(
            errno, f"cannot confine the environment: {what}: {os.strerror(errno)}"
        )
