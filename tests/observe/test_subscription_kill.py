"""Durability: log events PutLogEvents accepted reach the subscribed function even across
`kill -9` (the delivery is queued in the transaction that writes the events)."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError
from tests.conftest import ROLE, make_zip

from stratus.testing import serve_in_process

RECEIVER = """
import base64, gzip, json

def handler(event, context):
    data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    for item in data["logEvents"]:
        print("got", item["message"])
"""


def test_kill_9_loses_no_accepted_log_event(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    accepted: list[str] = []
    with serve_in_process(data) as server:
        logs, lam = server.client("logs"), server.client("lambda")
        arn = lam.create_function(
            FunctionName="receiver",
            Runtime="python3.12",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": make_zip({"app.py": RECEIVER})},
        )["FunctionArn"]
        logs.create_log_group(logGroupName="/app")
        logs.create_log_stream(logGroupName="/app", logStreamName="s")
        logs.put_subscription_filter(
            logGroupName="/app", filterName="all", filterPattern="", destinationArn=arn
        )
        stop = threading.Event()

        def keep_putting() -> None:
            n = 0
            while not stop.is_set():
                message = f"event-{n}"
                try:
                    logs.put_log_events(
                        logGroupName="/app",
                        logStreamName="s",
                        logEvents=[{"timestamp": int(time.time() * 1000), "message": message}],
                    )
                except (BotoCoreError, ClientError, ResponseParserError):
                    return  # the server is gone: this one was never answered
                accepted.append(message)
                n += 1

        writer = threading.Thread(target=keep_putting)
        writer.start()
        # Killed while the writer is mid-stream, once some events are in: a bounded backlog
        # (a faster store let a fixed second accept thousands, whose deliveries after the
        # restart outlast the test's time under load).
        started = time.monotonic()
        while len(accepted) < 50 and time.monotonic() - started < 10:
            time.sleep(0.01)
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        stop.set()
        writer.join()

    with serve_in_process(data, port=server.settings.port) as again:
        logs = again.client("logs")
        received: set[str] = set()
        deadline = time.monotonic() + 120
        while not set(accepted) <= received and time.monotonic() < deadline:
            time.sleep(0.5)
            try:
                events = logs.filter_log_events(
                    logGroupName="/aws/lambda/receiver", filterPattern='"got"'
                )["events"]
            except logs.exceptions.ResourceNotFoundException:
                continue
            received = {e["message"].removeprefix("got ").strip() for e in events}

    assert len(accepted) > 10
    assert set(accepted) <= received
