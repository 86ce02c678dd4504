"""The snapshot holder ("zygote"): keeps one function version's initialised state and forks
a copy-on-write child for every new execution environment. Standard library only, 3.9 syntax.

The supervisor starts bootstrap.py with STRATUS_ZYGOTE=1; after the init phase bootstrap
calls `hold()`, which runs the before-snapshot hooks, checks that forking is safe, and serves:

    supervisor -> zygote   u32 length | {"type": "fork", "env": {...}}
                           with fds [control socket, log pipe] (SCM_RIGHTS), and for a
                           confined child a /tmp filesystem mounted nowhere (scratch.py)
    child -> supervisor    {"type": "standby"}    forked ahead of demand; the supervisor claims
                                                  it with {"type": "assign", "env": {...}}
    zygote -> supervisor   {"type": "ready", "init_ms", "snapshot": true}      (once)
                           {"type": "ready", "snapshot": false, "reason"}      (cannot fork)
                           {"type": "forked", "pid"}                           (per fork)
                           {"type": "exited", "pid", "status"}                 (a child died)

The child takes the fds as its control socket and stdout/stderr, enters its own sandbox
(cgroups, private /tmp) from `env` (confined: a uid, PID namespace and /tmp of its own,
lib/confine.enter_child, after which it proves its pid with SCM_CREDENTIALS), re-seeds
everything random, disconnects sockets it inherited, runs the after-restore hooks, and then
serves like any environment.
"""

from __future__ import annotations

import gc
import json
import os
import random
import select
import signal
import socket
import stat
import struct
import sys
import threading

MAX_FDS = 3  # control socket, log pipe, and a /tmp filesystem (confined children)

TYPE_CHECKING = False  # typing costs start-up time; the checker needs it only here
if TYPE_CHECKING:
    from types import ModuleType  # bootstrap.py's: it runs as __main__, so it is passed in
    from typing import Any, NoReturn

    from stratus.runtime.lib.bootstrap import Handler
    from stratus.runtime.lib.snapshot_restore_py import Hook


def hold(
    bootstrap: ModuleType, control: socket.socket, handler: Handler, init_ms: float
) -> NoReturn:
    """Run in the zygote after init; never returns."""
    for func, args, kwargs in _hooks("get_before_snapshot"):
        func(*args, **kwargs)
    threads = _thread_count()
    if threads > 1:
        names = ", ".join(t.name for t in threading.enumerate()) or "native threads"
        reason = (
            f"{threads} threads are running after init ({names}); forking would lose "
            "them. Keep init single-threaded (e.g. OPENBLAS_NUM_THREADS=1)."
        )
        bootstrap._send(control, {"type": "ready", "snapshot": False, "reason": reason}, b"")
        sys.exit(0)
    sys.stdout.flush()
    sys.stderr.flush()
    gc.collect()
    gc.freeze()  # objects made at init stay out of the collector: fewer pages copied on write
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    bootstrap._send(control, {"type": "ready", "init_ms": init_ms, "snapshot": True}, b"")
    holder_pid = os.getpid()  # as the children see it (the server may number it differently)
    # Confined children's inits write their environment's exit status here (by pid).
    statuses: dict[int, int] = {}
    watched: list[socket.socket | int] = [control, wake_read]
    while True:
        readable, _, _ = select.select(watched, [], [])
        if wake_read in readable:
            os.read(wake_read, 4096)
            _report_exits(bootstrap, control, statuses)
        if control in readable:
            message, fds, _, _ = socket.recv_fds(control, 65536, MAX_FDS)
            if not message:
                os._exit(0)  # the supervisor is gone
            length = int.from_bytes(message[:4], "big")
            while len(message) < 4 + length:
                message += control.recv(4 + length - len(message))
            request = json.loads(message[4:])
            raw_plan = request["env"].pop("STRATUS_CHILD_CONFINE", "")
            plan = json.loads(raw_plan) if raw_plan else None
            status_read = status_write = -1
            try:
                if plan is not None:  # confined: the child is PID 1 of a namespace of its own
                    status_read, status_write = os.pipe()
                    pid = _confine().clone_child(plan)
                else:
                    pid = os.fork()
            except OSError as exc:
                # E.g. no process or namespace left: this start fails (it starts cold), and
                # the holder and its children live on.
                sys.stderr.write(f"[ERROR] cannot start an environment: {exc}\n")
                pid = -1
            if pid == 0:
                os.close(wake_read)
                os.close(wake_write)
                for fd in statuses.values():  # other children's
                    os.close(fd)
                if plan is not None:
                    os.close(status_read)
                    _become_environment(
                        bootstrap, control, handler, request, fds, plan, status_write
                    )
                request["env"]["STRATUS_SUPERVISOR_PID"] = str(holder_pid)
                _become_environment(bootstrap, control, handler, request, fds)
            if status_write >= 0:
                os.close(status_write)
                if pid > 0:
                    statuses[pid] = status_read
                else:
                    os.close(status_read)
            for fd in fds:
                os.close(fd)
            bootstrap._send(control, {"type": "forked", "pid": pid}, b"")


