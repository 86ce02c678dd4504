"""The Lambda API's function shapes, with AWS's field names, limits and defaults.

Request models validate input once at the edge; `FunctionConfiguration` is both what we
store and what GetFunctionConfiguration returns.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from stratus.errors import PreconditionFailed
from stratus.functions.names import NAME_PATTERN
from stratus.runtime.interpreters import PYTHON_RUNTIMES

RuntimeName = Literal[
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
]
assert set(RuntimeName.__args__) == set(PYTHON_RUNTIMES)  # type: ignore[attr-defined]

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


class EnvironmentSettings(_Shape):
    Variables: dict[str, str] = Field(default_factory=dict)


class StorageSettings(_Shape):
    Size: Annotated[int, Field(ge=512, le=10240)] = 512


class TracingSettings(_Shape):
    Mode: Literal["Active", "PassThrough"] = "PassThrough"


class CodeSource(_Shape):
    ZipFile: str | None = None  # base64, as boto3 sends blobs in JSON
    S3Bucket: str | None = None
    S3Key: str | None = None
    S3ObjectVersion: str | None = None
    ImageUri: str | None = None


class CreateFunctionRequest(_Shape):
    FunctionName: Annotated[str, Field(pattern=rf"^{NAME_PATTERN}$")]
    Role: RoleArn
    Code: CodeSource
    Runtime: RuntimeName | None = None
    Handler: HandlerSpec | None = None
    Description: DescriptionText = ""
    Timeout: TimeoutSeconds = 3
    MemorySize: MemoryMB = 128
    Publish: bool = False
    Environment: EnvironmentSettings = Field(default_factory=EnvironmentSettings)
    EphemeralStorage: StorageSettings = Field(default_factory=StorageSettings)
    TracingConfig: TracingSettings = Field(default_factory=TracingSettings)
    Architectures: Annotated[
        list[Literal["x86_64", "arm64"]], Field(min_length=1, max_length=1)
    ] = ["x86_64"]
    PackageType: Literal["Zip", "Image"] = "Zip"
    Tags: dict[str, str] = Field(default_factory=dict)


class UpdateFunctionConfigurationRequest(_Shape):
    Role: RoleArn | None = None
    Runtime: RuntimeName | None = None
    Handler: HandlerSpec | None = None
    Description: DescriptionText | None = None
    Timeout: TimeoutSeconds | None = None
    MemorySize: MemoryMB | None = None
    Environment: EnvironmentSettings | None = None
    EphemeralStorage: StorageSettings | None = None
    TracingConfig: TracingSettings | None = None
    RevisionId: str | None = None


class UpdateFunctionCodeRequest(_Shape):
    ZipFile: str | None = None
    S3Bucket: str | None = None
    S3Key: str | None = None
    ImageUri: str | None = None
    Publish: bool = False
    DryRun: bool = False
    RevisionId: str | None = None
    Architectures: Annotated[
        list[Literal["x86_64", "arm64"]] | None, Field(min_length=1, max_length=1)
    ] = None


class LoggingSettings(_Shape):
    LogFormat: Literal["Text", "JSON"] = "Text"
    LogGroup: str


class SnapStartSettings(_Shape):
    ApplyOn: Literal["PublishedVersions", "None"] = "None"
    OptimizationStatus: Literal["On", "Off"] = "Off"


class RuntimeVersionSettings(_Shape):
    RuntimeVersionArn: str


class FunctionConfiguration(_Shape):
    """GetFunctionConfiguration's response, field for field."""

    FunctionName: str
    FunctionArn: str
    Runtime: str
    Role: str
    Handler: str
    CodeSize: int
    Description: str
    Timeout: int
    MemorySize: int
    LastModified: str
    CodeSha256: str
    Version: str
    Environment: EnvironmentSettings
    TracingConfig: TracingSettings
    RevisionId: str
    State: str = "Active"
    LastUpdateStatus: str = "Successful"
    PackageType: str = "Zip"
    Architectures: list[str]
    EphemeralStorage: StorageSettings
    SnapStart: SnapStartSettings = Field(default_factory=SnapStartSettings)
    LoggingConfig: LoggingSettings
    RuntimeVersionConfig: RuntimeVersionSettings


def stale_revision() -> PreconditionFailed:
    return PreconditionFailed(
        "The Revision Id provided does not match the latest Revision Id. Call the "
        "GetFunction/GetAlias API to retrieve the latest Revision Id"
    )
