"""Topic throughput and latency: Publish -> SQS delivery, durable, beside raw SQLite doing
the same row work.

    python bench/topics.py [--seconds 5] [--clients 2] [--samples 200] [--json]

  * raw SQLite: the rows a PublishBatch of 10 writes for a raw SQS subscription, with no
    Stratus at all: 10 queue messages in one transaction, on a file with the server's
    PRAGMAs (WAL, synchronous=NORMAL);
  * publish: `python -m stratus server` as a child, --clients processes each looping
    PublishBatch (10 messages, 200-byte bodies) over keep-alive HTTP for --seconds, to a
    topic with one raw SQS subscription: messages accepted per second;
  * delivered: messages per second from the first publish until the queue holds all of
    them (publishing and delivering overlap, then the backlog drains);
  * latency: one Publish at a time, then a long-polling ReceiveMessage: from just before
    the Publish to the message in hand (boto3 on both sides; p50 / p90 / p99).

The clients share the machine's CPUs with the server, so these figures are floors. Nothing
asserts on timing.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import sqlite3
import sys
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

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
    summarize,
)

BODY = "x" * 200
BATCH = 10


def raw_sqlite(path: Path, seconds: float) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE m (seq INTEGER PRIMARY KEY, queue_id INTEGER, id TEXT, body TEXT, "
        "sent INTEGER, visible_at INTEGER)"
    )
    conn.execute("CREATE INDEX m_due ON m (queue_id, visible_at)")
    conn.execute("CREATE INDEX m_age ON m (queue_id, sent)")
    done, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = int(time.time() * 1000)
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO m (queue_id, id, body, sent, visible_at) VALUES (1, ?, ?, ?, ?)",
            [(str(uuid.uuid4()), BODY, now, now) for _ in range(BATCH)],
        )
        conn.execute("COMMIT")
        done += BATCH
    conn.close()
    return done / seconds


def _publisher(port: int, topic: str, seconds: float, start_at: float, results: Any) -> None:
    conn = http.client.HTTPConnection(HOST, port)
    form = {"Action": "PublishBatch", "Version": "2010-03-31", "TopicArn": topic}
    for i in range(BATCH):
        form[f"PublishBatchRequestEntries.member.{i + 1}.Id"] = f"m{i}"
        form[f"PublishBatchRequestEntries.member.{i + 1}.Message"] = BODY
    body = urllib.parse.urlencode(form).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    while time.time() < start_at:
        time.sleep(0.001)
    done, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        conn.request("POST", "/", body, headers)
        response = conn.getresponse()
        answer = response.read()
        if response.status != 200 or b"<Code>" in answer:
            raise RuntimeError(f"PublishBatch: {response.status} {answer[:300]!r}")
        done += BATCH
    results.put(done)


def _waiting(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def server_round(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    server = start_child(
        "stratus", stratus_command(port, work / "data"), port, work / "stratus.log",
        stratus_environ(None),
    )  # fmt: skip
    try:
        sns, sqs = aws_client("sns", port), aws_client("sqs", port, read_timeout=60)
        topic = sns.create_topic(Name="bench")["TopicArn"]
        url = sqs.create_queue(QueueName="bench")["QueueUrl"]
        queue = "arn:aws:sqs:us-east-1:000000000000:bench"
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=queue,
            Attributes={"RawMessageDelivery": "true"},
        )  # fmt: skip
        log("  throughput")
        results: Any = multiprocessing.Queue()
        start_at = time.time() + 0.5
        workers = [
            multiprocessing.Process(
                target=_publisher, args=(port, topic, args.seconds, start_at, results)
            )
            for _ in range(args.clients)
        ]
        for worker in workers:
            worker.start()
        total = sum(results.get(timeout=args.seconds + 60) for _ in workers)
        for worker in workers:
            worker.join()
        while _waiting(sqs, url) < total:
            time.sleep(0.05)
        delivered_in = time.time() - start_at
        sqs.purge_queue(QueueUrl=url)
        time.sleep(0.2)
        log("  latency")
        latencies = []
        for i in range(args.samples):
            started = time.perf_counter()
            sns.publish(TopicArn=topic, Message=f"latency-{i}")
            got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20).get("Messages", [])
            latencies.append((time.perf_counter() - started) * 1000)
            for message in got:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return {
            "published": total,
            "publish_per_s": total / args.seconds,
            "delivered_per_s": total / delivered_in,
            "latency_ms": summarize(latencies),
        }
    finally:
        server.stop()


def run(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    log("raw SQLite")
    raw = raw_sqlite(work / "raw.db", args.seconds)
    log("server")
    return {"source": source_description(None), "raw_sqlite_per_s": raw, **server_round(work, args)}


def render(figures: dict[str, Any]) -> str:
    latency = figures["latency_ms"]
    return "\n".join(
        [
            f"stratus: {figures['source']}",
            f"raw SQLite, the same rows:        {figures['raw_sqlite_per_s']:>10,.0f} messages/s",
            f"PublishBatch accepted (durable):  {figures['publish_per_s']:>10,.0f} messages/s",
            f"publish -> in the queue:          {figures['delivered_per_s']:>10,.0f} messages/s "
            f"({figures['published']:,} messages)",
            f"Publish -> ReceiveMessage latency: p50 {latency['p50']:.1f} ms, "
            f"p90 {latency['p90']:.1f} ms, p99 {latency['p99']:.1f} ms (n={latency['n']:.0f})",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=2)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    return main_in_workdir(
        lambda work: run(work, args), render, work_parent=default_work_parent(),
        prefix="stratus-bench-topics-", as_json=args.json,
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
