"""Custom runtimes (`provided.al2023`, `provided.al2`): the function brings an executable
`bootstrap` that speaks the Lambda Runtime API (runtime_api.py) instead of the built-in
runtime's frames.

    launch   python -I -S lib/exec_wrapper.py      cwd = task root
             AWS_LAMBDA_RUNTIME_API=127.0.0.1:<port of this environment's Runtime API>
             the wrapper enters the sandbox, then execs ./bootstrap (or /opt/bootstrap);
             the init phase ends at the runtime's first /next (10 s at most, as on Lambda)
    invoke   deliver the event to /next, then wait for whichever comes first: the answer
             (buffered, or streamed chunk by chunk into the invocation's ResponseStream),
             the process's exit (Runtime.ExitError / Runtime.OutOfMemory), the timeout
             (Sandbox.Timedout, the process group is killed)

`CustomEnvironment` is an `Environment`: the pool and invoker cannot tell them apart. It
shares the log pipe (and so START/END/REPORT attribution), the cage, kill and crash reports;
only the way an invocation travels differs.
"""

from __future__ import annotations

import asyncio
import functools
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import orjson

from stratus.runtime.environment import SIGNAL_NAMES, Environment, Outcome
from stratus.runtime.frames import FrameChannel
from stratus.runtime.launcher import INIT_LIMIT_S, InitFailure, failed_init, start_line
from stratus.runtime.runtime_api import (
    Answered,
    Chunk,
    InitFailed,
    NextInvocation,
    Ready,
    RuntimeApi,
    RuntimeEvent,
    StreamStarted,
    Truncated,
    error_json,
)
from stratus.runtime.sandbox import Cage
from stratus.runtime.scheduling import lower_group
from stratus.runtime.spec import FunctionSpec

if TYPE_CHECKING:
    from stratus.runtime.launcher import ProcessLauncher
    from stratus.runtime.streaming import ResponseStream

CUSTOM_RUNTIMES = ("provided.al2023", "provided.al2")
# Lambda's variables a custom runtime does not get (or that only the Python runtime uses).
NOT_FOR_CUSTOM = ("AWS_EXECUTION_ENV", "PYTHONPYCACHEPREFIX", "STRATUS_CONTROL_FD")
# A connection that closes mid-answer usually means the process is dying: wait this long for
# its exit, so the error names the crash rather than the broken upload.
EXIT_GRACE_S = 0.2


def is_custom(runtime: str) -> bool:
    return runtime in CUSTOM_RUNTIMES


@dataclass(frozen=True, slots=True)
class Exited:
    """The runtime process exited."""


class _NoFrames:
    """Stands in for the control socket the built-in runtime has; custom runtimes speak HTTP."""

    def close(self) -> None:
        """Nothing to close: the Runtime API server is closed with the environment."""


