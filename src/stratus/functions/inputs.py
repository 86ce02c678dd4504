"""Checks and conversions of Lambda API inputs, shared by the function services.

Pure functions: each validates or decodes one kind of input and raises the AWS error a
client expects, with a message that says what to fix.
"""

from __future__ import annotations

import base64
import binascii
import logging
import time

import orjson

from stratus.errors import Invalid, Malformed, TooLarge
from stratus.functions.model import (
    ENVIRONMENT_LIMIT_BYTES,
    RESERVED_VARIABLES,
    RUNTIMES,
    CreateFunctionRequest,
    EnvironmentSettings,
    FunctionConfiguration,
    UpdateFunctionConfigurationRequest,
)
from stratus.runtime.custom import CUSTOM_RUNTIMES
from stratus.runtime.interpreters import PYTHON_RUNTIMES
from stratus.store.artifacts import ARTIFACTS_BUCKET, ArtifactStore, NoSuchArtifact

log = logging.getLogger("stratus.functions")
# A package read from a bucket: Lambda's limit for a deployment package is 250 MB unzipped;
# a zip from S3 is read whole, so it is bounded here.
MAX_PACKAGE_FROM_S3 = 250 * 1024 * 1024
# Runtimes AWS no longer lets a function be created or updated with (the last block date,
# python3.8's and go1.x's update block, was 2025-11-01), whose successors run here: AWS's own
# answer, which is the way forward here too. (go1.x's successor is provided.al2023, a Go
# binary named bootstrap.) Others AWS blocked (nodejs18.x, java8...) get Stratus's answer,
# which says what runs here.
BLOCKED_RUNTIMES = frozenset(
    {"python2.7", "python3.6", "python3.7", "python3.8", "go1.x", "provided"}
)


def check_snapstart(config: FunctionConfiguration) -> None:
    """SnapStart needs a Python runtime (as on AWS). Stratus snapshots every Python version,
    AWS only python3.12 and later: say so, so an app that works here is not surprised in the
    cloud."""
    if config.SnapStart.ApplyOn != "PublishedVersions":
        return
    if not config.Runtime.startswith("python3."):
        raise Invalid(
            f"{config.Runtime} does not support SnapStart; use a python3.x runtime or set "
            "SnapStart ApplyOn to None."
        )
    if int(config.Runtime.removeprefix("python3.")) < 12:
        log.warning(
            "%s: AWS Lambda supports SnapStart for Python from python3.12; %s works on Stratus "
            "but CreateFunction/PublishVersion would fail on AWS",
            config.FunctionName,
            config.Runtime,
        )


def check_runtime(runtime: str) -> None:
    if runtime in RUNTIMES:
        return
    if runtime in BLOCKED_RUNTIMES:
        raise Invalid(
            f"The runtime parameter of {runtime} is no longer supported for creating or "
            "updating AWS Lambda functions. We recommend you use a supported runtime while "
            "creating or updating functions."
        )
    raise Invalid(
        f"Stratus does not run the {runtime} runtime: it runs {PYTHON_RUNTIMES[0]} to "
        f"{PYTHON_RUNTIMES[-1]}, and {' and '.join(CUSTOM_RUNTIMES)} (a custom runtime: the "
        "package's own bootstrap executable). Use one of those, or deploy this function to "
        "AWS Lambda."
    )


def check_supported(request: CreateFunctionRequest | UpdateFunctionConfigurationRequest) -> None:
    """Refuse what Stratus cannot run rather than drop it: a runtime it has not (check_runtime),
    a durable function, whose handler expects checkpointed, replayed executions that an
    ordinary invocation does not give, or a tenant-isolated one (TenancyConfig, set only at
    creation), whose handler expects the invocation's tenant in its context."""
    if request.Runtime is not None:
        check_runtime(request.Runtime)
    if request.DurableConfig is not None:
        raise Invalid(
            "Stratus does not support durable functions: DurableConfig cannot be set. Remove "
            "DurableConfig to deploy the handler as an ordinary function, or deploy this "
            "function to AWS Lambda."
        )
    if isinstance(request, CreateFunctionRequest) and request.TenancyConfig is not None:
        raise Invalid(
            "Stratus does not support tenant isolation: TenancyConfig cannot be set (its "
            "handlers read context.tenant_id, which Invoke's TenantId gives). Remove "
            "TenancyConfig to deploy an ordinary function, or deploy this function to AWS "
            "Lambda."
        )


def check_payload_size(payload: bytes, limit: int) -> None:
    if len(payload) > limit:
        raise TooLarge(
            f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
            Type="User",
        )


