"""The workflow pages and the trace they poll.

    GET /_stratus/workflows                          state machines (HTML)
    GET /_stratus/workflows/{name or ARN}            a machine's graph, its executions (HTML)
    GET /_stratus/executions/{ARN}                   an execution's graph, coloured live (HTML)
    GET /_stratus/executions/{ARN}/trace?after=N     its trace (trace.py) as JSON, or
                                                     {"unchanged": true} when event N is last;
                                                     with the executions it started (children)
    GET /_stratus/executions/{ARN}/trace?state=S&visit=K   visit K of state S (0-based), for
                                                     paging past the visits the trace carries
    GET /_stratus/console/{workflow.js|workflow.css} the page's script and style

Each handler reads through the workflow service (the same calls GetExecutionHistory and
DescribeExecution make) and renders; the graph is laid out and drawn here, server side, so
the page shows it without running any script. A poll that finds no new event costs one
indexed read of the last event; one that finds some reads only those (`Traces`).
"""

from __future__ import annotations

import json
from collections import OrderedDict
from datetime import UTC, datetime
from functools import cache
from html import escape
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from stratus.errors import Invalid, NotFound
from stratus.services import Services
from stratus.workflows.model import Execution, StateMachine

from . import graph, svg, trace, urls
from .urls import PREFIX

HISTORY_PAGE = 500
TRACES_KEPT = 32
EXECUTIONS_SHOWN = 25
_ASSETS = {"workflow.js": "text/javascript", "workflow.css": "text/css"}
_LEGEND = (
    ("", "not run"),
    ("running", "running"),
    ("succeeded", "succeeded"),
    ("failed", "failed"),
    ("caught", "caught (a Catch took it on)"),
    ("retried", "retried (dashed border)"),
    ("aborted", "stopped"),
)


def machine_url(machine: StateMachine) -> str:
    return urls.machine_path(machine.name)


execution_url = urls.execution_path


async def machines(request: Request) -> Response:
    found, _ = await _services(request).workflows.list_machines(None, 10_000)
    rows = "".join(
        f'<tr><td><a href="{machine_url(m)}">{escape(m.name)}</a></td><td>{m.type}</td>'
        f"<td>{escape(m.arn)}</td></tr>"
        for m in found
    )
    body = (
        '<section class="machines"><table class="executions"><thead><tr><th>Name</th>'
        f"<th>Type</th><th>ARN</th></tr></thead><tbody>{rows}</tbody></table>"
        + ("" if found else "<p>No state machines yet.</p>")
        + "</section>"
    )
    return _page("State machines", "machines", "<h1>State machines</h1>", body)


async def machine(request: Request) -> Response:
    workflows = _services(request).workflows
    try:
        found = await _machine(request, request.path_params["machine"])
        executions: list[Execution] = []
        if found.type == "STANDARD":
            executions, _ = await workflows.list_executions(found.arn, None, None, EXECUTIONS_SHOWN)
    except (NotFound, Invalid) as exc:
        return _missing(exc)
    definition = json.loads(found.definition)
    rows = "".join(
        f'<tr><td><a href="{execution_url(e.arn)}">{escape(e.name)}</a></td>'
        f'<td><span class="badge" data-status="{e.status}">{e.status}</span></td>'
        f"<td>{_when(e.started)}</td></tr>"
        for e in executions
    )
    listing = (
        '<section class="machines"><h2>Recent executions</h2><table class="executions">'
        f"<thead><tr><th>Name</th><th>Status</th><th>Started</th></tr></thead><tbody>{rows}"
        "</tbody></table></section>"
        if executions
        else ""
    )
    header = (
        f'<nav><a href="{PREFIX}/workflows">State machines</a></nav>'
        f'<h1>{escape(found.name)} <span class="badge">{found.type}</span></h1>'
        f'<p class="meta">{escape(found.arn)}</p>'
    )
    hint = "Select a state to see its definition."
    return _page(
        found.name,
        "machine",
        header,
        _graph_and_panel(
            definition, found.name, f'<h2>{escape(found.name)}</h2><p class="hint">{hint}</p>'
        )
        + listing,
        definition,
    )


