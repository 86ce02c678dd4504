"""Version 2 of the functions' tables: queued async events and destination deliveries move
from their own tables into the work queue, nothing lost, every field kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from stratus.functions.async_event import AsyncEvent
from stratus.functions.schema import ASYNC_EVENTS, DELIVERIES
from stratus.runtime.spec import InvokeResult
from stratus.services import SCHEMAS
from stratus.store.clock import ManualClock
from stratus.store.db import Database
from stratus.store.work import WorkQueue

# What the functions' version 1 kept its queued work in.
VERSION_1 = """
CREATE TABLE async_invocations (
    id            TEXT PRIMARY KEY,
    function_name TEXT NOT NULL,
    qualifier     TEXT NOT NULL,
    payload       BLOB NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    not_before    REAL NOT NULL,
    received      REAL NOT NULL,
    last_response BLOB,
    last_version  TEXT,
    last_error    TEXT
);
CREATE TABLE destination_deliveries (
    id         TEXT PRIMARY KEY,
    target     TEXT NOT NULL,
    payload    BLOB NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL
);
CREATE TABLE schemas (name TEXT PRIMARY KEY, version INTEGER);
INSERT INTO schemas VALUES ('functions', 1);
INSERT INTO async_invocations VALUES ('fresh', 'f', '$LATEST', '{"a": 1}', 0, 100.0, 100.0,
                                      NULL, NULL, NULL);
INSERT INTO async_invocations VALUES ('retried', 'g', 'live', x'00ff', 2, 500.0, 90.0,
                                      '{"errorType": "E"}', '3', 'Unhandled');
INSERT INTO destination_deliveries VALUES ('d1', 'arn:aws:lambda:us-east-1:000000000000:function:h',
                                           '{"version": "1.0"}', 1, 200.0);
PRAGMA user_version = 6;
"""


def write_version_1(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.executescript(VERSION_1)


def test_queued_work_of_version_1_moves_into_the_work_queue(tmp_path):
    """Each async event becomes a work item with the same id, function (subject), due time
    and stored fields (runs, the last answer); each delivery keeps its target and its
    attempts; the old tables are gone."""
    path = tmp_path / "stratus.db"
    write_version_1(path)
    db = Database(path, SCHEMAS)
    queue = WorkQueue(db, ManualClock(start=1000.0))

    def claim_all(conn: sqlite3.Connection) -> list:
        return queue.claim(conn, ASYNC_EVENTS, 10) + queue.claim(conn, DELIVERIES, 10)

    fresh, retried, delivery = db.run_blocking(claim_all)
    tables = db.run_blocking(
        lambda conn: {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    )
    db.close()

    assert (fresh.id, fresh.subject, fresh.attempts) == ("fresh", "f", 1)
    assert AsyncEvent.decode(fresh.payload) == AsyncEvent("$LATEST", b'{"a": 1}', 100.0)
    assert (retried.id, retried.subject) == ("retried", "g")
    assert AsyncEvent.decode(retried.payload) == AsyncEvent(
        "live", b"\x00\xff", 90.0, 2, InvokeResult(b'{"errorType": "E"}', "3", "Unhandled")
    )
    assert (delivery.id, delivery.subject, delivery.payload, delivery.attempts) == (
        "d1",
        "arn:aws:lambda:us-east-1:000000000000:function:h",
        b'{"version": "1.0"}',
        2,  # one attempt before, and this claim
    )
    assert not tables & {"async_invocations", "destination_deliveries"}
