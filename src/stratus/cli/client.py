"""boto3 clients for the CLI: the one place that decides endpoint, credentials, region, retries.

The CLI signs with the default test/test key, which Stratus always accepts (the account's
root user, also when it checks signatures), and never reads ~/.aws.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Literal, overload

import typer

from stratus.config import DEFAULT_REGION

from . import endpoint
from .endpoint import DEFAULT_ENDPOINT_URL

__all__ = ["DEFAULT_ENDPOINT_URL", "EndpointUrl", "client"]
# Invoke waits for the function; Lambda's longest timeout is 900 s.
READ_TIMEOUT_S = 910

EndpointUrl = Annotated[
    str,
    typer.Option(
        "--endpoint-url",
        envvar="STRATUS_ENDPOINT_URL",
        callback=endpoint.from_option,
        help="The Stratus server to talk to (else $STRATUS_ENDPOINT_URL, then $AWS_ENDPOINT_URL).",
    ),
]


if TYPE_CHECKING:  # stubs only (the dev extra): each service's client, typed by its AWS model
    from types_boto3_cloudformation import CloudFormationClient
    from types_boto3_events import EventBridgeClient
    from types_boto3_lambda import LambdaClient
    from types_boto3_logs import CloudWatchLogsClient
    from types_boto3_sns import SNSClient
    from types_boto3_sqs import SQSClient
    from types_boto3_stepfunctions import SFNClient

    AnyClient = (
        LambdaClient | CloudWatchLogsClient | CloudFormationClient | SQSClient | SNSClient
        | EventBridgeClient | SFNClient
    )  # fmt: skip

Service = Literal["lambda", "logs", "cloudformation", "sqs", "sns", "events", "stepfunctions"]


@overload
def client(
    service: Literal["lambda"], endpoint_url: str, environ: Mapping[str, str] = ...
) -> LambdaClient: ...
@overload
def client(
    service: Literal["logs"], endpoint_url: str, environ: Mapping[str, str] = ...
) -> CloudWatchLogsClient: ...
@overload
def client(
    service: Literal["cloudformation"], endpoint_url: str, environ: Mapping[str, str] = ...
) -> CloudFormationClient: ...
@overload
def client(
    service: Literal["sqs"], endpoint_url: str, environ: Mapping[str, str] = ...
) -> SQSClient: ...
@overload
def client(
    service: Literal["sns"], endpoint_url: str, environ: Mapping[str, str] = ...
) -> SNSClient: ...
@overload
def client(
    service: Literal["events"], endpoint_url: str, environ: Mapping[str, str] = ...
) -> EventBridgeClient: ...
@overload
def client(
    service: Literal["stepfunctions"], endpoint_url: str, environ: Mapping[str, str] = ...
) -> SFNClient: ...
def client(
    service: Service,
    endpoint_url: str,
    environ: Mapping[str, str] = os.environ,
) -> AnyClient:
    """A boto3 client for `service` on the Stratus at `endpoint_url`."""
    # Imported here, not at the top: boto3 costs ~0.3 s and `stratus --help` needs none of it.
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint.for_service(endpoint_url, service, environ).rstrip("/"),
        region_name=environ.get("STRATUS_REGION") or DEFAULT_REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        # No retries: a person at a terminal wants "no server" now, not after five back-offs.
        config=Config(
            retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=READ_TIMEOUT_S
        ),
    )
