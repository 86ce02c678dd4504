"""The Lambda event API Gateway sends for an HTTP request, in its three shapes.

    HTTP API, payload format 2.0   http_api_v2_event   version "2.0", rawPath, cookies, ...
    HTTP API, payload format 1.0   http_api_v1_event   version "1.0", multiValue* fields
    REST API, Lambda proxy         rest_event          no version; case-preserving headers
    Lambda function URL            function_url_event  payload 2.0, routeKey "$default"
    REST TOKEN authorizer          token_authorizer_event    type, authorizationToken, methodArn
    REST REQUEST authorizer        request_authorizer_event  the REST event without body

The shapes follow AWS's documented examples ("Create AWS Lambda proxy integrations for HTTP
APIs", "Input format of a Lambda function for proxy integration"). Differences that matter:

- HTTP APIs lower-case header names; 2.0 joins repeated headers and query parameters with
  commas, moves `Cookie` headers to `cookies` (split on `; `), and leaves out empty fields;
  1.0 and REST send `null` for empty fields and keep every value in `multiValue*`, the last
  one in the single-valued map.
- Paths: `path` in a request is the path *inside* the stage, which routes match. HTTP APIs
  report the path as the client sent it (with `/<stage>` unless the stage is `$default`);
  REST reports the resource path in `path` and the full one in `requestContext.path`.
- Bodies: HTTP APIs base64-encode anything that is not text (see `is_text`); REST APIs
  only bodies whose content type is one of the API's binaryMediaTypes.

Pure logic: the caller supplies ids, times and the matched route.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from typing import Any, Literal
from urllib.parse import parse_qsl

from stratus.apis.http.routes import Match, RouteKey
from stratus.iam.model import Identity

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_IDENTITY_UNKNOWN = (
    "accessKey",
    "accountId",
    "caller",
    "cognitoAuthenticationProvider",
    "cognitoAuthenticationType",
    "cognitoIdentityId",
    "cognitoIdentityPoolId",
    "principalOrgId",
    "user",
    "userArn",
)
_IDENTITY_NULLS: dict[str, str | None] = dict.fromkeys(_IDENTITY_UNKNOWN)
_TEXT_TYPES = ("application/json", "application/javascript", "application/xml", "application/yaml")


# HttpRequest and Target are made per request and never changed, yet not frozen: a frozen
# dataclass's __init__ sets each field through object.__setattr__, twice the cost (~1.5 us
# per request for the two).


@dataclass(slots=True)
class HttpRequest:
    """An incoming request, as the gateway's HTTP server saw it."""

    method: str
    path: str  # raw (percent-encoded) path inside the stage, e.g. "/pets/1"
    query: str  # raw query string without "?"
    headers: tuple[tuple[str, str], ...]
    body: bytes
    source_ip: str
    stage: str
    api_id: str
    domain_name: str
    request_id: str
    time: datetime  # aware
    protocol: str = "HTTP/1.1"


@dataclass(slots=True)
class Target:
    """What the gateway knows about where the request goes."""

    match: Match
    account_id: str
    stage_variables: Mapping[str, str] = field(default_factory=dict)
    resource_id: str | None = None  # REST APIs: the id of the matched resource
    binary_media_types: Sequence[str] = ()  # REST APIs only
    deployment_id: str | None = None  # REST APIs: the stage's deployment
    # A JWT authorizer's output: {"claims": {...}, "scopes": [...] or None}
    jwt: Mapping[str, Any] | None = None


def request_time(at: datetime) -> str:
    """`12/Mar/2020:19:03:58 +0000`, in English whatever the locale."""
    # The text changes once a second and every request asks: the last one is kept, by
    # the instant's whole second (whatever `at`'s zone).
    global _kept
    second = at.timestamp() // 1
    if second != _kept[0]:
        _kept = (second, _time_text(at.astimezone(UTC)))  # one store: the pair stays a pair
    return _kept[1]


_kept: tuple[float, str] = (-1.0, "")  # request_time's last (second, text)


def _time_text(at: datetime) -> str:
    # Plain integer fields, not `{at:%Y:%H:%M:%S}`: strftime is a measurable per-request
    # cost on the gateway path (bench/gateway.py). Same text; years are 4 digits (1-9999).
    return (
        f"{at.day:02d}/{_MONTHS[at.month - 1]}/{at.year:04d}:"
        f"{at.hour:02d}:{at.minute:02d}:{at.second:02d} +0000"
    )


