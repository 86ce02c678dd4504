"""Invoke a function version with a payload: the execution layer's one entry point.

    invoke(spec, invocation) -> InvokeResult      or raises Throttled

It takes an environment from the pool (warm, or cold-started), writes the START / END /
REPORT lines around the function's own output, and enforces the account concurrency limit.

A caller cancelled while its function runs (an Express workflow's timed-out Task, say)
stops waiting; the function does not stop, as on Lambda. An invocation that needs a new
environment runs in a task of its own, left to start and run when its caller goes; one on a
warm environment runs in its caller's task (a task per warm invoke is a measurable cost),
and if that caller goes, a task of the invoker waits for its outcome within its timeout,
writes END / REPORT and gives the environment back to the pool (or discards it). Either
way it counts as running until it ends. Without that the environment stayed busy for good,
or a starting one was lost: its process, cgroup and /tmp held until the server stopped.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import logging
import math
import time
from dataclasses import dataclass
from typing import Any

import orjson

from stratus.errors import Throttled
from stratus.observe.lambda_metrics import FunctionMetrics
from stratus.runtime.concurrency import ConcurrencyLimits, ConcurrencyStatistics
from stratus.runtime.environment import Environment, Outcome
from stratus.runtime.launcher import InitFailure, start_line
from stratus.runtime.pool import EnvironmentPool
from stratus.runtime.spec import FunctionSpec, Invocation, InvokeResult

LOG_TAIL_BYTES = 4096
log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InvokerStatistics:
    invocations: int
    concurrency: ConcurrencyStatistics


class Invoker:
    def __init__(
        self,
        pool: EnvironmentPool,
        concurrency: ConcurrencyLimits,
        metrics: FunctionMetrics | None = None,
    ) -> None:
        self.pool = pool
        self.concurrency = concurrency
        # AWS/Lambda's metrics, tallied in memory (observe/lambda_metrics.py).
        self.metrics = metrics or FunctionMetrics()
        self._invocations = 0
        self._abandoned: set[asyncio.Future[Any]] = set()  # (see the module docstring)
        self._closing = False

    async def invoke(self, spec: FunctionSpec, invocation: Invocation) -> InvokeResult:
        try:
            self.concurrency.enter(spec.name)
        except Throttled:
            self.metrics.throttled(spec.name, invocation.invoked_arn)
            raise
        self._invocations += 1
        try:
            if self.pool.has_warm(spec):
                return await self._wait_run(spec, invocation)
            running = asyncio.ensure_future(self._wait_run(spec, invocation))
            try:
                return await asyncio.shield(running)
            except asyncio.CancelledError:
                if self._closing:
                    running.cancel()
                else:
                    self._see_through(spec, running)
                raise
        finally:
            self.concurrency.leave(spec.name)

    async def _wait_run(self, spec: FunctionSpec, invocation: Invocation) -> InvokeResult:
        capture: list[str] | None = [] if invocation.want_log_tail else None
        rid = invocation.request_id
        env, cold = await self.pool.wait_acquire(spec, capture, rid)
        if isinstance(env, InitFailure) and env.timed_out:
            return await self._wait_run_suppressed(spec, invocation, capture)
        if isinstance(env, InitFailure):
            self._count(spec, invocation, env.init_ms, False)
            return InvokeResult(env.payload, spec.version, "Unhandled", _tail(capture))
        env.log(start_line(rid, spec))
        # (a restored environment has an init time only if its start waited for the
        # snapshot's init: zygote.py)
        init_ms = env.init_ms if cold and (env.restore_ms is None or env.init_ms) else None
        restore_ms = env.restore_ms if cold else None
        started = time.perf_counter()
        try:
            outcome = await env.wait_invoke(
                rid,
                invocation.payload,
                self._header(spec, invocation, float(spec.timeout_s)),
                float(spec.timeout_s),
                invocation.stream,
            )
        except asyncio.CancelledError:  # (see the module docstring)
            if not self._closing:  # (else the pool, closing, kills the environment)
                waiting = self._wait_abandoned(spec, invocation, env, started, init_ms, restore_ms)
                self._see_through(spec, asyncio.ensure_future(waiting))
            raise
        duration_ms = (time.perf_counter() - started) * 1000
        return await self._wait_finish(
            spec, invocation, env, outcome, duration_ms, capture, init_ms, restore_ms
        )

    async def _wait_run_suppressed(
        self, spec: FunctionSpec, invocation: Invocation, capture: list[str] | None
    ) -> InvokeResult:
        """The init ran past its 10 s: as Lambda does, run it again as part of this invoke,
        the whole bounded by the function's timeout. REPORT's Duration then counts the init
        and carries no Init Duration; a retried init that fails ends the invoke with its
        error (Task timed out after the function's timeout, or the init's error)."""
        rid = invocation.request_id
        timeout_s = float(spec.timeout_s)
        started = time.perf_counter()
        env, cold = await self.pool.wait_acquire(spec, capture, rid, init_limit_s=timeout_s)
        if isinstance(env, InitFailure):
            status = "timeout" if env.timed_out else "error"
            outcome = Outcome(env.payload, False, 0, reusable=False, status=status)
            if env.log is not None:
                env.log(f"END RequestId: {rid}")
                env.log(_report(rid, spec, env.init_ms, None, None, outcome))
            self._count(spec, invocation, env.init_ms, False)
            return InvokeResult(env.payload, spec.version, "Unhandled", _tail(capture))
        if not cold:  # another invoke's environment came free first: no init to retry
            env.log(start_line(rid, spec))
        remaining = max(timeout_s - (time.perf_counter() - started), 0.0)
        outcome = await env.wait_invoke(
            rid,
            invocation.payload,
            self._header(spec, invocation, remaining),
            remaining,
            invocation.stream,
            named_timeout_s=timeout_s,
        )
        duration_ms = (time.perf_counter() - started) * 1000
        return await self._wait_finish(
            spec, invocation, env, outcome, duration_ms, capture, None, None
        )

    async def _wait_finish(
        self,
        spec: FunctionSpec,
        invocation: Invocation,
        env: Environment,
        outcome: Outcome,
        duration_ms: float,
        capture: list[str] | None,
        init_ms: float | None,
        restore_ms: float | None,
    ) -> InvokeResult:
        rid = invocation.request_id
        env.log(f"END RequestId: {rid}")
        env.log(_report(rid, spec, duration_ms, init_ms, restore_ms, outcome))
        self._count(spec, invocation, duration_ms, outcome.ok)
        if outcome.reusable:
            self.pool.release(env)
        else:
            await self.pool.wait_discard(env)
        error = None if outcome.ok else "Unhandled"
        return InvokeResult(outcome.payload, spec.version, error, _tail(capture))

    def _count(
        self, spec: FunctionSpec, invocation: Invocation, duration_ms: float, ok: bool
    ) -> None:
        self.metrics.invoked(spec.name, invocation.invoked_arn, spec.version, duration_ms,
                             not ok, self.concurrency.running(spec.name))  # fmt: skip

    async def wait_close(self) -> None:
        """Stop what runs for callers that left; the pool's close (next) kills what is left.
        A closing server waits for no function."""
        self._closing = True
        for running in self._abandoned:
            running.cancel()
        await asyncio.gather(*self._abandoned, return_exceptions=True)

    def _see_through(self, spec: FunctionSpec, running: asyncio.Future[Any]) -> None:
        """Keep `running`, whose caller was cancelled, and count it as running till it ends."""
        self.concurrency.hold(spec.name)  # (the caller's count is left as it unwinds)
        self._abandoned.add(running)
        running.add_done_callback(functools.partial(self._abandoned_ended, spec.name))

    def _abandoned_ended(self, function: str, running: asyncio.Future[Any]) -> None:
        self._abandoned.discard(running)
        self.concurrency.leave(function)
        if not running.cancelled() and running.exception() is not None:
            log.error("an invocation of %s whose caller left failed", function,
                      exc_info=running.exception())  # fmt: skip

    async def _wait_abandoned(
        self,
        spec: FunctionSpec,
        invocation: Invocation,
        env: Environment,
        started: float,
        init_ms: float | None,
        restore_ms: float | None,
    ) -> None:
        """The rest of an invocation on a warm environment whose caller was cancelled."""
        timeout_s = float(spec.timeout_s)
        left = max(timeout_s - (time.perf_counter() - started), 0.0)
        try:
            outcome = await env.wait_outcome(invocation.request_id, left, named_timeout_s=timeout_s)
        except Exception:
            await self.pool.wait_discard(env)  # (not left busy for good)
            raise
        duration_ms = (time.perf_counter() - started) * 1000
        await self._wait_finish(
            spec, invocation, env, outcome, duration_ms, None, init_ms, restore_ms
        )

    @staticmethod
    def _header(spec: FunctionSpec, invocation: Invocation, left_s: float) -> dict[str, object]:
        return {
            "deadline_ms": time.time() * 1000 + left_s * 1000,
            "invoked_arn": invocation.invoked_arn,
            "client_context": invocation.client_context,
            "trace_id": _trace_id(invocation.request_id),
        }

    def statistics(self) -> InvokerStatistics:
        return InvokerStatistics(self._invocations, self.concurrency.statistics())


def _report(
    rid: str,
    spec: FunctionSpec,
    duration_ms: float,
    init_ms: float | None,
    restore_ms: float | None,
    out: Outcome,
) -> str:
    """The REPORT line; `init_ms` / `restore_ms` only on a cold start's first invoke (not
    after a retried init: its time is in Duration, as on Lambda). Both only for a restore
    that waited for its snapshot's init (zygote.py)."""
    memory = out.max_memory_mb or "-"
    line = (
        f"REPORT RequestId: {rid}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {math.ceil(duration_ms)} ms\tMemory Size: {spec.memory_mb} MB\t"
        f"Max Memory Used: {memory} MB\t"
    )
    if init_ms is not None:
        line += f"Init Duration: {init_ms:.2f} ms\t"
    if restore_ms is not None:
        line += (
            f"Restore Duration: {restore_ms:.2f} ms\t"
            f"Billed Restore Duration: {math.ceil(restore_ms)} ms\t"
        )
    if out.status != "success":
        line += f"Status: {out.status}\t"
        if not out.ok:
            line += f"Error Type: {orjson.loads(out.payload).get('errorType', 'Unknown')}\t"
    return line


def _trace_id(request_id: str) -> str:
    """An X-Ray-shaped trace header (_X_AMZN_TRACE_ID), derived from the request id."""
    unique = request_id.replace("-", "")[:24]
    return f"Root=1-{int(time.time()):08x}-{unique};Parent=0000000000000000;Sampled=0"


def _tail(capture: list[str] | None) -> str:
    """The last 4 KB of the invocation's log, base64, for X-Amz-Log-Result."""
    if capture is None:
        return ""
    raw = ("\n".join(capture) + "\n").encode()[-LOG_TAIL_BYTES:]
    return base64.b64encode(raw).decode()
