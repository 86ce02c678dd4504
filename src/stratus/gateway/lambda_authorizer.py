"""Lambda (REQUEST) authorizers of HTTP APIs, as API Gateway runs them ("Control access to
HTTP APIs with AWS Lambda authorizers").

For a route with AuthorizationType CUSTOM, after the route match and before the integration:

1. every identity source (`$request.header.X`, `$request.querystring.X`, `$context.X`,
   `$stageVariables.X`) must be present and non-empty, else 401 `{"message":"Unauthorized"}`
   without invoking; `$context.X` names a context variable as access logs and parameter
   mappings do (`$context.identity.sourceIp`, `$context.routeKey`: payload 1.0's
   requestContext with routeKey);
2. with AuthorizerResultTtlInSeconds > 0, an answer cached for the same identity values (per
   API, stage and authorizer) is used instead of invoking;
3. otherwise the authorizer function gets the authorizer event (payload 2.0: version, type
   REQUEST, routeArn, identitySource as a list, then the request as payload 2.0 sends it,
   without body; payload 1.0: the 1.0 request event without body, plus type, methodArn and
   identitySource/authorizationToken as one comma-joined string);
4. its answer is a simple response `{"isAuthorized": bool, "context": {...}}` (2.0 with
   EnableSimpleResponses) or an IAM policy `{"principalId", "policyDocument": {"Statement":
   [{"Action": "execute-api:Invoke", "Effect": "Allow"|"Deny", "Resource": [...]}]},
   "context"}`, evaluated against the routeArn (`*` and `?` wildcards; an explicit Deny wins,
   no matching Allow denies);
5. allowed: `context` reaches the integration in requestContext.authorizer.lambda (2.0) or
   requestContext.authorizer (1.0, with principalId); denied: 403 `{"message":"Forbidden"}`;
   a function error, an unreadable answer, Lambda refusing the call or no answer within
   TIMEOUT seconds: 500 `{"message":"Internal Server Error"}`.

The pure parts (identity values, policy evaluation, the answer cache with an injected clock)
are tested with tables; `wait_authorize` is the gateway's entry point.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qsl

import orjson

from stratus.apis.http.model import Authorizer
from stratus.functions.service import FunctionService
from stratus.gateway.events import HttpRequest, Target, http_api_v1_event, http_api_v2_event
from stratus.gateway.pipeline import Reply, wait_bounded_invoke
from stratus.gateway.responses import HttpResponse
from stratus.policies import Request, evaluate

TIMEOUT = 10.0  # seconds an authorizer may take (API Gateway's authorizer timeout)
MAX_CACHED = 10_000
_JSON = (("content-type", "application/json"),)
UNAUTHORIZED = HttpResponse(401, _JSON, b'{"message":"Unauthorized"}')
FORBIDDEN = HttpResponse(403, _JSON, b'{"message":"Forbidden"}')
INTERNAL = HttpResponse(500, _JSON, b'{"message":"Internal Server Error"}')


class MalformedAnswer(Exception):
    """The authorizer's output is not a response API Gateway can read (500)."""


@dataclass(frozen=True, slots=True)
class Answer:
    """An authorizer's output, read; cached as is and evaluated per route."""

    authorized: bool | None  # simple responses; None for an IAM policy
    statements: tuple[Mapping[str, Any], ...] = ()
    principal_id: str | None = None
    context: Mapping[str, Any] | None = None
    usage_identifier_key: str | None = None  # REST APIs: the API key (apiKeySource AUTHORIZER)

    def allows(self, route_arn: str) -> bool:
        if self.authorized is not None:
            return self.authorized
        return policy_allows(self.statements, route_arn)


def identity_values(
    sources: Sequence[str],
    headers: Iterable[tuple[str, str]],
    query: str,
    stage_variables: Mapping[str, str],
    context: Mapping[str, Any] | None = None,
) -> list[str] | None:
    """The identity sources' values in order; None when one is missing or empty.
    `context` holds the context variables (needed only when a source is `$context.X`)."""
    headers = list(headers)
    pairs = parse_qsl(query, keep_blank_values=True)
    values: list[str] = []
    for source in sources:
        found: list[str] = []
        if source.lower().startswith("$request.header."):
            name = source[len("$request.header.") :].lower()
            found = [v for k, v in headers if k.lower() == name]
        elif source.startswith("$request.querystring."):
            name = source[len("$request.querystring.") :]
            found = [v for k, v in pairs if k == name]
        elif source.startswith("$stageVariables."):
            value = stage_variables.get(source[len("$stageVariables.") :])
            found = [value] if value is not None else []
        elif source.startswith("$context."):
            variable: Any = context or {}
            for step in source[len("$context.") :].split("."):
                variable = variable.get(step) if isinstance(variable, Mapping) else None
            found = [str(variable)] if isinstance(variable, str | int | float) else []
        joined = ",".join(found)
        if not joined.strip():
            return None
        values.append(joined)
    return values


def any_context(sources: Sequence[str]) -> bool:
    return any(source.startswith("$context.") for source in sources)


def context_variables(request: HttpRequest, target: Target) -> dict[str, Any]:
    """An HTTP API request's context variables, by their `$context` names: payload 1.0's
    requestContext (identity.sourceIp, requestId, httpMethod, path, stage...) and
    routeKey."""
    context: dict[str, Any] = http_api_v1_event(request, replace(target, jwt=None))[
        "requestContext"
    ]
    return context | {"routeKey": target.match.route.key}


