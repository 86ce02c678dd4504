"""SQL for event source mappings (schema.py)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from .model import EventSourceMapping


def _mapping(row: sqlite3.Row, arn_prefix: str) -> EventSourceMapping:
    settings = json.loads(row["settings"])
    return EventSourceMapping(
        uuid=row["uuid"],
        arn=arn_prefix + row["uuid"],
        source_arn=row["source_arn"],
        function_arn=row["function_arn"],
        batch_size=settings["BatchSize"],
        window=settings["MaximumBatchingWindowInSeconds"],
        filters=tuple(settings["Filters"]),
        max_concurrency=settings["MaximumConcurrency"],
        response_types=tuple(settings["FunctionResponseTypes"]),
        enabled=bool(row["enabled"]),
        modified=row["modified"],
        tags=settings.get("Tags") or {},
        starting_position=settings.get("StartingPosition"),
        parallelization=settings.get("ParallelizationFactor", 1),
        bisect=settings.get("BisectBatchOnFunctionError", False),
        max_retries=settings.get("MaximumRetryAttempts", -1),
        max_record_age=settings.get("MaximumRecordAgeInSeconds", -1),
        tumbling_window=settings.get("TumblingWindowInSeconds", 0),
        on_failure=settings.get("OnFailure"),
    )


def all_mappings(conn: sqlite3.Connection, arn_prefix: str) -> list[EventSourceMapping]:
    rows = conn.execute("SELECT * FROM event_source_mappings ORDER BY seq").fetchall()
    return [_mapping(row, arn_prefix) for row in rows]


def insert(conn: sqlite3.Connection, mapping: EventSourceMapping) -> None:
    conn.execute(
        "INSERT INTO event_source_mappings "
        "(source_arn, function_arn, enabled, settings, modified, uuid) VALUES (?, ?, ?, ?, ?, ?)",
        _values(mapping),
    )


def update(conn: sqlite3.Connection, mapping: EventSourceMapping) -> bool:
    """Whether the mapping was still there to update (a delete may have come first)."""
    changed = conn.execute(
        "UPDATE event_source_mappings SET source_arn = ?, function_arn = ?, enabled = ?, "
        "settings = ?, modified = ? WHERE uuid = ?",
        _values(mapping),
    ).rowcount
    return bool(changed)


def _values(mapping: EventSourceMapping) -> tuple[str, str, int, str, float, str]:
    return (
        mapping.source_arn,
        mapping.function_arn,
        int(mapping.enabled),
        json.dumps(mapping.row()),
        mapping.modified,
        mapping.uuid,
    )


def delete(conn: sqlite3.Connection, uuid: str) -> None:
    conn.execute("DELETE FROM event_source_mappings WHERE uuid = ?", (uuid,))
    conn.execute("DELETE FROM event_source_mapping_lanes WHERE uuid = ?", (uuid,))


# ---- stream checkpoints (streams only) -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lane:
    """Where one lane of a stream mapping stands: every record of the lane up to
    `position` (a sequence number) is done; with a tumbling window, the window open and the
    state the function last answered for it."""

    position: int
    window_start: float | None = None
    state: Any = None


def lanes(conn: sqlite3.Connection, uuid: str) -> dict[int, Lane]:
    rows = conn.execute(
        "SELECT lane, position, window_start, state FROM event_source_mapping_lanes WHERE uuid = ?",
        (uuid,),
    )
    return {r[0]: Lane(r[1], r[2], None if r[3] is None else json.loads(r[3])) for r in rows}


def save_lane(conn: sqlite3.Connection, uuid: str, lane: int, at: Lane) -> None:
    # Only while the mapping exists: a poller finishing its last batch after a Delete
    # leaves no row behind.
    conn.execute(
        "INSERT OR REPLACE INTO event_source_mapping_lanes SELECT ?, ?, ?, ?, ? "
        "WHERE EXISTS (SELECT 1 FROM event_source_mappings WHERE uuid = ?)",
        (uuid, lane, at.position, at.window_start,
         None if at.state is None else json.dumps(at.state), uuid),
    )  # fmt: skip


def reset_lanes(conn: sqlite3.Connection, uuid: str, count: int) -> None:
    """A new ParallelizationFactor: records go to other lanes, so every lane starts again
    from the least advanced one (records past it in some lane come again: at-least-once)."""
    found = lanes(conn, uuid)
    if set(found) == set(range(count)):
        return
    start = min((lane.position for lane in found.values()), default=0)
    conn.execute("DELETE FROM event_source_mapping_lanes WHERE uuid = ?", (uuid,))
    for lane in range(count):
        save_lane(conn, uuid, lane, Lane(start))
