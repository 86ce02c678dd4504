"""REST APIs' Lambda authorizers: TOKEN (one header) and REQUEST (headers, query strings,
stage variables, context).

Rules, as API Gateway states them: both call a function (`authorizerUri`, the
`arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations` form or a
function ARN); a TOKEN authorizer reads one header (`method.request.header.Authorization`)
and may check it against `identityValidationExpression` before calling (a regular expression,
checked with Python's `re`: AWS's are Java's, and the common subset is the same); a REQUEST
authorizer needs identity sources when its results are cached; results are cached 300 s
unless `authorizerResultTtlInSeconds` says otherwise (0 turns caching off, at most 3600).
COGNITO_USER_POOLS authorizers are refused: Stratus has no user pools yet. An authorizer
that methods use cannot be deleted.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from stratus.errors import Invalid

from .model import function_of, parse_request
from .rest_model import AUTHORIZER_TTL, Authorizer
from .rest_patch import SET, apply_patch, field, integer, item
from .rest_requests import CreateAuthorizerRequest, PatchOperation
from .rest_store import AUTHORIZERS, RESOURCES, Parts, RestStore, page

_URI_FORM = (
    "arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{function ARN}/invocations"
)
_TOKEN_SOURCE = re.compile(r"^method\.request\.header\.[^\s,]+$")
_REQUEST_SOURCE = re.compile(
    r"^(method\.request\.(header|querystring|multivalueheader|multivaluequerystring)"
    r"|stageVariables|context)\.[^\s,]+$"
)
_PATCH = (
    field("/name", ops=SET),
    field("/type", ops=SET),
    field("/authType"),
    field("/authorizerUri"),
    field("/authorizerCredentials"),
    field("/identitySource"),
    field("/identityValidationExpression"),
    field("/authorizerResultTtlInSeconds", integer),
    item("/providerARNs"),
)


def make_authorizer(fields: dict[str, Any]) -> Authorizer:
    """An authorizer from its members, checked as API Gateway checks it."""
    authorizer = parse_request(Authorizer, fields)
    kind = authorizer.type
    if kind == "COGNITO_USER_POOLS":
        raise Invalid(
            "Authorizers of type COGNITO_USER_POOLS are not supported by Stratus yet; use a "
            "TOKEN or REQUEST (Lambda) authorizer"
        )
    if not authorizer.authorizerUri:
        raise Invalid(f"Authorizer URI must be provided for {kind} authorizers: {_URI_FORM}")
    try:
        function_of(authorizer.authorizerUri)
    except Invalid:
        raise Invalid(
            f"Invalid authorizer URI {authorizer.authorizerUri!r}: give {_URI_FORM}"
        ) from None
    ttl = (
        AUTHORIZER_TTL
        if authorizer.authorizerResultTtlInSeconds is None
        else authorizer.authorizerResultTtlInSeconds
    )
    sources = [s.strip() for s in (authorizer.identitySource or "").split(",") if s.strip()]
    if kind == "TOKEN":
        if len(sources) != 1 or not _TOKEN_SOURCE.match(sources[0]):
            raise Invalid(
                "Invalid identity source specified: a TOKEN authorizer reads one header, "
                "e.g. method.request.header.Authorization"
            )
        expression = authorizer.identityValidationExpression
        if expression:
            try:
                re.compile(expression)
            except re.error as exc:
                raise Invalid(
                    f"Invalid identityValidationExpression {expression!r}: {exc}"
                ) from None
    else:
        # identityValidationExpression is TOKEN's alone: a REQUEST authorizer ignores it.
        authorizer = authorizer.model_copy(update={"identityValidationExpression": None})
        if ttl and not sources:
            raise Invalid(
                "Identity source is required for a REQUEST authorizer when its results are "
                "cached: give identitySource, or set authorizerResultTtlInSeconds to 0"
            )
        for source in sources:
            if not _REQUEST_SOURCE.match(source):
                raise Invalid(
                    f"Invalid identity source specified: {source!r}: write "
                    "method.request.header.<name>, method.request.querystring.<name>, "
                    "stageVariables.<name> or context.<name>"
                )
    identity = ", ".join(sources) or None
    return authorizer.model_copy(
        update={"authorizerResultTtlInSeconds": ttl, "identitySource": identity}
    )


def users_of(parts: Parts, authorizer_id: str) -> list[str]:
    """`METHOD /path` of every method that uses the authorizer."""
    return [
        f"{name} {resource.path}"
        for resource in parts.all(RESOURCES)
        for name, method in resource.methods.items()
        if method.authorizerId == authorizer_id
    ]


class Authorizers:
    """Create/Get/Update/Delete Authorizer(s)."""

    def __init__(self, store: RestStore, new_id: Callable[[], str]) -> None:
        self._store = store
        self._new_id = new_id

    async def create(self, api_id: str, request: CreateAuthorizerRequest) -> Authorizer:
        authorizer = make_authorizer(
            {"id": self._new_id(), **request.model_dump(exclude_none=True)}
        )

        def work(parts: Parts) -> Authorizer:
            parts.put(AUTHORIZERS, authorizer.id, authorizer)
            return authorizer

        return await self._store.write(api_id, work)

    async def get(self, api_id: str, authorizer_id: str) -> Authorizer:
        return await self._store.read(
            api_id, lambda parts: parts.require(AUTHORIZERS, authorizer_id)
        )

    async def list(
        self, api_id: str, position: str | None = None, limit: int | None = None
    ) -> tuple[list[Authorizer], str | None]:
        found = await self._store.read(api_id, lambda parts: parts.all(AUTHORIZERS))
        return page(found, lambda a: a.id, position, limit)

    async def update(
        self, api_id: str, authorizer_id: str, patch: list[PatchOperation]
    ) -> Authorizer:
        def work(parts: Parts) -> Authorizer:
            found = parts.require(AUTHORIZERS, authorizer_id)
            authorizer = make_authorizer(apply_patch(found.wire(), patch, _PATCH))
            parts.put(AUTHORIZERS, authorizer_id, authorizer)
            return authorizer

        return await self._store.write(api_id, work)

    async def delete(self, api_id: str, authorizer_id: str) -> None:
        def work(parts: Parts) -> None:
            authorizer = parts.require(AUTHORIZERS, authorizer_id)
            users = users_of(parts, authorizer_id)
            if users:
                raise Invalid(
                    f"Cannot delete authorizer '{authorizer.name}': it is used by method "
                    f"{', '.join(users)}; change their authorizationType first"
                )
            parts.delete(AUTHORIZERS, authorizer_id)

        await self._store.write(api_id, work)
