"""The API Gateway API for the methods of REST API resources, their integrations, and the
method and integration responses (under /restapis/{api}/resources/{resource}/methods), for
boto3's `apigateway` client: the table of handlers apigateway_api.py serves. Each of the four
is Put, Get, Update and Delete of one RestMethods part; the rules live in
stratus.apis.rest.methods.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stratus.apis.rest.requests import (
    PutIntegrationRequest,
    PutIntegrationResponseRequest,
    PutMethodRequest,
    PutMethodResponseRequest,
)
from stratus.apis.shape import Shape, parse_request

from .apigateway_members import one, patch_of, rest_apis
from .protocols.adapter import Call, Handler, Output

Params = dict[str, Any]


def _method(params: Params) -> tuple[str, ...]:
    return params["restApiId"], params["resourceId"], params["httpMethod"]


def _response(params: Params) -> tuple[str, ...]:
    return (*_method(params), params["statusCode"])


def _integration_body(params: Params) -> Params:
    """PutIntegration's body `httpMethod` (the integration's) is the member
    integrationHttpMethod; the member httpMethod is the method's, in the URI."""
    body = {k: v for k, v in params.items() if k != "httpMethod"}
    body["httpMethod"] = params.get("integrationHttpMethod")
    return body


def _part(
    noun: str,
    part: str,
    address: Callable[[Params], tuple[str, ...]],
    model: type[Shape],
    body: Callable[[Params], Params] = lambda params: params,
) -> dict[str, Handler]:
    """Put, Get, Update and Delete `noun`: the RestMethods calls `<verb>_<part>`, on the part
    `address` names."""

    def call_of(call: Call, verb: str) -> Any:
        return getattr(rest_apis(call).methods, f"{verb}_{part}")

    async def put(call: Call, params: Params) -> Output:
        request = parse_request(model, body(params))
        return one(await call_of(call, "put")(*address(params), request))

    async def get(call: Call, params: Params) -> Output:
        return one(await call_of(call, "get")(*address(params)))

    async def update(call: Call, params: Params) -> Output:
        return one(await call_of(call, "update")(*address(params), patch_of(params)))

    async def delete(call: Call, params: Params) -> Output:
        await call_of(call, "delete")(*address(params))
        return None

    return {f"Put{noun}": put, f"Get{noun}": get, f"Update{noun}": update, f"Delete{noun}": delete}


HANDLERS: dict[str, Handler] = {
    **_part("Method", "method", _method, PutMethodRequest),
    **_part("Integration", "integration", _method, PutIntegrationRequest, _integration_body),
    **_part("MethodResponse", "method_response", _response, PutMethodResponseRequest),
    **_part(
        "IntegrationResponse", "integration_response", _response, PutIntegrationResponseRequest
    ),
}
