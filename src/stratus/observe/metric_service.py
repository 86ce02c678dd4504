"""CloudWatch metrics' rules: what PutMetricData accepts, and the three ways to read.

Members arrive as the model names them (MetricData's items are dicts of MetricName,
Dimensions, Value | Values+Counts | StatisticValues, Unit, Timestamp, StorageResolution),
checked here against AWS's documented limits, refused in AWS's words:

    Namespace AWS/*                 InvalidParameterValue (reserved for AWS's own metrics)
    Value and StatisticValues       InvalidParameterCombination (mutually exclusive)
    Values without matching Counts  InvalidParameterValue
    more than 150 Values            InvalidParameterValue
    NaN, ±Infinity, |v| > 2^360     InvalidParameterValue
    Timestamp > 2 weeks old or > 2 h ahead   InvalidParameterValue
    StorageResolution not 1 or 60   InvalidParameterValue
    no value at all                 MissingParameter
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from stratus.errors import Invalid

from . import metric_math
from . import metric_statistics as stats
from .metric_statistics import Sample
from .metrics import Datum, Metric, MetricStore, metric, now_ms

MAX_VALUES = 150
MAX_DATA = 1000  # MetricData items per request
MAX_MAGNITUDE = 2.0**360
PAST_MS = 14 * 86_400_000
FUTURE_MS = 2 * 3_600_000
MAX_DATAPOINTS = 1440  # GetMetricStatistics' answer
LIST_PAGE = 500
RECENT_MS = 3 * 3_600_000  # RecentlyActive=PT3H


class InvalidCombination(Invalid):
    """InvalidParameterCombination: two members that exclude each other."""


class MissingParameter(Invalid):
    """MissingParameter: a member AWS requires in this combination."""


class InvalidToken(Invalid):
    """InvalidNextToken."""


@dataclass(frozen=True, slots=True)
class Series:
    """One query's answer: the periods' starts and values, in time order."""

    timestamps: list[int]
    values: list[float]


class MetricService:
    def __init__(self, store: MetricStore) -> None:
        self.store = store

    # --- writing -----------------------------------------------------------------------

    async def put(self, namespace: str, data: Sequence[Mapping[str, Any]]) -> None:
        if namespace.startswith("AWS/"):
            raise Invalid(f"The value {namespace} for parameter Namespace is invalid.")
        if not data:
            raise MissingParameter("The parameter MetricData is required.")
        if len(data) > MAX_DATA:
            raise Invalid(
                f"The collection MetricData must not have a size greater than {MAX_DATA}."
            )
        now = now_ms()
        await self.store.wait_put([_datum(namespace, d, i, now) for i, d in enumerate(data, 1)])

    # --- reading -----------------------------------------------------------------------

    async def statistics(
        self,
        wanted: Metric,
        start: datetime,
        end: datetime,
        period: int,
        statistics: Sequence[str],
        extended: Sequence[str],
        unit: str | None,
    ) -> list[dict[str, Any]]:
        """GetMetricStatistics' Datapoints."""
        if not statistics and not extended:
            raise MissingParameter("Must specify either Statistics or ExtendedStatistics.")
        if statistics and extended and len(statistics) + len(extended) > 5 + 10:
            raise InvalidCombination("Too many statistics requested.")
        for name in extended:
            if name in stats.STATISTICS:
                raise Invalid(f"The value {name} for parameter ExtendedStatistics is not valid.")
            stats.check_stat(name)
        start_ms, end_ms = _window(start, end, period)
        if (end_ms - start_ms) // (period * 1000) > MAX_DATAPOINTS:
            raise InvalidCombination(
                f"You have requested up to {(end_ms - start_ms) // (period * 1000)} datapoints, "
                f"which exceeds the limit of {MAX_DATAPOINTS}. You may reduce the datapoints "
                "requested by increasing Period, or decreasing the time range."
            )
        samples = await self.store.wait_samples(wanted, start_ms, end_ms)
        if unit is not None:
            samples = [s for s in samples if s.unit == unit]
        points = []
        for begin, combined in stats.by_period(samples, start_ms, end_ms, period).items():
            point: dict[str, Any] = {"Timestamp": at(begin), "Unit": combined.unit}
            for name in statistics:
                point[name] = stats.value(combined, name)
            if extended:
                found = {n: stats.value(combined, n) for n in extended}
                point["ExtendedStatistics"] = {k: v for k, v in found.items() if v is not None}
            points.append(point)
        return points

    async def series(
        self,
        wanted: Metric,
        start: datetime,
        end: datetime,
        period: int,
        stat: str,
        unit: str | None = None,
    ) -> Series:
        """One statistic of the metric per period (GetMetricData's MetricStat, alarms)."""
        stats.check_stat(stat)
        start_ms, end_ms = _window(start, end, period)
        return await self.series_ms(wanted, start_ms, end_ms, period, stat, unit)

    async def series_ms(
        self, wanted: Metric, start_ms: int, end_ms: int, period: int, stat: str,
        unit: str | None = None,
    ) -> Series:  # fmt: skip
        samples = await self.store.wait_samples(wanted, start_ms, end_ms)
        if unit is not None:
            samples = [s for s in samples if s.unit == unit]
        times, values = [], []
        for begin, combined in stats.by_period(samples, start_ms, end_ms, period).items():
            found = stats.value(combined, stat)
            if found is not None:
                times.append(begin)
                values.append(found)
        return Series(times, values)

    async def query(
        self, queries: Sequence[Mapping[str, Any]], start: datetime, end: datetime
    ) -> dict[str, Series]:
        """GetMetricData's queries, each Id's series: MetricStat queries read, then metric
        math (observe/metric_math.py) over them, in the order their Ids allow."""
        start_ms, end_ms = round(start.timestamp() * 1000), round(end.timestamp() * 1000)
        if start_ms >= end_ms:
            raise Invalid("The parameter StartTime must be less than the parameter EndTime.")
        return await self.query_ms(queries, start_ms, end_ms)

    async def query_ms(
        self, queries: Sequence[Mapping[str, Any]], start_ms: int, end_ms: int
    ) -> dict[str, Series]:
        found: dict[str, dict[int, float]] = {}
        stats_ids = []
        for q in queries:
            stat = q.get("MetricStat")
            if stat is None:
                continue
            m = stat["Metric"]
            if "Namespace" not in m or "MetricName" not in m:
                raise MissingParameter(
                    f"The query {q['Id']} must name the metric's Namespace and MetricName."
                )
            dims = [(d["Name"], d["Value"]) for d in m.get("Dimensions", ())]
            stats.check_stat(stat["Stat"])
            got = await self.series_ms(
                metric(m["Namespace"], m["MetricName"], dims), start_ms, end_ms,
                period_of(stat["Period"]), stat["Stat"], stat.get("Unit"),
            )  # fmt: skip
            found[q["Id"]] = dict(zip(got.timestamps, got.values, strict=True))
            stats_ids.append(q["Id"])
        waiting = [q for q in queries if "MetricStat" not in q]
        for q in waiting:
            if "Expression" not in q:
                raise MissingParameter(f"The query {q['Id']} must name either MetricStat or "
                                       "Expression.")  # fmt: skip
        while waiting:
            ready = [q for q in waiting if _names_known(q["Expression"], found)]
            if not ready:  # evaluating the first names what it lacks
                ready = waiting[:1]
            for q in ready:
                found[q["Id"]] = metric_math.evaluate(q["Expression"], found, stats_ids)
                waiting.remove(q)
        return {i: Series(sorted(p), [p[t] for t in sorted(p)]) for i, p in found.items()}

    async def list(
        self,
        namespace: str | None,
        name: str | None,
        filters: Sequence[tuple[str, str | None]],
        recently_active: bool,
    ) -> list[Metric]:
        """ListMetrics: the metrics that have every filtered dimension (with that value,
        when one is given)."""
        since = now_ms() - RECENT_MS if recently_active else 0
        found = await self.store.wait_metrics(namespace, name, since)
        return [m for m in found if _has_dimensions(m, filters)]


