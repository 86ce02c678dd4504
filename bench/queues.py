"""Queue throughput: send + receive + delete, 10 messages a call, durable, from an empty
queue and with 1,000,000 messages waiting, beside raw SQLite doing the same row work.

    python bench/queues.py [--seconds 5] [--clients 4] [--waiting 1000000] [--json]

Three figures per backlog (0, then --waiting messages preloaded):

  * raw SQLite: the same rows and transactions with no Stratus at all: insert 10 rows
    (one transaction), select the 10 oldest due by the same index and update them (one),
    delete them (one), on a file with the server's PRAGMAs (WAL, synchronous=NORMAL);
  * service: QueueService in this process (the whole rule and store path, no HTTP);
  * server: `python -m stratus server` as a child, --clients processes each looping
    SendMessageBatch / ReceiveMessage(10) / DeleteMessageBatch over keep-alive HTTP
    (JSON protocol, bodies prepared ahead). The clients share the machine's CPUs with the
    server, so this figure is a floor.

A message counts once it has been sent, received and deleted. Nothing asserts on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing
import sqlite3
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import psutil
from common import (
    HOST,
    default_work_parent,
    free_port,
    log,
    main_in_workdir,
    source_description,
    start_child,
    stratus_command,
    stratus_environ,
)

from stratus.config import Settings
from stratus.queues import store
from stratus.queues.model import NewMessage, Receive
from stratus.queues.schema import SCHEMA
from stratus.queues.service import QueueService
from stratus.store.db import Database, transaction

BODY = "x" * 200  # a typical small event
BATCH = 10


# ---- raw SQLite -------------------------------------------------------------------------


def raw_sqlite(path: Path, seconds: float, waiting: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(
        "CREATE TABLE m (seq INTEGER PRIMARY KEY, queue_id INTEGER, id TEXT, body TEXT, "
        "sent INTEGER, visible_at INTEGER, receives INTEGER DEFAULT 0)"
    )
    conn.execute("CREATE INDEX m_due ON m (queue_id, visible_at)")
    conn.execute("CREATE INDEX m_age ON m (queue_id, sent)")
    now = int(time.time() * 1000)
    rows = [(1, str(uuid.uuid4()), BODY, now, now) for _ in range(10_000)]
    for start in range(0, waiting, len(rows)):
        with transaction(conn):
            conn.executemany(
                "INSERT INTO m (queue_id, id, body, sent, visible_at) VALUES (?, ?, ?, ?, ?)",
                rows[: min(len(rows), waiting - start)],
            )
    done, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = int(time.time() * 1000)
        with transaction(conn):
            conn.executemany(
                "INSERT INTO m (queue_id, id, body, sent, visible_at) VALUES (?, ?, ?, ?, ?)",
                [(1, str(uuid.uuid4()), BODY, now, now) for _ in range(BATCH)],
            )
        with transaction(conn):
            seqs = [
                row[0]
                for row in conn.execute(
                    "SELECT seq, id, body FROM m WHERE queue_id = 1 AND visible_at <= ? "
                    "ORDER BY visible_at LIMIT ?",
                    (now, BATCH),
                )
            ]
            conn.executemany(
                "UPDATE m SET visible_at = ?, receives = receives + 1 WHERE seq = ?",
                [(now + 30_000, seq) for seq in seqs],
            )
        with transaction(conn):
            conn.executemany("DELETE FROM m WHERE seq = ?", [(seq,) for seq in seqs])
        done += len(seqs)
    conn.close()
    return done / seconds


# ---- the service in process -------------------------------------------------------------


def preload(data_dir: Path, waiting: int) -> None:
    """The queue `bench`, with `waiting` messages due, written straight through the store."""
    db = Database(data_dir / "stratus.db", (SCHEMA,))
    service = QueueService(Settings(data_dir=data_dir), db)
    queue = asyncio.run(service.create_queue("bench", {}, {}))
    now = int(time.time() * 1000)
    for start in range(0, waiting, 10_000):
        part = [
            store.Incoming(str(uuid.uuid4()), BODY, {}, {}, None, None, now)
            for _ in range(min(10_000, waiting - start))
        ]

        def work(conn: sqlite3.Connection, part: list[store.Incoming] = part) -> None:
            with transaction(conn):
                store.send_many(conn, queue.id, part, now)

        db.run_blocking(work)
    db.close()


def service_loop(data_dir: Path, seconds: float) -> float:
    db = Database(data_dir / "stratus.db", (SCHEMA,))
    service = QueueService(Settings(data_dir=data_dir), db)
    url = service.get_queue_url("bench")
    batch = [(f"m{i}", NewMessage(BODY)) for i in range(BATCH)]
    receive = Receive(max_messages=BATCH, wait_seconds=0)

    async def loop() -> int:
        done, deadline = 0, time.monotonic() + seconds
        while time.monotonic() < deadline:
            await service.send_batch(url, batch)
            got = await service.receive(url, receive)
            await service.delete_batch(url, [(str(i), m.ReceiptHandle) for i, m in enumerate(got)])
            done += len(got)
        return done

    done = asyncio.run(loop())
    db.close()
    return done / seconds


# ---- the server over HTTP ---------------------------------------------------------------


def _client(port: int, url: str, seconds: float, start_at: float, results: Any) -> None:
    conn = http.client.HTTPConnection(HOST, port)

    def call(operation: str, body: bytes) -> dict[str, Any]:
        headers = {
            "X-Amz-Target": f"AmazonSQS.{operation}",
            "Content-Type": "application/x-amz-json-1.0",
        }
        conn.request("POST", "/", body, headers)
        response = conn.getresponse()
        answer = response.read()
        if response.status != 200:
            raise RuntimeError(f"{operation}: {response.status} {answer[:200]!r}")
        return json.loads(answer) if answer else {}

    send = json.dumps(
        {"QueueUrl": url, "Entries": [{"Id": f"m{i}", "MessageBody": BODY} for i in range(BATCH)]}
    ).encode()
    receive = json.dumps({"QueueUrl": url, "MaxNumberOfMessages": BATCH}).encode()
    while time.time() < start_at:
        time.sleep(0.001)
    done, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        call("SendMessageBatch", send)
        got = call("ReceiveMessage", receive).get("Messages", [])
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
        if entries:
            call("DeleteMessageBatch", json.dumps({"QueueUrl": url, "Entries": entries}).encode())
        done += len(got)
    results.put(done)


def server_loop(data_dir: Path, work: Path, seconds: float, clients: int) -> tuple[float, float]:
    """Messages/s, and the server's CPU time per message in microseconds (what the
    server would sustain on one free core, whatever the clients cost the machine)."""
    port = free_port()
    server = start_child(
        "stratus",
        stratus_command(port, data_dir),
        port,
        work / "stratus.log",
        stratus_environ(None),
    )
    try:
        url = f"http://{HOST}:{port}/000000000000/bench"
        results: Any = multiprocessing.Queue()
        start_at = time.time() + 0.5
        workers = [
            multiprocessing.Process(target=_client, args=(port, url, seconds, start_at, results))
            for _ in range(clients)
        ]
        process = psutil.Process(server.process.pid)
        for worker in workers:
            worker.start()
        while time.time() < start_at:
            time.sleep(0.001)
        cpu = sum(process.cpu_times()[:2])
        total = sum(results.get(timeout=seconds + 60) for _ in workers)
        cpu = sum(process.cpu_times()[:2]) - cpu
        for worker in workers:
            worker.join()
        return total / seconds, cpu / max(total, 1) * 1e6
    finally:
        server.stop()


# ---- main -------------------------------------------------------------------------------


def run(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {"source": source_description(None), "rounds": []}
    for waiting in sorted({0, args.waiting}):
        data = work / f"data-{waiting}"
        data.mkdir()
        log(f"backlog {waiting:,}: preloading")
        preload(data, waiting)
        log("  raw SQLite")
        raw = raw_sqlite(work / f"raw-{waiting}.db", args.seconds, waiting)
        log("  service")
        service = service_loop(data, args.seconds)
        log("  server")
        server, cpu = server_loop(data, work, args.seconds, args.clients)
        figures["rounds"].append(
            {
                "waiting": waiting,
                "raw_sqlite": raw,
                "service": service,
                "server": server,
                "server_cpu_us_per_message": cpu,
            }
        )
    return figures


def render(figures: dict[str, Any]) -> str:
    lines = [f"stratus: {figures['source']}", "messages/s (send + receive + delete, batch 10):"]
    lines.append(
        f"{'waiting':>10} {'raw SQLite':>12} {'service':>10} {'server':>10} "
        f"{'server CPU/msg':>15} {'= msgs/s per core':>18}"
    )
    for r in figures["rounds"]:
        cpu = r["server_cpu_us_per_message"]
        lines.append(
            f"{r['waiting']:>10,} {r['raw_sqlite']:>12,.0f} {r['service']:>10,.0f} "
            f"{r['server']:>10,.0f} {cpu:>12,.0f} us {1e6 / cpu:>18,.0f}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--waiting", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    return main_in_workdir(
        lambda work: run(work, args), render, work_parent=default_work_parent(),
        prefix="stratus-bench-queues-", as_json=args.json,
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
