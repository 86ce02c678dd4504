"""Retry and Catch decisions: matching, backoff, caps, jitter, exhaustion."""

import random

import pytest

from stratus.workflows import retry


@pytest.mark.parametrize(
    ("names", "error", "expected"),
    [
        (["States.ALL"], "Custom", True),
        (["States.ALL"], "States.Timeout", True),
        (["States.ALL"], "States.DataLimitExceeded", False),
        (["States.ALL"], "States.Runtime", False),
        (["States.TaskFailed"], "Lambda.ServiceException", True),
        (["States.TaskFailed"], "States.Timeout", False),
        (["States.TaskFailed"], "States.Runtime", False),
        (["States.Timeout"], "States.Timeout", True),
        (["States.Timeout"], "States.HeartbeatTimeout", True),
        (["States.HeartbeatTimeout"], "States.HeartbeatTimeout", True),
        (["States.HeartbeatTimeout"], "States.Timeout", False),
        (["States.ALL"], "States.HeartbeatTimeout", True),
        (["States.TaskFailed"], "States.HeartbeatTimeout", False),
        (["A", "B"], "B", True),
        (["A"], "a", False),
    ],
)
def test_error_matching(names, error, expected):
    """A missed heartbeat is a States.Timeout too, so States.TaskFailed leaves it alone."""
    assert retry.error_matches(names, error) is expected


def test_defaults_are_one_second_three_attempts_doubling():
    retriers = [{"ErrorEquals": ["States.ALL"]}]

    delays = [retry.decide_retry(retriers, [n], "E").delay_s for n in range(3)]

    assert delays == [1.0, 2.0, 4.0]
    assert retry.decide_retry(retriers, [3], "E") is None


def test_backoff_is_capped_by_max_delay():
    retrier = {"ErrorEquals": ["E"], "IntervalSeconds": 3, "BackoffRate": 3, "MaxDelaySeconds": 20}

    assert [retry.delay_s(retrier, n) for n in range(4)] == [3.0, 9.0, 20.0, 20.0]


def test_full_jitter_draws_below_the_delay():
    retrier = {"ErrorEquals": ["E"], "IntervalSeconds": 10, "JitterStrategy": "FULL"}
    rng = random.Random(1)

    draws = [retry.delay_s(retrier, 2, rng) for _ in range(100)]

    assert all(0 <= d <= 40 for d in draws)
    assert len(set(draws)) > 50


def test_the_first_matching_retrier_decides_even_when_spent():
    """A spent retrier does not hand the error to a later one that also matches."""
    retriers = [
        {"ErrorEquals": ["E"], "MaxAttempts": 1},
        {"ErrorEquals": ["States.ALL"], "MaxAttempts": 5},
    ]

    first = retry.decide_retry(retriers, [0, 0], "E")
    assert first is not None
    assert first.retrier == 0
    assert retry.decide_retry(retriers, [1, 0], "E") is None
    other = retry.decide_retry(retriers, [1, 0], "F")
    assert other is not None
    assert other.retrier == 1


def test_max_attempts_zero_never_retries():
    assert retry.decide_retry([{"ErrorEquals": ["E"], "MaxAttempts": 0}], [0], "E") is None


def test_the_first_matching_catcher_wins():
    catchers = [
        {"ErrorEquals": ["A"], "Next": "HandleA"},
        {"ErrorEquals": ["States.ALL"], "Next": "Any"},
    ]

    assert retry.find_catcher(catchers, "A")["Next"] == "HandleA"
    assert retry.find_catcher(catchers, "B")["Next"] == "Any"
    assert retry.find_catcher(catchers, "States.Runtime") is None
