"""The AWS managed policies Stratus knows (`arn:aws:iam::aws:policy/<name>`): the few that
local setups attach to users who call APIs, function URLs and functions. Others are
NoSuchEntity rather than guessed."""

from __future__ import annotations

from typing import Any

AWS_POLICY_PREFIX = "arn:aws:iam::aws:policy/"


def _allow(action: str | list[str], resource: str = "*") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
    }


AWS_MANAGED: dict[str, dict[str, Any]] = {
    "AdministratorAccess": _allow("*"),
    "PowerUserAccess": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "NotAction": ["iam:*", "organizations:*", "account:*"],
                "Resource": "*",
            },
        ],
    },
    "AmazonAPIGatewayInvokeFullAccess": _allow("execute-api:Invoke"),
    "AWSLambdaRole": _allow("lambda:InvokeFunction"),
    "AWSLambda_FullAccess": _allow(["lambda:*", "logs:*", "iam:GetRole", "iam:PassRole"]),
    "AWSLambdaBasicExecutionRole": _allow(
        ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]
    ),
    "AmazonS3FullAccess": _allow(["s3:*", "s3-object-lambda:*"]),
    "AmazonS3ReadOnlyAccess": _allow(["s3:Get*", "s3:List*", "s3:Describe*"]),
    "AmazonSQSFullAccess": _allow("sqs:*"),
    "AmazonSNSFullAccess": _allow("sns:*"),
    "AmazonDynamoDBFullAccess": _allow("dynamodb:*"),
}


def aws_managed(arn: str) -> dict[str, Any] | None:
    """The document of an AWS managed policy Stratus knows, by ARN."""
    if not arn.startswith(AWS_POLICY_PREFIX):
        return None
    return AWS_MANAGED.get(arn.removeprefix(AWS_POLICY_PREFIX).rsplit("/", 1)[-1])
