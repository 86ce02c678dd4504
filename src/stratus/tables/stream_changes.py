"""Wake-ups for the readers of a stream (event source mappings' pollers) when a write has
committed records to it, so a poller waits on an event instead of polling the store.

Writes notify on the event loop after their transaction committed (TableService._wrote);
a reader subscribes one event of its own per stream, clears it before it reads, and waits
on it when the read found nothing: a write between the read and the wait leaves the event
set, so no record is missed. A notice may be spurious (a write that changed nothing); the
reader then reads nothing and waits again.
"""

from __future__ import annotations

import asyncio


class StreamChanges:
    def __init__(self) -> None:
        self._readers: dict[str, set[asyncio.Event]] = {}

    def subscribe(self, stream_arn: str) -> asyncio.Event:
        woken = asyncio.Event()
        self._readers.setdefault(stream_arn, set()).add(woken)
        return woken

    def unsubscribe(self, stream_arn: str, woken: asyncio.Event) -> None:
        readers = self._readers.get(stream_arn)
        if readers is not None:
            readers.discard(woken)
            if not readers:
                del self._readers[stream_arn]

    def notify(self, stream_arn: str | None) -> None:
        for woken in self._readers.get(stream_arn or "", ()):
            woken.set()