def check_event_payload(payload: bytes, limit: int) -> None:
    """An Event invocation's payload: AWS's answer for one over the limit names its size."""
    if len(payload) > limit:
        raise TooLarge(
            f"{len(payload)} byte payload is too large for the Event invocation type "
            f"(limit {limit} bytes)",
            Type="User",
        )
    check_json(payload)


def check_payload(payload: bytes, limit: int) -> None:
    check_payload_size(payload, limit)
    check_json(payload)


def check_json(payload: bytes) -> None:
    if payload:
        try:
            orjson.loads(payload)
        except orjson.JSONDecodeError as exc:
            raise Malformed(
                f"Could not parse request body into json: Could not parse payload into json: {exc}",
                Type="User",
            ) from exc


def check_environment(environment: EnvironmentSettings) -> None:
    variables = environment.Variables
    reserved = sorted(RESERVED_VARIABLES & variables.keys())
    if reserved:
        raise Invalid(
            "Lambda was unable to configure your environment variables because the environment "
            "variables you have provided contains reserved keys that are currently not supported "
            f"for modification. Reserved keys used in this request: {', '.join(reserved)}"
        )
    for key in variables:
        if not key or not (key[0].isalpha() and all(c.isalnum() or c == "_" for c in key)):
            raise Invalid(
                f"Lambda was unable to configure your environment variables because the "
                f"environment variable name {key!r} is invalid: names start with a letter and "
                "hold only letters, digits and underscores."
            )
    measured = orjson.dumps(variables).decode()
    if len(measured.encode()) > ENVIRONMENT_LIMIT_BYTES:
        raise Invalid(
            "Lambda was unable to configure your environment variables because the environment "
            f"variables you have provided exceeded the 4KB limit. String measured: {measured}"
        )


def zip_bytes(
    zip_file: bytes | None,
    s3_bucket: str | None,
    s3_key: str | None = None,
    artifacts: ArtifactStore | None = None,
    s3_version: str | None = None,
) -> bytes:
    """The package's bytes, from ZipFile or S3Bucket/S3Key (/S3ObjectVersion). Blocking
    (reads a file)."""
    if s3_bucket or s3_key:
        if zip_file:
            raise Invalid("Provide either ZipFile or S3Bucket and S3Key, not both.")
        return artifact_bytes(s3_bucket, s3_key, artifacts, s3_version)
    if not zip_file:
        raise Invalid("Please provide a source for function code (ZipFile).")
    return zip_file


def artifact_bytes(
    bucket: str | None,
    key: str | None,
    artifacts: ArtifactStore | None,
    version: str | None = None,
) -> bytes:
    """A package named by S3Bucket/S3Key: the bucket `stratus deploy` uploads to
    (store/artifacts.py), else a bucket of the server's object storage; a missing key fails
    as a missing S3 object fails on AWS."""
    if bucket and bucket != ARTIFACTS_BUCKET and artifacts and artifacts.buckets:
        if not key:
            raise Invalid(f"S3Key is required with S3Bucket {bucket}.")
        try:
            return artifacts.buckets.read(bucket, key, version, MAX_PACKAGE_FROM_S3)
        except NoSuchArtifact as exc:
            raise Invalid(f"Error occurred while GetObject. {exc.args[0]}") from None
    if bucket != ARTIFACTS_BUCKET:
        raise Invalid(
            f"Cannot read code from S3 bucket {bucket or '(none)'}: no object storage is "
            f"attached here; only {ARTIFACTS_BUCKET} (uploaded by `stratus deploy`) is served. "
            "Upload the package as ZipFile, or deploy the template with `stratus deploy`."
        )
    if not key:
        raise Invalid(f"S3Key is required with S3Bucket {bucket}.")
    try:
        if artifacts is None:
            raise NoSuchArtifact(key)
        return artifacts.read(key)
    except NoSuchArtifact:
        raise Invalid(
            "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The "
            "specified key does not exist."
        ) from None


def decode_client_context(raw: str | None) -> dict[str, object] | None:
    if not raw:
        return None
    try:
        decoded = orjson.loads(base64.b64decode(raw, validate=True))
    except (binascii.Error, orjson.JSONDecodeError) as exc:
        raise Malformed(
            f"Client context must be a valid Base64-encoded JSON object: {exc}"
        ) from exc
    if not isinstance(decoded, dict):
        raise Malformed("Client context must be a valid Base64-encoded JSON object.")
    return decoded


def timestamp() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}+0000"


def encode_marker(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode()


def decode_marker(marker: str | None) -> str:
    if not marker:
        return ""
    try:
        return base64.urlsafe_b64decode(marker.encode()).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise Invalid(f"Invalid Marker: {marker!r}") from exc
