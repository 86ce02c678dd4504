"""Datapoints older than three hours are rolled up into one per metric, unit and minute,
their statistics and percentiles intact (a busy function's per-second datapoints would
otherwise be ~20M rows in the 15 days kept)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from stratus.observe import metric_statistics as stats
from stratus.observe.metrics import MINUTE_MS, MetricStore, metric, now_ms, roll_up
from stratus.observe.metrics_schema import SCHEMA
from stratus.store.db import Database


def test_old_datapoints_roll_up_by_minute(tmp_path: Path) -> None:
    db = Database(tmp_path / "stratus.db", [SCHEMA])
    store = MetricStore(db)
    latency = metric("App", "Latency", [("Route", "/a")])
    old = (now_ms() - 4 * 3_600_000) // MINUTE_MS * MINUTE_MS
    recent = now_ms() - 60_000
    data = [
        (latency, stats.of_values(old + second * 1000, [(float(second % 3), 1.0)], "Milliseconds"))
        for second in range(60)
    ]
    data += [
        (latency, stats.of_values(old + MINUTE_MS, [(9.0, 2.0)], "Milliseconds")),
        (latency, stats.Sample(old + MINUTE_MS + 5, 4.0, 8.0, 1.0, 3.0, "Milliseconds")),
        (latency, stats.of_values(recent, [(1.0, 1.0)], "Milliseconds")),
        (latency, stats.of_values(recent + 1, [(2.0, 1.0)], "Milliseconds")),
    ]
    asyncio.run(store.wait_put(data))
    until = db.run_blocking(lambda conn: roll_up(conn, 0))
    rows = db.run_blocking(
        lambda conn: conn.execute("SELECT count(*) FROM metric_data").fetchone()[0]
    )
    first = asyncio.run(store.wait_samples(latency, old, old + MINUTE_MS))
    second = asyncio.run(store.wait_samples(latency, old + MINUTE_MS, old + 2 * MINUTE_MS))
    again = db.run_blocking(lambda conn: roll_up(conn, until))
    db.close()

    assert rows == 4  # two old minutes rolled into one row each; the recent two untouched
    (minute,) = first
    assert (minute.timestamp, minute.count, minute.sum, minute.minimum, minute.maximum) == (
        old, 60.0, 60.0, 0.0, 2.0
    )  # fmt: skip
    assert sorted(minute.values or []) == [(0.0, 20.0), (1.0, 20.0), (2.0, 20.0)]
    assert stats.value(minute, "p50") == 1.0
    (mixed,) = second
    assert (mixed.count, mixed.sum, mixed.values) == (6.0, 26.0, None)  # (a set has no values)
    assert again == until
