"""Durability: a Publish that was answered is delivered, even across `kill -9`."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError
from tests.conftest import create_function
from tests.topics.conftest import Endpoint

from stratus.testing import serve_in_process


def test_kill_9_loses_no_accepted_publish(tmp_path: Path, endpoint: Endpoint):
    """Publishers run while the server is killed with SIGKILL; after a restart every
    message whose Publish was answered is in the subscribed queue (written in the Publish's
    transaction) and reaches the subscribed HTTP endpoint (a slow one: many deliveries are
    still work items when the server dies), at least once."""
    data = tmp_path / "data"
    data.mkdir()
    accepted: set[str] = set()
    with serve_in_process(data) as server:
        sns, sqs = server.client("sns"), server.client("sqs")
        topic = sns.create_topic(Name="durable")["TopicArn"]
        url = sqs.create_queue(QueueName="fanned")["QueueUrl"]
        queue = "arn:aws:sqs:us-east-1:000000000000:fanned"
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=endpoint.url)
        token = endpoint.next()[1]["Token"]
        sns.confirm_subscription(TopicArn=topic, Token=token)
        endpoint.delay = 0.005
        stop = threading.Event()

        def keep_publishing() -> None:
            while not stop.is_set():
                try:
                    answer = sns.publish_batch(
                        TopicArn=topic,
                        PublishBatchRequestEntries=[
                            {"Id": str(i), "Message": f"m{i}"} for i in range(10)
                        ],
                    )
                except (BotoCoreError, ClientError, ResponseParserError):
                    # The server is gone (perhaps between its answer's headers and its
                    # body): this batch was never answered.
                    return
                accepted.update(s["MessageId"] for s in answer["Successful"])

        publishers = [threading.Thread(target=keep_publishing) for _ in range(2)]
        for publisher in publishers:
            publisher.start()
        time.sleep(1.0)
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        stop.set()
        for publisher in publishers:
            publisher.join()

    posted_before = _posted(endpoint)
    with serve_in_process(data, port=server.settings.port) as again:
        found = _drain(again.client("sqs"), url, len(accepted))
        posted = posted_before | _posted(endpoint)
        deadline = time.monotonic() + 60
        while not accepted <= posted and time.monotonic() < deadline:
            time.sleep(0.1)
            posted |= _posted(endpoint)

    assert len(accepted) > 100
    assert accepted <= set(found)
    assert not accepted <= posted_before  # some were still on their way at the kill
    assert accepted <= posted
    # A publish the kill cut off may have committed without an answer: at-least-once.
    assert len(set(found) - accepted) <= 20


RECORDER = """
import os

def handler(event, context):
    with open(os.environ["OUT"], "a") as out:
        out.write(event["Records"][0]["Sns"]["MessageId"] + "\\n")
"""


def test_kill_9_loses_no_publish_to_a_queue_or_a_function(shared_dir: Path):
    """A topic with a queue and a function subscribed: publishers run while the server is
    killed with SIGKILL; after a restart every message whose Publish was answered is in the
    queue and has reached the function (its deliveries are work items, many still queued
    at the kill), at least once."""
    data = shared_dir / "data"
    out = shared_dir / "ids.txt"
    out.touch(mode=0o666)  # environments run as uids of their own: each appends here
    out.chmod(0o666)
    accepted: set[str] = set()
    with serve_in_process(data) as server:
        sns, sqs = server.client("sns"), server.client("sqs")
        create_function(
            server.client("lambda"),
            "record",
            RECORDER,
            Environment={"Variables": {"OUT": str(out)}},
        )
        topic = sns.create_topic(Name="durable")["TopicArn"]
        url = sqs.create_queue(QueueName="fanned")["QueueUrl"]
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint="arn:aws:sqs:us-east-1:000000000000:fanned"
        )
        sns.subscribe(
            TopicArn=topic,
            Protocol="lambda",
            Endpoint="arn:aws:lambda:us-east-1:000000000000:function:record",
        )
        stop = threading.Event()

        def keep_publishing() -> None:
            while not stop.is_set():
                entries = [{"Id": str(i), "Message": f"m{i}"} for i in range(10)]
                try:
                    answer = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
                except (BotoCoreError, ClientError, ResponseParserError):
                    return  # the server is gone: this batch was never answered
                accepted.update(s["MessageId"] for s in answer["Successful"])

        publishers = [threading.Thread(target=keep_publishing) for _ in range(2)]
        for publisher in publishers:
            publisher.start()
        time.sleep(2.0)
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        stop.set()
        for publisher in publishers:
            publisher.join()

    invoked_before = _lines(out)
    with serve_in_process(data, port=server.settings.port) as again:
        found = _drain(again.client("sqs"), url, len(accepted))
        deadline = time.monotonic() + 80  # within the test's timeout (120 s)
        while not accepted <= _lines(out) and time.monotonic() < deadline:
            time.sleep(0.2)
        invoked = _lines(out)

    assert len(accepted) >= 20
    assert accepted <= set(found)
    assert not accepted <= invoked_before  # some were still on their way at the kill
    assert accepted <= invoked


def _lines(path: Path) -> set[str]:
    return set(path.read_text().split()) if path.exists() else set()


def _posted(endpoint: Endpoint) -> set[str]:
    """Message ids of the notifications the endpoint received since last asked."""
    ids = set()
    while not endpoint.received.empty():
        _, body = endpoint.received.get()
        if isinstance(body, dict):  # else a POST the kill cut off half-way
            ids.add(body["MessageId"])
    return ids


def _drain(sqs: Any, url: str, expected: int) -> list[str]:
    """Message ids of the notifications in the queue, waiting until `expected` arrived or
    nothing more comes for 3 s."""
    ids: list[str] = []
    while len(set(ids)) < expected:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=3)
        messages = got.get("Messages", [])
        if not messages:
            break
        ids += [json.loads(m["Body"])["MessageId"] for m in messages]
        sqs.delete_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
            ],
        )
    return ids