async def execution(request: Request) -> Response:
    workflows = _services(request).workflows
    arn = request.path_params["execution"]
    try:
        described = await workflows.describe_execution(arn)
        found, text = await workflows.machine_for_execution(arn)
    except (NotFound, Invalid) as exc:
        return _missing(exc)
    definition = json.loads(text)
    ended = f" · stopped {_when(described.stopped)}" if described.stopped else ""
    header = (
        f'<nav><a href="{PREFIX}/workflows">State machines</a> &rsaquo; '
        f'<a href="{machine_url(found)}">{escape(found.name)}</a></nav>'
        f'<h1>{escape(described.name)} <span class="badge" id="execution-status"'
        f' data-status="{described.status}" aria-live="polite">{described.status}</span></h1>'
        f'<p class="meta">{escape(arn)} · started {_when(described.started)}{ended}</p>'
    )
    return _page(
        described.name,
        "execution",
        header,
        _graph_and_panel(definition, described.name, "<h2>Execution</h2><p>Loading…</p>"),
        definition,
        trace_url=f"{execution_url(arn)}/trace",
    )


async def execution_trace(request: Request) -> Response:
    """The trace, or `unchanged` when the caller has seen the last event already."""
    workflows = _services(request).workflows
    arn = request.path_params["execution"]
    after = request.query_params.get("after", "")
    wanted, visit = request.query_params.get("state"), request.query_params.get("visit", "")
    try:
        last, _ = await workflows.history(arn, True, None, 1)
        last_id = last[0]["id"] if last else 0
        if wanted is None and after.isdigit() and int(after) == last_id:
            # the executions it started change on their own (a child ends, a Map Run's
            # next child starts) while its own history stands still
            started = _children(await workflows.child_executions(arn))
            return _json({"unchanged": True, "lastEventId": last_id, "children": started})
        reader = _traces(request).reader(arn, last_id)
        for event in await _events_after(request, arn, reader.last_event_id):
            reader.read(event)  # (skips what a concurrent poll has read meanwhile)
        if wanted is not None:
            one = reader.execution.visit(wanted, int(visit) if visit.isdigit() else -1)
            if one is None:
                return _json({"error": "NotFound", "message": f"No such visit of {wanted}"}, 404)
            return _json(one)
        children = await workflows.child_executions(arn)
    except (NotFound, Invalid) as exc:
        return _json({"error": type(exc).__name__, "message": str(exc)}, _status(exc))
    return _json({**reader.execution.json(), "children": _children(children)})


def _children(children: list[Execution]) -> list[dict[str, str]]:
    return [
        {"arn": c.arn, "name": c.name, "status": c.status, "url": execution_url(c.arn)}
        for c in children
    ]


class Traces:
    """The readers of the executions pages look at, most recent first, each fed only the
    events it has not read: a poll of a long history reads what is new, not all of it."""

    def __init__(self, size: int = TRACES_KEPT) -> None:
        self._size = size
        self._readers: OrderedDict[str, trace.Reader] = OrderedDict()

    def reader(self, arn: str, last_id: int) -> trace.Reader:
        reader = self._readers.pop(arn, None)
        if reader is None or reader.last_event_id > last_id:  # (a history started anew)
            reader = trace.Reader()
        self._readers[arn] = reader
        while len(self._readers) > self._size:
            self._readers.popitem(last=False)
        return reader


def _traces(request: Request) -> Traces:
    """One cache per app (tests run several servers in one process)."""
    state = request.app.state
    if not hasattr(state, "workflow_traces"):
        state.workflow_traces = Traces()
    traces: Traces = state.workflow_traces
    return traces


async def _events_after(request: Request, arn: str, seen: int) -> list[dict[str, Any]]:
    """The events after id `seen`, oldest first: read from the newest backwards."""
    workflows = _services(request).workflows
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        batch, token = await workflows.history(arn, True, token, HISTORY_PAGE)
        fresh = [event for event in batch if event["id"] > seen]
        found += fresh
        if token is None or len(fresh) < len(batch):
            return found[::-1]


