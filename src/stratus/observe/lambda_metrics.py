"""Lambda's own metrics (namespace AWS/Lambda), gathered in memory by the invoker.

A warm invoke must not pay for a metric write, so the invoker only tallies: one dict
lookup and a few additions per invocation, keyed by (function, invoked ARN, executed
version). The metric store drains the tallies every second (`drain`, a `Source`) and
writes them as datapoints, as the log writer batches lines:

    Invocations           Count         one 1 per invocation (Sum = invocations)
    Errors                Count         1 per failed invocation, 0 per other (Average = rate)
    Duration              Milliseconds  each invocation's duration, to 0.01 ms (percentiles work)
    Throttles             Count         1 per throttled request
    ConcurrentExecutions  Count         the most running at once (read its Maximum)

each under the dimension sets Lambda publishes: none (the account), {FunctionName},
{FunctionName, Resource} for a qualified call (Resource `name:qualifier`), and
{FunctionName, Resource, ExecutedVersion} for a call through an alias.
ConcurrentExecutions has the first two only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .metric_statistics import Sample, combine, of_values
from .metrics import Datum, Metric, metric, now_ms

NAMESPACE = "AWS/Lambda"
Key = tuple[str, str, str]  # (function, invoked ARN, executed version)


@dataclass(slots=True)
class _Tally:
    invocations: int = 0
    errors: int = 0
    throttles: int = 0
    concurrent: int = 0
    # Durations in hundredths of a millisecond, with how often each occurred: a busy
    # second's thousands of invocations keep their percentiles in a few hundred entries.
    durations: dict[int, int] = field(default_factory=dict)


class FunctionMetrics:
    def __init__(self) -> None:
        self._tallies: dict[Key, _Tally] = {}

    def invoked(
        self, function: str, invoked_arn: str, version: str, duration_ms: float, failed: bool,
        running: int,
    ) -> None:  # fmt: skip
        tally = self._tallies.get((function, invoked_arn, version))
        if tally is None:
            tally = self._tallies[(function, invoked_arn, version)] = _Tally()
        tally.invocations += 1
        tally.errors += failed
        hundredths = int(duration_ms * 100)
        tally.durations[hundredths] = tally.durations.get(hundredths, 0) + 1
        if running > tally.concurrent:
            tally.concurrent = running

    def throttled(self, function: str, invoked_arn: str) -> None:
        tally = self._tallies.get((function, invoked_arn, ""))
        if tally is None:
            tally = self._tallies[(function, invoked_arn, "")] = _Tally()
        tally.throttles += 1

    def drain(self) -> list[Datum]:
        """The datapoints tallied since the last drain, one per metric and dimension set."""
        if not self._tallies:
            return []
        tallies, self._tallies = self._tallies, {}
        at = now_ms()
        found: dict[Metric, list[Sample]] = {}
        for (function, arn, version), tally in tallies.items():
            named = _samples(tally, at)  # (once: each dimension set shares them)
            for dims in _dimension_sets(function, arn, version):
                for name, sample in named:
                    if name == "ConcurrentExecutions" and len(dims) > 1:
                        continue
                    found.setdefault(metric(NAMESPACE, name, dims), []).append(sample)
        drained = []
        for m, group in found.items():
            merged = combine(group)
            if merged is not None:
                if m.name == "ConcurrentExecutions":  # the most at once, not their sum
                    merged = of_values(at, [(merged.maximum, 1.0)], "Count")
                drained.append((m, merged))
        return drained


def _dimension_sets(function: str, arn: str, version: str) -> list[list[tuple[str, str]]]:
    sets: list[list[tuple[str, str]]] = [[], [("FunctionName", function)]]
    parts = arn.split(":")
    qualifier = parts[7] if len(parts) > 7 else None
    if qualifier:
        resource = [("FunctionName", function), ("Resource", f"{function}:{qualifier}")]
        sets.append(resource)
        if version and qualifier != version and qualifier != "$LATEST":  # an alias
            sets.append([*resource, ("ExecutedVersion", version)])
    return sets


def _samples(t: _Tally, at: int) -> list[tuple[str, Sample]]:
    found = []
    if t.invocations:
        ok = t.invocations - t.errors
        errors = [(v, float(c)) for v, c in ((1.0, t.errors), (0.0, ok)) if c]
        found += [
            ("Invocations", of_values(at, [(1.0, float(t.invocations))], "Count")),
            ("Errors", of_values(at, errors, "Count")),
            (
                "Duration",
                of_values(
                    at, [(h / 100, float(c)) for h, c in t.durations.items()], "Milliseconds"
                ),
            ),
            ("ConcurrentExecutions", of_values(at, [(float(t.concurrent), 1.0)], "Count")),
        ]
    if t.throttles:
        found.append(("Throttles", of_values(at, [(1.0, float(t.throttles))], "Count")))
    return found
