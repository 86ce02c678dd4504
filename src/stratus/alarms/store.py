"""Alarms and their history in the database (tables in observe/metrics_schema.py, beside the
metrics they watch). An alarm is its PutMetricAlarm members as JSON plus its state; history
items are kept 30 days, as on AWS, also after the alarm is deleted."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from stratus.errors import NotFound
from stratus.store.db import Database, transaction

HISTORY_DAYS = 30


@dataclass(frozen=True, slots=True)
class State:
    value: str
    reason: str
    reason_data: str | None
    updated_ms: int  # the state's last update (also a re-evaluation that kept it)
    transitioned_ms: int  # the last change of value


@dataclass(frozen=True, slots=True)
class Alarm:
    name: str
    config: dict[str, Any]  # PutMetricAlarm's members, plus ConfigUpdated (epoch ms)
    state: State


@dataclass(frozen=True, slots=True)
class HistoryItem:
    name: str
    timestamp: int
    kind: str
    summary: str
    data: str


def not_found(name: str) -> NotFound:
    return NotFound(f"Alarm {name} not found")


class AlarmStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def wait_all(self, names: Sequence[str] | None = None) -> list[Alarm]:
        """Every alarm in name order, or those named (that exist)."""

        def read(conn: sqlite3.Connection) -> list[Alarm]:
            rows = conn.execute("SELECT name, config, state FROM alarms ORDER BY name").fetchall()
            wanted = None if names is None else set(names)
            return [_alarm(r) for r in rows if wanted is None or r[0] in wanted]

        return await self._db.run(read)

    async def wait_put(self, alarm: Alarm, metric_key: str | None, history: HistoryItem) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO alarms (name, config, state, metric_key) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET config = excluded.config, "
                    "metric_key = excluded.metric_key",
                    (alarm.name, _dumps(alarm.config), _dumps(_state_json(alarm.state)),
                     metric_key),
                )  # fmt: skip
                _add_history(conn, [history])

        await self._db.run(write)

    async def wait_set_state(
        self, name: str, state: State, history: Sequence[HistoryItem]
    ) -> Alarm | None:
        """The alarm before its new state (None: deleted meanwhile)."""

        def write(conn: sqlite3.Connection) -> Alarm | None:
            with transaction(conn):
                row = conn.execute(
                    "SELECT name, config, state FROM alarms WHERE name = ?", (name,)
                ).fetchone()
                if row is None:
                    return None
                conn.execute(
                    "UPDATE alarms SET state = ? WHERE name = ?",
                    (_dumps(_state_json(state)), name),
                )
                _add_history(conn, history)
                return _alarm(row)

        return await self._db.run(write)

    async def wait_update_config(self, names: Sequence[str], changes: dict[str, Any]) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                for name in names:
                    row = conn.execute("SELECT config FROM alarms WHERE name = ?", (name,))
                    found = row.fetchone()
                    if found is not None:
                        config = {**orjson.loads(found[0]), **changes}
                        conn.execute(
                            "UPDATE alarms SET config = ? WHERE name = ?", (_dumps(config), name)
                        )

        await self._db.run(write)

    async def wait_delete(self, names: Sequence[str], history: Sequence[HistoryItem]) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                for name in names:
                    if not conn.execute("SELECT 1 FROM alarms WHERE name = ?", (name,)).fetchone():
                        raise not_found(name)
                conn.executemany("DELETE FROM alarms WHERE name = ?", [(n,) for n in names])
                _add_history(conn, history)

        await self._db.run(write)

    async def wait_add_history(self, items: Sequence[HistoryItem]) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                _add_history(conn, items)

        await self._db.run(write)

    async def wait_history(
        self, name: str | None, kind: str | None, start_ms: int, end_ms: int
    ) -> list[HistoryItem]:
        """Oldest first."""

        def read(conn: sqlite3.Connection) -> list[HistoryItem]:
            rows = conn.execute(
                "SELECT name, timestamp, kind, summary, data FROM alarm_history "
                "WHERE (? IS NULL OR name = ?) AND (? IS NULL OR kind = ?) "
                "AND timestamp >= ? AND timestamp < ? ORDER BY id",
                (name, name, kind, kind, max(start_ms, _history_kept()), end_ms),
            ).fetchall()
            return [HistoryItem(*r) for r in rows]

        return await self._db.run(read)


def _add_history(conn: sqlite3.Connection, items: Sequence[HistoryItem]) -> None:
    conn.executemany(
        "INSERT INTO alarm_history (name, timestamp, kind, summary, data) VALUES (?, ?, ?, ?, ?)",
        [(i.name, i.timestamp, i.kind, i.summary, i.data) for i in items],
    )
    conn.execute("DELETE FROM alarm_history WHERE timestamp < ?", (_history_kept(),))


def _history_kept() -> int:
    return int(time.time() * 1000) - HISTORY_DAYS * 86_400_000


def _alarm(row: tuple[str, str, str]) -> Alarm:
    state = orjson.loads(row[2])
    return Alarm(row[0], orjson.loads(row[1]), State(**state))


def _state_json(state: State) -> dict[str, Any]:
    return {
        "value": state.value,
        "reason": state.reason,
        "reason_data": state.reason_data,
        "updated_ms": state.updated_ms,
        "transitioned_ms": state.transitioned_ms,
    }


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()
