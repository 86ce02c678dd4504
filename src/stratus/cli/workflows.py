"""`stratus workflows ...`: start an execution and follow its events, or print a history.

    stratus workflows start orders -i '{"id": 7}' --follow
    page: http://127.0.0.1:4566/_stratus/executions/arn:aws:states:...:execution:orders:...
      3  PassStateExited      Validate   {"id":7,"ok":true}
      ...
    {"id": 7, "shipped": true}          <- the output on stdout; exit 1 if it did not succeed

`stratus workflows follow ARN` does the same for an execution already running (or ended:
it prints the whole history, then the outcome). Following polls GetExecutionHistory and
prints each event once, as it is committed; the page URL is the console's live graph of
the execution (console/workflow_pages.py).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text

from stratus.console.urls import execution_path

from . import console
from .client import DEFAULT_ENDPOINT_URL, EndpointUrl, client

if TYPE_CHECKING:
    from types_boto3_stepfunctions import SFNClient
    from types_boto3_stepfunctions.type_defs import HistoryEventTypeDef

app = typer.Typer(help="Start executions and read their histories.", no_args_is_help=True)
POLL_SECONDS = 0.2


def machine_arn(sfn: SFNClient, name_or_arn: str) -> str:
    """An ARN as given, or the ARN of the state machine of that name."""
    if name_or_arn.startswith("arn:"):
        return name_or_arn
    pages = sfn.get_paginator("list_state_machines").paginate()
    for page in pages:
        for machine in page["stateMachines"]:
            if machine["name"] == name_or_arn:
                return machine["stateMachineArn"]
    raise typer.BadParameter(f"no state machine is named {name_or_arn!r}", param_hint="MACHINE")


def describe_event(event: HistoryEventTypeDef) -> Text:
    """`  7  TaskStateExited   Charge   {"paid":true}`: id, type, state and what it carried."""
    found = [value for key, value in event.items() if key.endswith("EventDetails")]
    details: dict[str, Any] = dict(found[0]) if found and isinstance(found[0], dict) else {}
    name = str(details.get("name", ""))
    carried = details.get("output") or details.get("input") or ""
    if "error" in details:
        carried = f"{details['error']}: {details.get('cause', '')}"
    style = "red" if event["type"].endswith(("Failed", "TimedOut", "Aborted")) else ""
    return Text.assemble(
        (f"{event['id']:>4}  ", "dim"),
        (f"{event['type']:<28}", style),
        f"{name:<20} ",
        str(carried),
    )


def print_events(events: list[HistoryEventTypeDef]) -> None:
    out = console.stderr()
    for event in events:
        out.print(describe_event(event))


@app.command()
def start(
    machine: Annotated[str, typer.Argument(help="The state machine: its name or ARN.")],
    input: Annotated[str, typer.Option("--input", "-i", help="The input, as JSON.")] = "{}",
    name: Annotated[str | None, typer.Option(help="The execution's name.")] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Print events until the execution ends.")
    ] = False,
    endpoint_url: EndpointUrl = DEFAULT_ENDPOINT_URL,
) -> None:
    """Start an execution; with --follow, print its events and then its output."""
    try:
        json.loads(input)
    except json.JSONDecodeError as exc:
        raise typer.BadParameter(f"not JSON: {exc.msg}", param_hint="--input") from exc
    sfn = client("stepfunctions", endpoint_url)
    arn = machine_arn(sfn, machine)
    started = sfn.start_execution(
        stateMachineArn=arn, input=input, **({"name": name} if name else {})
    )
    execution = started["executionArn"]
    if not follow:
        console.stdout().print(execution)
        console.note(f"page: {page_url(endpoint_url, execution)}")
        return
    console.note(f"started {execution}")
    follow_events(sfn, execution, endpoint_url)


@app.command()
def follow(
    execution: Annotated[str, typer.Argument(help="The execution's ARN.")],
    endpoint_url: EndpointUrl = DEFAULT_ENDPOINT_URL,
) -> None:
    """Print an execution's events as they happen until it ends, then its output; exit 1
    unless it succeeded."""
    sfn = client("stepfunctions", endpoint_url)
    try:
        sfn.describe_execution(executionArn=execution)
    except sfn.exceptions.ExecutionDoesNotExist as exc:
        raise typer.BadParameter(f"no such execution: {execution}", param_hint="EXECUTION") from exc
    except sfn.exceptions.InvalidArn as exc:
        raise typer.BadParameter(
            f"not an execution ARN: {execution}", param_hint="EXECUTION"
        ) from exc
    follow_events(sfn, execution, endpoint_url)


def page_url(endpoint_url: str, execution: str) -> str:
    """The server's live page of the execution."""
    return endpoint_url.rstrip("/") + execution_path(execution)


def follow_events(sfn: SFNClient, execution: str, endpoint_url: str) -> None:
    console.note(f"page: {page_url(endpoint_url, execution)}")
    seen = 0
    while True:
        events = new_events(sfn, execution, seen)
        print_events(events)
        seen += len(events)
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            print_events(new_events(sfn, execution, seen))
            finish(described)
            return
        time.sleep(POLL_SECONDS)


def new_events(sfn: SFNClient, execution: str, seen: int) -> list[HistoryEventTypeDef]:
    """The events after the first `seen`, every page of them."""
    events: list[HistoryEventTypeDef] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution):
        events.extend(page["events"])
    return events[seen:]


def finish(described: Any) -> None:
    if described["status"] == "SUCCEEDED":
        console.stdout().print(json.dumps(json.loads(described.get("output", "null")), indent=2))
        return
    console.error(
        f"{described['status']}: {described.get('error', '')} {described.get('cause', '')}".strip()
    )
    raise typer.Exit(1)


@app.command()
def history(
    execution: Annotated[str, typer.Argument(help="The execution's ARN.")],
    endpoint_url: EndpointUrl = DEFAULT_ENDPOINT_URL,
) -> None:
    """Print an execution's events, oldest first."""
    sfn = client("stepfunctions", endpoint_url)
    out = console.stdout()
    for event in new_events(sfn, execution, 0):
        out.print(describe_event(event))
