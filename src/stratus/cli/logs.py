"""Read functions' log events from CloudWatch Logs: once, or following new ones until Ctrl-C.

Each poll asks FilterLogEvents for everything since a start time, paging with nextToken, and a
cursor drops the events it has already shown. Like `aws logs tail --follow`, it does not rely
on a nextToken surviving between polls (AWS's does not). The start time trails the newest event
by OVERLAP_MS so that an event stored a little out of order is still seen once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from . import console, names
from .client import DEFAULT_ENDPOINT_URL, EndpointUrl, client

if TYPE_CHECKING:
    from types_boto3_logs import CloudWatchLogsClient
    from types_boto3_logs.type_defs import FilteredLogEventTypeDef

POLL_SECONDS = 0.5
OVERLAP_MS = 5_000
_DURATION = re.compile(r"^(\d+)([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
# Lines the platform writes around each invocation: shown dim so the function's own stand out.
_PLATFORM = ("START ", "END ", "REPORT ", "INIT_START ", "INIT_REPORT ")


def log_group(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


@dataclass
class LogCursor:
    """Where one log group has been read up to."""

    group: str
    start_ms: int
    _seen: dict[str, int] = field(default_factory=dict)  # eventId -> timestamp

    def poll(self, logs: CloudWatchLogsClient) -> list[FilteredLogEventTypeDef]:
        """The group's events not returned before, oldest first; none if it does not exist."""
        try:
            events = list(self._pages(logs))
        except logs.exceptions.ResourceNotFoundException:
            return []  # the function has not logged yet
        fresh = [e for e in events if e["eventId"] not in self._seen]
        for event in fresh:
            self._seen[event["eventId"]] = event["timestamp"]
        if self._seen:
            self.start_ms = max(self.start_ms, max(self._seen.values()) - OVERLAP_MS)
            self._seen = {i: t for i, t in self._seen.items() if t >= self.start_ms}
        return sorted(fresh, key=lambda e: e["timestamp"])

    def _pages(self, logs: CloudWatchLogsClient) -> Iterable[FilteredLogEventTypeDef]:
        request: dict[str, Any] = {"logGroupName": self.group, "startTime": self.start_ms}
        while True:
            page = logs.filter_log_events(**request)
            yield from page.get("events", [])
            token = page.get("nextToken")
            # Stratus hands back the token it was given when there is nothing newer.
            if not token or token == request.get("nextToken"):
                return
            request["nextToken"] = token


def follow(
    logs: CloudWatchLogsClient,
    cursors: Sequence[LogCursor],
    show: Callable[[FilteredLogEventTypeDef], None],
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Show new events of every cursor's group, polling forever (until KeyboardInterrupt)."""
    while True:
        for cursor in cursors:
            for event in cursor.poll(logs):
                show(event)
        sleep(POLL_SECONDS)


def show_event(event: FilteredLogEventTypeDef) -> None:
    """Print one event: local time, then the message, its \\r separators as new lines."""
    clock = datetime.fromtimestamp(event["timestamp"] / 1000).strftime("%H:%M:%S.%f")[:-3]
    # The runtime joins a multi-line record (a traceback) with \r so it stays one event.
    message = event["message"].replace("\r", "\n").rstrip("\n")
    style = (
        "dim" if message.startswith(_PLATFORM) else "red" if message.startswith("[ERROR]") else ""
    )
    console.stdout().print(Text(f"{clock} ", style="dim") + Text(message, style=style))


def parse_since(value: str) -> int:
    """`10m` -> 600 (seconds). Units: s, m, h, d, w."""
    match = _DURATION.match(value.strip())
    if not match:
        raise typer.BadParameter(f"{value!r} is not a duration like 30s, 10m, 2h or 1d")
    return int(match.group(1)) * _UNIT_S[match.group(2)]


def now_ms() -> int:
    return int(time.time() * 1000)


def logs(
    name: Annotated[
        str | None,
        typer.Argument(help="The function whose logs to show (with --stack: its logical id)."),
    ] = None,
    stack: Annotated[
        str | None,
        typer.Option("--stack", help="Show every function of this stack, interleaved, named."),
    ] = None,
    follow_: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new events until Ctrl-C.")
    ] = False,
    since: Annotated[
        str, typer.Option(help="Show events from this long ago: 30s, 10m, 2h, 1d.")
    ] = "10m",
    endpoint_url: EndpointUrl = DEFAULT_ENDPOINT_URL,
) -> None:
    """Print a function's log events (log group /aws/lambda/NAME), or a stack's functions'."""
    start = now_ms() - parse_since(since) * 1000
    if stack is not None:
        functions = names.stack_functions(client("cloudformation", endpoint_url), stack)
        if name is not None:
            functions = {name: names.in_stack(client("cloudformation", endpoint_url), stack, name)}
        labelled = {log_group(function): logical for logical, function in sorted(functions.items())}
    elif name is not None and follow_:
        labelled = {log_group(name): ""}  # following may start before the function exists
    elif name is not None:
        names.check_function(
            client("lambda", endpoint_url), client("cloudformation", endpoint_url), name
        )
        labelled = {log_group(name): ""}
    else:
        raise typer.BadParameter("name a function, or a stack with --stack", param_hint="NAME")
    cursors = [LogCursor(group, start) for group in labelled]
    client_ = client("logs", endpoint_url)
    width = max((len(label) for label in labelled.values()), default=0)
    try:
        _show_merged(client_, cursors, labelled, width)
        while follow_:
            time.sleep(POLL_SECONDS)
            _show_merged(client_, cursors, labelled, width)
    except KeyboardInterrupt:
        pass  # Ctrl-C is how a person stops following: a normal, successful end


def _show_merged(
    logs_client: CloudWatchLogsClient,
    cursors: Sequence[LogCursor],
    labels: dict[str, str],
    width: int,
) -> None:
    """The cursors' new events in time order, each named by its function when several are."""
    fresh = [(event, labels[c.group]) for c in cursors for event in c.poll(logs_client)]
    for event, label in sorted(fresh, key=lambda pair: pair[0]["timestamp"]):
        if label:
            console.stdout().print(Text(f"{label.ljust(width)} ", style="cyan"), end="")
        show_event(event)