class CustomEnvironment(Environment):
    __slots__ = ("_events", "_exit_watch", "api")

    def __init__(self, api: RuntimeApi, events: asyncio.Queue[Any], **fields: Any) -> None:
        no_frames = _NoFrames()
        Environment.__init__(
            self,
            channel=cast(FrameChannel, no_frames),
            **fields,
        )
        self.api = api
        self._events = events
        self._exit_watch = asyncio.ensure_future(self.process.wait())
        self._exit_watch.add_done_callback(lambda _: events.put_nowait(Exited()))

    # -- init -------------------------------------------------------------------------
    async def wait_init(
        self, started: float, request_id: str, init_limit_s: float | None = None
    ) -> CustomEnvironment | InitFailure:
        """The runtime's first /next ends the init phase; /init/error or an exit fails it.
        `init_limit_s`: as ProcessLauncher.wait_launch's (None: the 10 s init phase)."""
        limit = INIT_LIMIT_S if init_limit_s is None else init_limit_s
        try:
            async with asyncio.timeout(limit):
                event = await self._wait_init_event()
        except asyncio.CancelledError:  # (a closing server: nobody will take it)
            await self.wait_kill()
            raise
        except TimeoutError:
            await self.wait_kill()
            message = f"Init phase timed out after {limit:.2f} seconds"
            payload = error_json("Sandbox.Timedout", message)
            return failed_init(self.log, payload, limit * 1000, init_limit_s, request_id, True)
        init_ms = (time.perf_counter() - started) * 1000
        if isinstance(event, Ready):
            self.init_ms = init_ms
            return self
        if isinstance(event, InitFailed):
            await self.wait_kill()
            return failed_init(self.log, event.payload, init_ms, init_limit_s, request_id)
        outcome = await self.wait_crash_outcome(request_id)
        return failed_init(self.log, outcome.payload, init_ms, init_limit_s, request_id)

    async def _wait_init_event(self) -> Ready | InitFailed | Exited:
        while True:
            event = await self._events.get()
            if isinstance(event, Ready | InitFailed | Exited):
                return event

    # -- invoke -----------------------------------------------------------------------
    async def wait_invoke(
        self,
        request_id: str,
        payload: bytes,
        header: dict[str, object],
        timeout_s: float,
        stream: ResponseStream | None = None,
        named_timeout_s: float | None = None,
    ) -> Outcome:
        self.invocations += 1
        self.api.deliver(_next_invocation(request_id, payload, header))
        return await self.wait_outcome(request_id, timeout_s, stream, named_timeout_s)

    async def wait_outcome(
        self,
        request_id: str,
        timeout_s: float,
        stream: ResponseStream | None = None,
        named_timeout_s: float | None = None,
    ) -> Outcome:
        try:
            async with asyncio.timeout(timeout_s):
                outcome = await self._wait_answer(request_id, stream)
        except TimeoutError:
            named = timeout_s if named_timeout_s is None else named_timeout_s
            return await self._wait_timed_out(request_id, named)
        self.last_used = time.monotonic()
        return outcome

    async def _wait_answer(self, request_id: str, stream: ResponseStream | None) -> Outcome:
        collected = bytearray()  # a streamed answer to a caller that wants it whole
        streamed = False
        while True:
            event: RuntimeEvent | Exited = await self._events.get()
            if isinstance(event, Exited):
                return await self.wait_crash_outcome(request_id)
            if getattr(event, "request_id", request_id) != request_id:
                continue  # left over from an earlier invocation
            if isinstance(event, StreamStarted):
                streamed = True
                if stream is not None:
                    await stream.wait_start(event.content_type, self.spec.version)
            elif isinstance(event, Chunk):
                try:
                    if stream is not None:
                        await stream.wait_write(event.data)
                    else:
                        collected += event.data
                finally:  # (a cancelled write still took the chunk off the queue)
                    self.api.consumed(len(event.data))
            elif isinstance(event, Answered):
                self.drain_output()
                result = event.payload
                if event.ok and streamed:
                    result = b"" if stream is not None else bytes(collected)
                return Outcome(result, event.ok, self._max_memory_mb(), reusable=True)
            elif isinstance(event, Truncated):
                return await self._wait_truncated(request_id)

    async def _wait_truncated(self, request_id: str) -> Outcome:
        await asyncio.wait({self._exit_watch}, timeout=EXIT_GRACE_S)
        if self._exit_watch.done():
            return await self.wait_crash_outcome(request_id)
        self.drain_output()
        message = (
            f"RequestId: {request_id} Error: the runtime closed its connection before its "
            "response was complete"
        )
        return Outcome(
            error_json("Runtime.TruncatedResponse", message),
            False,
            self._max_memory_mb(),
            reusable=True,
        )

    async def _wait_timed_out(self, request_id: str, timeout_s: float) -> Outcome:
        await self.wait_kill()
        self.log(f"{_now_iso()} {request_id} Task timed out after {timeout_s:.2f} seconds")
        message = f"RequestId: {request_id} Error: Task timed out after {timeout_s:.2f} seconds"
        error = error_json("Sandbox.Timedout", message)
        return Outcome(error, False, 0, reusable=False, status="timeout")

    async def wait_crash_outcome(self, request_id: str) -> Outcome:
        """The runtime exited: say why, as Lambda does for custom runtimes (an exit with
        status 0 is "without providing a reason")."""
        code = await self.process.wait()
        self._dead = True
        self.drain_output()
        if code == 0:
            reason = "Runtime exited without providing a reason"
        elif code < 0:
            reason = f"Runtime exited with error: signal: {SIGNAL_NAMES.get(-code, str(-code))}"
        else:
            reason = f"Runtime exited with error: exit status {code}"
        error_type = "Runtime.OutOfMemory" if self.cage.out_of_memory() else "Runtime.ExitError"
        message = f"RequestId: {request_id} Error: {reason}"
        self.log(message)
        self.log(error_type)
        await self.wait_kill()
        return Outcome(error_json(error_type, message), False, 0, reusable=False, status="error")

    async def _wait_killed(self) -> None:
        await Environment._wait_killed(self)
        self.api.close()
        await self._exit_watch  # done: the process has been reaped

    def _max_memory_mb(self) -> int:
        """Peak memory of the whole environment (its cgroup), else of the runtime process."""
        peak = self.cage.peak_memory_mb()
        if peak is not None:
            return peak
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return 0
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return math.ceil(int(line.split()[1]) / 1024)
        return 0


