"""`stratus buses list` and `stratus events put`: EventBridge's buses, and an event onto one."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from . import console
from .client import DEFAULT_ENDPOINT_URL, EndpointUrl, client
from .errors import CliError

if TYPE_CHECKING:
    from types_boto3_events.type_defs import PutEventsRequestEntryTypeDef

buses = typer.Typer(help="List event buses.", no_args_is_help=True)
events = typer.Typer(help="Put events on a bus.", no_args_is_help=True)


@buses.command("list")
def list_(endpoint_url: EndpointUrl = DEFAULT_ENDPOINT_URL) -> None:
    """List event buses with their rules."""
    eventbridge = client("events", endpoint_url)
    found: list[Any] = []
    token: str | None = None
    while True:  # ListEventBuses has no paginator in boto3
        page = (
            eventbridge.list_event_buses(NextToken=token)
            if token
            else eventbridge.list_event_buses()
        )
        found.extend(page.get("EventBuses", []))
        token = page.get("NextToken")
        if not token:
            break
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("NAME", overflow="fold")
    table.add_column("RULES", justify="right")
    table.add_column("ARN", overflow="fold")
    for bus in sorted(found, key=lambda b: str(b["Name"])):
        rules = eventbridge.get_paginator("list_rules").paginate(EventBusName=bus["Name"])
        count = sum(len(page.get("Rules", [])) for page in rules)
        table.add_row(bus["Name"], str(count), bus["Arn"])
    console.stdout().print(table)


@events.command()
def put(
    source: Annotated[str, typer.Option(help="The event's source, e.g. shop.orders.")],
    detail_type: Annotated[str, typer.Option(help="The event's detail-type.")],
    detail: Annotated[str, typer.Option(help="The event's detail: a JSON object.")] = "{}",
    bus: Annotated[str, typer.Option(help="The bus's name or ARN.")] = "default",
    resource: Annotated[
        list[str] | None, typer.Option(help="An ARN the event is about; repeatable.")
    ] = None,
    endpoint_url: EndpointUrl = DEFAULT_ENDPOINT_URL,
) -> None:
    """Put one event on a bus (PutEvents); prints its EventId."""
    try:
        parsed = json.loads(detail)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise typer.BadParameter("must be a JSON object", param_hint="--detail")
    entry: PutEventsRequestEntryTypeDef = {
        "EventBusName": bus,
        "Source": source,
        "DetailType": detail_type,
        "Detail": detail,
    }
    if resource:
        entry["Resources"] = resource
    [answer] = client("events", endpoint_url).put_events(Entries=[entry])["Entries"]
    if "EventId" not in answer:
        raise CliError(f"{answer.get('ErrorCode', 'Error')}: {answer.get('ErrorMessage', '')}")
    console.stdout().print(answer["EventId"])
