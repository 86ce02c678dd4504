"""MOCK integrations of WebSocket APIs: the answer comes from the API's own templates.

    request template     chosen by the integration's TemplateSelectionExpression (`\\$default`
                         or a `$request.body...` reference, else the `$default` template, else
                         the only one), rendered on the message; its `statusCode` (200 without
                         one) is the mock's status
    integration response  the one whose IntegrationResponseKey matches that status: a
                         `/regex/` over the status text, else `$default`
    response template    chosen the same way among its ResponseTemplates (on an empty
                         body, since a mock has none), rendered: what a two-way route sends

Templates are Velocity with API Gateway's variables (vtl.py); `$context` is the event's
requestContext. A template that fails is an integration failure (the client gets the
Internal server error frame).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from stratus.apis.http.model import Integration, IntegrationResponse
from stratus.apis.http.websocket import DEFAULT, select_route
from stratus.gateway.vtl import TemplateFailed, render

_NO_PARAMS: dict[str, dict[str, str]] = {"path": {}, "querystring": {}, "header": {}}


class MockFailed(Exception):
    """A template of the mock could not be rendered or read."""


def mock_answer(
    integration: Integration,
    responses: Sequence[IntegrationResponse],
    body: str,
    context: Mapping[str, Any],
    stage_variables: Mapping[str, str],
) -> tuple[int, str | None]:
    """(status, what a two-way route sends, if anything) for one message (`body`)."""
    status = 200
    request = _selected(
        integration.RequestTemplates or {}, integration.TemplateSelectionExpression, body
    )
    if request is not None:
        rendered = _render(request, body, context, stage_variables)
        try:
            answer = orjson.loads(rendered) if rendered.strip() else {}
        except orjson.JSONDecodeError as exc:
            raise MockFailed(
                f"the mock's request template gave no JSON: {rendered[:100]!r}"
            ) from exc
        found = answer.get("statusCode", 200) if isinstance(answer, dict) else 200
        if not isinstance(found, int):
            raise MockFailed(f"the mock's statusCode is not a number: {found!r}")
        status = found
    response = _response_for(responses, status)
    if response is None:
        return status, None
    template = _selected(response.ResponseTemplates or {}, response.TemplateSelectionExpression, "")
    if template is None:
        return status, None
    return status, _render(template, "", context, stage_variables)


def _response_for(
    responses: Sequence[IntegrationResponse], status: int
) -> IntegrationResponse | None:
    default = None
    for response in responses:
        key = response.IntegrationResponseKey
        if key == DEFAULT:
            default = response
        elif len(key) > 1 and key.startswith("/") and key.endswith("/"):
            try:
                if re.fullmatch(key[1:-1], str(status)):
                    return response
            except re.error:
                continue
    return default


def _selected(templates: Mapping[str, str], expression: str | None, body: str) -> str | None:
    if not templates:
        return None
    key = None
    if expression:
        key = DEFAULT if expression.replace("\\", "") == DEFAULT else select_route(expression, body)
    if key is not None and key in templates:
        return templates[key]
    if DEFAULT in templates:
        return templates[DEFAULT]
    return next(iter(templates.values())) if len(templates) == 1 else None


def _render(
    template: str, body: str, context: Mapping[str, Any], stage_variables: Mapping[str, str]
) -> str:
    try:
        return render(
            template, body=body, params=_NO_PARAMS, context=dict(context),
            stage_variables=stage_variables,
        )  # fmt: skip
    except TemplateFailed as exc:
        raise MockFailed(str(exc)) from exc
