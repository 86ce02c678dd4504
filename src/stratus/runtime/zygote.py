"""Snapshots: start environments by forking an initialised snapshot holder (a "zygote").

    SnapshotLauncher.wait_launch(spec)            same seam as ProcessLauncher
      spec.snapshot false  -> ProcessLauncher (a fresh interpreter, full init)
      spec.snapshot true   -> the version's Zygote (started once: init + before-snapshot
                              hooks), asked to fork; the child runs after-restore hooks and
                              serves. Restore Duration = request to child ready.

The zygote is a child of the server, never the server itself, and its children die with it
(PDEATHSIG), as it dies with the server. A zygote that cannot be forked safely (threads
running after init) is reported once in the log, and that version falls back to cold starts.
A retired zygote (code or configuration changed) stops once its last child has exited, so
in-flight invocations finish. The wire protocol is drawn in lib/snapshot_zygote.py.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import logging
import os
import signal
import socket
import struct
import subprocess
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import orjson

from stratus.runtime.confinement import CHILD_UIDS, RUNTIME_ROOT
from stratus.runtime.environment import Environment
from stratus.runtime.frames import wait_connect
from stratus.runtime.launcher import INIT_LIMIT_S, InitFailure, ProcessLauncher
from stratus.runtime.launching import Reporter
from stratus.runtime.scheduling import lower_group
from stratus.runtime.spec import FunctionSpec

log = logging.getLogger("stratus.runtime")

# Children forked ahead of demand per snapshot holder, and how long after the last start to
# replace them (after the claiming invokes, or a burst's, so the forks do not compete).
STANDBY = 2
# After a burst beyond them, up to this many are kept instead, for DEMAND_WINDOW_S: the next
# burst of the same version then claims children already forked (each idle one ~3-5 MB).
STANDBY_MAX = 8
DEMAND_WINDOW_S = 60.0
# A new holder (a version just published, or a new revision) forks ahead as many children as
# its function had invocations running at once lately, up to this many: the traffic that
# moves to a new version finds them forked (a claimed one is not replaced, it is warm now).
STANDBY_CARRIED_MAX = 128
REFILL_DELAY_S = 0.05
# Fork requests a holder may have queued at once (each ~2 KB in its socket's buffer, so a
# blocking send never stalls the event loop).
FORKS_IN_FLIGHT = 16
# A snapshot holder's scheduling once its snapshot is taken (see _prioritize).
HOLDER_RT_PRIORITY = 1
HOLDER_NICE = -10
# Native thread pools started at import time make a process unsafe to fork; these keep the
# common ones single-threaded in snapshot holders (a function's own setting wins).
# struct ucred, as SCM_CREDENTIALS carries it: pid, uid, gid.
CREDENTIALS = struct.Struct("iII")
SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


class ForkedProcess:
    """What Environment needs of a process, for a child of a zygote (not of the server).

    `pid` is the child's pid as the server sees it (the holder's own PID namespace numbers
    it differently: `local_pid`, which its "exited" reports use)."""

    def __init__(self, pid: int, local_pid: int) -> None:
        self.pid = pid
        self.local_pid = local_pid
        self.returncode: int | None = None
        self._exited: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def exited(self, status: int) -> None:
        if self.returncode is None:
            self.returncode = status
            self._exited.set_result(status)

    async def wait(self) -> int:
        return await asyncio.shield(self._exited)


@dataclass(eq=False)
class Zygote:
    holder: Environment  # the zygote process itself, with its log and cage
    sock: socket.socket
    tmp: Path  # the holder's /tmp; a confined holder's children get directories in it
    children: dict[int, ForkedProcess] = field(default_factory=dict)
    standby: list[Environment] = field(default_factory=list)  # forked ahead, not yet claimed
    refilling: bool = False
    stocked: asyncio.Event = field(default_factory=asyncio.Event)  # standby children ready
    demand: int = 0  # the most children alive at once in a recent burst beyond the standby
    demand_at: float = 0.0
    carried: int = 0  # standby children wanted for the function's recent concurrency ...
    carried_until: float = 0.0  # ... until then, each claim one fewer
    starting: int = 0  # starts forking a child now (not yet among `children`)
    last_start: float = 0.0  # when the last start claimed or began forking (loop time)
    refill_due: asyncio.TimerHandle | None = None
    retired: bool = False
    # Fork requests sent and not yet answered, oldest first; at most FORKS_IN_FLIGHT.
    _forks: collections.deque[asyncio.Future[int]] = field(default_factory=collections.deque)
    _in_flight: asyncio.Semaphore = field(
        default_factory=lambda: asyncio.Semaphore(FORKS_IN_FLIGHT)
    )
    # Uids of the holder's user namespace not taken by a live child (confinement.CHILD_UIDS).
    _uids: list[int] = field(default_factory=lambda: list(range(CHILD_UIDS, 0, -1)))

    def standby_wanted(self) -> int:
        now = time.monotonic()
        wanted = STANDBY
        if now - self.demand_at <= DEMAND_WINDOW_S:
            wanted = max(wanted, min(STANDBY_MAX, self.demand))
        if now <= self.carried_until:
            wanted = max(wanted, self.carried)
        return wanted

    def note_demand(self) -> None:
        """A start found no standby child: remember how many were wanted at once."""
        now = time.monotonic()
        recent = self.demand if now - self.demand_at <= DEMAND_WINDOW_S else 0
        self.demand = max(recent, len(self.children) + self.starting + 1)
        self.demand_at = now

    def take_uid(self) -> int:
        if not self._uids:
            raise ConnectionError("the snapshot holder has no uid left for another child")
        return self._uids.pop()

    def give_back_uid(self, uid: int) -> None:
        self._uids.append(uid)

    async def wait_fork(
        self, env: dict[str, str], fds: tuple[int, ...], control: socket.socket
    ) -> ForkedProcess:
        """Fork a child; `control` is the server's end of the child's control socket, on
        which the child first proves its pid (SCM_CREDENTIALS: the kernel translates it).

        Requests are pipelined: the holder forks them in the order sent and answers each
        with "forked" in that order, so a burst does not pay a round trip per fork (under
        a burst the server's loop answers slowly, and the holder forks serially)."""
        async with self._in_flight:
            forked: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            request = orjson.dumps({"type": "fork", "env": env})
            message = len(request).to_bytes(4, "big") + request
            try:
                socket.send_fds(self.sock, [message], list(fds))
            except OSError as exc:  # the holder is gone (its socket closed)
                raise ConnectionError(f"the snapshot holder is gone: {exc}") from exc
            self._forks.append(forked)  # (no await since the send: the order is the holder's)
            local_pid = await forked
        if local_pid < 0:  # (its log says why)
            raise ConnectionError("the snapshot holder could not start a child")
        child = ForkedProcess(await wait_peer_pid(control), local_pid)
        lower_group(child.pid)  # its own session by now (it proves its pid after setsid)
        self.children[local_pid] = child
        return child

    async def wait_read_forever(self) -> None:
        """Route the zygote's messages; when it dies, so have its children."""
        try:
            while True:
                header, _ = await self.holder.wait_frame()
                if header["type"] == "forked" and self._forks:
                    self._forks.popleft().set_result(cast(int, header["pid"]))
                elif header["type"] == "exited":
                    child = self.children.pop(cast(int, header["pid"]), None)
                    if child is not None:
                        child.exited(cast(int, header["status"]))
                    if self.retired and not self.children:
                        await self.holder.wait_kill()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            for child in self.children.values():
                child.exited(-signal.SIGKILL)
            self.children.clear()
            while self._forks:
                self._forks.popleft().set_exception(ConnectionError("the snapshot holder died"))
            while self.standby:
                await self.standby.pop().wait_kill()
            await self.holder.wait_kill()

    async def wait_retire(self) -> None:
        self.retired = True
        while self.standby:
            await self.standby.pop().wait_kill()
        if not self.children:
            await self.holder.wait_kill()


class SnapshotLauncher:  # a Launcher (launching.py)
    def __init__(
        self, processes: ProcessLauncher, recent_concurrency: Callable[[str], int] = lambda _: 0
    ) -> None:
        self._processes = processes
        self._recent_concurrency = recent_concurrency  # of a function, all its versions
        self._zygotes: dict[tuple[str, str, str], asyncio.Future[Zygote | InitFailure | None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def private_tmp(self) -> bool:
        return self._processes.private_tmp

    async def wait_launch(
        self,
        spec: FunctionSpec,
        capture: list[str] | None = None,
        request_id: str = "",
        init_type: str = "on-demand",
        init_limit_s: float | None = None,
    ) -> Environment | InitFailure:
        if not spec.snapshot or init_limit_s is not None:
            # (a retried init is a cold one: the snapshot's init is what timed out)
            return await self._processes.wait_launch(
                spec, capture, request_id, init_type, init_limit_s
            )
        asked = time.perf_counter()
        ready = self._zygotes.get(spec.pool_key)
        ready = ready if ready is not None and ready.done() and not ready.cancelled() else None
        zygote = await self._wait_zygote(spec)
        # Did this start wait for the snapshot's init (none ready when asked, or it died)?
        waited = ready is None or ready.exception() is not None or ready.result() is not zygote
        if isinstance(zygote, InitFailure):
            return zygote
        if zygote is None:  # cannot be snapshotted: a cold start, as without SnapStart
            return await self._processes.wait_launch(spec, capture, request_id, init_type)
        restored_type = "snap-start" if init_type == "on-demand" else init_type
        # Restore Duration is the restore alone (fork or claim, joining, after-restore
        # hooks). A start that had to wait for the snapshot's init (the first of $LATEST
        # with snapshots, or one right after a restart, while the holder is rebuilt) also
        # reports that wait, as Init Duration: for its caller it was a cold start.
        started = time.perf_counter()
        try:
            env = await self._wait_restore(
                zygote, spec, capture, request_id, restored_type, started
            )
            if waited and isinstance(env, Environment):
                env.init_ms = (started - asked) * 1000
            return env
        except ConnectionError as exc:  # the holder died or failed: a cold start serves this one
            log.warning(
                "snapshot start of %s:%s failed (%s); starting cold", spec.name, spec.version, exc
            )
            return await self._processes.wait_launch(spec, capture, request_id, init_type)

    def prepare(self, spec: FunctionSpec, report: Reporter | None = None) -> None:
        """Take the snapshot now (after PublishVersion, at start-up), not on the first invoke;
        `report` hears the init error (or None once the snapshot is taken)."""
        if spec.snapshot and spec.pool_key not in self._zygotes:
            self._spawn(self._wait_prepared(spec, report))

    async def _wait_prepared(self, spec: FunctionSpec, report: Reporter | None) -> None:
        taken = await self._wait_zygote(spec)
        if isinstance(taken, Zygote):
            # "Active" once restores are fast: its standby children are ready too (each
            # with its /tmp filesystem), so the first invokes claim them.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(INIT_LIMIT_S):
                    await taken.stocked.wait()
        if report is not None:
            await report(taken.payload if isinstance(taken, InitFailure) else None)

    async def _wait_zygote(self, spec: FunctionSpec) -> Zygote | InitFailure | None:
        key = spec.pool_key
        pending = self._zygotes.get(key)
        if pending is None:
            pending = asyncio.get_running_loop().create_future()
            self._zygotes[key] = pending
            try:
                pending.set_result(await self._wait_start(spec))
            except BaseException as exc:
                self._forget(key, pending)
                pending.set_exception(exc)
                raise
        zygote = await asyncio.shield(pending)
        if isinstance(zygote, Zygote) and not zygote.holder.alive:
            self._forget(key, pending)  # it died; take a new snapshot
            return await self._wait_zygote(spec)
        if isinstance(zygote, InitFailure):
            self._forget(key, pending)  # a later invoke tries the init phase again, as on AWS
        return zygote

    def _forget(
        self, key: tuple[str, str, str], pending: asyncio.Future[Zygote | InitFailure | None]
    ) -> None:
        # Several waiters may get here for the same holder; only the first removes it.
        if self._zygotes.get(key) is pending:
            del self._zygotes[key]

    async def _wait_start(self, spec: FunctionSpec) -> Zygote | InitFailure | None:
        processes = self._processes
        holder_id, stream, tmp, cage = await processes.wait_slot(
            spec, prefix="snapshot-", holder=True
        )
        parent_sock, child_sock = socket.socketpair()
        variables = processes.variables(spec, stream, tmp, child_sock.fileno(), cage)
        if variables.pop("STRATUS_PRIVATE_TMP", None):  # each child binds its own /tmp ...
            variables["STRATUS_LAYERS_ONLY"] = "1"  # ... but init needs the layers at /opt
        if not processes.confined:  # (confined, the holder's /tmp is a directory of its own)
            variables["TMPDIR"] = str(tmp)
        variables |= {k: v for k, v in SINGLE_THREADED.items() if k not in dict(spec.environment)}
        variables |= {"STRATUS_ZYGOTE": "1", "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}
        started = time.perf_counter()
        holder = await processes.wait_spawn(
            spec, holder_id, stream, variables, parent_sock, child_sock, cage, tmp
        )
        try:
            async with asyncio.timeout(INIT_LIMIT_S):
                header, body = await holder.wait_frame()
        except TimeoutError:
            await holder.wait_kill()
            return InitFailure(_init_timeout(), INIT_LIMIT_S * 1000)
        except (asyncio.IncompleteReadError, ConnectionError):
            outcome = await holder.wait_crash_outcome("")
            return InitFailure(outcome.payload, (time.perf_counter() - started) * 1000)
        if header.get("type") == "init_error":
            await holder.wait_kill()
            return InitFailure(body, (time.perf_counter() - started) * 1000)
        if not header.get("snapshot"):
            log.warning(
                "%s:%s cannot be snapshotted, so it starts cold: %s",
                spec.name,
                spec.version,
                header.get("reason"),
            )
            await holder.wait_kill()
            return None
        log.info(
            "snapshot of %s:%s taken (init %.1f ms)",
            spec.name,
            spec.version,
            cast(float, header.get("init_ms", 0)),
        )
        holder.cage.lift_memory_limit()
        _prioritize(holder)
        zygote = Zygote(holder, parent_sock, tmp)
        zygote.carried = min(STANDBY_CARRIED_MAX, self._recent_concurrency(spec.name))
        if zygote.carried > STANDBY:
            zygote.carried_until = time.monotonic() + DEMAND_WINDOW_S
            # Then the unclaimed ones beyond the usual standby go.
            asyncio.get_running_loop().call_later(
                DEMAND_WINDOW_S + 1, lambda: self._spawn(self._wait_refill(zygote, spec))
            )
        if processes.scratch is not None and holder.cage.children is not None:
            # Its children's /tmp filesystems: the standby ones, and a few for a burst.
            size = spec.ephemeral_mb * 1024 * 1024
            processes.scratch.expect_detached(size, zygote.standby_wanted())
        self._spawn(zygote.wait_read_forever())
        self._spawn(self._wait_refill(zygote, spec))
        return zygote

    async def _wait_restore(
        self,
        zygote: Zygote,
        spec: FunctionSpec,
        capture: list[str] | None,
        request_id: str,
        init_type: str,
        started: float,
    ) -> Environment | InitFailure:
        """A standby child if one is ready (milliseconds: it only runs the after-restore
        hooks), else a fork now. Either way the zygote is topped up afterwards."""
        while zygote.standby:
            env = zygote.standby.pop()
            if not env.alive:
                await env.wait_kill()
                continue
            zygote.carried = max(0, zygote.carried - 1)
            self._refill_after_starts(zygote, spec)
            env.capture = capture
            env.send({"type": "assign", "env": {"AWS_LAMBDA_INITIALIZATION_TYPE": init_type}}, b"")
            return await self._wait_ready(env, request_id, started)
        zygote.note_demand()
        self._refill_after_starts(zygote, spec)
        zygote.starting += 1
        try:
            return await self._wait_fork(zygote, spec, capture, request_id, init_type, started)
        finally:
            zygote.starting -= 1

    def _refill_after_starts(self, zygote: Zygote, spec: FunctionSpec) -> None:
        """Refill once no start is forking and REFILL_DELAY_S have passed without a new one:
        after the claiming invoke, or after a whole burst, not during it (forking competes
        for the CPU with the starts, and what it makes would serve only a later burst)."""
        loop = asyncio.get_running_loop()
        zygote.last_start = loop.time()
        if zygote.refill_due is not None:
            return

        def due() -> None:
            wait = REFILL_DELAY_S - (loop.time() - zygote.last_start)
            if zygote.starting or wait > 0:
                zygote.refill_due = loop.call_later(max(wait, REFILL_DELAY_S / 2), due)
                return
            zygote.refill_due = None
            self._spawn(self._wait_refill(zygote, spec))

        zygote.refill_due = loop.call_later(REFILL_DELAY_S, due)

    async def _wait_refill(self, zygote: Zygote, spec: FunctionSpec) -> None:
        if zygote.refilling:
            return
        zygote.refilling = True
        try:
            while len(zygote.standby) > zygote.standby_wanted():  # a burst long past
                await zygote.standby.pop(0).wait_kill()
            while (
                len(zygote.standby) < zygote.standby_wanted()
                and zygote.holder.alive
                and not zygote.retired
            ):
                env = await self._wait_fork(
                    zygote, spec, None, "", "snap-start", time.perf_counter(), standby=True
                )
                if not isinstance(env, Environment):
                    return
                if zygote.retired:
                    await env.wait_kill()
                    return
                zygote.standby.append(env)
            zygote.stocked.set()
        except ConnectionError:
            pass  # the holder died; the next start takes a new snapshot
        finally:
            zygote.refilling = False

    async def _wait_fork(
        self,
        zygote: Zygote,
        spec: FunctionSpec,
        capture: list[str] | None,
        request_id: str,
        init_type: str,
        started: float,
        standby: bool = False,
    ) -> Environment | InitFailure:
        processes = self._processes
        holder = zygote.holder.cage
        inside_uid: int | None = None
        tmp_fd: int | None = None  # a filesystem for the child's /tmp, passed with the fork
        if processes.confined and holder.holder:
            # The child starts as the holder (as root, the root of its user namespace), PID
            # 1 of a namespace of its own (lib/confine.clone_child): it joins its cage (made
            # its own, writable by the holder's uid only) and forks the environment, which
            # takes a uid of the holder's range, with a directory of the holder's /tmp filesystem,
            # its uid's alone, as /tmp (launcher._divide_holder_tmp). Rootless, it makes a
            # user namespace of its own for that, and keeps the server's uid.
            #   With a scratch pool (root, loop devices), /tmp is a filesystem of its own of
            # EphemeralStorage's size, made ahead and mounted nowhere (scratch.py), which it
            # attaches in its mount namespace; or, when a burst has used every one made, a
            # tmpfs of that size it mounts itself. Else (rootless, no loop devices) a
            # directory of the holder's /tmp filesystem, its uid's alone.
            tmp_owner = None
            if holder.children is not None and holder.uid is not None:
                inside_uid = zygote.take_uid()
                tmp_owner = holder.children + inside_uid - 1
            scratch = processes.scratch if tmp_owner is not None else None
            env_id, stream, tmp, cage = await processes.wait_slot(
                spec,
                tmp=zygote.tmp / "children",
                owner=holder.uid,
                tmp_owner=tmp_owner,
                own_tmp=scratch is None,
            )
            plan: dict[str, object] = {
                "uid": inside_uid,
                "network": processes.host.network,
                "rootless": inside_uid is None,
            }
            if scratch is not None and tmp_owner is not None:
                size = spec.ephemeral_mb * 1024 * 1024
                if standby:  # (not on anyone's start path: worth the wait for mkfs)
                    take = functools.partial(scratch.take_detached, size, tmp_owner, True)
                    try:
                        tmp_fd = await asyncio.to_thread(take)
                    except (OSError, subprocess.SubprocessError) as exc:
                        log.warning("could not prepare a /tmp filesystem: %s", exc)
                else:
                    tmp_fd = scratch.take_detached(size, tmp_owner)
                    # For the standby children a burst makes the holder keep (not one per
                    # child of the burst: making them during it slowed the burst ~10-30%).
                    scratch.expect_detached(size, zygote.standby_wanted())
                if tmp_fd is None:
                    plan["tmp_size"] = size
            else:
                plan["tmp"] = f"{RUNTIME_ROOT}/children/{env_id}"
            tmp_variables = {"TMPDIR": "/tmp", "STRATUS_CHILD_CONFINE": orjson.dumps(plan).decode()}
        else:
            env_id, stream, tmp, cage = await processes.wait_slot(spec)
            private = processes.private_tmp
            tmp_variables = {"TMPDIR": "/tmp" if private else str(tmp)}
            if private:
                tmp_variables["STRATUS_PRIVATE_TMP"] = str(tmp)
        parent_sock, child_sock = socket.socketpair()
        parent_sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        read_fd, write_fd = os.pipe()
        env = {
            **cage.env,
            **tmp_variables,
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": init_type,
            "STRATUS_EPHEMERAL_BYTES": str(spec.ephemeral_mb * 1024 * 1024),
        }
        if standby:
            env["STRATUS_STANDBY"] = "1"

        def on_exit(_: object) -> None:
            if tmp != Path("/tmp"):  # (a filesystem of its own goes with its namespace)
                processes.release_tmp(tmp)
            if inside_uid is not None:
                zygote.give_back_uid(inside_uid)

        fds = (child_sock.fileno(), write_fd, *(() if tmp_fd is None else (tmp_fd,)))
        try:
            child = await zygote.wait_fork(env, fds, parent_sock)
        except BaseException:
            os.close(read_fd)
            parent_sock.close()
            cage.release()
            on_exit(None)
            raise
        finally:
            child_sock.close()
            os.close(write_fd)
            if tmp_fd is not None:  # the child holds it now (or nobody: it is unmounted)
                os.close(tmp_fd)
        channel = await wait_connect(parent_sock)
        group = spec.log_group
        restored = Environment(
            spec,
            env_id,
            stream,
            child,  # type: ignore[arg-type]  # what Environment uses of a Process
            channel,
            read_fd,
            cage,
            emit_log=functools.partial(processes.emit_log, group),
            on_exit=on_exit,
            capture=capture,
        )
        restored.watch_output()
        return await self._wait_ready(restored, request_id, started)

    @staticmethod
    async def _wait_ready(
        env: Environment, request_id: str, started: float
    ) -> Environment | InitFailure:
        """Until the child says "ready" (hooks done) or "standby"; Restore Duration ends here."""
        try:
            async with asyncio.timeout(INIT_LIMIT_S):
                await env.wait_frame()
        except TimeoutError:
            await env.wait_kill()
            return InitFailure(_init_timeout(), INIT_LIMIT_S * 1000)
        except (asyncio.IncompleteReadError, ConnectionError):
            outcome = await env.wait_crash_outcome(request_id)
            return InitFailure(outcome.payload, (time.perf_counter() - started) * 1000)
        env.restore_ms = (time.perf_counter() - started) * 1000
        return env

    async def wait_retire(
        self, name: str, keep_revision: str | None = None, version: str | None = None
    ) -> None:
        for key in [
            k
            for k in self._zygotes
            if k[0] == name and k[2] != keep_revision and version in (None, k[1])
        ]:
            pending = self._zygotes.pop(key)
            if pending.done() and isinstance(pending.result(), Zygote):
                await pending.result().wait_retire()  # type: ignore[union-attr]

    async def wait_close(self) -> None:
        for pending in self._zygotes.values():
            if pending.done() and isinstance(pending.result(), Zygote):
                zygote: Zygote = pending.result()  # type: ignore[assignment]
                zygote.retired = True
                while zygote.standby:
                    await zygote.standby.pop().wait_kill()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for pending in self._zygotes.values():
            if pending.done() and isinstance(pending.result(), Zygote):
                await pending.result().holder.wait_kill()  # type: ignore[union-attr]
        self._zygotes.clear()

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def wait_peer_pid(sock: socket.socket) -> int:
    """The pid (as this process sees it) of the process that sent one byte with its
    credentials on `sock` (SO_PASSCRED set); ConnectionError if it closed instead."""
    loop = asyncio.get_running_loop()
    found: asyncio.Future[int] = loop.create_future()
    sock.setblocking(False)

    def read() -> None:
        try:
            data, ancillary, _, _ = sock.recvmsg(1, socket.CMSG_SPACE(CREDENTIALS.size))
        except BlockingIOError:
            return
        except OSError as exc:
            found.set_exception(ConnectionError(str(exc)))
            return
        for level, kind, payload in ancillary:
            if (level, kind) == (socket.SOL_SOCKET, socket.SCM_CREDENTIALS) and data:
                found.set_result(CREDENTIALS.unpack(payload[: CREDENTIALS.size])[0])
                return
        found.set_exception(ConnectionError("the snapshot child closed before it started"))

    loop.add_reader(sock.fileno(), read)
    try:
        async with asyncio.timeout(INIT_LIMIT_S):
            return await found
    except TimeoutError as exc:
        raise ConnectionError("the snapshot child did not start") from exc
    finally:
        loop.remove_reader(sock.fileno())


def _prioritize(holder: Environment) -> None:
    """Let a holder fork ahead of everything else on the host. Under a burst its forks are
    the serial part of every start (each child then confines itself in parallel), and at
    nice 0 it waited for the CPU behind the very children it had forked (~8-17 ms a fork
    instead of ~1-3). So it gets the lowest real-time priority (SCHED_RR 1; else nice
    -10), with SCHED_RESET_ON_FORK: every child it forks starts as an ordinary process
    again. It only waits in select() and forks: it runs no user code after init (threads
    are refused; hooks ran before), so this lends the function's code nothing; the
    kernel's real-time throttling bounds it anyway. Needs root; else nothing changes."""
    for pid in holder.cage.processes() or {holder.process.pid}:
        try:
            os.sched_setscheduler(
                pid, os.SCHED_RR | os.SCHED_RESET_ON_FORK, os.sched_param(HOLDER_RT_PRIORITY)
            )
        except OSError:
            with contextlib.suppress(OSError):
                reset = os.SCHED_OTHER | os.SCHED_RESET_ON_FORK
                os.sched_setscheduler(pid, reset, os.sched_param(0))
                os.setpriority(os.PRIO_PROCESS, pid, HOLDER_NICE)


def _init_timeout() -> bytes:
    return orjson.dumps(
        {
            "errorMessage": f"Init phase timed out after {INIT_LIMIT_S:.2f} seconds",
            "errorType": "Sandbox.Timedout",
        }
    )
