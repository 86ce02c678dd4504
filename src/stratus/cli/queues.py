"""`stratus queues ...`: list queues, send, receive and peek at messages, redrive a DLQ.

A QUEUE is its name, its URL or its ARN. Received messages are printed one JSON object a
line (MessageId, Body, Attributes, MessageAttributes, ReceiptHandle), so they pipe into jq.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from . import console, message_attributes
from .client import DEFAULT_ENDPOINT_URL, EndpointUrl, client
from .errors import CliError

if TYPE_CHECKING:
    from types_boto3_sqs import SQSClient
    from types_boto3_sqs.type_defs import DeleteMessageBatchRequestEntryTypeDef

app = typer.Typer(
    help="List queues; send, receive and peek at messages; redrive a DLQ.", no_args_is_help=True
)

QueueArg = Annotated[str, typer.Argument(help="The queue's name, URL or ARN.", metavar="QUEUE")]
MOVE_POLL_S = 0.2
ENDED = ("COMPLETED", "CANCELLED", "FAILED")


def queue_url(sqs: SQSClient, queue: str) -> str:
    if queue.startswith(("http://", "https://")):
        return queue
    if queue.startswith("arn:"):
        parts = queue.split(":")
        return sqs.get_queue_url(QueueName=parts[-1], QueueOwnerAWSAccountId=parts[4])["QueueUrl"]
    return sqs.get_queue_url(QueueName=queue)["QueueUrl"]


def _arn(sqs: SQSClient, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]


@app.command("list")
def list_(
    prefix: Annotated[str, typer.Option(help="Only queues whose name starts with this.")] = "",
    endpoint_url: EndpointUrl = DEFAULT_ENDPOINT_URL,
) -> None:
    """List queues with their message counts."""
    sqs = client("sqs", endpoint_url)
    pages = sqs.get_paginator("list_queues").paginate(QueueNamePrefix=prefix)
    urls = [url for page in pages for url in page.get("QueueUrls", [])]
    if not urls:
        console.note("no queues yet")
        return
    table = Table(box=None, header_style="bold", pad_edge=False)
    for column in ("NAME", "TYPE", "MESSAGES", "IN FLIGHT", "DELAYED", "DEAD-LETTER QUEUE"):
        table.add_column(
            column, justify="right" if column in ("MESSAGES", "IN FLIGHT", "DELAYED") else "left"
        )
    for url in sorted(urls):
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        redrive = json.loads(attributes.get("RedrivePolicy") or "{}")
        table.add_row(
            url.rsplit("/", 1)[1],
            "fifo" if attributes.get("FifoQueue") == "true" else "standard",
            attributes.get("ApproximateNumberOfMessages", "0"),
            attributes.get("ApproximateNumberOfMessagesNotVisible", "0"),
            attributes.get("ApproximateNumberOfMessagesDelayed", "0"),
            str(redrive.get("deadLetterTargetArn", "")).rsplit(":", 1)[-1],
        )
    console.stdout().print(table)


@app.command()
def send(
    queue: QueueArg,
    body: Annotated[str, typer.Argument(help="The message body.")],
    attr: Annotated[
        list[str] | None,
        typer.Option(help="A message attribute, NAME=VALUE or NAME:TYPE=VALUE; repeatable."),
    ] = None,
    group_id: Annotated[str | None, typer.Option(help="MessageGroupId (FIFO queues).")] = None,
    dedup_id: Annotated[
        str | None, typer.Option(help="MessageDeduplicationId (FIFO queues).")
    ] = None,
    delay: Annotated[int | None, typer.Option(help="DelaySeconds (0-900).")] = None,
    endpoint_url: EndpointUrl = DEFAULT_ENDPOINT_URL,
) -> None:
    """Send one message; prints its MessageId."""
    sqs = client("sqs", endpoint_url)
    request: dict[str, Any] = {"QueueUrl": queue_url(sqs, queue), "MessageBody": body}
    attributes = message_attributes.parse(attr)
    if attributes:
        request["MessageAttributes"] = attributes
    for key, value in (("MessageGroupId", group_id), ("MessageDeduplicationId", dedup_id),
                       ("DelaySeconds", delay)):  # fmt: skip
        if value is not None:
            request[key] = value
    sent = sqs.send_message(**request)
    line = sent["MessageId"]
    if sent.get("SequenceNumber"):
        line += f"  sequence {sent['SequenceNumber']}"
    console.stdout().print(line)


def _print(messages: list[Any]) -> None:
    out = console.stdout()
    for m in messages:
        shown = {
            "MessageId": m["MessageId"],
            "Body": m["Body"],
            "Attributes": m.get("Attributes", {}),
            "MessageAttributes": message_attributes.shown(m.get("MessageAttributes", {})),
            "ReceiptHandle": m["ReceiptHandle"],
        }
        out.print(json.dumps(shown), markup=False)


def _receive(sqs: SQSClient, url: str, count: int, wait: int, visibility: int | None) -> list[Any]:
    """Up to `count` messages (more than 10 takes several receives). A message seen again
    (visibility 0: a peek) ends it: the queue has shown what it holds."""
    got: dict[str, Any] = {}
    while len(got) < count:
        request: dict[str, Any] = {
            "QueueUrl": url,
            "MaxNumberOfMessages": min(10, count - len(got)),
            "WaitTimeSeconds": wait,
            "MessageSystemAttributeNames": ["All"],
            "MessageAttributeNames": ["All"],
        }
        if visibility is not None:
            request["VisibilityTimeout"] = visibility
        batch = sqs.receive_message(**request).get("Messages", [])
        new = [m for m in batch if m["MessageId"] not in got]
        if not new:
            break
        got |= {m["MessageId"]: m for m in new[: count - len(got)]}
        wait = 0  # only the first receive waits: then take what is there
    return list(got.values())


@app.command()
def receive(
    queue: QueueArg,
    max_: Annotated[int, typer.Option("--max", min=1, help="At most this many messages.")] = 1,
    wait: Annotated[int, typer.Option(min=0, max=20, help="Long-poll this many seconds.")] = 0,
    delete: Annotated[bool, typer.Option("--delete", help="Delete them once printed.")] = False,
    visibility: Annotated[
        int | None, typer.Option(help="VisibilityTimeout for these messages (seconds).")
    ] = None,
    endpoint_url: EndpointUrl = DEFAULT_ENDPOINT_URL,
) -> None:
    """Receive messages (they stay in flight for the visibility timeout unless --delete)."""
    sqs = client("sqs", endpoint_url)
    url = queue_url(sqs, queue)
    messages = _receive(sqs, url, max_, wait, visibility)
    if not messages:
        console.note("no messages")
        return
    _print(messages)
    if delete:
        for start in range(0, len(messages), 10):
            entries: list[DeleteMessageBatchRequestEntryTypeDef] = [
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(messages[start : start + 10])
            ]
            failed = sqs.delete_message_batch(QueueUrl=url, Entries=entries).get("Failed", [])
            if failed:
                raise CliError(
                    f"{len(failed)} message(s) could not be deleted: {failed[0]['Message']}"
                )
        console.note(f"deleted {len(messages)} message(s)")


@app.command()
def peek(
    queue: QueueArg,
    max_: Annotated[int, typer.Option("--max", min=1, help="At most this many messages.")] = 10,
    endpoint_url: EndpointUrl = DEFAULT_ENDPOINT_URL,
) -> None:
    """Look at messages without taking them: received with a visibility timeout of 0, so
    they stay visible (as on AWS, each look counts in ApproximateReceiveCount)."""
    sqs = client("sqs", endpoint_url)
    messages = _receive(sqs, queue_url(sqs, queue), max_, 0, 0)
    if not messages:
        console.note("no messages")
        return
    _print(messages)


@app.command()
def redrive(
    dlq: Annotated[
        str, typer.Argument(help="The dead-letter queue (name, URL or ARN).", metavar="DLQ")
    ],
    to: Annotated[
        str | None,
        typer.Option(help="Move them here instead of back to the queues they came from."),
    ] = None,
    rate: Annotated[
        int | None, typer.Option(min=1, max=500, help="At most this many messages a second.")
    ] = None,
    endpoint_url: EndpointUrl = DEFAULT_ENDPOINT_URL,
) -> None:
    """Move a dead-letter queue's messages back (StartMessageMoveTask), showing progress."""
    sqs = client("sqs", endpoint_url)
    source = _arn(sqs, queue_url(sqs, dlq))
    request: dict[str, Any] = {"SourceArn": source}
    if to is not None:
        request["DestinationArn"] = _arn(sqs, queue_url(sqs, to))
    if rate is not None:
        request["MaxNumberOfMessagesPerSecond"] = rate
    handle = sqs.start_message_move_task(**request)["TaskHandle"]
    task = _wait_task(sqs, source, handle)
    moved, total = (
        task.get("ApproximateNumberOfMessagesMoved", 0),
        task.get("ApproximateNumberOfMessagesToMove", 0),
    )
    if task["Status"] != "COMPLETED":
        reason = task.get("FailureReason")
        raise CliError(
            f"redrive {task['Status'].lower()} after {moved} of {total} message(s)"
            + (f": {reason}" if reason else "")
        )
    console.stdout().print(
        Text.assemble(
            "moved ", (str(moved), "bold"), f" message(s) from {source.rsplit(':', 1)[1]}"
        )
    )


def _wait_task(sqs: SQSClient, source: str, handle: str) -> Any:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("redrive"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console.stderr(),
        transient=True,
    ) as bar:
        shown = bar.add_task("redrive", total=None)
        while True:
            tasks = sqs.list_message_move_tasks(SourceArn=source, MaxResults=10)["Results"]
            task = next(
                (t for t in tasks if t.get("TaskHandle") == handle), tasks[0] if tasks else None
            )
            if task is None:
                raise CliError("the move task is gone (the server restarted?)")
            bar.update(
                shown,
                completed=task.get("ApproximateNumberOfMessagesMoved", 0),
                total=task.get("ApproximateNumberOfMessagesToMove"),
            )
            if task["Status"] in ENDED:
                return task
            time.sleep(MOVE_POLL_S)
