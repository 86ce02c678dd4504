"""Throttling for HTTP APIs: a token bucket per (API, stage, route); REST APIs keep their
buckets here too (rest_access.py).

A stage's `DefaultRouteSettings` sets ThrottlingRateLimit (requests per second, refilled
continuously) and ThrottlingBurstLimit (the bucket's size) for every route; an entry of its
`RouteSettings` (keyed by route key) overrides them member by member. A route with neither
member set anywhere is not throttled. When only one member is set, the other takes the
account-level default AWS documents for HTTP APIs (10,000 requests/s, burst 5,000). A bucket
starts full; a request takes one token or, when none is left, gets 429.

Buckets are kept in memory, one per key ever throttled (APIs, stages and keys come and go):
a bucket that has refilled to its burst is what a new one would be, so such buckets are
dropped whenever the count doubles (at least SWEEP_AFTER), without changing any answer.

Pure logic with an injected clock (`now`, in seconds), so tests need no sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from stratus.apis.http.model import RouteSettings, Stage

ACCOUNT_RATE = 10_000.0
ACCOUNT_BURST = 5_000
SWEEP_AFTER = 1_024  # buckets
_EPSILON = 1e-9
_UNSET = RouteSettings()  # neither member set; one shared instance, asked every request


@dataclass(frozen=True, slots=True)
class Limit:
    rate: float  # tokens per second
    burst: int  # bucket size


def limit_for(stage: Stage, route_key: str) -> Limit | None:
    """The limit a stage puts on a route, or None when it puts none."""
    default = stage.DefaultRouteSettings or _UNSET
    own = (stage.RouteSettings or {}).get(route_key) or _UNSET
    rate = own.ThrottlingRateLimit
    burst = own.ThrottlingBurstLimit
    rate = default.ThrottlingRateLimit if rate is None else rate
    burst = default.ThrottlingBurstLimit if burst is None else burst
    if rate is None and burst is None:
        return None
    return Limit(ACCOUNT_RATE if rate is None else rate, ACCOUNT_BURST if burst is None else burst)


class TokenBucket:
    def __init__(self, limit: Limit, now: float) -> None:
        self.limit = limit
        self.tokens = float(limit.burst)
        self.updated = now

    def full(self, now: float) -> bool:
        """Whether it has refilled to its burst (a new bucket would answer the same)."""
        return self.tokens + max(0.0, now - self.updated) * self.limit.rate >= self.limit.burst

    def take(self, now: float) -> bool:
        """One token if there is one (True), else False; refills first."""
        elapsed = max(0.0, now - self.updated)
        self.updated = now
        self.tokens = min(float(self.limit.burst), self.tokens + elapsed * self.limit.rate)
        if self.tokens >= 1.0 - _EPSILON:  # 0.1 s at 10/s is a token, despite floats
            self.tokens = max(0.0, self.tokens - 1.0)
            return True
        return False


@dataclass(frozen=True, slots=True)
class ThrottleStatistics:
    buckets: int


class Throttles:
    """Token buckets by key (for HTTP APIs, a route's: API, stage, route key); a bucket is
    replaced (full) when its limit changes. REST APIs keep theirs here too (rest_access.py:
    a stage's method settings, a usage plan's key), under keys of their own shape."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[tuple[str, ...], TokenBucket] = {}
        self._sweep_at = SWEEP_AFTER

    def statistics(self) -> ThrottleStatistics:
        return ThrottleStatistics(len(self._buckets))

    def admit(self, api_id: str, stage: Stage, route_key: str) -> bool:
        """Whether a request to this route may pass now."""
        return self.take((api_id, stage.StageName, route_key), limit_for(stage, route_key))

    def take(self, key: tuple[str, ...], limit: Limit | None) -> bool:
        """Whether a request may pass the bucket `key` with this `limit` (None: no limit)."""
        if limit is None:
            self._buckets.pop(key, None)
            return True
        now = self._clock()
        bucket = self._buckets.get(key)
        if bucket is None or bucket.limit != limit:
            if bucket is None and len(self._buckets) >= self._sweep_at:
                self._sweep(now)  # before the new (full) bucket goes in
            bucket = self._buckets[key] = TokenBucket(limit, now)
        return bucket.take(now)

    def _sweep(self, now: float) -> None:
        for key in [k for k, b in self._buckets.items() if b.full(now)]:
            del self._buckets[key]
        self._sweep_at = max(SWEEP_AFTER, 2 * len(self._buckets))  # amortised: O(1) a take
