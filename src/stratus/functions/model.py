"""The Lambda API's function shapes, with AWS's field names, limits and defaults.

Request models validate input once at the edge; `FunctionConfiguration` is both what we
store and what GetFunctionConfiguration returns.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from stratus.errors import Invalid, PreconditionFailed
from stratus.functions.names import NAME_PATTERN
from stratus.runtime.custom import CUSTOM_RUNTIMES
from stratus.runtime.interpreters import PYTHON_RUNTIMES
from stratus.validation import aws_pattern

# The runtimes Stratus runs: Python's, and the OS-only ones that run the package's own
# bootstrap (runtime/custom.py). A request may name any runtime Lambda's API knows (the wire
# protocol checks its enum); inputs.check_runtime refuses the others, saying why.
RUNTIMES = (*PYTHON_RUNTIMES, *CUSTOM_RUNTIMES)

ROLE_PATTERN = r"^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$"
HANDLER_PATTERN = r"^[^\s]+$"
# Lambda's limit on all environment variables together, as JSON.
ENVIRONMENT_LIMIT_BYTES = 4096
RESERVED_VARIABLES = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)

MemoryMB = Annotated[int, Field(ge=128, le=10240)]
TimeoutSeconds = Annotated[int, Field(ge=1, le=900)]
DescriptionText = Annotated[str, Field(max_length=256)]
HandlerSpec = Annotated[str, Field(max_length=128, pattern=HANDLER_PATTERN)]
RoleArn = Annotated[str, Field(pattern=ROLE_PATTERN)]


class _Shape(BaseModel):
    # Unknown members are ignored, as AWS's REST-JSON services do.
    model_config = ConfigDict(extra="ignore", frozen=True)


class SnapStartRequest(_Shape):
    ApplyOn: Literal["PublishedVersions", "None"]


class EnvironmentSettings(_Shape):
    Variables: dict[str, str] = Field(default_factory=dict)


class StorageSettings(_Shape):
    Size: Annotated[int, Field(ge=512, le=10240)] = 512


class TracingSettings(_Shape):
    Mode: Literal["Active", "PassThrough"] = "PassThrough"


# AWS's ResourceArn constraint; "" removes the dead-letter queue.
DEAD_LETTER_PATTERN = r"(arn:(aws[a-zA-Z-]*)?:[a-z0-9-.]+:.*)|()"


class DeadLetterSettings(_Shape):
    # Where discarded async events go (functions/async_queue.py); functions/destinations.py
    # says which kinds of target Stratus serves.
    TargetArn: Annotated[str, aws_pattern(DEAD_LETTER_PATTERN)] | None = None


class CodeSource(_Shape):
    ZipFile: bytes | None = None  # decoded from base64 by the wire protocol
    S3Bucket: str | None = None
    S3Key: str | None = None
    S3ObjectVersion: str | None = None
    ImageUri: str | None = None


class CreateFunctionRequest(_Shape):
    FunctionName: Annotated[str, Field(pattern=rf"^{NAME_PATTERN}$")]
    Role: RoleArn
    Code: CodeSource
    Runtime: str | None = None  # (inputs.check_runtime)
    Handler: HandlerSpec | None = None
    Description: DescriptionText = ""
    Timeout: TimeoutSeconds = 3
    MemorySize: MemoryMB = 128
    Publish: bool = False
    Environment: EnvironmentSettings = Field(default_factory=EnvironmentSettings)
    EphemeralStorage: StorageSettings = Field(default_factory=StorageSettings)
    TracingConfig: TracingSettings = Field(default_factory=TracingSettings)
    DeadLetterConfig: DeadLetterSettings | None = None
    Architectures: Annotated[
        list[Literal["x86_64", "arm64"]], Field(min_length=1, max_length=1)
    ] = ["x86_64"]
    PackageType: Literal["Zip", "Image"] = "Zip"
    Tags: dict[str, str] = Field(default_factory=dict)
    Layers: list[str] | None = None  # layer version ARNs, checked by functions/layers.py
    SnapStart: SnapStartRequest | None = None
    LoggingConfig: LoggingInput | None = None
    CodeSigningConfigArn: str | None = None  # (functions/code_signing.py)
    # Read only to be refused (inputs.check_supported): dropping it would run a durable
    # function's handler as an ordinary one, a tenant-isolated one's without its tenant.
    DurableConfig: dict[str, Any] | None = None
    TenancyConfig: dict[str, Any] | None = None


class UpdateFunctionConfigurationRequest(_Shape):
    Role: RoleArn | None = None
    Runtime: str | None = None  # (inputs.check_runtime)
    Handler: HandlerSpec | None = None
    Description: DescriptionText | None = None
    Timeout: TimeoutSeconds | None = None
    MemorySize: MemoryMB | None = None
    Environment: EnvironmentSettings | None = None
    EphemeralStorage: StorageSettings | None = None
    TracingConfig: TracingSettings | None = None
    DeadLetterConfig: DeadLetterSettings | None = None
    RevisionId: str | None = None
    Layers: list[str] | None = None  # layer version ARNs, checked by functions/layers.py
    SnapStart: SnapStartRequest | None = None
    LoggingConfig: LoggingInput | None = None
    DurableConfig: dict[str, Any] | None = None  # refused, as on CreateFunction


class UpdateFunctionCodeRequest(_Shape):
    ZipFile: bytes | None = None
    S3Bucket: str | None = None
    S3Key: str | None = None
    S3ObjectVersion: str | None = None
    ImageUri: str | None = None
    Publish: bool = False
    DryRun: bool = False
    RevisionId: str | None = None
    Architectures: Annotated[
        list[Literal["x86_64", "arm64"]] | None, Field(min_length=1, max_length=1)
    ] = None


ApplicationLevel = Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"]
SystemLevel = Literal["DEBUG", "INFO", "WARN"]


class LoggingSettings(_Shape):
    LogFormat: Literal["Text", "JSON"] = "Text"
    # Shown for the JSON format only, as AWS does.
    ApplicationLogLevel: ApplicationLevel | None = Field(
        default=None, exclude_if=lambda v: v is None
    )
    SystemLogLevel: SystemLevel | None = Field(default=None, exclude_if=lambda v: v is None)
    LogGroup: str


class LoggingInput(_Shape):
    """CreateFunction's and UpdateFunctionConfiguration's LoggingConfig: the log group
    (created by the first write, as on AWS), the format and, for JSON, the levels."""

    LogFormat: Literal["Text", "JSON"] | None = None
    ApplicationLogLevel: ApplicationLevel | None = None
    SystemLogLevel: SystemLevel | None = None
    LogGroup: (
        Annotated[str, Field(min_length=1, max_length=512, pattern=r"^[\.\-_/#A-Za-z0-9]+$")] | None
    ) = None

    def applied(self, current: LoggingSettings) -> LoggingSettings:
        fmt = self.LogFormat or current.LogFormat
        if fmt == "Text" and (self.ApplicationLogLevel or self.SystemLogLevel):
            raise Invalid(
                'LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel '
                'from your request or change the LogFormat to "JSON" and try again.'
            )
        json_format = fmt == "JSON"
        return LoggingSettings(
            LogFormat=fmt,
            ApplicationLogLevel=(self.ApplicationLogLevel or current.ApplicationLogLevel or "INFO")
            if json_format
            else None,
            SystemLogLevel=(self.SystemLogLevel or current.SystemLogLevel or "INFO")
            if json_format
            else None,
            LogGroup=self.LogGroup or current.LogGroup,
        )


class SnapStartSettings(_Shape):
    ApplyOn: Literal["PublishedVersions", "None"] = "None"
    OptimizationStatus: Literal["On", "Off"] = "Off"


class RuntimeVersionSettings(_Shape):
    RuntimeVersionArn: str


class LayerReference(_Shape):
    """A layer version as a function's configuration lists it."""

    Arn: str
    CodeSize: int


