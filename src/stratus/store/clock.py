"""The time that durable work is due by, injected so tests never sleep.

A `Clock` tells the time in wall-clock seconds since the epoch (due times are stored and must
mean the same after a restart) and waits until a time or until woken. `SystemClock` is the
real one; `ManualClock` stands still until a test advances it, so "nothing happened before
the retry delay" is proven by not advancing, never by sleeping.

`wait_until` may return early (woken, or a manual clock moved): waiters re-check what they
wait for, so a spurious return costs one look, never a missed deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""

    async def wait_until(self, deadline: float | None, woken: asyncio.Event) -> None:
        """Return at `deadline` (None: no deadline) or when `woken` is set, whichever is
        first; possibly earlier. The event is not cleared."""


class SystemClock:
    def now(self) -> float:
        return time.time()

    async def wait_until(self, deadline: float | None, woken: asyncio.Event) -> None:
        timeout = None if deadline is None else max(deadline - time.time(), 0.0)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await woken.wait()


class ManualClock:
    """A clock that moves only by `advance`, from any thread (a test's, while the server's
    event loop runs in another). Like a real clock it wakes only the waiters whose deadline
    has come, so a test can also see when each waiter means to wake (`deadlines`)."""

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._lock = threading.Lock()
        self._waiters: dict[asyncio.Event, tuple[asyncio.AbstractEventLoop, float | None]] = {}

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
            due = [
                (loop, woken)
                for woken, (loop, deadline) in self._waiters.items()
                if deadline is not None and deadline <= self._now
            ]
        for loop, woken in due:
            with contextlib.suppress(RuntimeError):  # that loop has closed: no one waits
                loop.call_soon_threadsafe(woken.set)

    def deadlines(self) -> list[float | None]:
        """When each current waiter means to wake (None: only when woken)."""
        with self._lock:
            return [deadline for _, deadline in self._waiters.values()]

    async def wait_until(self, deadline: float | None, woken: asyncio.Event) -> None:
        with self._lock:
            if deadline is not None and self._now >= deadline:
                return
            self._waiters[woken] = (asyncio.get_running_loop(), deadline)
        try:
            await woken.wait()
        finally:
            with self._lock:
                self._waiters.pop(woken, None)