def period_of(value: int, what: str = "Period") -> int:
    """A period AWS takes: 1, 5, 10, 20, 30, or a multiple of 60 seconds."""
    if value in (1, 5, 10, 20, 30) or (value >= 60 and value % 60 == 0):
        return value
    raise Invalid(
        f"The parameter {what} must be 1, 5, 10, 20, 30, or any multiple of 60; got {value}."
    )


def _names_known(expression: str, found: Mapping[str, object]) -> bool:
    names = set(re.findall(r"\b[a-z][A-Za-z0-9_]*\b", expression))
    return names <= set(found)


def at(epoch_ms: int) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC)


def _window(start: datetime, end: datetime, period: int) -> tuple[int, int]:
    period_of(period)
    start_ms, end_ms = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    if start_ms >= end_ms:
        raise Invalid("The parameter StartTime must be less than the parameter EndTime.")
    return start_ms, end_ms


def _has_dimensions(m: Metric, filters: Sequence[tuple[str, str | None]]) -> bool:
    dims = dict(m.dimensions)
    return all(n in dims and (v is None or dims[n] == v) for n, v in filters)


def _datum(namespace: str, d: Mapping[str, Any], i: int, now: int) -> Datum:
    where = f"MetricData.member.{i}"
    dims = [(x["Name"], x["Value"]) for x in d.get("Dimensions", ())]
    if len({n for n, _ in dims}) != len(dims):
        raise Invalid(f"The parameter {where}.Dimensions has a dimension name more than once.")
    timestamp = now if d.get("Timestamp") is None else int(d["Timestamp"].timestamp() * 1000)
    if timestamp < now - PAST_MS or timestamp > now + FUTURE_MS:
        raise Invalid(
            f"The parameter {where}.Timestamp must specify a time no more than two weeks in "
            "the past and no more than two hours in the future."
        )
    if d.get("StorageResolution", 60) not in (1, 60):
        raise Invalid(f"The value {d['StorageResolution']} for parameter "
                      f"{where}.StorageResolution is invalid; it must be 1 or 60.")  # fmt: skip
    unit = d.get("Unit", "None")
    return metric(namespace, d["MetricName"], dims), _sample(d, where, timestamp, unit)


