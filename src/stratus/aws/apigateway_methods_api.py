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

from .apigateway_members import addressed, one, rest_apis
from .protocols.adapter import Call, Handler, Output

Params = dict[str, Any]
_METHOD = ("restApiId", "resourceId", "httpMethod")
_RESPONSE = (*_METHOD, "statusCode")


def _methods(call: Call) -> Any:
    return rest_apis(call).methods


def _integration_body(params: Params) -> Params:
    """PutIntegration's body `httpMethod` (the integration's) is the member
    integrationHttpMethod; the member httpMethod is the method's, in the URI."""
    body = {k: v for k, v in params.items() if k != "httpMethod"}
    body["httpMethod"] = params.get("integrationHttpMethod")
    return body


def _part(
    noun: str,
    part: str,
    address: tuple[str, ...],
    model: type[Shape],
    body: Callable[[Params], Params] = lambda params: params,
) -> dict[str, Handler]:
    """Put, Get, Update and Delete `noun`: the RestMethods calls `<verb>_<part>`, on the part
    the members `address` names."""

    async def put(call: Call, params: Params) -> Output:
        request = parse_request(model, body(params))
        at = [params[name] for name in address]
        return one(await getattr(_methods(call), f"put_{part}")(*at, request))

    verbs = {verb: f"{verb}_{part}" for verb in ("get", "update", "delete")}
    return {f"Put{noun}": put, **addressed(noun, _methods, address, **verbs)}


HANDLERS: dict[str, Handler] = {
    **_part("Method", "method", _METHOD, PutMethodRequest),
    **_part("Integration", "integration", _METHOD, PutIntegrationRequest, _integration_body),
    **_part("MethodResponse", "method_response", _RESPONSE, PutMethodResponseRequest),
    **_part(
        "IntegrationResponse", "integration_response", _RESPONSE, PutIntegrationResponseRequest
    ),
}