async def asset(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in _ASSETS:
        return Response("not found", 404, media_type="text/plain")
    return Response(
        _asset_text(name), media_type=_ASSETS[name], headers={"Cache-Control": "no-cache"}
    )


@cache
def _asset_text(name: str) -> str:
    return resources.files("stratus.console").joinpath("static", name).read_text()


routes = [
    Route(f"{PREFIX}/workflows", machines, methods=["GET"]),
    Route(f"{PREFIX}/workflows/{{machine}}", machine, methods=["GET"]),
    Route(f"{PREFIX}/executions/{{execution}}", execution, methods=["GET"]),
    Route(f"{PREFIX}/executions/{{execution}}/trace", execution_trace, methods=["GET"]),
    Route(f"{PREFIX}/console/{{name}}", asset, methods=["GET"]),
]


# -- helpers -------------------------------------------------------------------------------


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def _machine(request: Request, name_or_arn: str) -> StateMachine:
    workflows = _services(request).workflows
    if name_or_arn.startswith("arn:"):
        return await workflows.describe(name_or_arn)
    found, _ = await workflows.list_machines(None, 10_000)
    for candidate in found:
        if candidate.name == name_or_arn:
            return candidate
    raise _NoSuchMachine(f"No state machine is named '{name_or_arn}'")


class _NoSuchMachine(NotFound):
    pass


def _status(exc: Exception) -> int:
    return 404 if isinstance(exc, NotFound) else 400


def _missing(exc: NotFound | Invalid) -> Response:
    page = _document("Not found", "missing", f"<h1>{escape(str(exc))}</h1>", "")
    return HTMLResponse(page, _status(exc))


def _json(body: Any, status: int = 200) -> Response:
    return JSONResponse(body, status, headers={"Cache-Control": "no-store"})


def _when(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _graph_and_panel(definition: Any, label: str, panel: str) -> str:
    drawing = svg.svg(graph.layout(definition), f"State machine graph of {label}")
    return (
        '<main><section class="canvas fit" aria-label="Graph">'
        '<button type="button" class="zoom" aria-pressed="true">Fit to width</button>'
        f"{drawing}</section>"
        f'<aside id="details" aria-live="polite">{panel}</aside></main>' + _legend()
    )


def _legend() -> str:
    items = "".join(
        f'<li><span class="swatch {kind}"></span>{escape(text)}</li>' for kind, text in _LEGEND
    )
    return f'<ul class="legend" aria-label="Legend">{items}</ul>'


def _page(
    title: str,
    page: str,
    header: str,
    body: str,
    definition: Any = None,
    trace_url: str = "",
) -> HTMLResponse:
    return HTMLResponse(_document(title, page, header, body, definition, trace_url))


def _document(
    title: str, page: str, header: str, body: str, definition: Any = None, trace_url: str = ""
) -> str:
    states = _all_states(definition) if definition is not None else {}
    # JSON inside <script>: "<" escaped so no "</script>" in a definition can end it.
    data = json.dumps(states).replace("<", "\\u003c")
    script = (
        f'<script type="application/json" id="definitions">{data}</script>'
        f'<script src="{PREFIX}/console/workflow.js" defer></script>'
        if definition is not None
        else ""
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} · Stratus</title>"
        '<link rel="icon" href="data:,">'
        f'<link rel="stylesheet" href="{PREFIX}/console/workflow.css"></head>'
        f'<body data-page="{page}" data-trace="{escape(trace_url)}">'
        f"<header>{header}</header>{body}{script}</body></html>"
    )


def _all_states(doc: Any) -> dict[str, Any]:
    """Every state by name, branches' and iterators' too (names are unique machine-wide)."""
    found: dict[str, Any] = {}
    states = doc.get("States") if isinstance(doc, dict) else None
    for name, state in (states or {}).items():
        found[name] = state
        if not isinstance(state, dict):
            continue
        bodies = list(state.get("Branches") or [])
        bodies += [
            state[k] for k in ("ItemProcessor", "Iterator") if isinstance(state.get(k), dict)
        ]
        for body in bodies:
            found.update(_all_states(body))
    return found
