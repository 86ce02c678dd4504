"""The retry rule of asynchronous invocations (`next_step`), as a table of cases."""

import pytest

from stratus.functions.async_queue import Done, Policy, Retry, next_step

AWS = Policy(max_retries=2, max_age_s=21600, retry_delays=(60.0, 120.0))


@pytest.mark.parametrize(
    ("policy", "outcome", "runs", "age", "expected"),
    [
        (AWS, "success", 1, 0.5, Done("Success")),
        (AWS, "success", 3, 200.0, Done("Success")),
        # function errors: two retries, a minute then two minutes later
        (AWS, "error", 1, 0.5, Retry(60.0)),
        (AWS, "error", 2, 61.0, Retry(120.0)),
        (AWS, "error", 3, 182.0, Done("RetriesExhausted")),
        (Policy(max_retries=0), "error", 1, 0.5, Done("RetriesExhausted")),
        (Policy(max_retries=1), "error", 2, 61.0, Done("RetriesExhausted")),
        # the last delay repeats when there are more retries than delays
        (Policy(retry_delays=(5.0,)), "error", 2, 6.0, Retry(5.0)),
        (Policy(retry_delays=()), "error", 1, 0.5, Retry(0.0)),
        # a retry that would come after the maximum age is not made
        (Policy(max_age_s=60), "error", 1, 0.5, Done("EventAgeExceeded")),
        (Policy(max_age_s=120), "error", 1, 59.0, Retry(60.0)),
        (Policy(max_age_s=120), "error", 1, 61.0, Done("EventAgeExceeded")),
        # throttling: backoff grows with the event's age, capped, never past the maximum age
        (AWS, "throttled", 0, 0.2, Retry(1.0)),
        (AWS, "throttled", 0, 30.0, Retry(30.0)),
        (AWS, "throttled", 1, 4000.0, Retry(300.0)),
        (Policy(max_age_s=60), "throttled", 0, 59.5, Retry(0.5)),
        (Policy(max_age_s=60), "throttled", 0, 60.0, Done("EventAgeExceeded")),
        # reserved concurrency 0: straight to OnFailure / the dead-letter queue, no retries
        (AWS, "refused", 0, 0.1, Done("ZeroReservedConcurrency")),
    ],
)
def test_next_step(policy, outcome, runs, age, expected):
    """Each attempt's outcome leads to AWS's next step."""
    assert next_step(policy, outcome, runs, age) == expected