class FunctionConfiguration(_Shape):
    """GetFunctionConfiguration's response, field for field."""

    FunctionName: str
    FunctionArn: str
    Runtime: str
    Role: str
    # Optional for OS-only runtimes (provided.*), and then left out, as AWS does.
    Handler: str | None = Field(default=None, exclude_if=lambda handler: handler is None)
    CodeSize: int
    Description: str
    Timeout: int
    MemorySize: int
    LastModified: str
    CodeSha256: str
    Version: str
    Environment: EnvironmentSettings
    TracingConfig: TracingSettings
    # Shown only when set, as AWS does.
    DeadLetterConfig: DeadLetterSettings | None = Field(
        default=None, exclude_if=lambda value: value is None
    )
    RevisionId: str
    State: str = "Active"
    # Why a version is Failed (e.g. its snapshot's init failed); shown only when set.
    StateReason: str | None = Field(default=None, exclude_if=lambda value: value is None)
    StateReasonCode: str | None = Field(default=None, exclude_if=lambda value: value is None)
    LastUpdateStatus: str = "Successful"
    PackageType: str = "Zip"
    Architectures: list[str]
    EphemeralStorage: StorageSettings
    SnapStart: SnapStartSettings = Field(default_factory=SnapStartSettings)
    LoggingConfig: LoggingSettings
    RuntimeVersionConfig: RuntimeVersionSettings
    # Left out for a function without layers, as AWS does.
    Layers: list[LayerReference] = Field(default_factory=list, exclude_if=lambda layers: not layers)


def stale_revision() -> PreconditionFailed:
    return PreconditionFailed(
        "The Revision Id provided does not match the latest Revision Id. Call the "
        "GetFunction/GetAlias API to retrieve the latest Revision Id"
    )
