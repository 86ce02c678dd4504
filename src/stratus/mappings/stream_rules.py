"""Lambda's rules for mappings from DynamoDB streams (CreateEventSourceMapping,
UpdateEventSourceMapping), for every caller alike. Pure: the stream and the destination are
looked up by the service.

- StartingPosition is required: TRIM_HORIZON or LATEST (AT_TIMESTAMP is Kinesis's and
  Kafka's; DynamoDB refuses it, and any StartingPositionTimestamp).
- BatchSize 1-10,000 (default 100); MaximumBatchingWindowInSeconds 0-300 (default 0).
- MaximumRetryAttempts -1 or 0-10,000 (default -1: until the record expires);
  MaximumRecordAgeInSeconds -1 or 60-604,800 (default -1); ParallelizationFactor 1-10
  (default 1); TumblingWindowInSeconds 0-900 (default 0: none).
- DestinationConfig.OnFailure: a standard queue or topic (checked by the service);
  no OnSuccess.
- Members of other sources (ScalingConfig, Topics, Queues, ...) are refused.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from stratus.errors import Invalid, Validation

from .model import EventSourceMapping, Settings

DEFAULT_BATCH_SIZE = 100
STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST")
MIN_RECORD_AGE = 60
T = TypeVar("T")


def check_create(given: Settings) -> str:
    """The starting position a Create names, or Invalid as Lambda refuses it."""
    if given.starting_position is None:
        raise Invalid(
            "1 validation error detected: Value null at 'startingPosition' failed to satisfy "
            "constraint: Member must not be null (a DynamoDB stream mapping starts at "
            "TRIM_HORIZON or LATEST)"
        )
    if given.starting_position not in STARTING_POSITIONS:
        raise Invalid(
            f"Unsupported starting position {given.starting_position} for a DynamoDB "
            "stream: use TRIM_HORIZON or LATEST."
        )
    if given.starting_timestamp:
        raise Invalid("StartingPositionTimestamp is not supported for DynamoDB streams.")
    return given.starting_position


def settled(mapping: EventSourceMapping, given: Settings) -> EventSourceMapping:
    """`mapping` with the call's settings applied, or Invalid/Validation as Lambda
    refuses them."""
    if given.not_for_streams:
        raise Invalid(
            f"Unsupported {', '.join(given.not_for_streams)} parameter for given event source."
        )
    if given.on_success:
        raise Invalid(
            "Unsupported DestinationConfig.OnSuccess for a DynamoDB stream: only OnFailure "
            "is supported."
        )
    _check_ranges(given)
    return replace(
        mapping,
        batch_size=_pick(given.batch_size, mapping.batch_size),
        window=_pick(given.window, mapping.window),
        filters=mapping.filters if given.filters is None else given.filters,
        response_types=mapping.response_types
        if given.response_types is None
        else given.response_types,
        enabled=_pick(given.enabled, mapping.enabled),
        parallelization=_pick(given.parallelization, mapping.parallelization),
        bisect=_pick(given.bisect, mapping.bisect),
        max_retries=_pick(given.max_retries, mapping.max_retries),
        max_record_age=_pick(given.max_record_age, mapping.max_record_age),
        tumbling_window=_pick(given.tumbling_window, mapping.tumbling_window),
        on_failure=mapping.on_failure if given.on_failure is None else given.on_failure or None,
    )


def _pick(given: T | None, current: T) -> T:
    return current if given is None else given


def _check_ranges(given: Settings) -> None:
    ranges = (
        ("batchSize", given.batch_size, 1, 10_000),
        ("maximumBatchingWindowInSeconds", given.window, 0, 300),
        ("parallelizationFactor", given.parallelization, 1, 10),
        ("maximumRetryAttempts", given.max_retries, -1, 10_000),
        ("maximumRecordAgeInSeconds", given.max_record_age, -1, 604_800),
        ("tumblingWindowInSeconds", given.tumbling_window, 0, 900),
    )
    for where, value, low, high in ranges:
        if value is None or low <= value <= high:
            continue
        bound = (
            f"greater than or equal to {low}" if value < low else f"less than or equal to {high}"
        )
        raise Validation(
            f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy "
            f"constraint: Member must have value {bound}"
        )
    age = given.max_record_age
    if age is not None and 0 <= age < MIN_RECORD_AGE:
        raise Invalid(
            f"Invalid MaximumRecordAgeInSeconds {age}: it must be -1 (records are retried "
            f"until they expire) or between {MIN_RECORD_AGE} and 604800 seconds."
        )