def _sample(d: Mapping[str, Any], where: str, timestamp: int, unit: str) -> Sample:
    given = [k for k in ("Value", "StatisticValues", "Values") if k in d]
    if len(given) > 1:
        raise InvalidCombination(
            f"The parameters {where}.{given[0]} and {where}.{given[1]} are mutually "
            "exclusive and you have specified both."
        )
    if "Counts" in d and "Values" not in d:
        raise InvalidCombination(f"The parameter {where}.Counts requires {where}.Values.")
    if not given:
        raise MissingParameter(f"The parameter {where}.Value is required.")
    if "Value" in d:
        return stats.of_values(timestamp, [(_finite(d["Value"], f"{where}.Value"), 1.0)], unit)
    if "StatisticValues" in d:
        sv = d["StatisticValues"]
        got = [_finite(sv[k], f"{where}.StatisticValues.{k}")
               for k in ("SampleCount", "Sum", "Minimum", "Maximum")]  # fmt: skip
        if got[0] <= 0 or got[2] > got[3]:
            raise Invalid(
                f"The parameter {where}.StatisticValues needs SampleCount > 0 and "
                "Minimum <= Maximum."
            )
        return Sample(timestamp, got[0], got[1], got[2], got[3], unit)
    values = d["Values"]
    counts = d.get("Counts", [1.0] * len(values))
    if len(values) > MAX_VALUES:
        raise Invalid(f"The parameter {where}.Values must not hold more than {MAX_VALUES} values.")
    if len(counts) != len(values):
        raise Invalid(f"The parameters {where}.Values and {where}.Counts must be of the same size.")
    if not values:
        raise MissingParameter(f"The parameter {where}.Values must not be empty.")
    pairs = [(_finite(v, f"{where}.Values"), _finite(c, f"{where}.Counts"))
             for v, c in zip(values, counts, strict=True)]  # fmt: skip
    return stats.of_values(timestamp, pairs, unit)


def _finite(v: float, where: str) -> float:
    if math.isnan(v) or math.isinf(v) or abs(v) > MAX_MAGNITUDE:
        raise Invalid(f"The value {v} for parameter {where} is invalid.")
    return float(v)
