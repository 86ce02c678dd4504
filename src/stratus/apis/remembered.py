"""Caching the gateway's reads of API definitions: what the data plane reads per request is
kept while nothing else has touched the API's tables since.

`Counted` is a service's database door that counts its calls (before and after each, so a
call in flight shows too); every control-plane call goes through it, including ones added
later, so none can be forgotten. `Remembered` keeps answers of reads that bypass the count,
and drops them all when the count moved: any call may have changed what they were read
from. A read that overlapped a call is used but not kept. Clients choose the keys (any API
id, any path), so the answers kept are bounded.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Generic, TypeVar

from stratus.store.db import Database

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")
LIMIT = 4096  # answers a Remembered keeps


class Counted:
    """The database, counting every call."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.calls = 0

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        self.calls += 1
        try:
            return await self.db.run(work)
        finally:
            self.calls += 1


class Remembered(Generic[K, V]):
    """Answers of uncounted reads, kept while `counted` has not been called since."""

    def __init__(self, counted: Counted) -> None:
        self._counted = counted
        self._found: dict[K, V] = {}
        self._at = -1

    async def lookup(self, key: K, read: Callable[[sqlite3.Connection], V]) -> V:
        counted = self._counted
        if self._at != counted.calls or len(self._found) >= LIMIT:
            self._found.clear()
            self._at = counted.calls
        if key in self._found:
            return self._found[key]
        generation = counted.calls
        value = await counted.db.run(read)
        if generation == counted.calls:
            self._found[key] = value
        return value
