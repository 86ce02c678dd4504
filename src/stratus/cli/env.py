"""`stratus env [--stack S]`: the `export` lines a shell needs to use Stratus with the aws CLI,
boto3 and SDKs unchanged, and a stack's outputs by their keys:

    eval "$(stratus env --stack my-app)"
    curl "$ApiUrl"

Credentials are dummies (Stratus accepts any); the region is the server's; host prefixes
are turned off (botocore would send StartSyncExecution to `sync-<endpoint host>`).
"""

from __future__ import annotations

import os
import shlex
from typing import Annotated

import typer

from stratus.config import DEFAULT_REGION

from . import console
from .client import DEFAULT_ENDPOINT_URL, EndpointUrl, client
from .names import candidates


def export_lines(endpoint_url: str, region: str, outputs: dict[str, str]) -> list[str]:
    values = {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        # Some operations (Step Functions' StartSyncExecution, TestState) put a prefix before
        # the host ("sync-127.0.0.1"), which names nothing on this machine.
        "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
    } | outputs
    return [f"export {key}={shlex.quote(value)}" for key, value in values.items()]


def env(
    stack: Annotated[
        str | None, typer.Option("--stack", help="Also export this stack's outputs.")
    ] = None,
    endpoint_url: EndpointUrl = DEFAULT_ENDPOINT_URL,
) -> None:
    """Print the export lines for a shell: endpoint, region, dummy credentials, outputs."""
    outputs: dict[str, str] = {}
    if stack is not None:
        cfn = client("cloudformation", endpoint_url)
        try:
            found = cfn.describe_stacks(StackName=stack)["Stacks"][0]
        except cfn.exceptions.ClientError as exc:
            if "does not exist" not in str(exc):
                raise
            stacks = [s["StackName"] for s in cfn.describe_stacks()["Stacks"]]
            console.error(f"no stack named {stack!r}; {candidates(stack, stacks, 'stacks')}")
            raise typer.Exit(1) from None
        outputs = {o["OutputKey"]: o["OutputValue"] for o in found.get("Outputs", [])}
    region = os.environ.get("STRATUS_REGION") or DEFAULT_REGION
    for line in export_lines(endpoint_url.rstrip("/"), region, outputs):
        console.stdout().print(line, markup=False, highlight=False, soft_wrap=True)
