"""The ranges Lambda's API model declares for queue mappings, checked again for callers
that did not come through the protocol layer (templates), with the API's message."""

from __future__ import annotations

from stratus.errors import Validation

from .model import REPORT_BATCH_ITEM_FAILURES, Settings


def check_ranges(given: Settings) -> None:
    """The ranges Lambda's API model declares, for callers that did not come through it
    (templates), with the API's message."""
    ranges = (
        ("batchSize", given.batch_size, 1, 10_000),
        ("maximumBatchingWindowInSeconds", given.window, 0, 300),
        ("scalingConfig.maximumConcurrency", given.max_concurrency, 2, 1_000),
    )
    for where, value, low, high in ranges:
        if value is None:
            continue
        if value < low or value > high:
            bound = (
                f"greater than or equal to {low}"
                if value < low
                else f"less than or equal to {high}"
            )
            raise Validation(
                f"1 validation error detected: Value '{value}' at '{where}' failed to satisfy "
                f"constraint: Member must have value {bound}"
            )
    for response_type in given.response_types or ():
        if response_type != REPORT_BATCH_ITEM_FAILURES:
            raise Validation(
                f"1 validation error detected: Value '[{response_type}]' at "
                "'functionResponseTypes' failed to satisfy constraint: Member must satisfy "
                "constraint: [Member must satisfy enum value set: [ReportBatchItemFailures]]"
            )
