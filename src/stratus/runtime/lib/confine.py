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
    /etc/passwd, /etc/group
             read-only files of its own naming its uid, as Lambda's name theirs
             (`_mount_identity`)

Variants, as the plan says:
    network false   a network namespace with only its own loopback; a custom runtime's
                    Runtime API is at 127.0.0.1:9001 there, carried by init (`Relay`) to
                    the server's listener on the host's loopback
    children        a snapshot holder: `env` becomes the root of a user namespace whose
                    uids 1..n init maps to a host range, so that each child it forks can
                    take a uid and PID namespace of its own (`clone_child`, then
                    `enter_child`: two processes, the holder waits instead of `outside`)
    rootless        the server is not root: everything happens in a user namespace of the
                    environment's own (the server's uid, the only one it may map); the data
                    directory, the server's home and /var are covered, and `env` drops
                    every capability before user code runs
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
from errno import ENOSYS
from typing import Any, NoReturn

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWUSER = 0x20000000, 0x40000000, 0x10000000
SIOCSIFFLAGS, IFF_UP, IFF_RUNNING = 0x8914, 0x1, 0x40
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x1, 0x2, 0x4, 0x8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000
MNT_DETACH = 0x2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 1, 4, 38
STATUS = struct.Struct("i")
SYS_MOVE_MOUNT, AT_FDCWD, MOVE_MOUNT_F_EMPTY_PATH = 429, -100, 0x4
# clone's number where its first argument is the flags (others put the stack first): a
# snapshot child cannot be made elsewhere, so each start there is a cold one.
SYS_CLONE = {"x86_64": 56, "aarch64": 220}.get(os.uname().machine)

_LIBC: list[Any] = []
_PYLIBC: list[Any] = []  # the same library, called with the GIL held (for clone)


class ConfinementError(OSError):
    """The environment could not be confined: it must not run at all."""


def libc() -> Any:
    if not _LIBC:
        lib = ctypes.CDLL(None, use_errno=True)
        lib.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_void_p]
        lib.prctl.argtypes = [ctypes.c_int] + [ctypes.c_ulong] * 4
        lib.syscall.restype = ctypes.c_long
        _LIBC.append(lib)
    return _LIBC[0]