def epoch_ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def is_text(content_type: str | None) -> bool:
    """Whether an HTTP API passes a body of this type as text (else base64)."""
    if not content_type:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return (
        media.startswith("text/")
        or media in _TEXT_TYPES
        or media.endswith(("+json", "+xml", "+yaml"))
    )


def http_api_v2_event(request: HttpRequest, target: Target) -> dict[str, Any]:
    headers, cookies = _v2_headers(request.headers)
    query = _joined(_multi(_query_pairs(request.query))) if request.query else {}
    route = target.match.route
    full_path = _full_path(request)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.key,
        "rawPath": full_path,
        "rawQueryString": request.query,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    event["requestContext"] = {
        "accountId": target.account_id,
        "apiId": request.api_id,
        "domainName": request.domain_name,
        "domainPrefix": request.domain_name.split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": full_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request.request_id,
        "routeKey": route.key,
        "stage": request.stage,
        "time": request_time(request.time),
        "timeEpoch": epoch_ms(request.time),
    }
    if target.jwt is not None:
        event["requestContext"]["authorizer"] = {"jwt": dict(target.jwt)}
    binary = not is_text(headers.get("content-type"))
    if request.body:
        event["body"] = _body(request.body, binary)
    if target.match.path_parameters:
        event["pathParameters"] = dict(target.match.path_parameters)
    event["isBase64Encoded"] = bool(request.body) and binary
    if target.stage_variables:
        event["stageVariables"] = dict(target.stage_variables)
    return event


