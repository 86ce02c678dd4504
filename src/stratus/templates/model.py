"""Stacks as CloudFormation describes them: member names and values as DescribeStacks,
DescribeStackResources and DescribeStackEvents answer, so the wire adapter only renders.

    Stack ── StackResource (one per logical id: physical id, type, status)
      └───── StackEvent (append-only history, newest first when described)

Timestamps are timezone-aware datetimes (UTC); the wire renders them as ISO 8601.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Statuses a stack rests in; anything *_IN_PROGRESS is work under way.
CREATE_COMPLETE = "CREATE_COMPLETE"
UPDATE_COMPLETE = "UPDATE_COMPLETE"
FAILED_STATES = ("CREATE_FAILED", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED")


def now() -> datetime:
    return datetime.now(UTC)


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def wire(self) -> dict[str, Any]:
        """The members to render (None and empty lists left out, as AWS leaves them out)."""
        return {
            k: v for k, v in self.model_dump(mode="python").items() if v is not None and v != []
        }


class Parameter(Shape):
    ParameterKey: str
    ParameterValue: str  # NoEcho parameters are described as "****"
    ResolvedValue: str | None = None


class Output(Shape):
    OutputKey: str
    OutputValue: str
    Description: str | None = None
    ExportName: str | None = None


class Tag(Shape):
    Key: str
    Value: str


class Stack(Shape):
    StackId: str
    StackName: str
    Description: str | None = None
    Parameters: list[Parameter] = Field(default_factory=list)
    CreationTime: datetime
    LastUpdatedTime: datetime | None = None
    DeletionTime: datetime | None = None
    StackStatus: str
    StackStatusReason: str | None = None
    DisableRollback: bool = False
    Capabilities: list[str] = Field(default_factory=list)
    Outputs: list[Output] = Field(default_factory=list)
    Tags: list[Tag] = Field(default_factory=list)
    EnableTerminationProtection: bool = False
    TimeoutInMinutes: int | None = None
    NotificationARNs: list[str] = Field(default_factory=list)
    ParentId: str | None = None  # a nested stack's parent, and the top of its tree
    RootId: str | None = None


class StackSummary(Shape):
    StackId: str
    StackName: str
    TemplateDescription: str | None = None
    CreationTime: datetime
    LastUpdatedTime: datetime | None = None
    DeletionTime: datetime | None = None
    StackStatus: str
    StackStatusReason: str | None = None
    ParentId: str | None = None
    RootId: str | None = None


class StackResource(Shape):
    """DescribeStackResources' member; ListStackResources answers the summary subset and
    DescribeStackResource the detail (LastUpdatedTimestamp, Metadata), all from this."""

    StackName: str
    StackId: str
    LogicalResourceId: str
    PhysicalResourceId: str | None = None
    ResourceType: str
    Timestamp: datetime
    ResourceStatus: str
    ResourceStatusReason: str | None = None
    Description: str | None = None
    Metadata: str | None = None  # the resource's Metadata as JSON text


class StackEvent(Shape):
    StackId: str
    EventId: str
    StackName: str
    LogicalResourceId: str
    PhysicalResourceId: str | None = None
    ResourceType: str
    Timestamp: datetime
    ResourceStatus: str
    ResourceStatusReason: str | None = None
    ResourceProperties: str | None = None  # JSON text
    OperationId: str | None = None  # the operation it belongs to (operations.py)


class Export(Shape):
    ExportingStackId: str
    Name: str
    Value: str


class TemplateParameter(Shape):
    """ValidateTemplate's description of one declared parameter."""

    ParameterKey: str
    DefaultValue: str | None = None
    NoEcho: bool = False
    Description: str | None = None


class TemplateSummary(Shape):
    """ValidateTemplate's answer."""

    Parameters: list[TemplateParameter] = Field(default_factory=list)
    Description: str | None = None
    Capabilities: list[str] = Field(default_factory=list)
    CapabilitiesReason: str | None = None
    DeclaredTransforms: list[str] = Field(default_factory=list)


class ChangeSet(Shape):
    """DescribeChangeSet's answer (Changes paged by the adapter); ListChangeSets answers
    the summary subset."""

    ChangeSetId: str
    ChangeSetName: str
    StackId: str
    StackName: str
    Description: str | None = None
    Parameters: list[Parameter] = Field(default_factory=list)
    CreationTime: datetime
    ExecutionStatus: str  # UNAVAILABLE | AVAILABLE | EXECUTE_* | OBSOLETE
    Status: str  # CREATE_PENDING | CREATE_IN_PROGRESS | CREATE_COMPLETE | FAILED | DELETE_*
    StatusReason: str | None = None
    NotificationARNs: list[str] = Field(default_factory=list)
    Capabilities: list[str] = Field(default_factory=list)
    Tags: list[Tag] = Field(default_factory=list)
    Changes: list[dict[str, Any]] = Field(default_factory=list)
    IncludeNestedStacks: bool = False
    ParentChangeSetId: str | None = None  # a nested change set's (IncludeNestedStacks)
    RootChangeSetId: str | None = None

    def summary(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in self.wire().items()
            if k not in ("Parameters", "NotificationARNs", "Capabilities", "Tags", "Changes")
        }


class ParameterDeclaration(Shape):
    """GetTemplateSummary's description of one declared parameter."""

    ParameterKey: str
    DefaultValue: str | None = None
    ParameterType: str
    NoEcho: bool = False
    Description: str | None = None
    ParameterConstraints: dict[str, Any] | None = None


class StackTemplateSummary(Shape):
    """GetTemplateSummary's answer."""

    Parameters: list[ParameterDeclaration] = Field(default_factory=list)
    Description: str | None = None
    Capabilities: list[str] = Field(default_factory=list)
    CapabilitiesReason: str | None = None
    ResourceTypes: list[str] = Field(default_factory=list)
    Version: str | None = None
    Metadata: str | None = None  # JSON text
    DeclaredTransforms: list[str] = Field(default_factory=list)
