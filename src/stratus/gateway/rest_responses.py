"""What a REST API's gateway answers by itself: API Gateway's default gateway responses
("Gateway response types for API Gateway"), each with its status, its body (the default
template `{"message":$context.error.messageString}`) and its `x-amzn-ErrorType` header.

    no stage, resource or method; AWS_IAM method    403 Missing Authentication Token
    Lambda authorizer: identity missing or invalid  401 Unauthorized
      the function failed with "Unauthorized"       401 Unauthorized
      its policy denies (explicitly / implicitly)   403 {"Message": "User is not authorized
                                                        to access this resource[ with an
                                                        explicit deny]"}  (capital M, as AWS)
      error, timeout, unreadable answer             500 {"message": null}
    API key missing, unknown, disabled, no plan     403 Forbidden
    usage plan or stage throttling                  429 Too Many Requests
    usage plan quota used up                        429 Limit Exceeded
    request validation: parameters / body           400 Missing required request
                                                        parameters: [a, b] / Invalid request
                                                        body
    integration: no answer within timeoutInMillis   504 Endpoint request timed out
      Lambda refused the call (throttled, no such   500 Internal server error
      function), unsupported integration
      function error, malformed output              502 Internal server error (responses.py)
    body over 10 MB                                 413 Request Entity Too Large

An API's own gateway responses (PutGatewayResponse, or `x-amazon-apigateway-gateway-responses`
in an import), as its deployment froze them, replace these: `customized` picks the one for
the answer's type, else DEFAULT_4XX/DEFAULT_5XX by status, and takes its status, its
`gatewayresponse.header.*` mappings and its body template (`$context.error.message`,
`messageString`, `responseType`, `validationErrorString`: what failed request validation,
else the message). The integration timeout's 504, sent from a timer, and the
size limits, checked before the API is known, keep the defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import orjson

from stratus.apis.rest.model import GatewayResponse
from stratus.gateway.responses import HttpResponse
from stratus.gateway.vtl import TemplateFailed, render


@dataclass(frozen=True, slots=True)
class GatewayAnswer(HttpResponse):
    """An answer the gateway makes by itself, with what an API's gateway response of
    `response_type` needs to replace it."""

    response_type: str = "DEFAULT_5XX"
    message: str | None = None
    validation_error: str | None = None  # $context.error.validationErrorString, when not message


def gateway_response(
    status: int, message: str | None, error_type: str, response_type: str, *, key: str = "message"
) -> GatewayAnswer:
    headers = (("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type))
    return GatewayAnswer(status, headers, orjson.dumps({key: message}), response_type, message)


MISSING_TOKEN = gateway_response(
    403,
    "Missing Authentication Token",
    "MissingAuthenticationTokenException",
    "MISSING_AUTHENTICATION_TOKEN",
)
UNAUTHORIZED = gateway_response(401, "Unauthorized", "UnauthorizedException", "UNAUTHORIZED")
EXPLICIT_DENY = gateway_response(
    403,
    "User is not authorized to access this resource with an explicit deny",
    "AccessDeniedException",
    "ACCESS_DENIED",
    key="Message",
)
IMPLICIT_DENY = gateway_response(
    403,
    "User is not authorized to access this resource",
    "AccessDeniedException",
    "ACCESS_DENIED",
    key="Message",
)
AUTHORIZER_ERROR = gateway_response(
    500, None, "AuthorizerConfigurationException", "AUTHORIZER_CONFIGURATION_ERROR"
)
INVALID_KEY = gateway_response(403, "Forbidden", "ForbiddenException", "INVALID_API_KEY")
THROTTLED = gateway_response(429, "Too Many Requests", "TooManyRequestsException", "THROTTLED")
QUOTA_EXCEEDED = gateway_response(429, "Limit Exceeded", "LimitExceededException", "QUOTA_EXCEEDED")
BAD_BODY = gateway_response(400, "Invalid request body", "BadRequestException", "BAD_REQUEST_BODY")
TIMED_OUT = gateway_response(
    504, "Endpoint request timed out", "InternalServerErrorException", "INTEGRATION_TIMEOUT"
)
INTERNAL = gateway_response(
    500, "Internal server error", "InternalServerErrorException", "DEFAULT_5XX"
)
TOO_LARGE = gateway_response(
    413, "Request Entity Too Large", "RequestTooLargeException", "REQUEST_TOO_LARGE"
)
HEADERS_TOO_LARGE = gateway_response(
    431, "Request Header Fields Too Large", "RequestTooLargeException", "REQUEST_TOO_LARGE"
)
UNSUPPORTED_MEDIA_TYPE = gateway_response(
    415, "Unsupported Media Type", "UnsupportedMediaTypeException", "UNSUPPORTED_MEDIA_TYPE"
)


def bad_body(validation_error: str) -> GatewayAnswer:
    """400 Invalid request body, with what failed for `validationErrorString`."""
    return replace(BAD_BODY, validation_error=validation_error)


def missing_parameters(names: list[str]) -> GatewayAnswer:
    return gateway_response(
        400,
        f"Missing required request parameters: [{', '.join(names)}]",
        "BadRequestException",
        "BAD_REQUEST_PARAMETERS",
    )


@dataclass(frozen=True, slots=True)
class Asked:
    """What a gateway response's mappings and template may read of the request."""

    headers: Mapping[str, str]  # lower-case names
    query: Mapping[str, str]
    stage_variables: Mapping[str, str]
    context: dict[str, Any]  # $context: requestId, stage, apiId, httpMethod, identity...


