"""CloudWatch's statistics over stored datapoints: pure, no I/O.

A datapoint (`Sample`) is a statistic set (count, sum, minimum, maximum) and, when its
values were sent one by one (Value, Values/Counts, Lambda's Duration, EMF), the values with
their counts. Samples fall in periods counted from the start of the query:

    period k = [start + k * period, start + (k + 1) * period)

and each period's samples combine into one set, from which a statistic is read:
SampleCount, Sum, Average, Minimum, Maximum, or a percentile pNN(.NN) (nearest rank over the
values; None where a sample of the period was a statistic set without values, as AWS gives
no percentile for those).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from stratus.errors import Invalid

STATISTICS = ("SampleCount", "Average", "Sum", "Minimum", "Maximum")
_PERCENTILE = re.compile(r"p(\d{1,2}(\.\d{0,2})?|100(\.0{0,2})?)")


@dataclass(slots=True)
class Sample:
    timestamp: int  # epoch milliseconds
    count: float
    sum: float
    minimum: float
    maximum: float
    unit: str = "None"
    values: list[tuple[float, float]] | None = None  # (value, count), when known


def of_values(timestamp: int, pairs: Sequence[tuple[float, float]], unit: str = "None") -> Sample:
    """The sample of values sent one by one (each with how many times it occurred)."""
    count = sum(c for _, c in pairs)
    total = sum(v * c for v, c in pairs)
    values = [v for v, _ in pairs]
    return Sample(timestamp, count, total, min(values), max(values), unit, list(pairs))


def combine(samples: Iterable[Sample]) -> Sample | None:
    """One sample of many (None of none)."""
    merged: Sample | None = None
    for s in samples:
        if merged is None:
            merged = Sample(s.timestamp, s.count, s.sum, s.minimum, s.maximum, s.unit,
                            None if s.values is None else list(s.values))  # fmt: skip
            continue
        merged.count += s.count
        merged.sum += s.sum
        merged.minimum = min(merged.minimum, s.minimum)
        merged.maximum = max(merged.maximum, s.maximum)
        if merged.values is not None and s.values is not None:
            merged.values.extend(s.values)
        else:
            merged.values = None
    return merged


def check_stat(stat: str) -> str:
    """A statistic Stratus computes, as named; Invalid (in AWS's words) for the others."""
    if stat in STATISTICS or _PERCENTILE.fullmatch(stat):
        return stat
    raise Invalid(
        f"The value {stat} for parameter Stat is not supported: Stratus computes "
        f"{', '.join(STATISTICS)} and percentiles pNN.NN."
    )


def value(sample: Sample, stat: str) -> float | None:
    """The statistic `stat` of a combined sample."""
    if stat == "SampleCount":
        return sample.count
    if stat == "Sum":
        return sample.sum
    if stat == "Average":
        return sample.sum / sample.count if sample.count else None
    if stat == "Minimum":
        return sample.minimum
    if stat == "Maximum":
        return sample.maximum
    return percentile(sample, float(stat[1:]))


def percentile(sample: Sample, p: float) -> float | None:
    """Nearest rank over the sample's values (None without them)."""
    if not sample.values:
        return None
    ordered = sorted(sample.values)
    total = sum(c for _, c in ordered)
    rank = max(math.ceil(p / 100 * total), 1)
    seen = 0.0
    for v, c in ordered:
        seen += c
        if seen >= rank:
            return v
    return ordered[-1][0]


def by_period(
    samples: Iterable[Sample], start_ms: int, end_ms: int, period_s: int
) -> dict[int, Sample]:
    """Each period's combined sample, keyed by the period's start (epoch ms); periods
    without samples are absent."""
    span = period_s * 1000
    grouped: dict[int, list[Sample]] = {}
    for s in samples:
        if start_ms <= s.timestamp < end_ms:
            begin = start_ms + (s.timestamp - start_ms) // span * span
            grouped.setdefault(begin, []).append(s)
    combined = {begin: combine(group) for begin, group in grouped.items()}
    return {begin: s for begin, s in sorted(combined.items()) if s is not None}
