"""Retry and Catch: what a state's failure leads to, decided without doing anything.

Retriers are tried in order and the *first* whose ErrorEquals matches decides: retry after
IntervalSeconds x BackoffRate^(attempts so far), capped at MaxDelaySeconds, with FULL
jitter drawing uniformly below that; or, when its MaxAttempts are spent, no retry (later
retriers are not consulted, as on AWS). Then the first matching catcher names the next state.

`States.ALL` matches any error but the terminal ones (States.DataLimitExceeded,
States.Runtime); `States.TaskFailed` matches any error but States.Timeout and those.
A heartbeat timeout (States.HeartbeatTimeout) is a kind of States.Timeout: it matches both
names, and so is not a States.TaskFailed.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stratus.workflows.failure import ALL, ALSO, NOT_TASK_FAILED, TASK_FAILED, TERMINAL

DEFAULT_INTERVAL_S = 1
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_BACKOFF_RATE = 2.0


def error_matches(names: Sequence[str], error: str) -> bool:
    for name in names:
        if name in (error, ALSO.get(error)):
            return True
        if name == ALL and error not in TERMINAL:
            return True
        if name == TASK_FAILED and error not in NOT_TASK_FAILED:
            return True
    return False


@dataclass(frozen=True, slots=True)
class RetryDecision:
    retrier: int  # which retrier matched (its attempts count goes up by one)
    delay_s: float


def decide_retry(
    retriers: Sequence[Mapping[str, Any]],
    attempts: Sequence[int],
    error: str,
    rng: random.Random | None = None,
) -> RetryDecision | None:
    """Retry after a delay, or None: no retrier matches, or the matching one is spent.

    `attempts[i]` counts the retries retrier i already made in this state's visit.
    """
    for index, retrier in enumerate(retriers):
        if not error_matches(retrier["ErrorEquals"], error):
            continue
        done = attempts[index] if index < len(attempts) else 0
        if done >= int(retrier.get("MaxAttempts", DEFAULT_MAX_ATTEMPTS)):
            return None
        return RetryDecision(index, delay_s(retrier, done, rng))
    return None


def delay_s(retrier: Mapping[str, Any], done: int, rng: random.Random | None = None) -> float:
    interval = float(retrier.get("IntervalSeconds", DEFAULT_INTERVAL_S))
    delay = interval * float(retrier.get("BackoffRate", DEFAULT_BACKOFF_RATE)) ** done
    if "MaxDelaySeconds" in retrier:
        delay = min(delay, float(retrier["MaxDelaySeconds"]))
    if retrier.get("JitterStrategy", "NONE") == "FULL":
        delay = (rng or random.Random()).uniform(0, delay)
    return delay


def find_catcher(catchers: Sequence[Mapping[str, Any]], error: str) -> Mapping[str, Any] | None:
    for catcher in catchers:
        if error_matches(catcher["ErrorEquals"], error):
            return catcher
    return None
