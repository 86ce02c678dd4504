"""CloudWatch's Embedded Metric Format: log lines that are also metrics.

A function (Powertools Metrics, the EMF client libraries, or by hand) prints one JSON object
per line:

    {"_aws": {"Timestamp": 1767225600000,
              "CloudWatchMetrics": [{"Namespace": "Orders",
                                     "Dimensions": [["service"], ["service", "stage"]],
                                     "Metrics": [{"Name": "Placed", "Unit": "Count"}]}]},
     "service": "orders", "stage": "prod", "Placed": 3}

and each named metric becomes a datapoint under each dimension set (the dimensions' values
and the metric's value, a number or a list of up to 100, are the object's own members), as
CloudWatch Logs extracts them. A line that is not EMF, or breaks its rules (no such member,
a value that is not a number, an AWS/ namespace, more than 100 metrics or 30 dimensions),
stays a plain log line and makes no metric: AWS drops those metrics too.

`EmfMetrics.stage` runs inside the transaction that writes a batch of log events (a stager
of the log store), so the metrics commit with the lines that carry them. A line without
`"_aws"` in it costs one substring search.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson

from .logs import LogEvent
from .metric_statistics import of_values
from .metrics import Datum, metric, write

MAX_METRICS = 100
MAX_DIMENSIONS = 30
MAX_VALUES = 100
_UNITS = frozenset(
    {"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
     "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
     "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
     "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
     "Gigabits/Second", "Terabits/Second", "Count/Second", "None"}
)  # fmt: skip


def parse(message: str, timestamp: int) -> list[Datum]:
    """The metrics of one log line (none when it is not valid EMF)."""
    if '"_aws"' not in message:
        return []
    start = message.find("{")
    try:
        document = orjson.loads(message[start:])
    except orjson.JSONDecodeError:
        return []
    if not isinstance(document, dict):
        return []
    try:
        return _metrics(document, timestamp)
    except (KeyError, TypeError, ValueError):
        return []


def _metrics(document: dict[str, Any], fallback: int) -> list[Datum]:
    aws = document["_aws"]
    at = aws.get("Timestamp", fallback)
    if not isinstance(at, int):
        raise TypeError(at)
    found: list[Datum] = []
    for directive in aws["CloudWatchMetrics"]:
        namespace = directive["Namespace"]
        if not isinstance(namespace, str) or not namespace or namespace.startswith("AWS/"):
            raise ValueError(namespace)
        definitions = directive["Metrics"]
        if len(definitions) > MAX_METRICS:
            raise ValueError(definitions)
        dimension_sets = [_dimensions(document, keys) for keys in directive.get("Dimensions", [])]
        for definition in definitions:
            name = definition["Name"]
            unit = definition.get("Unit", "None")
            if unit not in _UNITS:
                raise ValueError(unit)
            sample = of_values(at, _values(document[name]), unit)
            found += [(metric(namespace, name, dims), sample) for dims in dimension_sets or [[]]]
    return found


def _dimensions(document: dict[str, Any], keys: Sequence[str]) -> list[tuple[str, str]]:
    if len(keys) > MAX_DIMENSIONS:
        raise ValueError(keys)
    values = [(k, document[k]) for k in keys]
    if not all(isinstance(v, str) and v for _, v in values):
        raise ValueError(values)
    return values


def _values(raw: Any) -> list[tuple[float, float]]:
    items = raw if isinstance(raw, list) else [raw]
    if not items or len(items) > MAX_VALUES:
        raise ValueError(raw)
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in items):
        raise TypeError(raw)
    return [(float(v), 1.0) for v in items]


class EmfMetrics:
    """The log store's stager that writes the batch's EMF metrics with it."""

    def stage(self, conn: sqlite3.Connection, events: list[LogEvent]) -> None:
        data = [d for e in events for d in parse(e.message, e.timestamp)]
        if data:
            write(conn, data)
