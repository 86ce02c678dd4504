"""An alarm's verdict over its last periods: pure, no I/O (alarms/service.py drives it).

The alarm looks at its last EvaluationPeriods periods, newest ending now, each reduced to
one value by its statistic (None: no datapoint). A value breaches when it compares true with
the threshold. Missing values are treated as TreatMissingData says:

    missing       (the default) left out; all missing is INSUFFICIENT_DATA
    ignore        left out; all missing keeps the current state
    breaching     count as breaching
    notBreaching  count as not breaching

ALARM when at least DatapointsToAlarm values breach, else OK. The reason and its JSON data
are in AWS's words ("Threshold Crossed: 1 datapoint [3.0 (08/12/26 00:55:00)] was greater
than or equal to the threshold (1.0).").
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

OK, ALARM, INSUFFICIENT = "OK", "ALARM", "INSUFFICIENT_DATA"
COMPARISONS: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (operator.ge, "greater than or equal to"),
    "GreaterThanThreshold": (operator.gt, "greater than"),
    "LessThanThreshold": (operator.lt, "less than"),
    "LessThanOrEqualToThreshold": (operator.le, "less than or equal to"),
}
TREATMENTS = ("missing", "ignore", "breaching", "notBreaching")


@dataclass(frozen=True, slots=True)
class Verdict:
    state: str | None  # None: keep the current state (ignore, all missing)
    reason: str
    reason_data: dict[str, Any]


def judge(
    config: dict[str, Any],
    periods: Sequence[tuple[int, float | None]],
    now_ms: int,
    stat: str,
    period: int,
) -> Verdict:
    """`periods`: (start epoch ms, value or None), oldest first, `period` seconds each."""
    compare, words = COMPARISONS[config["ComparisonOperator"]]
    threshold = float(config["Threshold"])
    needed = int(config.get("DatapointsToAlarm") or config["EvaluationPeriods"])
    treat = config.get("TreatMissingData", "missing")
    present = [(at, v) for at, v in periods if v is not None]
    missing = len(periods) - len(present)
    data = {
        "version": "1.0",
        "queryDate": _iso(now_ms),
        "startDate": _iso(periods[0][0]) if periods else _iso(now_ms),
        "statistic": stat,
        "period": period,
        "recentDatapoints": [v for _, v in present],
        "threshold": threshold,
        "evaluatedDatapoints": [{"timestamp": _iso(at), "value": v} for at, v in reversed(present)],
    }
    if not present and treat in ("missing", "ignore"):
        reason = f"Insufficient Data: {_count(len(periods))} {_was(len(periods))} unknown."
        return Verdict(None if treat == "ignore" else INSUFFICIENT, reason, data)
    breaching = sum(1 for _, v in present if compare(v, threshold))
    if treat == "breaching":
        breaching += missing
    state = ALARM if breaching >= needed else OK
    shown = ", ".join(f"{v} ({_short(at)})" for at, v in reversed(present))
    total = len(present) if treat in ("missing", "ignore") else len(periods)
    counted = breaching if state == ALARM else total - breaching
    if len(periods) == 1:
        prefix = f"1 datapoint [{shown}]" if present else "1 missing datapoint"
    else:
        prefix = f"{counted} out of the last {len(periods)} datapoints [{shown}]"
    verb = "was" if (len(periods) == 1 or counted == 1) else "were"
    negation = "" if state == ALARM else "not "
    reason = f"Threshold Crossed: {prefix} {verb} {negation}{words} the threshold ({threshold})"
    if len(periods) > 1:
        reason += f" (minimum {needed} datapoint{'s' if needed > 1 else ''} for OK -> ALARM "
        reason += "transition)"
    return Verdict(state, reason + ".", data)


def _count(n: int) -> str:
    return f"{n} datapoint{'s' if n != 1 else ''}"


def _was(n: int) -> str:
    return "was" if n == 1 else "were"


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"


def _short(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%d/%m/%y %H:%M:%S")
