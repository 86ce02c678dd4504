"""CloudWatch Logs' metric filters, published: log lines a group's metric filter matches
become datapoints of its metric transformations, as CloudWatch Logs publishes them.

    metricValue   "1" (a number), "$.latency" (a JSON message's value) or "$size" / "$3"
                  (a space-delimited pattern's field by name or position)
    defaultValue  published for each line of the group the pattern does not match
    dimensions    {name: "$.field" | "$field"}: the extracted values (a line whose dimension
                  or value is missing, or not a number, publishes nothing)
    unit          the datapoints' unit

A stager of the log store, like the EMF one: the datapoints commit with the lines, one per
metric per second of the lines' timestamps (values with their counts).
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Mapping
from typing import Any

import orjson

from . import filter_patterns
from .logs import LogEvent
from .metric_statistics import of_values
from .metrics import Datum, Metric, metric, write

PATTERNS_KEPT = 256


class MetricFilterMetrics:
    def __init__(self) -> None:
        self._patterns: dict[str, filter_patterns.Pattern] = {}

    def stage(self, conn: sqlite3.Connection, events: list[LogEvent]) -> None:
        groups = {e.log_group for e in events}
        filters = [
            orjson.loads(config)
            for group, config in conn.execute(
                "SELECT log_group, config FROM log_filters WHERE kind = 'metric'"
            ).fetchall()
            if group in groups
        ]
        if not filters:
            return
        values: dict[tuple[Metric, int, str], dict[float, float]] = {}
        for config in filters:
            pattern = self._pattern(config["filterPattern"])
            for event in events:
                if event.log_group == config["logGroupName"]:
                    found = pattern.match(event.message)
                    for t in config["metricTransformations"]:
                        _publish(values, t, event, found)
        data: list[Datum] = [
            (m, of_values(second * 1000, list(counted.items()), unit))
            for (m, second, unit), counted in values.items()
        ]
        write(conn, data)

    def _pattern(self, text: str) -> filter_patterns.Pattern:
        found = self._patterns.get(text)
        if found is None:
            if len(self._patterns) >= PATTERNS_KEPT:
                self._patterns.clear()
            found = self._patterns[text] = filter_patterns.compile(text)
        return found


def _publish(
    values: dict[tuple[Metric, int, str], dict[float, float]],
    t: Mapping[str, Any],
    event: LogEvent,
    found: filter_patterns.Values | None,
) -> None:
    if found is None:
        if t.get("defaultValue") is None:
            return
        value: float | None = float(t["defaultValue"])
        dims: list[tuple[str, str]] | None = []  # (AWS: no default with dimensions)
    else:
        value = _number(_extract(str(t["metricValue"]), event.message, found))
        dims = _dimensions(t.get("dimensions") or {}, event.message, found)
    if value is None or dims is None:
        return
    key = (metric(t["metricNamespace"], t["metricName"], dims), event.timestamp // 1000,
           t.get("unit", "None"))  # fmt: skip
    counted = values.setdefault(key, {})
    counted[value] = counted.get(value, 0.0) + 1.0


def _extract(spec: str, message: str, found: filter_patterns.Values) -> object | None:
    if not spec.startswith("$"):
        return spec
    if spec.startswith("$."):
        return filter_patterns.json_value(message, spec)
    return found.get(spec[1:], found.get(spec))


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _dimensions(
    specs: Mapping[str, str], message: str, found: filter_patterns.Values
) -> list[tuple[str, str]] | None:
    dims = []
    for name, spec in specs.items():
        value = _extract(spec, message, found)
        if value is None or isinstance(value, dict | list):
            return None
        dims.append((name, str(value)))
    return dims
