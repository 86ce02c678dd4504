"""Fixtures for the REST API (API Gateway v1) tests: boto3's `apigateway` client, REST APIs
built with tests.gateway.rest_apis.RestApi, API keys in usage plans."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from tests.gateway.rest_apis import RestApi, values


@pytest.fixture(scope="module")
def apigateway(server: Any) -> Any:
    return server.client("apigateway")


@pytest.fixture
def rest_api(server: Any, apigateway: Any) -> Iterator[Callable[..., RestApi]]:
    """make(**CreateRestApi parameters) -> RestApi; the APIs are deleted after the test."""
    made: list[RestApi] = []

    def make(**params: Any) -> RestApi:
        made.append(RestApi(server, apigateway, **params))
        return made[-1]

    yield make
    for api in made:
        with contextlib.suppress(apigateway.exceptions.NotFoundException):
            apigateway.delete_rest_api(restApiId=api.id)


@pytest.fixture
def plans(apigateway: Any) -> Iterator[Callable[..., tuple[str, str]]]:
    """plan(api, stage, key_enabled=True, **usage plan settings) -> (key value, key id): an
    API key in a new usage plan of that API stage; both deleted after the test."""
    keys: list[str] = []
    usage_plans: list[str] = []

    def plan(api: RestApi, stage: str = "prod", *, enabled: bool = True, **settings: Any) -> Any:
        value = f"test-key-value-{next(values):08d}-{api.id}"
        key = apigateway.create_api_key(name=f"key-{api.id}", enabled=enabled, value=value)
        keys.append(key["id"])
        made = apigateway.create_usage_plan(
            name=f"plan-{api.id}", apiStages=[{"apiId": api.id, "stage": stage}], **settings
        )
        usage_plans.append(made["id"])
        apigateway.create_usage_plan_key(usagePlanId=made["id"], keyId=key["id"], keyType="API_KEY")
        return value, key["id"]

    yield plan
    for plan_id in usage_plans:
        with contextlib.suppress(apigateway.exceptions.NotFoundException):
            apigateway.delete_usage_plan(usagePlanId=plan_id)
    for key_id in keys:
        with contextlib.suppress(apigateway.exceptions.NotFoundException):
            apigateway.delete_api_key(apiKey=key_id)
