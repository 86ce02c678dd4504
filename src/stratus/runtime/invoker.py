"""Invoke a function version with a payload: the execution layer's one entry point.

    invoke(spec, invocation) -> InvokeResult      or raises Throttled

It takes an environment from the pool (warm, or cold-started), writes the START / END /
REPORT lines around the function's own output, and enforces the account concurrency limit.
"""

from __future__ import annotations

import base64
import math
import time
from dataclasses import dataclass

import orjson

from stratus.runtime.concurrency import ConcurrencyLimits, ConcurrencyStatistics
from stratus.runtime.environment import Environment, Outcome
from stratus.runtime.launcher import InitFailure
from stratus.runtime.pool import EnvironmentPool
from stratus.runtime.spec import FunctionSpec, Invocation, InvokeResult

LOG_TAIL_BYTES = 4096


@dataclass(frozen=True, slots=True)
class InvokerStatistics:
    invocations: int
    concurrency: ConcurrencyStatistics


class Invoker:
    def __init__(self, pool: EnvironmentPool, concurrency_limit: int) -> None:
        self.pool = pool
        self.concurrency = ConcurrencyLimits(concurrency_limit)
        self._invocations = 0

    async def invoke(self, spec: FunctionSpec, invocation: Invocation) -> InvokeResult:
        self.concurrency.enter(spec.name)  # raises Throttled
        self._invocations += 1
        try:
            return await self._wait_run(spec, invocation)
        finally:
            self.concurrency.leave(spec.name)

    async def _wait_run(self, spec: FunctionSpec, invocation: Invocation) -> InvokeResult:
        capture: list[str] | None = [] if invocation.want_log_tail else None
        env, cold = await self.pool.wait_acquire(spec, capture, invocation.request_id)
        if isinstance(env, InitFailure):
            return InvokeResult(env.payload, spec.version, "Unhandled", _tail(capture))
        rid = invocation.request_id
        env.log(f"START RequestId: {rid} Version: {spec.version}")
        started = time.perf_counter()
        outcome = await env.wait_invoke(
            rid,
            invocation.payload,
            self._header(spec, invocation),
            float(spec.timeout_s),
            invocation.stream,
        )
        duration_ms = (time.perf_counter() - started) * 1000
        env.log(f"END RequestId: {rid}")
        env.log(_report(rid, spec, env, cold, duration_ms, outcome))
        if outcome.reusable:
            self.pool.release(env)
        else:
            await self.pool.wait_discard(env)
        error = None if outcome.ok else "Unhandled"
        return InvokeResult(outcome.payload, spec.version, error, _tail(capture))

    @staticmethod
    def _header(spec: FunctionSpec, invocation: Invocation) -> dict[str, object]:
        return {
            "deadline_ms": time.time() * 1000 + spec.timeout_s * 1000,
            "invoked_arn": invocation.invoked_arn,
            "client_context": invocation.client_context,
            "trace_id": _trace_id(invocation.request_id),
        }

    def statistics(self) -> InvokerStatistics:
        return InvokerStatistics(self._invocations, self.concurrency.statistics())


def _report(
    rid: str, spec: FunctionSpec, env: Environment, cold: bool, duration_ms: float, out: Outcome
) -> str:
    memory = out.max_memory_mb or "-"
    line = (
        f"REPORT RequestId: {rid}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {math.ceil(duration_ms)} ms\tMemory Size: {spec.memory_mb} MB\t"
        f"Max Memory Used: {memory} MB\t"
    )
    if cold and env.restore_ms is not None:
        line += (
            f"Restore Duration: {env.restore_ms:.2f} ms\t"
            f"Billed Restore Duration: {math.ceil(env.restore_ms)} ms\t"
        )
    elif cold:
        line += f"Init Duration: {env.init_ms:.2f} ms\t"
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
