"""Queue throughput: send + receive + delete, 10 messages a call, durable, from an empty
queue and with 1,000,000 messages waiting, beside raw SQLite doing the same row work.

    python bench/queues.py [--seconds 5] [--rounds 3] [--connections 8] [--clients 4]
                           [--waiting 1000000] [--load wrk|python] [--json]

Three figures per backlog (0, then --waiting messages preloaded), and their ratios to raw
SQLite:

  * raw SQLite: the same rows and transactions with no Stratus at all: insert 10 rows
    (one transaction), select the 10 oldest due by the same index and update them (one),
    delete them (one), on a file with the server's PRAGMAs (WAL, synchronous=NORMAL);
  * service: QueueService in this process (the whole rule and store path, no HTTP);
  * server: `python -m stratus server` as a child, loaded over keep-alive HTTP (JSON
    protocol, bodies prepared ahead) by SendMessageBatch / ReceiveMessage(10) /
    DeleteMessageBatch loops: with --load wrk (the default when wrk is installed: a C load
    generator, bench/queues_wrk.lua, --connections connections on one thread), else
    --clients Python processes. The load generator shares the machine's CPUs with the
    server, so messages/s is a floor; the server's CPU time per message (all threads, and
    the event loop's thread and the database thread apart) is what the server would cost
    on free cores, whoever else runs.

A message counts once it has been sent, received and deleted. Nothing asserts on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from statistics import median
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


class RawSQLite:
    """The same rows and transactions with no Stratus at all."""

    def __init__(self, path: Path, waiting: int) -> None:
        conn = self.conn = sqlite3.connect(path, isolation_level=None)
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

    def round(self, seconds: float) -> float:
        """Messages/s sent, received and deleted for `seconds`."""
        conn = self.conn
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


@dataclass(frozen=True)
class ServerFigures:
    messages_per_s: float
    cpu_us: float  # the server process's CPU per message, all threads
    loop_us: float  # the event loop's thread (HTTP, protocol, rules)
    db_us: float  # the database thread (SQLite)


def server_loop(data_dir: Path, work: Path, args: argparse.Namespace) -> ServerFigures:
    """Messages/s, and the server's CPU time per message in microseconds (what the
    server would sustain on free cores, whatever the load generator costs the machine)."""
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
        process = psutil.Process(server.process.pid)
        load = _load_with_wrk if args.load == "wrk" else _load_with_python
        before = _thread_times(process)
        total = load(port, url, args)
        after = _thread_times(process)
        spent = {tid: t - before.get(tid, 0.0) for tid, t in after.items()}
        main = spent.get(process.pid, 0.0)
        db = max((t for tid, t in spent.items() if tid != process.pid), default=0.0)
        per = 1e6 / max(total, 1)
        return ServerFigures(total / args.seconds, sum(spent.values()) * per, main * per, db * per)
    finally:
        server.stop()


def _thread_times(process: psutil.Process) -> dict[int, float]:
    return {t.id: t.user_time + t.system_time for t in process.threads()}


def _load_with_wrk(port: int, url: str, args: argparse.Namespace) -> int:
    """Messages deleted by one wrk run of --seconds over --connections connections."""
    script = Path(__file__).with_name("queues_wrk.lua")
    command = ["wrk", "-t1", f"-c{args.connections}", f"-d{int(args.seconds)}s", "-s",
               str(script), f"http://{HOST}:{port}/", "--", url, str(len(BODY))]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    _, _, counts = out.partition("DELETED ")
    deleted, _, errors, *last = counts.split(maxsplit=3)
    if int(errors):
        raise RuntimeError(f"wrk saw {errors} errors, the last: {' '.join(last)}")
    return int(deleted)


def _load_with_python(port: int, url: str, args: argparse.Namespace) -> int:
    results: Any = multiprocessing.Queue()
    start_at = time.time() + 0.5
    workers = [
        multiprocessing.Process(target=_client, args=(port, url, args.seconds, start_at, results))
        for _ in range(args.clients)
    ]
    for worker in workers:
        worker.start()
    total = sum(results.get(timeout=args.seconds + 60) for _ in workers)
    for worker in workers:
        worker.join()
    return int(total)


# ---- main -------------------------------------------------------------------------------


def run(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "source": source_description(None),
        "load": args.load if args.load == "python" else f"wrk, {args.connections} connections",
        "load_average": os.getloadavg()[0],
        "repeats": args.rounds,
        "rounds": [],
    }
    for waiting in sorted({0, args.waiting}):
        data = work / f"data-{waiting}"
        data.mkdir()
        log(f"backlog {waiting:,}: preloading")
        preload(data, waiting)
        raw_store = RawSQLite(work / f"raw-{waiting}.db", waiting)
        raws, services, servers = [], [], []
        for round_ in range(args.rounds):  # alternating: each sees the same minutes' load
            log(f"  round {round_ + 1}: raw SQLite, service, server ({args.load})")
            raws.append(raw_store.round(args.seconds))
            services.append(service_loop(data, args.seconds))
            servers.append(server_loop(data, work, args))
        raw_store.conn.close()
        raw = median(raws)
        figures["rounds"].append(
            {
                "waiting": waiting,
                "raw_sqlite": raw,
                "service": median(services),
                "server": median(s.messages_per_s for s in servers),
                "server_cpu_us_per_message": median(s.cpu_us for s in servers),
                "loop_thread_us_per_message": median(s.loop_us for s in servers),
                "db_thread_us_per_message": median(s.db_us for s in servers),
                "service_ratio": median(s / r for s, r in zip(services, raws, strict=True)),
                "each": {
                    "raw_sqlite": raws,
                    "service": services,
                    "server_cpu_us_per_message": [s.cpu_us for s in servers],
                },
            }
        )
    figures["load_average_end"] = os.getloadavg()[0]
    return figures


def render(figures: dict[str, Any]) -> str:
    lines = [
        f"stratus: {figures['source']}",
        f"load: {figures['load']}; load average {figures['load_average']:.1f} at start, "
        f"{figures['load_average_end']:.1f} at the end",
        "messages/s (send + receive + delete, batch 10, durable), and the ratio to raw SQLite; "
        f"medians of {figures['repeats']} alternating rounds:",
        f"{'waiting':>10} {'raw SQLite':>11} {'service':>15} {'server':>15} "
        f"{'server CPU/msg (loop + db)':>28} {'= msgs/s per core':>18}",
    ]
    for r in figures["rounds"]:
        raw, cpu = r["raw_sqlite"], r["server_cpu_us_per_message"]
        split = f"({r['loop_thread_us_per_message']:.0f} + {r['db_thread_us_per_message']:.0f})"
        lines.append(
            f"{r['waiting']:>10,} {raw:>11,.0f} {r['service']:>7,.0f} x{r['service_ratio']:>5.2f} "
            f"{r['server']:>7,.0f} x{r['server'] / raw:>5.2f} {cpu:>12,.0f} us {split:>12} "
            f"{1e6 / cpu:>18,.0f}"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per backlog")
    parser.add_argument("--clients", type=int, default=4, help="Python clients (--load python)")
    parser.add_argument("--connections", type=int, default=8, help="wrk's (--load wrk)")
    parser.add_argument("--load", choices=("wrk", "python"), default=None)
    parser.add_argument("--waiting", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.load is None:
        args.load = "wrk" if shutil.which("wrk") else "python"
    elif args.load == "wrk" and shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk (Debian's package)", file=sys.stderr)
        return 2
    return main_in_workdir(
        lambda work: run(work, args), render, work_parent=default_work_parent(),
        prefix="stratus-bench-queues-", as_json=args.json,
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
