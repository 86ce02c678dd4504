"""An event source mapping as stored, and as Lambda's API shows it
(EventSourceMappingConfiguration)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"

# Members of other kinds of source (streams, Kafka, MQ, DocumentDB): refused for queues.
NOT_FOR_QUEUES = (
    "StartingPosition", "StartingPositionTimestamp", "ParallelizationFactor",
    "DestinationConfig", "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError",
    "MaximumRetryAttempts", "TumblingWindowInSeconds", "Topics", "Queues",
    "SourceAccessConfigurations", "SelfManagedEventSource",
    "AmazonManagedKafkaEventSourceConfig", "SelfManagedKafkaEventSourceConfig",
    "DocumentDBEventSourceConfig", "ProvisionedPollerConfig",
)  # fmt: skip


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


def settings_of(members: Mapping[str, Any]) -> Settings:
    """The settings in Lambda's members (the API's, or a template's properties, which
    CloudFormation spells the same), as typed values."""
    criteria = members.get("FilterCriteria")
    filters = None
    if criteria is not None:
        filters = tuple(str(f.get("Pattern", "")) for f in criteria.get("Filters") or [])
    scaling = members.get("ScalingConfig")
    types = members.get("FunctionResponseTypes")
    enabled = members.get("Enabled")
    return Settings(
        batch_size=_int(members.get("BatchSize")),
        window=_int(members.get("MaximumBatchingWindowInSeconds")),
        filters=filters,
        max_concurrency=_int((scaling or {}).get("MaximumConcurrency")),
        scaling_given=scaling is not None,
        response_types=None if types is None else tuple(str(t) for t in types),
        enabled=None if enabled is None else str(enabled).lower() == "true",
        unsupported=tuple(name for name in NOT_FOR_QUEUES if members.get(name) is not None),
    )


def _int(value: Any) -> int | None:
    """Integers as given; templates may give them as text."""
    return None if value is None else int(value)
