"""SQS -> event source mapping -> function throughput, beside a same-run baseline of the
same queue drained by SQS API clients (receive + delete, no function).

    python bench/esm.py [--messages 5000] [--clients 4] [--json]

One server (`python -m stratus server`, a child). Per round, --messages messages are sent
first (SendMessageBatch), then the clock starts and runs until the queue is empty:

  * baseline: --clients processes loop ReceiveMessage(10) + DeleteMessageBatch over HTTP
    (what a hand-written consumer with no function costs the server);
  * mapping: a Python function that returns at once, behind a mapping with BatchSize 10
    (default scaling), and then BatchSize 100 with a 1 s window; the pollers run inside
    the server, so nothing else shares the CPUs with it.

Figures: messages/s drained, invocations, and the server's CPU time per message (what the
server would sustain on one free core). Nothing asserts on timing.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import psutil
from common import (
    HOST,
    aws_client,
    default_work_parent,
    free_port,
    log,
    main_in_workdir,
    source_description,
    start_child,
    stratus_command,
    stratus_environ,
)

BODY = "x" * 200
ROLE = "arn:aws:iam::000000000000:role/bench"
HANDLER = "def handler(event, context):\n    return None\n"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("app.py", HANDLER)
    return buffer.getvalue()


def _fill(sqs: Any, url: str, count: int) -> None:
    for start in range(0, count, 10):
        entries = [{"Id": str(i), "MessageBody": BODY} for i in range(min(10, count - start))]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


def _left(sqs: Any, url: str) -> int:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    found = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return sum(int(found[n]) for n in names)


def _drain(port: int, url: str, results: Any) -> None:
    sqs = aws_client("sqs", port)
    done = 0
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not got:
            break
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
        sqs.delete_message_batch(QueueUrl=url, Entries=entries)
        done += len(got)
    results.put(done)


def _timed(process: psutil.Process, work: Any) -> tuple[float, float]:
    """Wall seconds and server CPU seconds `work()` took."""
    cpu = sum(process.cpu_times()[:2])
    started = time.monotonic()
    work()
    return time.monotonic() - started, sum(process.cpu_times()[:2]) - cpu


def baseline(process: psutil.Process, port: int, count: int, clients: int) -> dict[str, float]:
    sqs = aws_client("sqs", port)
    url = sqs.create_queue(QueueName="baseline")["QueueUrl"]
    _fill(sqs, url, count)

    def work() -> None:
        results: Any = multiprocessing.Queue()
        workers = [
            multiprocessing.Process(target=_drain, args=(port, url, results))
            for _ in range(clients)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    seconds, cpu = _timed(process, work)
    return {"messages_per_s": count / seconds, "cpu_us_per_message": cpu / count * 1e6}


def mapping(
    process: psutil.Process, port: int, count: int, name: str, **settings: Any
) -> dict[str, float]:
    sqs = aws_client("sqs", port)
    lam = aws_client("lambda", port)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    lam.create_function(
        FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
        Code={"ZipFile": _zip()},
    )  # fmt: skip
    lam.invoke(FunctionName=name, Payload=b"{}")  # warm: the first start is not the figure
    _fill(sqs, url, count)

    def work() -> None:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, **settings)
        while _left(sqs, url):
            time.sleep(0.05)

    seconds, cpu = _timed(process, work)
    return {"messages_per_s": count / seconds, "cpu_us_per_message": cpu / count * 1e6}


def run(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    server = start_child(
        "stratus",
        stratus_command(port, work / "data"),
        port,
        work / "stratus.log",
        stratus_environ(None),
    )
    try:
        process = psutil.Process(server.process.pid)
        log(f"baseline: {args.clients} clients receive + delete {args.messages:,} messages")
        base = baseline(process, port, args.messages, args.clients)
        log("mapping, BatchSize 10")
        ten = mapping(process, port, args.messages, "esm10")
        log("mapping, BatchSize 100, window 1 s")
        hundred = mapping(
            process, port, args.messages, "esm100", BatchSize=100, MaximumBatchingWindowInSeconds=1
        )
    finally:
        server.stop()
    return {
        "source": source_description(None),
        "host": HOST,
        "messages": args.messages,
        "baseline": base,
        "mapping_batch_10": ten,
        "mapping_batch_100": hundred,
    }


def render(figures: dict[str, Any]) -> str:
    lines = [
        f"stratus: {figures['source']}",
        f"{figures['messages']:,} messages drained from a full queue:",
        f"{'':34} {'messages/s':>12} {'server CPU/msg':>15}",
    ]
    for label, key in (
        ("baseline: SQS clients, no function", "baseline"),
        ("mapping -> function, batch 10", "mapping_batch_10"),
        ("mapping -> function, batch 100", "mapping_batch_100"),
    ):
        row = figures[key]
        lines.append(
            f"{label:34} {row['messages_per_s']:>12,.0f} {row['cpu_us_per_message']:>12,.0f} us"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    return main_in_workdir(
        lambda work: run(work, args), render, work_parent=default_work_parent(),
        prefix="stratus-bench-esm-", as_json=args.json,
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
