"""EventBridge Scheduler: how fast N schedules due at one instant reach their queue.

    python bench/schedules.py [--schedules 1000]

A server runs in this process on a manual clock. N one-time schedules, all due at the same
second, target one SQS queue. The clock is moved past that second and the bench waits until
the queue holds N messages: each fire is a durable work item that stages a durable delivery,
which sends the message (two work-queue round trips and one SQS store per schedule).
Baseline, same run: N SendMessage calls to the same queue from one boto3 client (what the
deliveries do, minus the work queue, but plus HTTP). CreateSchedule's own rate is printed
too. Nothing asserts on timing.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stratus.store.clock import ManualClock
from stratus.testing import serve_in_thread

ROLE = "arn:aws:iam::000000000000:role/bench"


def _count(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def _wait_for(sqs: Any, url: str, n: int, timeout: float = 600.0) -> None:
    deadline = time.monotonic() + timeout
    while _count(sqs, url) < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {_count(sqs, url)} of {n} messages arrived")
        time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--schedules", type=int, default=1000)
    n = parser.parse_args().schedules
    clock = ManualClock(math.floor(time.time()))
    with tempfile.TemporaryDirectory() as data, serve_in_thread(Path(data), clock) as server:
        scheduler, sqs = server.client("scheduler"), server.client("sqs")
        url = sqs.create_queue(QueueName="fired")["QueueUrl"]
        base_url = sqs.create_queue(QueueName="baseline")["QueueUrl"]
        queue = "arn:aws:sqs:us-east-1:000000000000:fired"
        due = clock.now() + 3600
        at = datetime.fromtimestamp(due, UTC).strftime("at(%Y-%m-%dT%H:%M:%S)")

        began = time.perf_counter()
        for i in range(n):
            scheduler.create_schedule(
                Name=f"s{i}", ScheduleExpression=at, FlexibleTimeWindow={"Mode": "OFF"},
                Target={"Arn": queue, "RoleArn": ROLE, "Input": f'{{"n": {i}}}'},
            )  # fmt: skip
        created = time.perf_counter() - began

        server.wait_idle()
        began = time.perf_counter()
        clock.advance(3600)
        _wait_for(sqs, url, n)
        fired = time.perf_counter() - began

        began = time.perf_counter()
        for i in range(n):
            sqs.send_message(QueueUrl=base_url, MessageBody=f'{{"n": {i}}}')
        baseline = time.perf_counter() - began

    print(f"{n} schedules: CreateSchedule {n / created:,.0f}/s")
    print(f"  all due at once -> queue: {fired:.2f} s ({n / fired:,.0f} fires/s)")
    print(f"  baseline, {n} SendMessage from one client: {baseline:.2f} s ({n / baseline:,.0f}/s)")


if __name__ == "__main__":
    main()
