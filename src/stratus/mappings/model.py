"""An event source mapping as stored, and as Lambda's API shows it
(EventSourceMappingConfiguration)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"


@dataclass(frozen=True, slots=True)
class Settings:
    """What a Create or Update sets; None where the call left it out."""

    batch_size: int | None = None
    window: int | None = None  # MaximumBatchingWindowInSeconds
    filters: tuple[str, ...] | None = None  # FilterCriteria.Filters[].Pattern
    max_concurrency: int | None = None  # ScalingConfig.MaximumConcurrency
    scaling_given: bool = False  # ScalingConfig present (an empty one removes the limit)
    response_types: tuple[str, ...] | None = None
    enabled: bool | None = None
    # Members the call gave that SQS sources do not take (StartingPosition, Topics, ...).
    unsupported: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EventSourceMapping:
    uuid: str
    arn: str  # EventSourceMappingArn
    source_arn: str
    function_arn: str
    batch_size: int
    window: int
    filters: tuple[str, ...]
    max_concurrency: int | None
    response_types: tuple[str, ...]
    enabled: bool
    modified: float  # epoch seconds
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def reports_failures(self) -> bool:
        return REPORT_BATCH_ITEM_FAILURES in self.response_types

    @property
    def function_name(self) -> str:
        return self.function_arn.split(":")[6]

    def wire(self, state: str | None = None) -> dict[str, Any]:
        """EventSourceMappingConfiguration; `state` overrides the settled one (Create answers
        Creating, Update Updating/Enabling/Disabling, Delete Deleting, as AWS does)."""
        body: dict[str, Any] = {
            "UUID": self.uuid,
            "BatchSize": self.batch_size,
            "MaximumBatchingWindowInSeconds": self.window,
            "EventSourceArn": self.source_arn,
            "FunctionArn": self.function_arn,
            "LastModified": self.modified,
            "State": state or ("Enabled" if self.enabled else "Disabled"),
            "StateTransitionReason": "USER_INITIATED",
            "FunctionResponseTypes": list(self.response_types),
            "EventSourceMappingArn": self.arn,
        }
        if self.filters:
            body["FilterCriteria"] = {"Filters": [{"Pattern": p} for p in self.filters]}
        if self.max_concurrency is not None:
            body["ScalingConfig"] = {"MaximumConcurrency": self.max_concurrency}
        return body

    def row(self) -> dict[str, Any]:
        """The settings as the store keeps them (JSON)."""
        return {
            "BatchSize": self.batch_size,
            "MaximumBatchingWindowInSeconds": self.window,
            "Filters": list(self.filters),
            "MaximumConcurrency": self.max_concurrency,
            "FunctionResponseTypes": list(self.response_types),
            "Tags": self.tags,
        }