def customized(
    answer: GatewayAnswer, responses: Mapping[str, GatewayResponse], asked: Asked
) -> HttpResponse:
    """`answer` as the API's own gateway response for its type says (module docstring)."""
    fallback = "DEFAULT_4XX" if answer.status < 500 else "DEFAULT_5XX"
    chosen = responses.get(answer.response_type) or responses.get(fallback)
    if chosen is None:
        return answer
    headers = {k.lower(): (k, v) for k, v in answer.headers}
    for name, source in (chosen.responseParameters or {}).items():
        value = _value(source, asked)
        header = name.removeprefix("gatewayresponse.header.")
        if value is not None:
            headers[header.lower()] = (header, value)
    body = answer.body
    templates = chosen.responseTemplates or {}
    if templates:
        accept = asked.headers.get("accept", "").split(",", 1)[0].split(";", 1)[0].strip()
        content_type = accept if accept in templates else "application/json"
        if content_type not in templates:
            content_type = next(iter(templates))
        context = asked.context | {
            "error": {
                "message": answer.message or "",
                "messageString": orjson.dumps(answer.message).decode(),
                "responseType": answer.response_type,
                "validationErrorString": (
                    answer.message or ""
                    if answer.validation_error is None
                    else answer.validation_error
                ),
            }
        }
        try:
            text = render(
                templates[content_type], body="", params={"header": dict(asked.headers),
                "querystring": dict(asked.query), "path": {}}, context=context,
                stage_variables=asked.stage_variables,
            )  # fmt: skip
        except TemplateFailed:
            text = answer.body.decode()
        body = text.encode()
        headers["content-type"] = ("Content-Type", content_type)
    status = int(chosen.statusCode) if chosen.statusCode else answer.status
    return HttpResponse(status, tuple(headers.values()), body)


def mapping_value(
    source: str,
    stage_variables: Mapping[str, str],
    context: Mapping[str, Any],
    method_request: Callable[[str, str], str | None],
) -> str | None:
    """The value of one of API Gateway's mapping expressions: a 'literal',
    `stageVariables.<name>`, `context.<path>`, or `method.request.<kind>.<name>` (and
    `method.request.body`), which `method_request(kind, name)` answers."""
    if len(source) >= 2 and source[0] == source[-1] == "'":
        return source[1:-1]
    kind, _, name = source.partition(".")
    if kind == "stageVariables":
        return stage_variables.get(name)
    if kind == "context":
        value: Any = context
        for part in name.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        return None if value is None else str(value)
    match source.split(".", 3):
        case ["method", "request", kind, name]:
            return method_request(kind, name)
        case ["method", "request", "body"]:
            return method_request("body", "")
    return None


def _value(source: str, asked: Asked) -> str | None:
    def method_request(kind: str, name: str) -> str | None:
        if kind == "header":
            return asked.headers.get(name.lower())
        return asked.query.get(name) if kind == "querystring" else None

    return mapping_value(source, asked.stage_variables, asked.context, method_request)
