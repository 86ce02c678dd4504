"""CORS for browser requests to buckets, from the bucket's CORS rules (PutBucketCors), as S3
evaluates them:

    preflight  OPTIONS with Origin and Access-Control-Request-Method: the first rule whose
               AllowedOrigins match the origin (one * wildcard each), whose AllowedMethods
               hold the method and whose AllowedHeaders match every requested header answers
               200 with Access-Control-Allow-*; no rule is 403 AccessForbidden (and a bucket
               without rules 403 "CORS is not enabled for this bucket").
    request    any other request with an Origin: the matching rule's Access-Control-Allow-
               Origin/-Methods, -Expose-Headers and -Max-Age are added to the answer; no
               rule, no headers (the browser then refuses the answer).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Scope

from stratus.errors import StratusError
from stratus.services import Services

_NOT_ALLOWED = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution "
    "of Origin, request method / Access-Control-Request-Method or Access-Control-Request-"
    "Headers are not whitelisted by the resource's CORS spec."
)
_NOT_ENABLED = "CORSResponse: CORS is not enabled for this bucket."


def _matches(pattern: str, value: str) -> bool:
    """S3's patterns: literal, with at most one * matching any run of characters."""
    if pattern == "*":
        return True
    regex = ".*".join(re.escape(part) for part in pattern.split("*", 1))
    return re.fullmatch(regex, value, re.IGNORECASE) is not None


def find_rule(
    rules: Sequence[Mapping[str, Any]], origin: str, method: str, headers: Sequence[str]
) -> Mapping[str, Any] | None:
    for rule in rules:
        if not any(_matches(o, origin) for o in rule.get("AllowedOrigins", [])):
            continue
        if method not in rule.get("AllowedMethods", []):
            continue
        allowed = rule.get("AllowedHeaders", [])
        if all(any(_matches(a, h) for a in allowed) for h in headers):
            return rule
    return None


def allow_headers(rule: Mapping[str, Any], origin: str) -> dict[str, str]:
    wildcard = "*" in rule.get("AllowedOrigins", [])
    out = {
        "Access-Control-Allow-Origin": "*" if wildcard else origin,
        "Access-Control-Allow-Methods": ", ".join(rule.get("AllowedMethods", [])),
        "Vary": "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
    }
    if not wildcard:
        out["Access-Control-Allow-Credentials"] = "true"
    if rule.get("ExposeHeaders"):
        out["Access-Control-Expose-Headers"] = ", ".join(rule["ExposeHeaders"])
    if rule.get("MaxAgeSeconds") is not None:
        out["Access-Control-Max-Age"] = str(rule["MaxAgeSeconds"])
    return out


@dataclass(frozen=True, slots=True)
class Cors:
    """The CORS view of one request that carries an Origin."""

    origin: str
    rules: Sequence[Mapping[str, Any]] | None  # None: the bucket has none (or is missing)

    def preflight(self, headers: Headers) -> Response:
        method = headers.get("access-control-request-method", "")
        requested = [
            h.strip().lower()
            for h in headers.get("access-control-request-headers", "").split(",")
            if h.strip()
        ]
        if not self.rules:
            return _forbidden(_NOT_ENABLED, method)
        rule = find_rule(self.rules, self.origin, method, requested)
        if rule is None:
            return _forbidden(_NOT_ALLOWED, method)
        answer = allow_headers(rule, self.origin)
        if requested:
            answer["Access-Control-Allow-Headers"] = ", ".join(requested)
        return Response(b"", 200, answer)

    def decorate(self, response: Response, method: str) -> None:
        rule = find_rule(self.rules or [], self.origin, method, [])
        if rule is not None:
            response.headers.update(allow_headers(rule, self.origin))


def _forbidden(message: str, method: str) -> Response:
    body = (
        f"<Error><Code>AccessForbidden</Code><Message>{message}</Message>"
        f"<Method>{method}</Method><ResourceType>BUCKET</ResourceType></Error>"
    )
    return Response(body.encode(), 403, {"Content-Type": "application/xml"})


def is_preflight(scope: Scope) -> bool:
    if scope["method"] != "OPTIONS":
        return False
    names = {name for name, _ in scope["headers"]}
    return b"origin" in names and b"access-control-request-method" in names


async def wait_cors(scope: Scope, headers: Headers) -> Cors | None:
    """The request's CORS view, when it carries an Origin (else None: no CORS work)."""
    origin = headers.get("origin")
    if origin is None:
        return None
    bucket = scope["path"].lstrip("/").split("/", 1)[0]
    services: Services = scope["app"].state.services
    try:
        found = await services.objects.bucket(bucket)
    except StratusError:
        return Cors(origin, None)
    return Cors(origin, found.cors)
