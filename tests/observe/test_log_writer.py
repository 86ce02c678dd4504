"""The log writer remembers which (group, stream) pairs exist, up to a bound: every new
environment names a new stream, and a server runs for days."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from stratus.observe import logs
from stratus.observe.schema import SCHEMA
from stratus.store.db import Database


def test_the_known_streams_are_bounded_and_every_stream_is_still_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "KNOWN_PAIRS_MAX", 8)
    db = Database(tmp_path / "stratus.db", [SCHEMA])
    store = logs.LogStore(db)

    async def write() -> None:
        for batch in range(4):
            for n in range(5):
                store.emit("/aws/lambda/f", f"stream-{batch}-{n}", "line", timestamp=1)
            await store.wait_flush()

    asyncio.run(write())
    streams = db.run_blocking(
        lambda conn: conn.execute("SELECT count(*) FROM log_streams").fetchone()[0]
    )
    events = db.run_blocking(
        lambda conn: conn.execute("SELECT count(*) FROM log_events").fetchone()[0]
    )
    db.close()

    assert len(store._existing) <= 8
    assert (streams, events) == (20, 20)
