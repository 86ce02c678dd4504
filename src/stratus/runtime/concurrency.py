"""Concurrency accounting: the account pool, reserved concurrency, and throttling.

    account limit (default 1000)
    ├── reserved for function A (its own, never shared)
    ├── reserved for function B
    └── unreserved: everything else, shared by functions without a reservation

An invocation enters before it runs and leaves after; one that would exceed its function's
reservation, or the unreserved pool, is throttled (TooManyRequestsException, 429) with the
Reason AWS gives.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from stratus.errors import Throttled

# AWS keeps at least this much of the account pool unreserved.
UNRESERVED_MINIMUM = 100
# How long a function's peak concurrency counts as recent (recent_peak).
PEAK_WINDOW_S = 60.0


@dataclass(frozen=True, slots=True)
class ConcurrencyStatistics:
    limit: int
    reserved_total: int
    running: int
    throttles: int


class ConcurrencyLimits:
    def __init__(self, account_limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.account_limit = account_limit
        self._clock = clock
        self._reserved: dict[str, int] = {}
        self._running: Counter[str] = Counter()
        self._peaks: dict[str, tuple[int, float]] = {}  # function -> (running, when)
        self._unreserved_running = 0
        self._throttles = 0

    @property
    def unreserved_limit(self) -> int:
        return self.account_limit - sum(self._reserved.values())

    def reserved(self, function: str) -> int | None:
        return self._reserved.get(function)

    def set_reserved(self, function: str, count: int | None) -> None:
        was_reserved = function in self._reserved
        if count is None:
            self._reserved.pop(function, None)
        else:
            self._reserved[function] = count
        if was_reserved != (function in self._reserved):  # move its running count across
            sign = -1 if function in self._reserved else 1
            self._unreserved_running += sign * self._running[function]

    def enter(self, function: str) -> None:
        reserved = self._reserved.get(function)
        if reserved is not None:
            if self._running[function] >= reserved:
                self._throttle("ReservedFunctionConcurrentInvocationLimitExceeded")
        elif self._unreserved_running >= self.unreserved_limit:
            self._throttle("ConcurrentInvocationLimitExceeded")
        self.hold(function)
        running, now = self._running[function], self._clock()
        kept = self._peaks.get(function)
        if kept is None:  # a function new to the peaks: forget those past their window
            self._peaks = {f: p for f, p in self._peaks.items() if now - p[1] <= PEAK_WINDOW_S}
        peak, at = kept or (0, 0.0)
        if running >= peak or now - at > PEAK_WINDOW_S:
            self._peaks[function] = (running, now)

    def hold(self, function: str) -> None:
        """Count one more running invocation of `function`, unchecked (enter's count once
        admitted; the invoker's for one still running after its caller left), until
        `leave`."""
        if function not in self._reserved:
            self._unreserved_running += 1
        self._running[function] += 1

    def recent_peak(self, function: str) -> int:
        """The most invocations of `function` (all its versions) running at once that began
        within the last PEAK_WINDOW_S (about: a peak is kept until it is that old)."""
        peak, at = self._peaks.get(function, (0, 0.0))
        return peak if self._clock() - at <= PEAK_WINDOW_S else 0

    def leave(self, function: str) -> None:
        self._running[function] -= 1
        if function not in self._reserved:
            self._unreserved_running -= 1
        if not self._running[function]:
            del self._running[function]

    def running(self, function: str) -> int:
        return self._running[function]

    def _throttle(self, reason: str) -> None:
        self._throttles += 1
        raise Throttled("Rate Exceeded.", Reason=reason, Type="User")

    def statistics(self) -> ConcurrencyStatistics:
        return ConcurrencyStatistics(
            self.account_limit,
            sum(self._reserved.values()),
            sum(self._running.values()),
            self._throttles,
        )
