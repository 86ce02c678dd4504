"""Resource providers by CloudFormation type: the types Stratus deploys today."""

from __future__ import annotations

from stratus.templates.provider import Provider

from . import (
    apigateway,
    apigateway_keys,
    apigateway_methods,
    apigateway_stages,
    apigatewayv2,
    archives,
    dynamodb,
    dynamodb_global,
    events,
    lambda_,
    logs,
    mappings,
    recorded,
    s3,
    scheduler,
    sns,
    sqs,
    ssm,
    stepfunctions,
)

REGISTRY: dict[str, Provider] = {
    cls.type_name: cls()
    for module in (
        lambda_,
        recorded,
        apigatewayv2,
        apigateway,
        apigateway_methods,
        apigateway_stages,
        apigateway_keys,
        sqs,
        scheduler,
        archives,
        sns,
        events,
        mappings,
        dynamodb,
        dynamodb_global,
        stepfunctions,
        s3,
        ssm,
        logs,
    )
    for cls in module.PROVIDERS
}
