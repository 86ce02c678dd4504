"""Durability: a schedule CreateSchedule answered fires even if the server is killed with
SIGKILL right after, and fires once after the restart."""

from __future__ import annotations

import json
import math
import signal
import time
from datetime import UTC, datetime
from pathlib import Path

from stratus.testing import serve_in_process

ROLE = "arn:aws:iam::000000000000:role/scheduler"


def test_kill_9_keeps_an_answered_schedule(tmp_path: Path):
    """The schedule (and its pending fire) outlive kill -9; the target gets it once."""
    data = tmp_path / "data"
    data.mkdir()
    with serve_in_process(data) as server:
        scheduler, sqs = server.client("scheduler"), server.client("sqs")
        url = sqs.create_queue(QueueName="kept")["QueueUrl"]
        due = math.floor(time.time()) + 4
        at = datetime.fromtimestamp(due, UTC).strftime("at(%Y-%m-%dT%H:%M:%S)")
        scheduler.create_schedule(
            Name="soon", ScheduleExpression=at, FlexibleTimeWindow={"Mode": "OFF"},
            ActionAfterCompletion="DELETE",
            Target={"Arn": "arn:aws:sqs:us-east-1:000000000000:kept", "RoleArn": ROLE,
                    "Input": '{"at": "<aws.scheduler.scheduled-time>"}'},
        )  # fmt: skip
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()

    while time.time() < due + 1:  # down while the schedule falls due
        time.sleep(0.2)
    with serve_in_process(data, port=server.settings.port) as again:
        sqs = again.client("sqs")
        bodies = []
        deadline = time.monotonic() + 30
        while not bodies and time.monotonic() < deadline:
            answer = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
            bodies = [json.loads(m["Body"]) for m in answer.get("Messages", [])]
        time.sleep(1.0)
        more = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        left = again.client("scheduler").list_schedules()["Schedules"]

    assert bodies == [{"at": datetime.fromtimestamp(due, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}]
    assert more == []  # received once (the first is in flight, not visible again yet)
    assert left == []  # ActionAfterCompletion DELETE, after the restart