def _become_environment(
    bootstrap: ModuleType,
    zygote_control: socket.socket,
    handler: Handler,
    request: dict[str, Any],
    fds: list[int],
    confinement: dict[str, Any] | None = None,
    status_write: int = -1,
) -> NoReturn:
    """In the child. Confined (`confinement`, the plan: the child is PID 1 of a namespace
    of its own), it becomes that namespace's init, which reports on `status_write`, and
    forks the environment."""
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        zygote_control.close()
        control_fd, log_fd, *tmp_fd = fds
        os.setsid()  # its own process group: the supervisor kills it (and its children) as one
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(log_fd)
        os.environ.update(request["env"])
        if confinement is None:
            bootstrap._die_with_supervisor()
        control = socket.socket(fileno=control_fd)
        private_tmp = bootstrap._enter_sandbox()  # (joins its cgroups as the holder's uid)
        if confinement is not None:
            if tmp_fd:  # a filesystem of its own for /tmp, mounted nowhere yet
                confinement["tmp_fd"] = tmp_fd[0]
            _confine().enter_child(confinement, status_write)  # returns in the environment
            private_tmp = True
        _prove_pid(control)
        _make_unique()
        _disconnect_inherited_sockets(keep={control_fd, 0, 1, 2})
        if os.environ.pop("STRATUS_STANDBY", ""):
            # Forked ahead of demand: everything slow is done; wait to be claimed.
            bootstrap._send(control, {"type": "standby"}, b"")
            frame = bootstrap._receive(control)
            if frame is None:
                os._exit(0)
            os.environ.update(frame[0]["env"])
            _make_unique()
        for func, args, kwargs in _hooks("get_after_restore"):
            func(*args, **kwargs)
        bootstrap._send(control, {"type": "ready", "private_tmp": private_tmp}, b"")
        bootstrap.serve(control, handler)
    except BaseException as exc:  # a child must never return into the zygote loop
        if not isinstance(exc, SystemExit):
            bootstrap._log_error(bootstrap._error_result(exc, ""))
    finally:
        os._exit(1)


def _confine() -> ModuleType:
    if TYPE_CHECKING:
        from stratus.runtime.lib import confine
    else:
        import confine  # beside bootstrap.py; a confined holder imported it already
    return confine


def _prove_pid(control: socket.socket) -> None:
    """Send one byte with this process's credentials: the kernel gives the supervisor this
    pid as the supervisor sees it, which is how it can signal a child of a holder that
    lives in a PID namespace of its own."""
    credentials = struct.pack("iII", os.getpid(), os.getuid(), os.getgid())
    control.sendmsg([b"\0"], [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, credentials)])


def _make_unique() -> None:
    """Everything random or per-process must differ between environments of one snapshot."""
    random.seed()
    # Only if init loaded it: numpy 2 imports numpy.random lazily, and importing it in every
    # child would cost milliseconds and megabytes.
    numpy_random = sys.modules.get("numpy.random")
    if numpy_random is not None:
        numpy_random.seed()


def _disconnect_inherited_sockets(keep: set[int]) -> None:
    """Connections opened at init (e.g. a boto3 client's pool) belong to the zygote. Replace
    them with a closed socket, so clients see a dropped connection and open their own."""
    dead, other = socket.socketpair()
    other.close()
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd in keep or fd == dead.fileno():
            continue
        try:
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.dup2(dead.fileno(), fd)
        except OSError:
            pass
    dead.close()


def _report_exits(bootstrap: ModuleType, control: socket.socket, statuses: dict[int, int]) -> None:
    """Reap children; a confined child (its namespace's init) wrote how its environment
    ended before it exited, which is what the supervisor hears."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid in statuses:
            status_read = statuses.pop(pid)
            confine = _confine()
            raw = os.read(status_read, confine.STATUS.size)  # (its writer is gone: no wait)
            os.close(status_read)
            if len(raw) == confine.STATUS.size:
                status = confine.STATUS.unpack(raw)[0]
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        bootstrap._send(control, {"type": "exited", "pid": pid, "status": code}, b"")


def _thread_count() -> int:
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        return threading.active_count()


def _hooks(getter: str) -> list[Hook]:
    module = sys.modules.get("snapshot_restore_py")
    return getattr(module, getter)() if module is not None else []