def _v2_headers(pairs: Sequence[tuple[str, str]]) -> tuple[dict[str, str], list[str]]:
    """Payload 2.0's headers (names lower-cased, repeats joined with commas, in first-seen
    order) and cookies (every Cookie header split on `;`). One pass: this runs per request."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in pairs:
        name = name.lower()
        if name == "cookie":
            cookies += [c for part in value.split(";") if (c := part.strip())]
        elif name in headers:
            headers[name] += "," + value
        else:
            headers[name] = value
    return headers, cookies


def function_url_event(
    request: HttpRequest, caller: Identity | Literal["anonymous"] = "anonymous"
) -> dict[str, Any]:
    """What a function URL sends ("Invoking Lambda function URLs", request payload): the
    payload 2.0 shape with routeKey and stage `$default` and apiId/domainPrefix the url-id.
    `request.stage` must be `$default` and `request.api_id` the url-id. accountId is
    "anonymous" for AuthType NONE; under AWS_IAM it is the signer's account, and
    requestContext.authorizer.iam says who signed."""
    account_id = caller if isinstance(caller, str) else caller.account
    target = Target(Match(RouteKey.parse("$default"), {}), account_id)
    event = http_api_v2_event(request, target)
    event["requestContext"]["accountId"] = account_id
    if not isinstance(caller, str):
        event["requestContext"]["authorizer"] = {"iam": iam_context(caller)}
    return event


def iam_context(caller: Identity) -> dict[str, Any]:
    """requestContext.authorizer.iam of payload 2.0 for a signed request."""
    return {
        "accessKey": caller.access_key,
        "accountId": caller.account,
        "callerId": caller.user_id,
        "cognitoIdentity": None,
        "principalOrgId": None,
        "userArn": caller.arn,
        "userId": caller.user_id,
    }


def http_api_v1_event(request: HttpRequest, target: Target) -> dict[str, Any]:
    route = target.match.route
    full_path = _full_path(request)
    multi = _multi(request.headers, lower=True)
    binary = not is_text(_last(multi, "content-type"))
    event: dict[str, Any] = {"version": "1.0", "resource": route.path, "path": full_path}
    event |= _v1_common(request, target, multi, binary)
    event["requestContext"] |= {
        "domainName": request.domain_name,
        "domainPrefix": request.domain_name.split(".", 1)[0],
        "extendedRequestId": request.request_id,
        "path": full_path,
        "protocol": request.protocol,
        "resourceId": None,
        "resourcePath": route.path,
    }
    if target.jwt is not None:
        event["requestContext"]["authorizer"] = dict(target.jwt)
    return event


def rest_event(request: HttpRequest, target: Target) -> dict[str, Any]:
    route = target.match.route
    multi = _multi(request.headers, lower=False)
    binary = False
    if target.binary_media_types:  # (most APIs have none: no need to find the type)
        content_type = _last({k.lower(): v for k, v in multi.items()}, "content-type")
        binary = _is_binary_media(content_type, target.binary_media_types)
    event: dict[str, Any] = {"resource": route.path, "path": request.path}
    event |= _v1_common(request, target, multi, binary)
    event["requestContext"] |= {
        "domainName": request.domain_name,
        "domainPrefix": request.domain_name.split(".", 1)[0],
        "extendedRequestId": request.request_id,
        "path": _full_path(request),
        "protocol": request.protocol,
        "resourceId": target.resource_id,
        "resourcePath": route.path,
    }
    if target.deployment_id is not None:
        event["requestContext"]["deploymentId"] = target.deployment_id
    return event


def _v1_common(
    request: HttpRequest, target: Target, multi: dict[str, list[str]], binary: bool
) -> dict[str, Any]:
    """The fields payload format 1.0 and REST proxy events share."""
    query = _multi(_query_pairs(request.query)) if request.query else {}
    return {
        "httpMethod": request.method,
        "headers": {k: v[-1] for k, v in multi.items()},
        "multiValueHeaders": multi,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
        "multiValueQueryStringParameters": query or None,
        "requestContext": {
            "accountId": target.account_id,
            "apiId": request.api_id,
            "httpMethod": request.method,
            "identity": _identity(request.source_ip, _last(multi, "user-agent", "User-Agent")),
            "requestId": request.request_id,
            "requestTime": request_time(request.time),
            "requestTimeEpoch": epoch_ms(request.time),
            "stage": request.stage,
        },
        "pathParameters": dict(target.match.path_parameters) or None,
        "stageVariables": dict(target.stage_variables) or None,
        "body": _body(request.body, binary) if request.body else None,
        "isBase64Encoded": bool(request.body) and binary,
    }


def _identity(source_ip: str, user_agent: str | None) -> dict[str, str | None]:
    # Without IAM or Cognito authorization AWS sends these keys with null values.
    return {**_IDENTITY_NULLS, "sourceIp": source_ip, "userAgent": user_agent}


def _query_pairs(query: str) -> list[tuple[str, str]]:
    # Most requests have no query string: skip parse_qsl's set-up for them (gateway hot path).
    return parse_qsl(query, keep_blank_values=True) if query else []


def _multi(pairs: Sequence[tuple[str, str]], *, lower: bool = False) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in pairs:
        out.setdefault(name.lower() if lower else name, []).append(value)
    return out


def _joined(multi: dict[str, list[str]]) -> dict[str, str]:
    return {k: ",".join(v) for k, v in multi.items()}


def _last(multi: Mapping[str, list[str]], *names: str) -> str | None:
    for name in names:
        if name in multi:
            return multi[name][-1]
    return None


def _full_path(request: HttpRequest) -> str:
    return request.path if request.stage == "$default" else f"/{request.stage}{request.path}"


def _body(body: bytes, binary: bool) -> str:
    if binary:
        return base64.b64encode(body).decode("ascii")
    return body.decode("utf-8", errors="replace")


def _is_binary_media(content_type: str | None, binary_media_types: Sequence[str]) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return any(fnmatchcase(media, pattern.lower()) for pattern in binary_media_types)


def token_authorizer_event(token: str, method_arn: str) -> dict[str, Any]:
    """What a REST API's TOKEN authorizer receives ("Input to an API Gateway Lambda
    authorizer"): the token from the identity header and the method's ARN, nothing more."""
    return {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}


def request_authorizer_event(
    request: HttpRequest, target: Target, method_arn: str
) -> dict[str, Any]:
    """What a REST API's REQUEST authorizer receives: the proxy event without the body,
    after `type` and `methodArn`."""
    event = rest_event(request, target)
    for key in ("body", "isBase64Encoded"):
        event.pop(key, None)
    return {"type": "REQUEST", "methodArn": method_arn} | event
