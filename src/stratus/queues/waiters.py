"""Long polls wait here, woken by whatever makes a queue's messages receivable.

A ReceiveMessage that found nothing parks a future under its queue and sleeps until the
earliest of: a wake-up (a send, a visibility change, a delete that unblocks a FIFO group,
a message moved in), the queue's next due time (a delayed message or a visibility expiry,
read from the store's index), or its WaitTimeSeconds. Nothing polls the store in a loop.
The future is parked *before* the store is read, so a send that commits in between is
never missed.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict


class Waiters:
    def __init__(self) -> None:
        self._parked: defaultdict[int, set[asyncio.Future[None]]] = defaultdict(set)

    def park(self, queue_id: int) -> asyncio.Future[None]:
        future = asyncio.get_running_loop().create_future()
        self._parked[queue_id].add(future)
        return future

    def leave(self, queue_id: int, future: asyncio.Future[None]) -> None:
        parked = self._parked.get(queue_id)
        if parked is not None:
            parked.discard(future)
            if not parked:
                del self._parked[queue_id]

    def wake(self, queue_id: int) -> None:
        for future in self._parked.pop(queue_id, ()):
            if not future.done():
                future.set_result(None)

    async def wait_woken(self, future: asyncio.Future[None], seconds: float) -> None:
        """Until `future` is woken or `seconds` pass, whichever is first."""
        if seconds > 0 and not future.done():
            await asyncio.wait([future], timeout=seconds)

    def statistics(self) -> int:
        """How many long polls are parked."""
        return sum(len(parked) for parked in self._parked.values())
