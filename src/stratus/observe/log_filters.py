"""A log group's metric filters and subscription filters: named filter patterns, stored with
the group (deleted with it), each a Describe*Filters item kept as JSON.

Metric filters are stored and their patterns checked; the lines they match publish their
metrics (metric_filters.py). Subscription filters are delivered by stratus.bridges
(LogSubscriptions), which reads them here.
"""

from __future__ import annotations

import base64
import gzip
import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import orjson

from stratus.errors import Conflict, Invalid, NotFound
from stratus.store.db import Database, transaction

from . import filter_patterns

if TYPE_CHECKING:  # logs.py imports this module
    from .logs import LogEvent

GROUP_MISSING = "The specified log group does not exist."

Kind = Literal["metric", "subscription"]
# AWS's quotas: 100 metric filters and 2 subscription filters per log group.
LIMITS: dict[Kind, int] = {"metric": 100, "subscription": 2}


# What a metric transformation holds, with AWS's defaults left out when unset.
_TRANSFORMATION = (
    "metricName",
    "metricNamespace",
    "metricValue",
    "defaultValue",
    "dimensions",
    "unit",
)


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


def metric_filter(
    log_group: str,
    name: str,
    pattern: str,
    transformations: Sequence[dict[str, Any]],
    *,
    on_transformed: bool,
    now_ms: int,
) -> dict[str, Any]:
    """A metric filter as DescribeMetricFilters lists it (PutMetricFilter and the template's
    AWS::Logs::MetricFilter both make one); each metric value must be a number or a $field."""
    for t in transformations:
        value = str(t["metricValue"])
        if not (value.startswith("$") or _is_number(value)):
            raise Invalid(f"Invalid metric value: {value} (a number or a $field of the pattern)")
    return {
        "filterName": name,
        "filterPattern": pattern,
        "metricTransformations": [
            {k: t[k] for k in _TRANSFORMATION if t.get(k) is not None} for t in transformations
        ],
        "creationTime": now_ms,
        "logGroupName": log_group,
        "applyOnTransformedLogs": on_transformed,
    }


def subscription_filter(
    log_group: str,
    name: str,
    pattern: str,
    destination: str,
    *,
    distribution: str | None,
    role: str | None,
    on_transformed: bool,
    now_ms: int,
) -> dict[str, Any]:
    """A subscription filter as DescribeSubscriptionFilters lists it. Its destination must be
    a Lambda function (stratus.bridges checks that it exists)."""
    if ":lambda:" not in destination or ":function:" not in destination:
        raise Invalid(
            f"Stratus delivers subscription filters to Lambda functions only, not {destination}"
        )
    config: dict[str, Any] = {
        "filterName": name,
        "logGroupName": log_group,
        "filterPattern": pattern,
        "destinationArn": destination,
        "distribution": distribution or "ByLogStream",
        "applyOnTransformedLogs": on_transformed,
        "creationTime": now_ms,
    }
    if role:
        config["roleArn"] = role
    return config


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


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
