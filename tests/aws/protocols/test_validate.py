"""Input checked against botocore's models, refused in AWS's own words (one table of cases)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from stratus.aws.protocols import models, validate
from stratus.errors import Validation

NULL_STACK = "Value null at 'stackName' failed to satisfy constraint: Member must not be null"


def one(text: str) -> str:
    return f"1 validation error detected: {text}"


@pytest.mark.parametrize(
    ("operation", "params", "message"),
    [
        ("cloudformation:DescribeStackResource", {"LogicalResourceId": "L"}, one(NULL_STACK)),
        (
            "logs:FilterLogEvents",
            {"logGroupName": "g", "limit": 0},
            one(
                "Value '0' at 'limit' failed to satisfy constraint: Member must have value "
                "greater than or equal to 1"
            ),
        ),
        (
            "logs:FilterLogEvents",
            {"logGroupName": "g", "limit": 10001},
            one(
                "Value '10001' at 'limit' failed to satisfy constraint: Member must have value "
                "less than or equal to 10000"
            ),
        ),
        (
            "logs:FilterLogEvents",
            {"logGroupName": ""},
            "2 validation errors detected: Value '' at 'logGroupName' failed to satisfy "
            "constraint: Member must have length greater than or equal to 1; Value '' at "
            "'logGroupName' failed to satisfy constraint: Member must satisfy regular "
            "expression pattern: [\\.\\-_/#A-Za-z0-9]+",
        ),
        (
            "logs:FilterLogEvents",
            {"logGroupName": "g", "logStreamNames": []},
            one(
                "Value '[]' at 'logStreamNames' failed to satisfy constraint: Member must have "
                "length greater than or equal to 1"
            ),
        ),
        (
            "cloudformation:GetTemplate",
            {"StackName": "s", "TemplateStage": "Final"},
            one(
                "Value 'Final' at 'templateStage' failed to satisfy constraint: Member must "
                "satisfy enum value set: [Original, Processed]"
            ),
        ),
        (
            "cloudformation:ListStacks",
            {"StackStatusFilter": ["CREATE_COMPLETE", "DONE"]},
            one(
                "Value 'DONE' at 'stackStatusFilter.2.member' failed to satisfy constraint: "
                "Member must satisfy enum value set: ["
                + ", ".join(models.service_model("cloudformation").shape_for("StackStatus").enum)
                + "]"
            ),
        ),
        (
            "cloudformation:CreateStack",
            {"StackName": "s", "Tags": [{"Value": "v"}]},
            one(
                "Value null at 'tags.1.member.key' failed to satisfy constraint: Member must "
                "not be null"
            ),
        ),
        (
            "sqs:SendMessage",
            {"MessageBody": "m"},
            one("Value null at 'queueUrl' failed to satisfy constraint: Member must not be null"),
        ),
        (
            "dynamodb:GetItem",
            {"TableName": "t" * 1025, "Key": {}},
            one(
                f"Value '{'t' * 200}...(1025 characters)' at 'tableName' failed to satisfy "
                "constraint: Member must have length less than or equal to 1024"
            ),
        ),
        (
            "sns:Publish",
            {"Message": "m", "MessageAttributes": {"k": {}}},
            one(
                "Value null at 'messageAttributes.1.value.dataType' failed to satisfy "
                "constraint: Member must not be null"
            ),
        ),
    ],
)
def test_constraint_messages(operation: str, params: dict[str, Any], message: str) -> None:
    """Each broken constraint is reported as AWS reports it, all in one message."""
    service, name = operation.split(":")
    shape = models.operation_model(service, name).input_shape

    with pytest.raises(Validation) as refused:
        validate.check(shape, params)

    assert refused.value.message == message


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("logs:FilterLogEvents", {"logGroupName": "/aws/lambda/f", "limit": 10000}),
        ("cloudformation:CreateStack", {"StackName": "s", "Tags": [{"Key": "k", "Value": "v"}]}),
        ("sqs:SendMessage", {"QueueUrl": "http://q", "MessageBody": "m"}),
        ("logs:DescribeLogGroups", {}),
    ],
)
def test_valid_input_passes(operation: str, params: dict[str, Any]) -> None:
    """Only what breaks a constraint is refused."""
    service, name = operation.split(":")

    validate.check(models.operation_model(service, name).input_shape, params)


def test_an_operation_without_input_accepts_nothing_to_check() -> None:
    """No input shape, nothing to check."""
    validate.check(None, {})


def test_models_load_once_off_the_loop() -> None:
    """The async door answers the same cached model the sync one does."""
    first = asyncio.run(models.wait_service_model("stepfunctions"))

    assert first is models.service_model("stepfunctions")
    assert models.loaded("stepfunctions") is first
