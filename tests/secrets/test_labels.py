"""The staging label rules and the rotation schedule, as pure functions."""

from __future__ import annotations

import pytest

from stratus.secrets.labels import attach, unfinished
from stratus.secrets.model import LimitExceeded, Version
from stratus.secrets.rotation import interval_s


def versions(*stages: list[str]) -> list[Version]:
    return [Version(f"v{i}", float(i), list(s), "sealed") for i, s in enumerate(stages)]


@pytest.mark.parametrize(
    ("before", "target", "label", "after"),
    [
        # AWSCURRENT moving leaves AWSPREVIOUS where it was, taken from wherever it was.
        ([["AWSPREVIOUS"], ["AWSCURRENT"], []], 2, "AWSCURRENT",
         [[], ["AWSPREVIOUS"], ["AWSCURRENT"]]),
        # Moving AWSCURRENT to the AWSPREVIOUS version swaps them.
        ([["AWSPREVIOUS"], ["AWSCURRENT"]], 0, "AWSCURRENT", [["AWSCURRENT"], ["AWSPREVIOUS"]]),
        # Any other label just moves.
        ([["blue", "AWSCURRENT"], []], 1, "blue", [["AWSCURRENT"], ["blue"]]),
        # Already there: nothing changes.
        ([["AWSCURRENT"]], 0, "AWSCURRENT", [["AWSCURRENT"]]),
        # A rotation's new version keeps AWSPENDING beside AWSCURRENT until it is finished.
        ([["AWSCURRENT"], ["AWSPENDING"]], 1, "AWSCURRENT",
         [["AWSPREVIOUS"], ["AWSPENDING", "AWSCURRENT"]]),
    ],
)  # fmt: skip
def test_attach(before: list[list[str]], target: int, label: str, after: list[list[str]]) -> None:
    found = versions(*before)

    attach(found, found[target], label)

    assert [v.stages for v in found] == after


def test_a_version_holds_at_most_20_labels() -> None:
    found = versions([f"l{i}" for i in range(20)])

    with pytest.raises(LimitExceeded):
        attach(found, found[0], "one-more")


def test_unfinished_is_pending_without_current() -> None:
    assert unfinished(versions(["AWSCURRENT"], ["AWSPENDING"])) is not None
    assert unfinished(versions(["AWSCURRENT", "AWSPENDING"])) is None


@pytest.mark.parametrize(
    ("rules", "seconds"),
    [
        (None, None),
        ({"AutomaticallyAfterDays": 30}, 30 * 86400),
        ({"ScheduleExpression": "rate(10 days)"}, 10 * 86400),
        ({"ScheduleExpression": "rate(4 hours)"}, 4 * 3600),
        ({"ScheduleExpression": "cron(0 16 1,15 * ? *)"}, None),
    ],
)
def test_interval(rules: dict[str, object] | None, seconds: float | None) -> None:
    assert interval_s(rules) == seconds
