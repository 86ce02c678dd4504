"""TestInvokeMethod and TestInvokeAuthorizer for boto3's `apigateway` client: the table of
handlers apigateway_api.py serves. The REST data plane runs them (gateway/rest_test_invoke.py),
reached through the app's `test_invoke` / `test_authorizer` seams that server.py sets: the
AWS adapters and the gateway are siblings that do not import each other.
"""

from __future__ import annotations

from typing import Any

from stratus.apis.rest.test_invoke import (
    TestAuthorizer,
    TestAuthorizerRequest,
    TestInvoker,
    TestInvokeRequest,
)

from .protocols.adapter import Call, Handler, Output


async def test_invoke_method(call: Call, params: dict[str, Any]) -> Output:
    invoke: TestInvoker = call.scope["app"].state.test_invoke
    found = await invoke(
        TestInvokeRequest(
            api_id=params["restApiId"], resource_id=params["resourceId"],
            http_method=params["httpMethod"], path_with_query=params.get("pathWithQueryString"),
            body=params.get("body"), headers=params.get("headers") or {},
            multi_value_headers=params.get("multiValueHeaders") or {},
            stage_variables=params.get("stageVariables") or {},
        )
    )  # fmt: skip
    return {
        "status": found.status, "body": found.body, "headers": found.headers,
        "multiValueHeaders": found.multi_value_headers, "log": found.log,
        "latency": found.latency_ms,
    }  # fmt: skip


async def test_invoke_authorizer(call: Call, params: dict[str, Any]) -> Output:
    authorize: TestAuthorizer = call.scope["app"].state.test_authorizer
    found = await authorize(
        TestAuthorizerRequest(
            api_id=params["restApiId"], authorizer_id=params["authorizerId"],
            path_with_query=params.get("pathWithQueryString"), body=params.get("body"),
            headers=params.get("headers") or {},
            multi_value_headers=params.get("multiValueHeaders") or {},
            stage_variables=params.get("stageVariables") or {},
        )
    )  # fmt: skip
    answer: dict[str, Any] = {
        "clientStatus": found.client_status, "log": found.log, "latency": found.latency_ms,
    }  # fmt: skip
    if found.principal_id is not None:
        answer["principalId"] = found.principal_id
    if found.policy is not None:
        answer["policy"] = found.policy
    return answer


HANDLERS: dict[str, Handler] = {
    "TestInvokeMethod": test_invoke_method,
    "TestInvokeAuthorizer": test_invoke_authorizer,
}
