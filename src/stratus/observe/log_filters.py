"""A log group's metric filters and subscription filters: named filter patterns, stored with
the group (deleted with it), each a Describe*Filters item kept as JSON.

Metric filters are stored and their patterns checked; Stratus serves no CloudWatch metrics
API, so no metric is published. Subscription filters are delivered by stratus.bridges
(LogSubscriptions), which reads them here.
"""

from __future__ import annotations

import base64
import gzip
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import orjson

from stratus.errors import Conflict, NotFound
from stratus.store.db import Database, transaction

from . import filter_patterns

if TYPE_CHECKING:  # logs.py imports this module
    from .logs import LogEvent

GROUP_MISSING = "The specified log group does not exist."

Kind = Literal["metric", "subscription"]
# AWS's quotas: 100 metric filters and 2 subscription filters per log group.
LIMITS: dict[Kind, int] = {"metric": 100, "subscription": 2}


class LimitExceeded(Conflict):
    """Logs answers LimitExceededException (400) when a group has all its filters."""


class LogFilters:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, kind: Kind, log_group: str, name: str, config: dict[str, Any]) -> None:
        """Create or replace; the pattern must compile (InvalidParameterException if not)."""
        filter_patterns.compile(config.get("filterPattern"))

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if not conn.execute(
                    "SELECT 1 FROM log_groups WHERE name = ?", (log_group,)
                ).fetchone():
                    raise NotFound(GROUP_MISSING)
                others = conn.execute(
                    "SELECT COUNT(*) FROM log_filters WHERE log_group = ? AND kind = ? "
                    "AND name != ?",
                    (log_group, kind, name),
                ).fetchone()[0]
                if others >= LIMITS[kind]:
                    raise LimitExceeded(f"Resource limit exceeded: {LIMITS[kind]} {kind} filters")
                conn.execute(
                    "INSERT OR REPLACE INTO log_filters (log_group, kind, name, config) "
                    "VALUES (?, ?, ?, ?)",
                    (log_group, kind, name, orjson.dumps(config).decode()),
                )

        await self._db.run(write)

    def subscriptions(self, conn: sqlite3.Connection, groups: set[str]) -> list[dict[str, Any]]:
        """The subscription filters of these groups, read inside the caller's transaction."""
        rows = conn.execute(
            "SELECT log_group, config FROM log_filters WHERE kind = 'subscription' "
            "ORDER BY log_group, name"
        ).fetchall()
        return [orjson.loads(row[1]) for row in rows if row[0] in groups]

    async def delete(self, kind: Kind, log_group: str, name: str) -> None:
        def remove(conn: sqlite3.Connection) -> None:
            gone = conn.execute(
                "DELETE FROM log_filters WHERE log_group = ? AND kind = ? AND name = ?",
                (log_group, kind, name),
            ).rowcount
            if not gone:
                raise NotFound("The specified resource does not exist.")

        await self._db.run(remove)

    async def describe(
        self, kind: Kind, log_group: str | None = None, prefix: str = ""
    ) -> list[dict[str, Any]]:
        """The filters, by group then name; of one group, or every group's."""

        def read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            if (
                log_group is not None
                and not conn.execute(
                    "SELECT 1 FROM log_groups WHERE name = ?", (log_group,)
                ).fetchone()
            ):
                raise NotFound(GROUP_MISSING)
            rows = conn.execute(
                "SELECT config FROM log_filters WHERE kind = ? AND (? IS NULL OR log_group = ?) "
                "ORDER BY log_group, name",
                (kind, log_group, log_group),
            ).fetchall()
            found = [orjson.loads(row[0]) for row in rows]
            return [f for f in found if str(f.get("filterName", "")).startswith(prefix)]

        return await self._db.run(read)


def subscription_event(
    owner: str, group: str, stream: str, filter_names: Sequence[str], events: Sequence[LogEvent]
) -> dict[str, Any]:
    """What a subscribed function gets: `{"awslogs": {"data": base64(gzip(json))}}`."""
    message = {
        "messageType": "DATA_MESSAGE",
        "owner": owner,
        "logGroup": group,
        "logStream": stream,
        "subscriptionFilters": list(filter_names),
        "logEvents": [
            {"id": str(e.id), "timestamp": e.timestamp, "message": e.message} for e in events
        ],
    }
    return {"awslogs": {"data": base64.b64encode(gzip.compress(orjson.dumps(message))).decode()}}
