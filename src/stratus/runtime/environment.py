"""One execution environment: an OS process serving one invocation at a time.

The supervisor side of the protocol drawn in `lib/bootstrap.py` (its frames: `frames.py`).
It enforces the limits the function must not be trusted with: the timeout (the process
group is killed), memory and pids (via the cage from `sandbox.py`), and it turns a dead
process into the error Lambda reports (Runtime.ExitError, Runtime.OutOfMemory,
Sandbox.Timedout).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

import orjson

from stratus.runtime.frames import FrameChannel
from stratus.runtime.sandbox import Cage
from stratus.runtime.spec import FunctionSpec
from stratus.runtime.streaming import ResponseStream

# Go-style names, because Lambda's error messages use them ("signal: killed").
SIGNAL_NAMES: dict[int, str] = {
    signal.SIGKILL: "killed",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
    signal.SIGTERM: "terminated",
    signal.SIGBUS: "bus error",
}


@dataclass(slots=True)
class Outcome:
    """What one invocation produced on an environment."""

    payload: bytes
    ok: bool
    max_memory_mb: int
    reusable: bool
    status: str = "success"  # success | error | timeout (REPORT's Status)


@dataclass(slots=True, eq=False)
class Environment:
    spec: FunctionSpec
    env_id: str
    log_stream: str
    process: asyncio.subprocess.Process
    channel: FrameChannel  # the control socket (frames.py)
    output_fd: int
    cage: Cage
    emit_log: Callable[[str, str], None]  # (stream, line)
    on_exit: Callable[[Environment], None] = lambda env: None
    init_ms: float = 0.0
    restore_ms: float | None = None
    invocations: int = 0
    last_used: float = field(default_factory=time.monotonic)
    capture: list[str] | None = None
    provisioned: bool = False  # kept warm by provisioned concurrency: never reaped
    _partial: bytes = b""
    _dead: bool = False
    _killing: asyncio.Future[None] | None = None  # wait_kill's one run

    # -- logs ---------------------------------------------------------------------------
    def watch_output(self) -> None:
        os.set_blocking(self.output_fd, False)
        asyncio.get_running_loop().add_reader(self.output_fd, self._read_output)

    def log(self, line: str) -> None:
        self.emit_log(self.log_stream, line)
        if self.capture is not None:
            self.capture.append(line)

    def _read_output(self) -> None:
        self._consume_available(once=True)

    def drain_output(self) -> None:
        """Read everything the process wrote so far: it all precedes the frame just received."""
        self._consume_available(once=False)
        if self._partial:
            self.log(self._partial.decode(errors="replace"))
            self._partial = b""

    def _consume_available(self, once: bool) -> None:
        while self.output_fd >= 0:
            try:
                chunk = os.read(self.output_fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self._stop_watching()
                return
            *lines, self._partial = (self._partial + chunk).split(b"\n")
            for line in lines:
                self.log(line.decode(errors="replace"))
            if once:
                return

    def _stop_watching(self) -> None:
        if self.output_fd >= 0:
            asyncio.get_running_loop().remove_reader(self.output_fd)
            os.close(self.output_fd)
            self.output_fd = -1

    # -- protocol -----------------------------------------------------------------------
    @property
    def alive(self) -> bool:
        return not self._dead and self.process.returncode is None

    async def wait_frame(self) -> tuple[dict[str, object], bytes]:
        frame = await self.channel.wait_frame()
        self.drain_output()
        return frame

    def send(self, header: dict[str, object], body: bytes) -> None:
        self.channel.send(header, body)

    async def wait_invoke(
        self,
        request_id: str,
        payload: bytes,
        header: dict[str, object],
        timeout_s: float,
        stream: ResponseStream | None = None,  # unused: this runtime answers buffered
        named_timeout_s: float | None = None,
    ) -> Outcome:
        """Run one invocation within `timeout_s`; a timeout names `named_timeout_s` (the
        function's Timeout, when part of it went to a retried init) or else `timeout_s`."""
        self.invocations += 1
        self.send({"type": "invoke", "request_id": request_id, **header}, payload)
        return await self.wait_outcome(request_id, timeout_s, named_timeout_s=named_timeout_s)

    async def wait_outcome(
        self,
        request_id: str,
        timeout_s: float,
        stream: ResponseStream | None = None,  # unused: this runtime answers buffered
        named_timeout_s: float | None = None,
    ) -> Outcome:
        """The outcome of the invocation sent last (wait_invoke's second half). Waited for
        again, with what is left of `timeout_s`, when its first waiter was cancelled."""
        try:
            reply, body = await self._wait_frame_within(timeout_s)
        except TimeoutError:
            await self.wait_kill()
            named = timeout_s if named_timeout_s is None else named_timeout_s
            self.log(f"{_now_iso()} {request_id} Task timed out after {named:.2f} seconds")
            error = {
                "errorMessage": f"RequestId: {request_id} Error: Task timed out after "
                f"{named:.2f} seconds",
                "errorType": "Sandbox.Timedout",
            }
            return Outcome(orjson.dumps(error), False, 0, reusable=False, status="timeout")
        except (asyncio.IncompleteReadError, ConnectionError):
            return await self.wait_crash_outcome(request_id)
        self.last_used = time.monotonic()
        ok = bool(reply.get("ok"))
        memory = self._peak_memory_mb(cast(int, reply.get("max_rss_kb", 0)))
        # A handler's exception is a function result: the platform status stays "success".
        return Outcome(body, ok, memory, reusable=True)

    def _peak_memory_mb(self, max_rss_kb: int) -> int:
        """REPORT's Max Memory Used: the cgroup's peak, not the runtime's ru_maxrss, which
        carries the peak of the server process the environment was forked from across exec.
        A restored environment never exec'd (it is a fork of its snapshot holder), so its
        ru_maxrss is its own, and it counts the snapshot's pages it maps, which are charged
        to the holder's cgroup, not its own (its cgroup alone read 3 MB for a function
        holding 40 MB from init); those count, up to the configured memory."""
        peak = self.cage.peak_memory_mb()
        rss = -(-max_rss_kb // 1024)
        if peak is None:
            return rss
        if self.restore_ms is not None:
            return max(peak, min(rss, self.spec.memory_mb))
        return peak

    async def _wait_frame_within(self, timeout_s: float) -> tuple[dict[str, object], bytes]:
        """wait_frame, or TimeoutError after `timeout_s`. The same contract as
        asyncio.timeout, on a bare timer: this runs once per invocation, and
        asyncio.timeout's bookkeeping costs a few times a timer's (bench/gateway.py)."""
        task = asyncio.current_task()
        assert task is not None
        expired = False

        def expire() -> None:
            nonlocal expired
            expired = True
            task.cancel()

        timer = task.get_loop().call_later(timeout_s, expire)
        try:
            return await self.wait_frame()
        except asyncio.CancelledError:
            if expired and task.uncancel() == 0:  # our cancellation, nobody else's
                raise TimeoutError from None
            raise
        finally:
            timer.cancel()

    async def wait_crash_outcome(self, request_id: str) -> Outcome:
        """The process died mid-invocation: say why, as Lambda would."""
        code = await self.process.wait()
        self._dead = True
        self.drain_output()
        reason = (
            f"signal: {SIGNAL_NAMES.get(-code, str(-code))}"
            if code < 0
            else (f"exit status {code}")
        )
        error_type = "Runtime.OutOfMemory" if self.cage.out_of_memory() else "Runtime.ExitError"
        message = f"RequestId: {request_id} Error: Runtime exited with error: {reason}"
        self.log(message)
        self.log(error_type)
        await self.wait_kill()
        error = {"errorMessage": message, "errorType": error_type}
        return Outcome(orjson.dumps(error), False, 0, reusable=False, status="error")

    async def wait_kill(self) -> None:
        """Kill everything the environment started, whatever its process group or session
        (its cage, its PID namespace, its process group), and clean up. Once: a later call
        waits for the first, and a caller cancelled meanwhile leaves it to finish (or the
        cage, /tmp and channel would never be released)."""
        if self._killing is None:
            self._dead = True
            self._killing = asyncio.ensure_future(self._wait_killed())
        await asyncio.shield(self._killing)

    async def _wait_killed(self) -> None:
        if self.cage.groups:
            await asyncio.to_thread(self.cage.kill)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        await self.process.wait()
        self.drain_output()
        self._stop_watching()
        self.channel.close()
        self.cage.release()
        self.on_exit(self)


def _now_iso() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
