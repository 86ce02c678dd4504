"""CloudWatch metrics' store: metrics and their datapoints, kept in the database.

Three writers:
- PutMetricData (`wait_put`), committed before it answers;
- sources polled by the flush task (`sources`: Lambda's own metrics, aggregated in memory by
  the invoker so a warm invoke costs a dict update, never a write), every FLUSH_SECONDS;
- `write` inside another transaction (the log store's EMF stager: a function's metric lines
  become metrics with the log events that carry them).

Retention: datapoints older than RETENTION_DAYS are deleted (at most once a minute), and a
metric with none left with them, as AWS keeps its finest data 15 days and ListMetrics shows
metrics with data in the last two weeks. Datapoints older than ROLL_UP_AFTER_MS (3 hours, as
AWS keeps 1-second data) are rolled up into one per metric, unit and minute, so a busy
function's per-second datapoints (Lambda's metrics, EMF) cost a row a minute, not 60: 15
days of one busy function's metrics stay ~0.4M rows instead of ~20M.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson

from stratus.store.db import Database, transaction

from .metric_statistics import Sample, combine

FLUSH_SECONDS = 1.0
RETENTION_DAYS = 15
RETENTION_SWEEP_SECONDS = 60.0
ROLL_UP_AFTER_MS = 3 * 3_600_000
MINUTE_MS = 60_000
DAY_MS = 86_400_000

Dimensions = tuple[tuple[str, str], ...]  # sorted by name


@dataclass(frozen=True, slots=True)
class Metric:
    namespace: str
    name: str
    dimensions: Dimensions = ()

    @property
    def key(self) -> str:
        """The metric's one text form (the alarms' index)."""
        return f"{self.namespace}|{self.name}|{dimensions_json(self.dimensions)}"


def metric(namespace: str, name: str, dimensions: Sequence[tuple[str, str]] = ()) -> Metric:
    return Metric(namespace, name, tuple(sorted(dimensions)))


def dimensions_json(dimensions: Dimensions) -> str:
    return orjson.dumps([list(d) for d in dimensions]).decode()


Datum = tuple[Metric, Sample]
# A source of datapoints gathered in memory: drained by every flush.
Source = Callable[[], list[Datum]]


class MetricStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self.sources: list[Source] = []
        # Told the keys of the metrics each flush and put wrote (alarms evaluate them early).
        self.written: list[Callable[[set[str]], None]] = []
        self._swept = 0.0
        self._rolled_until = 0  # datapoints before this are rolled up (epoch ms)

    async def wait_flush_forever(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            await self.wait_flush()
            if time.monotonic() - self._swept > RETENTION_SWEEP_SECONDS:
                self._swept = time.monotonic()
                await self._db.run(_apply_retention)
                self._rolled_until = await self._db.run(
                    lambda conn: roll_up(conn, self._rolled_until)
                )

    async def wait_flush(self) -> None:
        drained = [datum for source in self.sources for datum in source()]
        if drained:
            await self._db.run(lambda conn: _in_transaction(conn, drained))
            self._tell(drained)

    async def wait_put(self, data: Sequence[Datum]) -> None:
        """PutMetricData's datapoints, committed before this returns."""
        await self._db.run(lambda conn: _in_transaction(conn, data))
        self._tell(data)

    def _tell(self, data: Sequence[Datum]) -> None:
        keys = {m.key for m, _ in data}
        for told in self.written:
            told(keys)

    async def wait_samples(self, wanted: Metric, start_ms: int, end_ms: int) -> list[Sample]:
        """The metric's datapoints with start <= timestamp < end (flushed first)."""
        await self.wait_flush()

        def read(conn: sqlite3.Connection) -> list[Sample]:
            rows = conn.execute(
                "SELECT d.timestamp, d.sample_count, d.sum, d.minimum, d.maximum, d.unit, "
                'd."values" FROM metric_data d JOIN metrics m ON m.id = d.metric_id '
                "WHERE m.namespace = ? AND m.name = ? AND m.dimensions = ? "
                "AND d.timestamp >= ? AND d.timestamp < ? ORDER BY d.timestamp",
                (
                    wanted.namespace,
                    wanted.name,
                    dimensions_json(wanted.dimensions),
                    max(start_ms, _oldest_kept()),
                    end_ms,
                ),
            ).fetchall()
            return [
                Sample(r[0], r[1], r[2], r[3], r[4], r[5],
                       None if r[6] is None else [tuple(p) for p in orjson.loads(r[6])])
                for r in rows
            ]  # fmt: skip

        return await self._db.run(read)

    async def wait_metrics(
        self, namespace: str | None, name: str | None, since_ms: int = 0
    ) -> list[Metric]:
        """Every metric with data kept, in (namespace, name, dimensions) order; those of
        `namespace` / named `name` when given; with data since `since_ms` when given."""
        await self.wait_flush()

        def read(conn: sqlite3.Connection) -> list[Metric]:
            rows = conn.execute(
                "SELECT namespace, name, dimensions FROM metrics "
                "WHERE (? IS NULL OR namespace = ?) AND (? IS NULL OR name = ?) "
                "AND last_put >= ? ORDER BY namespace, name, dimensions",
                (namespace, namespace, name, name, max(since_ms, _oldest_kept())),
            ).fetchall()
            return [Metric(r[0], r[1], tuple(tuple(d) for d in orjson.loads(r[2]))) for r in rows]

        return await self._db.run(read)