def route_arn(region: str, account_id: str, api_id: str, stage: str, method: str, path: str) -> str:
    """`arn:aws:execute-api:{region}:{account}:{api}/{stage}/{METHOD}{/path}`."""
    return f"arn:aws:execute-api:{region}:{account_id}:{api_id}/{stage}/{method}{path}"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_effect(statements: Sequence[Mapping[str, Any]], arn: str) -> str:
    """IAM evaluation for execute-api:Invoke on `arn`: "Deny" when a matching statement
    denies (it wins), else "Allow" when one allows, else "" (denied implicitly)."""
    found = evaluate({"Statement": list(statements)}, Request("execute-api:Invoke", arn))
    return found or ""


def policy_allows(statements: Sequence[Mapping[str, Any]], arn: str) -> bool:
    """Whether the statements allow execute-api:Invoke on `arn` (see policy_effect)."""
    return policy_effect(statements, arn) == "Allow"


def read_answer(output: bytes, simple: bool) -> Answer:
    """The authorizer's output, read as API Gateway reads it; raises MalformedAnswer."""
    try:
        data = json.loads(output)
    except ValueError as exc:
        raise MalformedAnswer("not JSON") from exc
    if not isinstance(data, dict):
        raise MalformedAnswer("not an object")
    context = data.get("context")
    if context is not None and not isinstance(context, dict):
        raise MalformedAnswer("context is not an object")
    if simple and "policyDocument" not in data:
        authorized = data.get("isAuthorized")
        if not isinstance(authorized, bool):
            raise MalformedAnswer("isAuthorized is not a boolean")
        return Answer(authorized, context=context)
    document = data.get("policyDocument")
    if not isinstance(document, dict):
        raise MalformedAnswer("no policyDocument")
    statements = document.get("Statement")
    statements = _as_list(statements) if statements is not None else []
    if not all(isinstance(s, dict) for s in statements):
        raise MalformedAnswer("a Statement is not an object")
    principal = data.get("principalId")
    key = data.get("usageIdentifierKey")
    return Answer(
        None,
        tuple(statements),
        principal if isinstance(principal, str) else None,
        context,
        key if isinstance(key, str) else None,
    )


class ResultCache:
    """Authorizers' answers by (api, stage, authorizer, identity values), kept for the
    authorizer's TTL; the oldest entries go past `max_entries`."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, max_entries: int = MAX_CACHED
    ) -> None:
        self._clock = clock
        self._max = max_entries
        self._entries: OrderedDict[tuple[str, ...], tuple[float, Answer]] = OrderedDict()

    def get(self, key: tuple[str, ...]) -> Answer | None:
        found = self._entries.get(key)
        if found is None:
            return None
        if self._clock() >= found[0]:
            del self._entries[key]
            return None
        return found[1]

    def put(self, key: tuple[str, ...], answer: Answer, ttl: float) -> None:
        if ttl <= 0:
            return
        self._entries[key] = (self._clock() + ttl, answer)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)


def authorizer_event(
    authorizer: Authorizer, request: HttpRequest, target: Target, arn: str, identity: list[str]
) -> dict[str, Any]:
    """What the authorizer function receives (see the module docstring)."""
    target = replace(target, jwt=None)
    if authorizer.AuthorizerPayloadFormatVersion == "1.0":
        event = http_api_v1_event(request, target)
        joined = ",".join(identity)
        head: dict[str, Any] = {"version": "1.0", "type": "REQUEST", "methodArn": arn}
        rest = {"identitySource": joined, "authorizationToken": joined}
    else:
        event = http_api_v2_event(request, target)
        head = {"version": "2.0", "type": "REQUEST", "routeArn": arn, "identitySource": identity}
        rest = {}
    for key in ("version", "body", "isBase64Encoded"):
        event.pop(key, None)
    return head | event | rest


def with_context(event: dict[str, Any], version: str, answer: Answer) -> None:
    """Adds the authorizer's context to the integration's event (payload `version`)."""
    context = dict(answer.context or {})
    if version == "2.0":
        event["requestContext"]["authorizer"] = {"lambda": context}
    else:
        if answer.principal_id is not None:
            context.setdefault("principalId", answer.principal_id)
        event["requestContext"]["authorizer"] = context


async def wait_authorize(
    functions: FunctionService,
    cache: ResultCache,
    authorizer: Authorizer | None,
    request: HttpRequest,
    target: Target,
    region: str,
    event: dict[str, Any],
    event_version: str,
    reply: Reply,
    generation: int = 0,
) -> HttpResponse | None:
    """Runs the route's Lambda authorizer: None when allowed (the context then added to
    `event`, the integration's event of payload `event_version`), else the answer to send.
    The invocation runs in the request's task group (an authorizer past TIMEOUT is not
    stopped, as for integrations)."""
    if authorizer is None or authorizer.AuthorizerType != "REQUEST":
        return INTERNAL  # the route's authorizer is gone
    sources = authorizer.IdentitySource
    # Context variables are built only for an authorizer that reads them.
    context = context_variables(request, target) if any_context(sources) else None
    identity = identity_values(
        sources, request.headers, request.query, target.stage_variables, context
    )
    if identity is None:
        return UNAUTHORIZED
    arn = route_arn(
        region, target.account_id, request.api_id, request.stage, request.method, request.path
    )
    key = (request.api_id, request.stage, str(generation), authorizer.AuthorizerId, *identity)
    ttl = authorizer.AuthorizerResultTtlInSeconds or 0
    answer = cache.get(key) if ttl and identity else None
    if answer is None:
        payload = orjson.dumps(authorizer_event(authorizer, request, target, arn, identity))
        result = await wait_bounded_invoke(functions, authorizer.function, payload, reply, TIMEOUT)
        if result is None or result.function_error:
            return INTERNAL
        try:
            answer = read_answer(result.payload, bool(authorizer.EnableSimpleResponses))
        except MalformedAnswer:
            return INTERNAL
        if identity:
            cache.put(key, answer, ttl)
    if not answer.allows(arn):
        return FORBIDDEN
    with_context(event, event_version, answer)
    return None
