"""boto3 clients for the CLI: the one place that decides endpoint, credentials, region, retries.

Stratus accepts any credentials, so the CLI sends fixed fake ones and never reads ~/.aws.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import typer

from stratus.config import DEFAULT_REGION

DEFAULT_ENDPOINT_URL = "http://127.0.0.1:4566"
# Invoke waits for the function; Lambda's longest timeout is 900 s.
READ_TIMEOUT_S = 910

EndpointUrl = Annotated[
    str,
    typer.Option(
        "--endpoint-url",
        envvar="STRATUS_ENDPOINT_URL",
        help="The Stratus server to talk to.",
    ),
]


# The AWS APIs the CLI calls (botocore's service names).
Service = Literal["lambda", "logs", "cloudformation"]


def client(service: Service, endpoint_url: str, environ: Mapping[str, str] = os.environ) -> Any:
    """A boto3 client for `service` (e.g. "lambda", "logs") on the Stratus at `endpoint_url`."""
    # Imported here, not at the top: boto3 costs ~0.3 s and `stratus --help` needs none of it.
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint_url.rstrip("/"),
        region_name=environ.get("STRATUS_REGION") or DEFAULT_REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        # No retries: a person at a terminal wants "no server" now, not after five back-offs.
        config=Config(
            retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=READ_TIMEOUT_S
        ),
    )
