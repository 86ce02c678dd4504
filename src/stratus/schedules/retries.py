"""What to do after an invocation attempt failed: retry, or give up and say why.

    the target cannot take it (NotFound, Invalid, TooLarge)    give up now, no condition
    attempts so far > MaximumRetryAttempts                      give up: MaximumRetryAttempts
    older than MaximumEventAgeInSeconds                         give up: MaximumEventAgeInSeconds
    otherwise                                                   retry (the work queue's backoff)

Pure: the delivery worker performs the answer. `attempts` counts tries made, the failed one
included, so MaximumRetryAttempts 0 means one try and 185 means 186.
"""

from __future__ import annotations

from dataclasses import dataclass

from stratus.errors import Invalid, NotFound, StratusError, TooLarge

RETRIES = "MaximumRetryAttempts"
AGE = "MaximumEventAgeInSeconds"


@dataclass(frozen=True, slots=True)
class Retry:
    pass


@dataclass(frozen=True, slots=True)
class GiveUp:
    exhausted: str | None  # the retry condition that ran out; None: not retriable at all


def after_failure(
    error: StratusError, *, attempts: int, max_retries: int, age_s: float, max_age_s: float
) -> Retry | GiveUp:
    if isinstance(error, NotFound | Invalid | TooLarge):
        return GiveUp(None)
    if attempts > max_retries:
        return GiveUp(RETRIES)
    if age_s > max_age_s:
        return GiveUp(AGE)
    return Retry()
