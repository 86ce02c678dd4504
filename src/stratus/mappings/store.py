"""SQL for event source mappings (schema.py)."""

from __future__ import annotations

import json
import sqlite3

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