async def wait_launch_custom(
    processes: ProcessLauncher,
    spec: FunctionSpec,
    capture: list[str] | None = None,
    request_id: str = "",
    init_type: str = "on-demand",
    init_limit_s: float | None = None,
) -> Environment | InitFailure:
    """A new custom-runtime environment that has finished its init phase, or why it failed
    (`init_limit_s` as ProcessLauncher.wait_launch's)."""
    env_id, stream, tmp, cage = await processes.wait_slot(spec)
    events: asyncio.Queue[RuntimeEvent | Exited] = asyncio.Queue()
    api = RuntimeApi(events.put_nowait, peer_uid=cage.uid)
    address = await api.wait_listen()
    variables = processes.variables(spec, stream, tmp, -1, cage, runtime_api=address)
    for name in NOT_FOR_CUSTOM:
        variables.pop(name, None)
    variables |= {
        "AWS_LAMBDA_INITIALIZATION_TYPE": init_type,
        "STRATUS_REQUEST_ID": request_id,
    }
    started = time.perf_counter()
    env = await _wait_spawn(processes, spec, env_id, stream, variables, cage, tmp, api, events)
    env.capture = capture
    env.watch_output()
    env.log(
        f"INIT_START Runtime Version: {spec.runtime.replace('.', ':', 1)}.stratus\t"
        f"Runtime Version ARN: arn:aws:lambda:{processes.host.region}::runtime:"
        f"stratus-{spec.runtime}"
    )
    if init_limit_s is not None:
        env.log(start_line(request_id, spec))
    return await env.wait_init(started, request_id, init_limit_s)


async def _wait_spawn(
    processes: ProcessLauncher,
    spec: FunctionSpec,
    env_id: str,
    stream: str,
    variables: dict[str, str],
    cage: Cage,
    tmp: Path,
    api: RuntimeApi,
    events: asyncio.Queue[Any],
) -> CustomEnvironment:
    read_fd, write_fd = os.pipe()
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",
            "-S",
            str(processes.runtime_dir / "exec_wrapper.py"),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=write_fd,
            stderr=write_fd,
            env=variables,
            cwd=spec.code_dir,
            start_new_session=True,
        )
        lower_group(process.pid)  # its session's group: scheduling.py says why
    except BaseException:
        os.close(read_fd)
        api.close()
        cage.release()
        processes.release_tmp(tmp)
        raise
    finally:
        os.close(write_fd)
    group = spec.log_group
    emit_log = processes.emit_log
    return CustomEnvironment(
        api,
        events,
        spec=spec,
        env_id=env_id,
        log_stream=stream,
        process=process,
        output_fd=read_fd,
        cage=cage,
        emit_log=functools.partial(emit_log, group),
        on_exit=lambda e: processes.release_tmp(tmp),
    )


def _next_invocation(request_id: str, payload: bytes, header: dict[str, object]) -> NextInvocation:
    client_context = header.get("client_context")
    identity = header.get("identity")
    return NextInvocation(
        request_id=request_id,
        payload=payload,
        deadline_ms=int(cast(float, header["deadline_ms"])),
        invoked_arn=str(header["invoked_arn"]),
        trace_id=str(header.get("trace_id") or ""),
        client_context=orjson.dumps(client_context) if client_context else None,
        cognito_identity=orjson.dumps(identity) if identity else None,
    )


def _now_iso() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
