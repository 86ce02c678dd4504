"""A failed invocation is retried under the schedule's RetryPolicy, or given up with the
condition that ran out."""

from __future__ import annotations

import pytest

from stratus.errors import Invalid, NotFound, StratusError, Throttled, TooLarge
from stratus.schedules.retries import AGE, RETRIES, GiveUp, Retry, after_failure


@pytest.mark.parametrize(
    ("error", "attempts", "retries", "age", "expected"),
    [
        (Throttled("slow down"), 1, 185, 0.0, Retry()),
        (StratusError("internal"), 185, 185, 86_000.0, Retry()),
        (Throttled("slow down"), 186, 185, 10.0, GiveUp(RETRIES)),
        (Throttled("slow down"), 1, 0, 0.0, GiveUp(RETRIES)),  # 0 retries: one try
        (Throttled("slow down"), 3, 185, 86_401.0, GiveUp(AGE)),
        (NotFound("no such function"), 1, 185, 0.0, GiveUp(None)),
        (Invalid("FIFO queue needs a group"), 1, 185, 0.0, GiveUp(None)),
        (TooLarge("too big"), 1, 185, 0.0, GiveUp(None)),
    ],
)
def test_after_failure(
    error: StratusError, attempts: int, retries: int, age: float, expected: object
) -> None:
    """Retriable errors are retried while attempts and age allow; the rest give up at once."""
    step = after_failure(error, attempts=attempts, max_retries=retries, age_s=age,
                         max_age_s=86_400)  # fmt: skip

    assert step == expected
