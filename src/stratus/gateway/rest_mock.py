"""MOCK integrations of REST APIs, in the subset templates use: the OPTIONS methods that SAM
(`Cors:` of AWS::Serverless::Api) and the console make for CORS, and fixed answers.

    request template (application/json, else the first)  {"statusCode": 200} -> that status;
                                                           none or unreadable -> 200
    integration response                                   the one whose selectionPattern
                                                           matches the status (a full regular
                                                           expression match), else the one
                                                           without a pattern
    answer                                                 its statusCode; headers from its
                                                           responseParameters whose value is a
                                                           quoted literal
                                                           (`method.response.header.X: "'*'"`);
                                                           body its application/json response
                                                           template, when that has no Velocity
                                                           (`$`, `#`)

Stratus does not evaluate Velocity templates: a template that uses them gives an empty body
(request templates: status 200), and mappings other than literals are left out. No
integration response for the status: 500 Internal server error, as AWS answers a MOCK
without a matching mapping. Pure logic.
"""

from __future__ import annotations

import json
import re

from stratus.apis.rest.model import Integration
from stratus.gateway.responses import HttpResponse
from stratus.gateway.rest_responses import INTERNAL

_HEADER = "method.response.header."
_VELOCITY = re.compile(r"[$#]")


def _template(templates: dict[str, str] | None) -> str | None:
    if not templates:
        return None
    return templates.get("application/json") or next(iter(templates.values()))


def _status(template: str | None) -> int:
    if not template or _VELOCITY.search(template):
        return 200
    try:
        found = json.loads(template)
    except ValueError:
        return 200
    status = found.get("statusCode") if isinstance(found, dict) else None
    return status if isinstance(status, int) and 100 <= status <= 599 else 200


def mock_response(integration: Integration) -> HttpResponse:
    """The answer of a MOCK integration (see the module docstring)."""
    status = str(_status(_template(integration.requestTemplates)))
    responses = (integration.integrationResponses or {}).values()
    chosen = next((r for r in responses if _selects(r.selectionPattern, status)), None)
    chosen = chosen or next((r for r in responses if not r.selectionPattern), None)
    if chosen is None:
        return INTERNAL
    headers = {"content-type": ("Content-Type", "application/json")}
    for name, value in (chosen.responseParameters or {}).items():
        literal = len(value) >= 2 and value[0] == value[-1] == "'"
        if name.startswith(_HEADER) and literal:
            header = name[len(_HEADER) :]
            headers[header.lower()] = (header, value[1:-1])
    body = _template(chosen.responseTemplates) or ""
    if _VELOCITY.search(body):
        body = ""
    return HttpResponse(int(chosen.statusCode), tuple(headers.values()), body.encode())


def _selects(pattern: str | None, status: str) -> bool:
    if not pattern:
        return False
    try:
        return re.fullmatch(pattern, status) is not None
    except re.error:  # AWS's patterns are Java's; one Python cannot read selects nothing
        return False
