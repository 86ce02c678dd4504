"""Lambda authorizers of REST APIs (TOKEN and REQUEST), as API Gateway runs them ("Use API
Gateway Lambda authorizers", "Input to / Output from an API Gateway Lambda authorizer").

For a method with authorizationType CUSTOM, after the stage's throttling and before API keys:

1. the identity: TOKEN reads the one header of `method.request.header.X` and, with an
   identityValidationExpression, needs it to match (a full match, as Java's `matches`);
   REQUEST reads every source of its comma-separated identitySource
   (`method.request.header|multivalueheader|querystring|multivaluequerystring.X`,
   `stageVariables.X`, `context.X`). A value missing or empty is 401 Unauthorized, without
   calling the function;
2. with authorizerResultTtlInSeconds > 0 (300 unless set), an answer cached for the same
   identity (per API, stage and authorizer) is used instead of calling the function;
3. the function gets `{"type": "TOKEN", "authorizationToken", "methodArn"}` or the proxy
   event without body, after `"type": "REQUEST", "methodArn"` (events.py);
4. its answer `{"principalId", "policyDocument", "context", "usageIdentifierKey"}` is read as
   HTTP APIs read IAM policies (lambda_authorizer.py) and evaluated against the methodArn
   `arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}/{path}`: an explicit Deny
   or no Allow is 403 (two bodies, rest_responses.py); the function failing with the message
   "Unauthorized" is 401; any other failure, an unreadable answer, or a context value that is
   not a string, number or boolean is 500 `{"message": null}`;
5. allowed: requestContext.authorizer becomes `{"principalId", "integrationLatency" (ms, 0
   when cached), **context}`, the context's values as strings, as REST APIs pass them.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from stratus.apis.rest.model import AUTHORIZER_TTL, Authorizer
from stratus.functions.service import FunctionService
from stratus.gateway.events import token_authorizer_event
from stratus.gateway.lambda_authorizer import (
    TIMEOUT,
    Answer,
    MalformedAnswer,
    ResultCache,
    policy_effect,
    read_answer,
)
from stratus.gateway.pipeline import Reply, wait_bounded_invoke
from stratus.gateway.responses import HttpResponse
from stratus.gateway.rest_responses import (
    AUTHORIZER_ERROR,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    UNAUTHORIZED,
)
from stratus.runtime.spec import InvokeResult

_SOURCE = re.compile(
    r"^(?:method\.request\.(header|multivalueheader|querystring|multivaluequerystring)"
    r"|(stageVariables)|(context))\.(.+)$"
)


@dataclass(frozen=True, slots=True)
class Granted:
    """An authorizer's leave to pass: what the integration's event carries."""

    authorizer: dict[str, Any]  # requestContext.authorizer
    usage_identifier_key: str | None  # the API key, for apiKeySource AUTHORIZER


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _header(event: Mapping[str, Any], name: str, *, multi: bool = False) -> str | None:
    name = name.lower()
    source = event["multiValueHeaders"]
    values = [v for k, vs in source.items() if k.lower() == name for v in vs]
    if not values:
        return None
    return ",".join(values) if multi else values[-1]


def identity_value(source: str, event: Mapping[str, Any]) -> str | None:
    """One identity source's value in the proxy event, or None when it has none."""
    found = _SOURCE.match(source.strip())
    if found is None:
        return None
    kind, stage_variables, context, name = found.groups()
    if kind in ("header", "multivalueheader"):
        return _header(event, name, multi=kind == "multivalueheader")
    if kind in ("querystring", "multivaluequerystring"):
        values = (event["multiValueQueryStringParameters"] or {}).get(name) or []
        if not values:
            return None
        return ",".join(values) if kind == "multivaluequerystring" else values[-1]
    if stage_variables:
        return (event["stageVariables"] or {}).get(name)
    value = event["requestContext"].get(name) if context else None
    return None if value is None or isinstance(value, dict) else _scalar(value)