def write(conn: sqlite3.Connection, data: Sequence[Datum]) -> None:
    """Write datapoints inside the caller's transaction."""
    ids: dict[Metric, int] = {}
    for m, s in data:
        found = ids.get(m)
        if found is None:
            dims = dimensions_json(m.dimensions)
            conn.execute(
                "INSERT INTO metrics (namespace, name, dimensions, last_put) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (namespace, name, dimensions) DO UPDATE SET "
                "last_put = MAX(last_put, excluded.last_put)",
                (m.namespace, m.name, dims, s.timestamp),
            )
            row = conn.execute(
                "SELECT id FROM metrics WHERE namespace = ? AND name = ? AND dimensions = ?",
                (m.namespace, m.name, dims),
            ).fetchone()
            found = ids[m] = int(row[0])
        else:
            conn.execute(
                "UPDATE metrics SET last_put = MAX(last_put, ?) WHERE id = ?", (s.timestamp, found)
            )
        values = None if s.values is None else orjson.dumps(s.values).decode()
        conn.execute(
            "INSERT INTO metric_data (metric_id, timestamp, sample_count, sum, minimum, maximum, "
            'unit, "values") VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
            (found, s.timestamp, s.count, s.sum, s.minimum, s.maximum, s.unit, values),
        )


def roll_up(conn: sqlite3.Connection, since: int) -> int:
    """Combine the datapoints of each metric, unit and minute from `since` to
    ROLL_UP_AFTER_MS ago into one; where the next roll-up starts."""
    until = (now_ms() - ROLL_UP_AFTER_MS) // MINUTE_MS * MINUTE_MS
    if until <= since:
        return since
    with transaction(conn):
        rows = conn.execute(
            "SELECT rowid, metric_id, timestamp, sample_count, sum, minimum, maximum, unit, "
            '"values" FROM metric_data WHERE timestamp >= ? AND timestamp < ?',
            (since, until),
        ).fetchall()
        groups: dict[tuple[int, int, str], list[tuple[int, Sample]]] = {}
        for r in rows:
            pairs = None if r[8] is None else [(p[0], p[1]) for p in orjson.loads(r[8])]
            sample = Sample(r[2], r[3], r[4], r[5], r[6], r[7], pairs)
            groups.setdefault((r[1], r[2] // MINUTE_MS, r[7]), []).append((r[0], sample))
        for (metric_id, minute, _), group in groups.items():
            if len(group) < 2:
                continue
            merged = combine(s for _, s in group)
            assert merged is not None  # (a group has samples)
            if merged.values is not None:  # the same value's counts added up
                counted: dict[float, float] = {}
                for v, c in merged.values:
                    counted[v] = counted.get(v, 0.0) + c
                merged.values = list(counted.items())
            conn.executemany("DELETE FROM metric_data WHERE rowid = ?", [(i,) for i, _ in group])
            kept = None if merged.values is None else orjson.dumps(merged.values).decode()
            conn.execute(
                'INSERT INTO metric_data (metric_id, timestamp, sample_count, sum, minimum, '
                'maximum, unit, "values") VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
                (metric_id, minute * MINUTE_MS, merged.count, merged.sum, merged.minimum,
                 merged.maximum, merged.unit, kept),
            )  # fmt: skip
    return until


def _in_transaction(conn: sqlite3.Connection, data: Sequence[Datum]) -> None:
    with transaction(conn):
        write(conn, data)


def _oldest_kept() -> int:
    return now_ms() - RETENTION_DAYS * DAY_MS


def _apply_retention(conn: sqlite3.Connection) -> None:
    with transaction(conn):
        oldest = _oldest_kept()
        conn.execute("DELETE FROM metric_data WHERE timestamp < ?", (oldest,))
        conn.execute("DELETE FROM metrics WHERE last_put < ?", (oldest,))


def now_ms() -> int:
    return int(time.time() * 1000)
