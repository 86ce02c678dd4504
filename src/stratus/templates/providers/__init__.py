"""Resource providers by CloudFormation type: the types Stratus deploys today."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from stratus.templates.provider import Provider

from . import (
    api_destinations,
    apigateway,
    apigateway_account,
    apigateway_domains,
    apigateway_keys,
    apigateway_methods,
    apigateway_stages,
    apigatewayv2,
    archives,
    cloudwatch,
    custom,
    dynamodb,
    dynamodb_global,
    events,
    lambda_,
    logs,
    mappings,
    recorded,
    s3,
    scheduler,
    secretsmanager,
    sns,
    sqs,
    ssm,
    stepfunctions,
)

_BY_TYPE: dict[str, Provider] = {
    cls.type_name: cls()
    for module in (
        lambda_,
        recorded,
        apigatewayv2,
        apigateway,
        apigateway_methods,
        apigateway_stages,
        apigateway_keys,
        apigateway_domains,
        apigateway_account,
        sqs,
        scheduler,
        archives,
        api_destinations,
        custom,
        sns,
        events,
        mappings,
        dynamodb,
        dynamodb_global,
        stepfunctions,
        s3,
        ssm,
        secretsmanager,
        logs,
        cloudwatch,
        custom,
    )
    for cls in module.PROVIDERS
}


class Registry(Mapping[str, Provider]):
    """Providers by type; every `Custom::Name` is a custom resource, as on AWS."""

    def __init__(self, by_type: Mapping[str, Provider]) -> None:
        self._by_type = dict(by_type)

    def __getitem__(self, kind: str) -> Provider:
        if kind.startswith("Custom::") and len(kind) > len("Custom::"):
            return self._by_type["Custom::*"]
        return self._by_type[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_type)

    def __len__(self) -> int:
        return len(self._by_type)

    def __contains__(self, kind: object) -> bool:
        return isinstance(kind, str) and (
            kind in self._by_type or (kind.startswith("Custom::") and len(kind) > 8)
        )


REGISTRY = Registry(_BY_TYPE)