def identity_of(authorizer: Authorizer, event: Mapping[str, Any]) -> list[str] | None:
    """The identity values in order (see the module docstring), None when missing."""
    sources = [s for s in (authorizer.identitySource or "").split(",") if s.strip()]
    values = [identity_value(source, event) for source in sources]
    if not all(values):
        return None
    if authorizer.type == "TOKEN":
        expression = authorizer.identityValidationExpression
        if not values or (expression and not _matches(expression, values[0] or "")):
            return None
    return [v for v in values if v]


def _matches(expression: str, token: str) -> bool:
    try:
        return re.fullmatch(expression, token) is not None
    except re.error:  # checked when the authorizer was made; Java's syntax may differ
        return False


def granted(answer: Answer, latency_ms: int) -> Granted | HttpResponse:
    """The leave an allowing answer gives, or 500 for a context API Gateway refuses."""
    context = dict(answer.context or {})
    if any(isinstance(v, dict | list) or v is None for v in context.values()):
        return AUTHORIZER_ERROR
    authorizer: dict[str, Any] = {}
    if answer.principal_id is not None:
        authorizer["principalId"] = answer.principal_id
    authorizer["integrationLatency"] = latency_ms
    authorizer |= {k: _scalar(v) for k, v in context.items()}
    return Granted(authorizer, answer.usage_identifier_key)


def _unauthorized(result: InvokeResult) -> bool:
    """Whether the function failed with the message "Unauthorized" (API Gateway's 401)."""
    try:
        error = orjson.loads(result.payload)
    except orjson.JSONDecodeError:
        return False
    return isinstance(error, dict) and error.get("errorMessage") == "Unauthorized"


async def wait_authorize(
    functions: FunctionService,
    cache: ResultCache,
    authorizer: Authorizer | None,
    event: Mapping[str, Any],
    method_arn: str,
    reply: Reply,
    generation: int = 0,
) -> Granted | HttpResponse:
    """Runs the method's authorizer for the proxy `event` (see the module docstring): the
    leave to pass, or the answer to send. The call runs in the request's task group (an
    authorizer past TIMEOUT is not stopped, as for integrations)."""
    if authorizer is None or authorizer.type not in ("TOKEN", "REQUEST"):
        return AUTHORIZER_ERROR  # the method's authorizer is gone, or one Stratus cannot run
    identity = identity_of(authorizer, event)
    if identity is None:
        return UNAUTHORIZED
    context = event["requestContext"]
    key = (context["apiId"], context["stage"], str(generation), authorizer.id, *identity)
    ttl = AUTHORIZER_TTL if authorizer.authorizerResultTtlInSeconds is None else (
        authorizer.authorizerResultTtlInSeconds
    )  # fmt: skip
    answer = cache.get(key) if ttl and identity else None
    latency = 0
    if answer is None:
        if authorizer.type == "TOKEN":
            request = token_authorizer_event(identity[0], method_arn)
        else:
            request = {"type": "REQUEST", "methodArn": method_arn} | {
                k: v for k, v in event.items() if k not in ("body", "isBase64Encoded")
            }
        started = time.monotonic()
        payload = orjson.dumps(request)
        result = await wait_bounded_invoke(functions, authorizer.function, payload, reply, TIMEOUT)
        if result is None:  # refused by Lambda, or past TIMEOUT
            return AUTHORIZER_ERROR
        latency = int((time.monotonic() - started) * 1000)
        if result.function_error:
            return UNAUTHORIZED if _unauthorized(result) else AUTHORIZER_ERROR
        try:
            answer = read_answer(result.payload, simple=False)
        except MalformedAnswer:
            return AUTHORIZER_ERROR
        if identity:
            cache.put(key, answer, ttl)
    effect = policy_effect(answer.statements, method_arn)
    if effect != "Allow":
        return EXPLICIT_DENY if effect == "Deny" else IMPLICIT_DENY
    return granted(answer, latency)
