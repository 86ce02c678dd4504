"""An event source mapping as stored, and as Lambda's API shows it
(EventSourceMappingConfiguration). One shape for both kinds of source Stratus serves: SQS
queues and DynamoDB streams; the stream members (StartingPosition, retries, windows, the
on-failure destination) are None/defaults on a queue's mapping."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"
# A stream mapping's LastProcessingResult, as AWS words it.
NO_RECORDS = "No records processed"
PROCESSED = "OK"
FUNCTION_FAILED = "PROBLEM: Function call failed"

# Members of other kinds of source (streams, Kafka, MQ, DocumentDB): refused for queues.
NOT_FOR_QUEUES = (
    "StartingPosition", "StartingPositionTimestamp", "ParallelizationFactor",
    "DestinationConfig", "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError",
    "MaximumRetryAttempts", "TumblingWindowInSeconds", "Topics", "Queues",
    "SourceAccessConfigurations", "SelfManagedEventSource",
    "AmazonManagedKafkaEventSourceConfig", "SelfManagedKafkaEventSourceConfig",
    "DocumentDBEventSourceConfig", "ProvisionedPollerConfig",
)  # fmt: skip
# Members of other kinds of source (queues, Kafka, MQ, DocumentDB): refused for streams.
NOT_FOR_STREAMS = (
    "ScalingConfig", "Topics", "Queues", "SourceAccessConfigurations", "SelfManagedEventSource",
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
    # Stream members (DynamoDB streams): None where the call left them out.
    starting_position: str | None = None
    starting_timestamp: bool = False  # StartingPositionTimestamp given
    parallelization: int | None = None
    bisect: bool | None = None
    max_retries: int | None = None
    max_record_age: int | None = None
    tumbling_window: int | None = None
    on_failure: str | None = None  # DestinationConfig.OnFailure.Destination ("" : removed)
    on_success: bool = False  # DestinationConfig.OnSuccess given (streams take none)
    # Members the call gave that stream sources do not take (ScalingConfig, Topics, ...).
    not_for_streams: tuple[str, ...] = ()


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
    # Streams only (a queue's mapping keeps the defaults and shows none of them).
    starting_position: str | None = None  # TRIM_HORIZON | LATEST: set for streams
    parallelization: int = 1
    bisect: bool = False
    max_retries: int = -1  # -1: until the record expires
    max_record_age: int = -1  # seconds; -1: until the record expires
    tumbling_window: int = 0  # seconds; 0: none
    on_failure: str | None = None  # a standard queue's or topic's ARN

    @property
    def reports_failures(self) -> bool:
        return REPORT_BATCH_ITEM_FAILURES in self.response_types

    @property
    def is_stream(self) -> bool:
        return self.starting_position is not None

    @property
    def function_name(self) -> str:
        return self.function_arn.split(":")[6]

    def wire(self, state: str | None = None, last_result: str | None = None) -> dict[str, Any]:
        """EventSourceMappingConfiguration; `state` overrides the settled one (Create answers
        Creating, Update Updating/Enabling/Disabling, Delete Deleting, as AWS does);
        `last_result`: a stream poller's LastProcessingResult."""
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
        if self.is_stream:
            failure = {"Destination": self.on_failure} if self.on_failure else {}
            body |= {
                "StartingPosition": self.starting_position,
                "ParallelizationFactor": self.parallelization,
                "DestinationConfig": {"OnFailure": failure},
                "MaximumRecordAgeInSeconds": self.max_record_age,
                "BisectBatchOnFunctionError": self.bisect,
                "MaximumRetryAttempts": self.max_retries,
                "TumblingWindowInSeconds": self.tumbling_window,
                "LastProcessingResult": last_result or NO_RECORDS,
            }
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
            "StartingPosition": self.starting_position,
            "ParallelizationFactor": self.parallelization,
            "BisectBatchOnFunctionError": self.bisect,
            "MaximumRetryAttempts": self.max_retries,
            "MaximumRecordAgeInSeconds": self.max_record_age,
            "TumblingWindowInSeconds": self.tumbling_window,
            "OnFailure": self.on_failure,
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
    destinations = members.get("DestinationConfig")
    on_failure = None
    if destinations is not None:  # given: its OnFailure (absent or empty) replaces the last
        on_failure = str((destinations.get("OnFailure") or {}).get("Destination") or "")
    bisect = members.get("BisectBatchOnFunctionError")
    return Settings(
        batch_size=_int(members.get("BatchSize")),
        window=_int(members.get("MaximumBatchingWindowInSeconds")),
        filters=filters,
        max_concurrency=_int((scaling or {}).get("MaximumConcurrency")),
        scaling_given=scaling is not None,
        response_types=None if types is None else tuple(str(t) for t in types),
        enabled=None if enabled is None else str(enabled).lower() == "true",
        unsupported=tuple(name for name in NOT_FOR_QUEUES if members.get(name) is not None),
        starting_position=None if members.get("StartingPosition") is None
        else str(members["StartingPosition"]),
        starting_timestamp=members.get("StartingPositionTimestamp") is not None,
        parallelization=_int(members.get("ParallelizationFactor")),
        bisect=None if bisect is None else str(bisect).lower() == "true",
        max_retries=_int(members.get("MaximumRetryAttempts")),
        max_record_age=_int(members.get("MaximumRecordAgeInSeconds")),
        tumbling_window=_int(members.get("TumblingWindowInSeconds")),
        on_failure=on_failure,
        on_success=bool((destinations or {}).get("OnSuccess")),
        not_for_streams=tuple(n for n in NOT_FOR_STREAMS if members.get(n) is not None),
    )  # fmt: skip


def _int(value: Any) -> int | None:
    """Integers as given; templates may give them as text."""
    return None if value is None else int(value)
