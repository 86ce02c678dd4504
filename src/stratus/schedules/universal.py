"""EventBridge Scheduler's universal targets: `arn:aws:scheduler:::aws-sdk:<service>:<apiAction>`.

A universal target calls one AWS API action with the schedule's Input as its request
parameters (a JSON object, members named as the API names them: {"QueueUrl": ..., ...}).
Stratus makes the call in process, through the same handler a boto3 request reaches
(stratus.aws.sdk_tasks, which workflow aws-sdk tasks use too), for the services it serves.
The service is named as the AWS SDKs name it (`sqs`, `sfn`, `eventbridge`, ...), the action
in camelCase (`sendMessage`).

AWS refuses read-only actions as universal targets (their answer would go nowhere): those
starting with one of READ_ONLY_PREFIXES. Pure: parsing and checking only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from stratus.errors import Invalid, Validation

PREFIX = "arn:aws:scheduler:::aws-sdk:"
# The SDK's service name -> botocore's model of the API Stratus serves it with.
SERVICES = {
    "sqs": "sqs-json",
    "sns": "sns",
    "eventbridge": "events",
    "events": "events",
    "lambda": "lambda",
    "dynamodb": "dynamodb",
    "s3": "s3",
    "sfn": "stepfunctions",
    "stepfunctions": "stepfunctions",
    "ssm": "ssm",
    "cloudwatchlogs": "logs",
    "scheduler": "scheduler",
}
READ_ONLY_PREFIXES = (
    "get", "describe", "list", "poll", "receive", "search", "scan", "query", "select",
    "read", "lookup", "discover", "validate", "batchGet", "batchDescribe", "batchRead",
    "transactGet", "adminGet", "adminList", "testMigration", "retrieve", "testConnection",
    "translateDocument", "isAuthorized", "invokeModel",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SdkAction:
    api: str  # botocore's model name, as stratus.aws serves it
    operation: str  # PascalCase, as the model names it: SendMessage


def is_universal(arn: str) -> bool:
    return arn.startswith(PREFIX)


def parse(arn: str) -> SdkAction:
    """The API action a universal target's ARN names; Validation when Stratus cannot
    call it (read-only, or a service it does not serve)."""
    service, _, action = arn.removeprefix(PREFIX).partition(":")
    if not service or not action or ":" in action:
        raise Validation(
            f"Invalid universal target {arn}: expected arn:aws:scheduler:::aws-sdk:"
            "<service>:<apiAction>, e.g. arn:aws:scheduler:::aws-sdk:sqs:sendMessage."
        )
    if action.startswith(READ_ONLY_PREFIXES):
        raise Validation(
            f"Universal target {arn} is not supported: read-only API actions ({action}) "
            "cannot be scheduled."
        )
    api = SERVICES.get(service)
    if api is None:
        raise Validation(
            f"Universal target {arn} is not supported by Stratus: it calls "
            f"{', '.join(sorted(SERVICES))}."
        )
    return SdkAction(api, action[0].upper() + action[1:])


def parameters(text: str) -> dict[str, Any]:
    """The Input as request parameters: a JSON object."""
    try:
        found = json.loads(text)
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise Invalid("A universal target's Input must be a JSON object of request parameters.")
    return found
