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

Stratus has no gateway responses of its own (PutGatewayResponse): these are the defaults.
"""

from __future__ import annotations

import orjson

from stratus.gateway.responses import HttpResponse


def gateway_response(
    status: int, message: str | None, error_type: str, *, key: str = "message"
) -> HttpResponse:
    headers = (("Content-Type", "application/json"), ("x-amzn-ErrorType", error_type))
    return HttpResponse(status, headers, orjson.dumps({key: message}))


MISSING_TOKEN = gateway_response(
    403, "Missing Authentication Token", "MissingAuthenticationTokenException"
)
UNAUTHORIZED = gateway_response(401, "Unauthorized", "UnauthorizedException")
EXPLICIT_DENY = gateway_response(
    403,
    "User is not authorized to access this resource with an explicit deny",
    "AccessDeniedException",
    key="Message",
)
IMPLICIT_DENY = gateway_response(
    403, "User is not authorized to access this resource", "AccessDeniedException", key="Message"
)
AUTHORIZER_ERROR = gateway_response(500, None, "AuthorizerConfigurationException")
INVALID_KEY = gateway_response(403, "Forbidden", "ForbiddenException")
THROTTLED = gateway_response(429, "Too Many Requests", "TooManyRequestsException")
QUOTA_EXCEEDED = gateway_response(429, "Limit Exceeded", "LimitExceededException")
BAD_BODY = gateway_response(400, "Invalid request body", "BadRequestException")
TIMED_OUT = gateway_response(504, "Endpoint request timed out", "InternalServerErrorException")
INTERNAL = gateway_response(500, "Internal server error", "InternalServerErrorException")
TOO_LARGE = gateway_response(413, "Request Entity Too Large", "RequestTooLargeException")
HEADERS_TOO_LARGE = gateway_response(
    431, "Request Header Fields Too Large", "RequestTooLargeException"
)


def missing_parameters(names: list[str]) -> HttpResponse:
    return gateway_response(
        400, f"Missing required request parameters: [{', '.join(names)}]", "BadRequestException"
    )
