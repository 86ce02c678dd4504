"""`stratus topics ...`: list topics, publish a message. A TOPIC is its name or its ARN."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from . import console, message_attributes
from .client import DEFAULT_ENDPOINT_URL, EndpointUrl, client
from .errors import CliError

if TYPE_CHECKING:
    from types_boto3_sns import SNSClient

app = typer.Typer(help="List topics; publish a message.", no_args_is_help=True)


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
