"""Durability: log events PutLogEvents accepted reach the subscribed function even across
`kill -9` (the delivery is queued in the transaction that writes the events). The function
notes what it got in a shared file: its own log lines are buffered in memory for up to
FLUSH_SECONDS (observe/logs.py), so a kill may drop the last ones, which would not show a
lost delivery but a lost line of output."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError
from tests.conftest import ROLE, make_zip

from stratus.testing import serve_in_process

RECEIVER = """
import base64, gzip, json, os

def handler(event, context):
    data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    # A file per invocation: environments run as uids of their own.
    with open(os.path.join(os.environ["SHARED"], context.aws_request_id), "w") as got:
        for item in data["logEvents"]:
            got.write(item["message"] + "\\n")
"""


def _received(shared_dir: Path) -> set[str]:
    return {line for path in shared_dir.iterdir() for line in path.read_text().split()}


def test_kill_9_loses_no_accepted_log_event(tmp_path: Path, shared_dir: Path) -> None:
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
            Environment={"Variables": {"SHARED": str(shared_dir)}},
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

    with serve_in_process(data, port=server.settings.port):
        deadline = time.monotonic() + 100
        while not set(accepted) <= _received(shared_dir) and time.monotonic() < deadline:
            time.sleep(0.5)

    assert len(accepted) > 10
    assert set(accepted) <= _received(shared_dir)
    for path in shared_dir.iterdir():  # request ids are UUIDs, as on AWS
        uuid.UUID(path.name)
