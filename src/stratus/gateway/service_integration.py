"""HTTP APIs' AWS service integrations (an IntegrationSubtype: apis/http/subtypes.py) on the
data plane: the integration's RequestParameters read against the request, the AWS API
called in process, and its answer given to the client.

    parameters   each value's references replaced by what the request holds (a header's
                 or query parameter's values joined by commas; `$request.body.<path>`
                 selected, as Jayway does, from the body's first 100 KB; an object or
                 list as JSON text); what is missing reads as nothing, and a parameter that
                 comes out empty is left out (a required one is then the API's refusal)
    the call     `ServiceCalls` (aws/service_integrations.py, from server.py): the API's
                 own handler, as workflow Tasks call it, never HTTP to ourselves
    the answer   the API's: its status, Content-Type and body, errors included
    late         past the integration's TimeoutInMillis, 503 Service Unavailable (the call
                 runs on; its answer is dropped), as for Lambda integrations
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any, Protocol

import orjson

from stratus.apis.http.model import Integration
from stratus.apis.http.subtypes import UNUSED, Reference, parts, subtype_of
from stratus.gateway.pipeline import Reply, answered_late
from stratus.gateway.responses import HttpResponse
from stratus.workflows.jsonpath import PathError, PathNotFound, select

BODY_SELECTED = 100 * 1024  # bytes of body a JSONPath reads ("Mapping request parameters")


class ServiceCalls(Protocol):
    """An AWS API called in process: (status, Content-Type, body) as it answers."""

    async def wait_answer(
        self, service: str, operation: str, parameters: Mapping[str, Any]
    ) -> tuple[int, str, bytes]: ...


async def wait_service(
    calls: ServiceCalls,
    integration: Integration,
    event: Mapping[str, Any],
    body: bytes,
    reply: Reply,
    late: HttpResponse,
) -> HttpResponse:
    """The answer of `integration`'s API to the request `event` (the 1.0 payload the
    gateway built; `body` as it came)."""
    subtype = subtype_of(integration.IntegrationSubtype or "")
    request = _Request(event, body)
    values = {
        key: text
        for key, value in (integration.RequestParameters or {}).items()
        if key != UNUSED and (text := request.text(value))
    }
    parameters = {subtype.entry: [values]} if subtype.entry else values
    with answered_late(reply, integration.TimeoutInMillis, late):
        status, content_type, answer = await calls.wait_answer(
            subtype.service, subtype.operation, parameters
        )
    return HttpResponse(status, (("content-type", content_type),), answer)


class _Request:
    """What references read: the 1.0 event's headers, query string, path parameters,
    stage variables and requestContext, and the body as it came."""

    def __init__(self, event: Mapping[str, Any], body: bytes) -> None:
        self._event = event
        self._body = body

    def text(self, value: str) -> str:
        return "".join(p if isinstance(p, str) else self._value(p) for p in parts(value))

    def _value(self, reference: Reference) -> str:
        event, name = self._event, reference.name
        if reference.source == "header":
            return ",".join((event.get("multiValueHeaders") or {}).get(name.lower(), ()))
        if reference.source == "querystring":
            return ",".join((event.get("multiValueQueryStringParameters") or {}).get(name, ()))
        if reference.source == "path":
            return str((event.get("pathParameters") or {}).get(name, ""))
        if reference.source == "stageVariables":
            return str((event.get("stageVariables") or {}).get(name, ""))
        if reference.source == "context":
            found: Any = event.get("requestContext") or {}
            for step in name.split("."):
                found = found.get(step) if isinstance(found, Mapping) else None
            return _text(found)
        if not name:
            return self._body.decode("utf-8", "replace")
        try:
            return _text(select(name, self._document))
        except (PathNotFound, PathError):
            return ""

    @functools.cached_property
    def _document(self) -> Any:
        try:
            return orjson.loads(self._body[:BODY_SELECTED])
        except orjson.JSONDecodeError:
            return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else orjson.dumps(value).decode()