def enter(plan: dict[str, Any]) -> None:
    """Confine this process as `plan` says; returns in the environment process only."""
    if plan.get("mount_namespace"):  # where the server keeps /tmp filesystems (scratch.py)
        handle = os.open(plan["mount_namespace"], os.O_RDONLY | os.O_CLOEXEC)
        _check(libc().setns(handle, CLONE_NEWNS), "setns")
        os.close(handle)
    namespaces = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
    rootless = bool(plan.get("rootless"))
    if rootless:  # not root: a user namespace of its own makes the rest possible
        namespaces |= CLONE_NEWUSER
    children = plan.get("children")  # a snapshot holder: uids its children can take
    relay = None
    if not plan.get("network", True):
        namespaces |= CLONE_NEWNET
        if plan.get("runtime_api"):  # kept to reach the server from the environment's init
            relay = os.open("/proc/self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    _check(libc().unshare(namespaces), "unshare")
    if rootless:
        _map_self()
    listener = None
    if namespaces & CLONE_NEWNET:
        _loopback_up()
        if relay is not None:  # the Runtime API at its address inside, as on Lambda
            host, port = plan["runtime_api"][0].rsplit(":", 1)
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.bind((host, int(port)))
            listener.listen(64)
    _mount(b"none", "/", None, MS_REC | MS_PRIVATE)
    _mount_tree(plan)
    if children:  # a snapshot holder runs as its user namespace's root
        _mount_identity(0, 0)
    else:
        uid = int(plan["uid"])
        _mount_identity(uid, os.getegid() if rootless else uid)
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
    if children:
        to_init, from_env = os.pipe()
        to_env, from_init = os.pipe()
    env = os.fork()
    if env:
        if children:
            os.close(from_env)
            os.close(to_env)
            _map_user_namespace(env, to_init, from_init, int(plan["uid"]), children)
        forwarder = None
        if listener is not None and relay is not None:
            target = plan["runtime_api"][1].rsplit(":", 1)
            forwarder = Relay(listener, relay, (target[0], int(target[1])), int(plan["uid"]))
        _serve_as_init(env, status_write, inherited, forwarder)
    os.close(status_write)
    if listener is not None:
        listener.close()
    if relay is not None:
        os.close(relay)
    if children:
        os.close(to_init)
        os.close(from_init)
        _become_namespace_root(from_env, to_env)
    elif rootless:
        _drop_capabilities()
    else:
        _drop_privileges(int(plan["uid"]))
    # As every environment has (after the uid change, which clears it).
    _check(libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
    os.chdir(plan["cwd"])


def clone_child(plan: dict[str, Any]) -> int:
    """In a snapshot holder: fork a child that is at once PID 1 of a new PID namespace (and
    in new mount, IPC and UTS namespaces, and network or user ones as the plan says), to
    become an environment with `enter_child`. Returns 0 in the child, its pid in the holder.

    One fork instead of unshare in a forked child and a fork of that: a fork of a freshly
    forked interpreter costs several times the holder's (copy-on-write faults), and the
    middle process (`outside` in `enter`) is not needed, the holder waits instead."""
    namespaces = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
    if plan.get("rootless"):  # the holder has no capabilities: a user namespace gives them
        namespaces |= CLONE_NEWUSER
    if not plan.get("network", True):
        namespaces |= CLONE_NEWNET
    return _clone(namespaces)


def _clone(namespaces: int) -> int:
    """os.fork() with namespace flags: the raw clone system call (glibc has no fork with
    flags), wrapped as os.fork wraps fork() (Python's locks and at-fork hooks). Safe in a
    single-threaded process only, which a holder is (zygote.hold refuses threads). The
    child's glibc keeps its parent's cached thread id (read by recursive locks, consistently
    wrong, so harmless); it runs no user code: it forks the environment with os.fork(),
    which gives it its own."""
    if SYS_CLONE is None:
        machine = os.uname().machine
        raise ConfinementError(ENOSYS, f"cannot confine the environment: no clone on {machine}")
    api = ctypes.pythonapi  # (holds the GIL across the calls, as os.fork does)
    if not _PYLIBC:
        lib = ctypes.PyDLL(None, use_errno=True)
        lib.syscall.restype = ctypes.c_long
        _PYLIBC.append(lib)
    api.PyOS_BeforeFork()
    null = ctypes.c_long(0)
    pid = _PYLIBC[0].syscall(
        ctypes.c_long(SYS_CLONE), ctypes.c_long(namespaces | signal.SIGCHLD), null, null, null, null
    )
    if pid == 0:
        api.PyOS_AfterFork_Child()
        return 0
    errno = ctypes.get_errno()
    api.PyOS_AfterFork_Parent()
    if pid < 0:
        raise ConfinementError(
            errno, f"cannot confine the environment: clone: {os.strerror(errno)}"
        )
    return int(pid)


def enter_child(plan: dict[str, Any], status_write: int) -> None:
    """Confine a child of a snapshot holder (made by `clone_child`, so the root of the
    holder's user namespace and PID 1 of its own namespace) as an environment of its own;
    returns in the environment process only.

    Two processes: this one becomes the namespace's init (reaps, writes the environment's
    exit status to `status_write`, whose other end the holder reads when it reaps this
    one), and the environment, PID 2, which runs as `plan["uid"]` (a uid of the holder's
    namespace: a host uid of its own, no capabilities) and sees its own processes, its own
    /tmp (a filesystem of its own, `_attach_child_tmp`, holding a copy of the holder's),
    and nothing of its siblings. Mounts it inherits from the holder are locked (they came
    from a more privileged namespace): it cannot uncover what they hide."""
    _die_with_parent(status_write)
    rootless = bool(plan.get("rootless"))
    if rootless:
        _map_self()
    if not plan.get("network", True):
        _loopback_up()
    _mount(b"none", "/", None, MS_REC | MS_PRIVATE)
    # (The uid it takes is one of the holder's namespace, 1..n, which the host's files or
    # the holder's would name after someone else: "daemon", "bin"...)
    uid = os.geteuid() if rootless else int(plan["uid"])
    _mount_identity(uid, os.getegid() if rootless else uid)
    snapshot_tmp = os.open("/tmp", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    _attach_child_tmp(plan)
    _copy_snapshot_tmp(f"/proc/self/fd/{snapshot_tmp}", plan.get("uid"))
    os.close(snapshot_tmp)
    inherited = [int(name) for name in os.listdir("/proc/self/fd")]
    _mount(b"proc", "/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    env = os.fork()
    if env:
        _serve_as_init(env, status_write, inherited)
    os.close(status_write)
    os.setsid()  # its own process group, which the server kills by its pid
    if rootless:
        _drop_capabilities()
    else:
        _drop_privileges(int(plan["uid"]))
    _check(libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")


def _attach_child_tmp(plan: dict[str, Any]) -> None:
    """This child's own /tmp, over the holder's, in its mount namespace, as the plan says.

    `tmp_fd`: a filesystem of EphemeralStorage's size the server made and mounted nowhere
    (scratch.py), passed in with the fork: attached here (move_mount). `tmp_size`: none was
    ready (a burst beyond the pool): a tmpfs of that size, mounted here (the child's user
    namespace may), capped the same. `tmp`, else (rootless, or no loop devices): a directory
    of the holder's /tmp, the child's uid's alone, bound (it keeps the holder's nosuid,
    nodev)."""
    if plan.get("tmp_fd") is not None:
        handle = int(plan["tmp_fd"])
        flags = MOVE_MOUNT_F_EMPTY_PATH
        _check(libc().syscall(SYS_MOVE_MOUNT, handle, b"", AT_FDCWD, b"/tmp", flags), "move_mount")
        os.close(handle)
    elif plan.get("tmp_size"):
        uid = int(plan["uid"])
        options = f"size={int(plan['tmp_size'])},mode=700,uid={uid},gid={uid}"
        _mount(b"tmpfs", "/tmp", b"tmpfs", MS_NOSUID | MS_NODEV, options.encode())
    else:
        _mount(plan["tmp"].encode(), "/tmp", None, MS_BIND)


def _copy_snapshot_tmp(source: str, uid: int | None) -> None:
    """Copy what the holder's init left in its /tmp (`source`) into this child's: as on
    Lambda, whose snapshots hold the disk too, each environment starts with the files init
    wrote, a copy of its own. Done here, with no more power over files than the holder has,
    never by the server: the holder's tree is the function's."""
    names = os.listdir(source)
    if not names:
        return
    import shutil  # (only then: importing it costs every environment's start)

    target = "/tmp"
    for name in names:
        origin = os.path.join(source, name)
        try:
            if os.path.isdir(origin) and not os.path.islink(origin):
                shutil.copytree(origin, os.path.join(target, name), symlinks=True)
            else:
                shutil.copy2(origin, os.path.join(target, name), follow_symlinks=False)
        except (OSError, shutil.Error) as exc:  # e.g. a named pipe: not copied, said so
            sys.stderr.write(f"[WARNING] /tmp/{name} from init was not restored: {exc}\n")
    if uid is None:  # rootless: the copies are already the (one) uid's
        return
    for directory, subdirectories, files in os.walk(target):
        for name in [*subdirectories, *files]:
            os.lchown(os.path.join(directory, name), uid, uid)


def _map_user_namespace(env: int, request: int, reply: int, uid: int, children: list[int]) -> None:
    """In init (root on the host): once the holder has made its user namespace, map its
    root to `uid` and its uids 1..count to the host's base..base+count-1 (one for each
    child it may have at once). Only a process privileged outside the namespace may write
    such a map; the holder itself never is."""
    if os.read(request, 1) == b"u":
        base, count = children
        mapping = f"0 {uid} 1\n1 {base} {count}\n"
        for name in ("uid_map", "gid_map"):
            with open(f"/proc/{env}/{name}", "w") as f:
                f.write(mapping)
        os.write(reply, b"m")
    os.close(request)
    os.close(reply)


def _become_namespace_root(request: int, reply: int) -> None:
    """The snapshot holder: a user namespace of its own, whose root is its uid on the host
    and in which it holds the capabilities it needs to give each child a uid and PID
    namespace of its own (enter_child). Nothing it can do reaches outside: capabilities in a
    user namespace act only on what that namespace owns, and its uids map to its own."""
    os.setgroups([])
    _check(libc().unshare(CLONE_NEWUSER), "unshare")
    os.write(request, b"u")
    mapped = os.read(reply, 1)
    os.close(request)
    os.close(reply)
    if mapped != b"m":
        raise ConfinementError(1, "cannot confine the environment: no user namespace map")
    os.setresgid(0, 0, 0)
    os.setresuid(0, 0, 0)
    _check(libc().prctl(PR_SET_DUMPABLE, 1, 0, 0, 0), "prctl")
    _check(libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl")


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


# Lambda's user, whatever the uid (993 there): its home does not exist, and HOME is not set,
# so Path.home() and expanduser("~") answer /home/sbx_user1051 as they do on Lambda.
USER_ENTRY = "sbx_user1051:x:{uid}:{gid}::/home/sbx_user1051:/sbin/nologin\n"
# Besides it, only root and nobody (which names what the environment's user namespace does
# not map), not the host's accounts: the same few names on every host and in every mode, as
# in Lambda's image; host entries would name other users' files wrongly anyway (a snapshot
# child's uid is small: the host's "daemon" or "bin"), and would tell a function the host's
# account names. The gid has no name, as on Lambda (`id`: gid=990, no name).
OTHER_USERS = {
    0: "root:x:0:0:root:/root:/bin/bash\n",
    65534: "nobody:x:65534:65534::/:/sbin/nologin\n",
}
OTHER_GROUPS = {0: "root:x:0:\n", 65534: "nobody:x:65534:\n"}


def _mount_identity(uid: int, gid: int) -> None:
    """Files of this environment's own over /etc/passwd and /etc/group, read-only: its uid
    has a name, so pwd.getpwuid(os.getuid()), getpass.getuser() and Path.home() work as on
    Lambda. They are on a small tmpfs mounted at /tmp only while they are written (the
    environment's /tmp is back when this returns), bound read-only and owned by a uid that
    is not the environment's: nothing in it can change them, nor unmount them (it has no
    capabilities) to see the host's."""
    files = {
        "passwd": USER_ENTRY.format(uid=uid, gid=gid)
        + "".join(line for number, line in OTHER_USERS.items() if number != uid),
        "group": "".join(line for number, line in OTHER_GROUPS.items() if number != gid),
    }
    targets = [name for name in files if os.path.exists(f"/etc/{name}")]  # (else: the host's)
    if not targets:
        return
    _mount(b"tmpfs", "/tmp", b"tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, b"mode=755,size=16k")
    try:
        for name in targets:
            handle = os.open(f"/tmp/{name}", os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
            os.write(handle, files[name].encode())
            os.fchmod(handle, 0o644)  # (whatever the umask)
            os.close(handle)
            target = f"/etc/{name}"
            _mount(f"/tmp/{name}".encode(), target, None, MS_BIND)
            flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC
            _mount(None, target, None, flags)
    finally:
        _check(libc().umount2(b"/tmp", MNT_DETACH), "umount /tmp")


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
    _close_all_but({status_read}, inherited)
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


def _serve_as_init(
    env: int, status_write: int, inherited: list[int], relay: Relay | None = None
) -> NoReturn:
    """PID 1: reap every orphan; when the environment exits, report how and end the
    namespace (the kernel kills whatever is left). With a `relay`, also carry the Runtime
    API's connections between the environment's loopback and the server's."""
    # Not dumpable: a rootless environment has init's uid, and must not ptrace it.
    _check(libc().prctl(PR_SET_DUMPABLE, 0, 0, 0, 0), "prctl")
    _close_all_but({status_write, *(relay.descriptors() if relay else ())}, inherited)
    if relay is None:
        while True:
            pid, status = os.waitpid(-1, 0)
            if pid == env:
                os.write(status_write, STATUS.pack(status))
                os._exit(0)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    relay.enter_host_network()
    while True:
        while True:  # (a child that died before the handler was set is found here too)
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pid = 0
            if pid == 0:
                break
            if pid == env:
                os.write(status_write, STATUS.pack(status))
                os._exit(0)
        if wake_read in relay.serve_once(wake_read):
            os.read(wake_read, 4096)


class Relay:
    """The Runtime API of an environment without network: a listener on its own loopback
    (127.0.0.1:9001, as on Lambda), made in its network namespace, whose connections its
    init (root, outside the environment's reach) carries to the server's listener on the
    host's loopback. Outgoing sockets are made with the environment's uid as file-system
    uid, so the server's check (only this environment's uid may talk to its Runtime API)
    holds for them as for a direct connection."""

    MAX_CONNECTIONS = 64

    def __init__(
        self, listener: socket.socket, host_network: int, target: tuple[str, int], uid: int
    ) -> None:
        self.listener = listener
        self.host_network = host_network
        self.target = target
        self.uid = uid
        self.sockets: dict[int, socket.socket] = {}
        self.peer: dict[int, int] = {}
        self.pending: dict[int, bytes] = {}  # bytes waiting to be written to a descriptor
        self.ended: set[int] = set()  # descriptors that have read their end of stream

    def descriptors(self) -> tuple[int, int]:
        return self.listener.fileno(), self.host_network

    def enter_host_network(self) -> None:
        """From now on, sockets this process makes are the host's (the listener stays in
        the environment's namespace, where it was made)."""
        _check(libc().setns(self.host_network, CLONE_NEWNET), "setns")
        os.close(self.host_network)

    def serve_once(self, wake: int) -> list[int]:
        """Wait for something to do, do it; returns the descriptors that were ready."""
        poller = select.poll()
        poller.register(wake, select.POLLIN)
        if len(self.sockets) < 2 * self.MAX_CONNECTIONS:
            poller.register(self.listener, select.POLLIN)
        for fd in self.sockets:
            mask = select.POLLOUT if self.pending.get(fd) else 0
            if fd not in self.ended and not self.pending.get(self.peer[fd]):
                mask |= select.POLLIN  # (read no more while the other side is behind)
            poller.register(fd, mask)
        try:
            ready = poller.poll()
        except InterruptedError:
            return []
        for fd, events in ready:
            if fd == self.listener.fileno():
                self._accept()
            elif fd in self.sockets:
                self._move(fd, events)
        return [fd for fd, _ in ready]

    def _accept(self) -> None:
        try:
            inside, _ = self.listener.accept()
        except OSError:
            return
        libc().setfsuid(self.uid)
        try:
            outside = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        finally:
            libc().setfsuid(0)
        try:
            outside.connect(self.target)
        except OSError:
            inside.close()
            outside.close()
            return
        for sock in (inside, outside):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.setblocking(False)
            self.sockets[sock.fileno()] = sock
        self.peer[inside.fileno()] = outside.fileno()
        self.peer[outside.fileno()] = inside.fileno()

    def _move(self, fd: int, events: int) -> None:
        sock, other = self.sockets[fd], self.peer[fd]
        if events & select.POLLERR:  # reset: whatever was in flight is lost either way
            self._close(fd)
            return
        if events & select.POLLOUT and self.pending.get(fd):
            if not self._send(fd, self.pending.pop(fd)):
                return
            if other in self.ended and not self.pending.get(fd):
                self._shutdown(fd)
        if events & (select.POLLIN | select.POLLHUP) and fd not in self.ended:
            try:
                data = sock.recv(65536)
            except BlockingIOError:
                return
            except OSError:
                self._close(fd)
                return
            if data:
                self._send(other, data)
            else:
                self.ended.add(fd)
                if not self.pending.get(other):
                    self._shutdown(other)
        done = fd in self.ended and other in self.ended
        if done and fd in self.sockets and not self.pending.get(fd) and not self.pending.get(other):
            self._close(fd)

    def _send(self, fd: int, data: bytes) -> bool:
        try:
            sent = self.sockets[fd].send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            self._close(fd)
            return False
        if sent < len(data):
            self.pending[fd] = data[sent:]
        return True

    def _shutdown(self, fd: int) -> None:
        with contextlib.suppress(OSError):
            self.sockets[fd].shutdown(socket.SHUT_WR)

    def _close(self, fd: int) -> None:
        for one in (fd, self.peer.get(fd)):
            if one is None or one not in self.sockets:
                continue
            self.sockets.pop(one).close()
            self.peer.pop(one, None)
            self.pending.pop(one, None)
            self.ended.discard(one)


def _close_all_but(keep: set[int], inherited: list[int]) -> None:
    """Close every descriptor above stderr but those in `keep`: the ones open at the fork
    only (closerange over 65536 numbers takes 40 ms on Python 3.9, which has no close_range)."""
    for fd in inherited:
        if fd > 2 and fd not in keep:
            with contextlib.suppress(OSError):  # the listing's own descriptor, closed
                os.close(fd)


def _die_with_parent(status_write: int) -> None:
    """Die with `outside`, even if it died before this took effect (its pipe end is gone)."""
    _check(libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0), "prctl")
    poller = select.poll()
    poller.register(status_write, select.POLLOUT)
    if any(events & select.POLLERR for _, events in poller.poll(0)):
        os._exit(1)


def _map_self() -> None:
    """Rootless: in the new user namespace, be the server's own uid and gid (the only ones
    an unprivileged process may map), with the namespace's capabilities until
    `_drop_capabilities`."""
    uid, gid = os.geteuid(), os.getegid()
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1\n")):
        with open(f"/proc/self/{name}", "w") as f:
            f.write(text)
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1\n")


def _drop_capabilities() -> None:
    """Rootless: give up every capability the user namespace gave (so its mounts, which
    hide the data directory, stay as they are) and any way back: the uid is not the
    namespace's root, so executing a program grants none, and no new privileges."""
    header = struct.pack("Ii", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = ctypes.create_string_buffer(24)  # two {effective, permitted, inheritable}: none
    _check(libc().capset(header, data), "capset")
    _check(libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl")


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
