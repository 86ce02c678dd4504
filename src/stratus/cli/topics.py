"""`stratus topics ...`: list topics, publish a message, read the outbox (what SNS would have
sent by email, SMS or mobile push: log events in the `sns/...` log groups, topics/outbox.py).
A TOPIC is its name or its ARN."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from . import console, message_attributes
from .client import DEFAULT_ENDPOINT_URL, EndpointUrl, client
from .errors import CliError

if TYPE_CHECKING:
    from types_boto3_sns import SNSClient

app = typer.Typer(help="List topics; publish a message; read the outbox.", no_args_is_help=True)
OUTBOX_PREFIX = "sns/"


def _arns(sns: SNSClient) -> list[str]:
    pages = sns.get_paginator("list_topics").paginate()
    return [t["TopicArn"] for page in pages for t in page.get("Topics", [])]


def topic_arn(sns: SNSClient, topic: str) -> str:
    if topic.startswith("arn:"):
        return topic
    found = [arn for arn in _arns(sns) if arn.rsplit(":", 1)[1] == topic]
    if not found:
        raise CliError(f"no topic named {topic}")
    return found[0]


@app.command("list")
def list_(endpoint_url: EndpointUrl = DEFAULT_ENDPOINT_URL) -> None:
    """List topics with their subscriptions."""
    sns = client("sns", endpoint_url)
    arns = _arns(sns)
    if not arns:
        console.note("no topics yet")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    table.add_column("NAME", overflow="fold")
    table.add_column("TYPE")
    table.add_column("SUBSCRIPTIONS", justify="right")
    table.add_column("PENDING", justify="right")
    table.add_column("ARN", overflow="fold")
    for arn in sorted(arns):
        attributes = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
        table.add_row(
            arn.rsplit(":", 1)[1],
            "fifo" if attributes.get("FifoTopic") == "true" else "standard",
            attributes.get("SubscriptionsConfirmed", "0"),
            attributes.get("SubscriptionsPending", "0"),
            arn,
        )
    console.stdout().print(table)


@app.command()
def publish(
    topic: Annotated[str, typer.Argument(help="The topic's name or ARN.", metavar="TOPIC")],
    message: Annotated[str, typer.Argument(help="The message.")],
    subject: Annotated[str | None, typer.Option(help="The Subject.")] = None,
    attr: Annotated[
        list[str] | None,
        typer.Option(help="A message attribute, NAME=VALUE or NAME:TYPE=VALUE; repeatable."),
    ] = None,
    group_id: Annotated[str | None, typer.Option(help="MessageGroupId (FIFO topics).")] = None,
    dedup_id: Annotated[
        str | None, typer.Option(help="MessageDeduplicationId (FIFO topics).")
    ] = None,
    endpoint_url: EndpointUrl = DEFAULT_ENDPOINT_URL,
) -> None:
    """Publish one message; prints its MessageId."""
    sns = client("sns", endpoint_url)
    request: dict[str, Any] = {"TopicArn": topic_arn(sns, topic), "Message": message}
    attributes = message_attributes.parse(attr)
    if attributes:
        request["MessageAttributes"] = attributes
    for key, value in (("Subject", subject), ("MessageGroupId", group_id),
                       ("MessageDeduplicationId", dedup_id)):  # fmt: skip
        if value is not None:
            request[key] = value
    published = sns.publish(**request)
    line = published["MessageId"]
    if published.get("SequenceNumber"):
        line += f"  sequence {published['SequenceNumber']}"
    console.stdout().print(line)


@app.command()
def outbox(
    topic: Annotated[
        str | None,
        typer.Argument(
            help="Only this topic's email (name or ARN); else every outbox group.",
            metavar="[TOPIC]",
        ),
    ] = None,
    to: Annotated[str | None, typer.Option(help="Only messages to this address/number.")] = None,
    endpoint_url: EndpointUrl = DEFAULT_ENDPOINT_URL,
) -> None:
    """Print what SNS would have sent by email, SMS or push: one JSON line per message,
    oldest first (the `sns/<region>/<account>/...` log groups)."""
    logs = client("logs", endpoint_url)
    groups = [
        g["logGroupName"]
        for page in logs.get_paginator("describe_log_groups").paginate(
            logGroupNamePrefix=OUTBOX_PREFIX
        )
        for g in page.get("logGroups", [])
    ]
    if topic is not None:
        name = topic.rsplit(":", 1)[-1]
        groups = [g for g in groups if g.rsplit("/", 1)[-1] == name]
    found: list[tuple[int, str]] = []
    for group in groups:
        request: dict[str, Any] = {"logGroupName": group}
        if to is not None:
            request["logStreamNames"] = [to]
        try:
            pages = logs.get_paginator("filter_log_events").paginate(**request)
            found += [(e["timestamp"], e["message"]) for p in pages for e in p.get("events", [])]
        except logs.exceptions.ResourceNotFoundException:
            continue  # no stream for that recipient in this group
    if not found:
        console.note("the outbox is empty")
        return
    for _, message in sorted(found, key=lambda item: item[0]):
        console.stdout().print(message, markup=False, highlight=False, soft_wrap=True)
