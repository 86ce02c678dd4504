"""Durability: an event PutEvents accepted is delivered, even across `kill -9`."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from stratus.testing import serve_in_process


def test_kill_9_loses_no_accepted_event(tmp_path: Path):
    """Writers put events while the server is killed with SIGKILL; after a restart every
    event whose PutEvents was answered reaches the rule's queue target (at least once)."""
    data = tmp_path / "data"
    data.mkdir()
    accepted: set[str] = set()
    with serve_in_process(data) as server:
        events, sqs = server.client("events"), server.client("sqs")
        url = sqs.create_queue(QueueName="routed")["QueueUrl"]
        queue = "arn:aws:sqs:us-east-1:000000000000:routed"
        events.put_rule(Name="all", EventPattern=json.dumps({"source": ["w"]}))
        events.put_targets(Rule="all", Targets=[{"Id": "q", "Arn": queue}])
        stop = threading.Event()

        def keep_putting() -> None:
            while not stop.is_set():
                entries = [{"Source": "w", "DetailType": "t", "Detail": "{}"}] * 10
                try:
                    answer = events.put_events(Entries=entries)
                except (BotoCoreError, ClientError):
                    return  # the server is gone; this call was never answered
                # An entry that failed (ErrorCode) was not accepted: the caller retries it.
                accepted.update(e["EventId"] for e in answer["Entries"] if "EventId" in e)

        writers = [threading.Thread(target=keep_putting) for _ in range(2)]
        for writer in writers:
            writer.start()
        time.sleep(1.0)
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        stop.set()
        for writer in writers:
            writer.join()

    with sqlite3.connect(data / "stratus.db") as db:
        pending = db.execute(
            "SELECT COUNT(*) FROM work_items WHERE kind = 'events.delivery'"
        ).fetchone()[0]
    with serve_in_process(data, port=server.settings.port) as again:
        found = _drain(again.client("sqs"), url, accepted)

    print(f"accepted {len(accepted)}, deliveries pending at the kill: {pending}")
    assert len(accepted) > 100
    assert accepted <= found


def _drain(sqs: Any, url: str, expected: set[str]) -> set[str]:
    """Receive until every expected id came (the queue may also hold events whose PutEvents
    committed but whose answer the kill cut off: counting would stop early)."""
    ids: set[str] = set()
    deadline = time.monotonic() + 60
    while not expected <= ids and time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in answer.get("Messages", []):
            ids.add(json.loads(message["Body"])["id"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return ids
