"""Table throughput and query cost: PutItem and GetItem beside raw SQLite doing the same
rows, and a Query of 100 items from a small and a large table.

    python bench/tables.py [--items 5000] [--rounds 5] [--small 10000] [--large 500000] [--json]

Figures, all from one run:

  * raw SQLite: the same rows on a file with the server's PRAGMAs (WAL, synchronous=NORMAL):
    one upsert per transaction (as a PutItem commits), one primary-key select per read;
  * service: TableService in this process (expression parsing, item rules, the row's JSON,
    index entries, one transaction per write; no HTTP). Raw SQLite and the service run in
    alternating rounds (--rounds), so both see the same minutes of a shared machine's load;
    the medians and the median of the rounds' ratios are printed;
  * service, 8 callers: the same PutItems from 8 tasks at once, as 8 clients of a server
    would send them; calls that meet on the database thread share a commit;
  * server: `python -m stratus server` as a child, one keep-alive HTTP client sending
    prepared PutItem / GetItem bodies (the client shares the machine's CPUs: a floor), and
    the server's CPU time per call (independent of the machine's load);
  * Query: 100 items of one partition (KeyConditionExpression pk = :p) through the service,
    from a table of --small items and one of --large (loaded in bulk through the store).
    The cost should not grow with the table: it is a range read of the primary key.

Nothing asserts on timing.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import sqlite3
import sys
import time
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
    start_child,
    stratus_command,
    stratus_environ,
)

from stratus.config import Settings
from stratus.store.db import Database, transaction
from stratus.tables import keys, store
from stratus.tables.schema import SCHEMA
from stratus.tables.service import TableService
from stratus.tables.values import item_size

KEY = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
ATTRS = [
    {"AttributeName": "pk", "AttributeType": "S"},
    {"AttributeName": "sk", "AttributeType": "N"},
]
PARTITION = 100  # items per partition in the query tables


def item(n: int) -> dict[str, Any]:
    """A typical small item (~200 bytes)."""
    return {
        "pk": {"S": f"user-{n}"},
        "sk": {"N": str(n % 7)},
        "name": {"S": f"name {n}"},
        "email": {"S": f"user{n}@example.com"},
        "score": {"N": str(n * 3)},
        "tags": {"SS": ["a", "b"]},
        "profile": {"M": {"city": {"S": "Paris"}, "age": {"N": "42"}}},
        "bio": {"S": "x" * 80},
    }


# ---- raw SQLite and the service, round by round ------------------------------------------


class RawSQLite:
    """The same rows with no Stratus at all, on a file with the server's PRAGMAs."""

    def __init__(self, path: Path, count: int) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute(
            "CREATE TABLE items (table_id INTEGER, pk BLOB, sk BLOB, item BLOB, size INTEGER, "
            "PRIMARY KEY (table_id, pk, sk)) WITHOUT ROWID"
        )
        self.rows = [(1, f"user-{n}".encode(), bytes([n % 7]), json.dumps(item(n)).encode(), 200)
                     for n in range(count)]  # fmt: skip

    def put(self) -> float:
        """One upsert per transaction, as a PutItem commits: ops/s."""
        conn, started = self.conn, time.perf_counter()
        for row in self.rows:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT OR REPLACE INTO items VALUES (?, ?, ?, ?, ?)", row)
            conn.execute("COMMIT")
        return len(self.rows) / (time.perf_counter() - started)

    def get(self) -> float:
        """One primary-key select per read, its JSON decoded: ops/s."""
        conn, started = self.conn, time.perf_counter()
        for row in self.rows:
            found = conn.execute(
                "SELECT item FROM items WHERE table_id = ? AND pk = ? AND sk = ?", row[:3]
            ).fetchone()
            json.loads(found[0])
        return len(self.rows) / (time.perf_counter() - started)


async def side_by_side(work: Path, count: int, rounds: int) -> dict[str, Any]:
    """Raw SQLite and TableService in this process, alternating round by round (the same
    minutes of the machine's load for both): each round's ops/s, their medians, and the
    median of the per-round ratios service / raw."""
    raw = RawSQLite(work / "raw.db", count)
    db = Database(work / "service.db", (SCHEMA,))
    tables = TableService(Settings(data_dir=work), db)
    await tables.create_table(
        {"TableName": "bench", "KeySchema": KEY, "AttributeDefinitions": ATTRS,
         "BillingMode": "PAY_PER_REQUEST"}
    )  # fmt: skip
    items = [item(n) for n in range(count)]
    keys_ = [{"pk": one["pk"], "sk": one["sk"]} for one in items]

    async def service_put() -> float:
        started = time.perf_counter()
        for one in items:
            await tables.put_item("bench", one)
        return count / (time.perf_counter() - started)

    async def service_put_together(callers: int = 8) -> float:
        """The same PutItems from `callers` tasks at once (clients of one server): calls
        that meet on the database thread share a commit (group commit)."""

        async def caller(part: list[dict[str, Any]]) -> None:
            for one in part:
                await tables.put_item("bench", one)

        started = time.perf_counter()
        await asyncio.gather(*(caller(items[i::callers]) for i in range(callers)))
        return count / (time.perf_counter() - started)

    async def service_get() -> float:
        started = time.perf_counter()
        for key in keys_:
            await tables.get_item("bench", key)
        return count / (time.perf_counter() - started)

    found: dict[str, list[float]] = {
        "raw_put": [], "raw_get": [], "put": [], "get": [], "put_together": []
    }  # fmt: skip
    for _ in range(rounds):
        found["raw_put"].append(raw.put())
        found["put"].append(await service_put())
        found["put_together"].append(await service_put_together())
        found["raw_get"].append(raw.get())
        found["get"].append(await service_get())
    db.close()
    raw.conn.close()
    return {
        "each_round": found,
        "raw_sqlite": {"put": median(found["raw_put"]), "get": median(found["raw_get"])},
        "service": {"put": median(found["put"]), "get": median(found["get"])},
        "service_8_callers": {"put": median(found["put_together"])},
        "ratio": {
            op: median([s / r for s, r in zip(found[op], found[f"raw_{op}"], strict=True)])
            for op in ("put", "get")
        },
        "ratio_8_callers": {
            "put": median(
                [s / r for s, r in zip(found["put_together"], found["raw_put"], strict=True)]
            )
        },
    }


async def query_figures(work: Path, size: int, repeats: int = 1000) -> dict[str, float]:
    """Load `size` items in partitions of 100, then time a Query of one whole partition."""
    db = Database(work / f"query-{size}.db", (SCHEMA,))
    tables = TableService(Settings(data_dir=work), db)
    await tables.create_table(
        {"TableName": "query", "KeySchema": KEY, "AttributeDefinitions": ATTRS,
         "BillingMode": "PAY_PER_REQUEST"}
    )  # fmt: skip
    table = tables.table("query")
    started = time.perf_counter()
    for first in range(0, size, 10_000):

        def load(conn: sqlite3.Connection, first: int = first) -> None:
            with transaction(conn):
                for n in range(first, min(first + 10_000, size)):
                    one = {"pk": {"S": f"p{n // PARTITION}"}, "sk": {"N": str(n % PARTITION)},
                           "v": {"S": "x" * 100}}  # fmt: skip
                    store.put(conn, table, keys.of_item(table, one), one, item_size(one), None)

        await db.run(load)
    log(f"loaded {size:,} items in {time.perf_counter() - started:.1f} s")
    partitions = size // PARTITION
    timings = []
    for r in range(repeats):
        wanted = f"p{(r * 7919) % partitions}"
        started = time.perf_counter()
        page = await tables.read(
            "query", query=True, key_condition="pk = :p", values={":p": {"S": wanted}}
        )
        timings.append(time.perf_counter() - started)
        assert page.count == PARTITION, page.count

    def raw(conn: sqlite3.Connection) -> list[float]:
        """The same partitions read with bare SQL on the database thread (rows fetched and
        decoded from JSON): the floor under the service's figure."""
        found = []
        for r in range(repeats):
            wanted = f"p{(r * 7919) % partitions}".encode()
            started = time.perf_counter()
            rows = conn.execute(
                "SELECT item FROM dynamo_items WHERE table_id = ? AND pk = ? ORDER BY sk",
                (table.id, wanted),
            ).fetchall()
            [json.loads(row[0]) for row in rows]
            found.append(time.perf_counter() - started)
        return sorted(found)

    floor = await db.run(raw)
    db.close()
    timings.sort()
    return {
        "median_ms": timings[len(timings) // 2] * 1000,
        "p90_ms": timings[len(timings) * 9 // 10] * 1000,
        "raw_median_ms": floor[len(floor) // 2] * 1000,
    }


# ---- the server over HTTP -----------------------------------------------------------------


def server_figures(work: Path, count: int) -> dict[str, float]:
    port = free_port()
    # The server imports the stratus this bench imported (PYTHONPATH or the installed one),
    # so its figures and the in-process ones measure the same code.
    server = start_child("stratus", stratus_command(port, work / "data"), port,
                         work / "stratus.log", stratus_environ(None))  # fmt: skip
    try:
        conn = http.client.HTTPConnection(HOST, port)

        def call(operation: str, body: dict[str, Any]) -> dict[str, Any]:
            conn.request("POST", "/", json.dumps(body), {
                "X-Amz-Target": f"DynamoDB_20120810.{operation}",
                "Content-Type": "application/x-amz-json-1.0",
            })  # fmt: skip
            response = conn.getresponse()
            answer: dict[str, Any] = json.loads(response.read() or b"{}")
            if response.status != 200:
                raise RuntimeError(answer)
            return answer

        table = {"TableName": "bench", "KeySchema": KEY, "AttributeDefinitions": ATTRS}
        call("CreateTable", table | {"BillingMode": "PAY_PER_REQUEST"})
        puts = [{"TableName": "bench", "Item": item(n)} for n in range(count)]
        gets = [{"TableName": "bench", "Key": {"pk": p["Item"]["pk"], "sk": p["Item"]["sk"]}}
                for p in puts]  # fmt: skip
        process = psutil.Process(server.process.pid)

        def cpu() -> float:
            return float(sum(process.cpu_times()[:2]))

        started, cpu_started = time.perf_counter(), cpu()
        for body in puts:
            call("PutItem", body)
        put = count / (time.perf_counter() - started)
        put_cpu = (cpu() - cpu_started) / count * 1e6
        started, cpu_started = time.perf_counter(), cpu()
        for body in gets:
            call("GetItem", body)
        get = count / (time.perf_counter() - started)
        get_cpu = (cpu() - cpu_started) / count * 1e6
        return {"put": put, "get": get, "put_cpu_us": put_cpu, "get_cpu_us": get_cpu}
    finally:
        server.stop()


def run(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    log(f"raw SQLite and the service, {args.rounds} rounds ...")
    paired = asyncio.run(side_by_side(work, args.items, args.rounds))
    log("server ...")
    server = server_figures(work, args.items)
    log("queries ...")
    small = asyncio.run(query_figures(work, args.small))
    large = asyncio.run(query_figures(work, args.large))
    return {
        "items": args.items,
        "rounds": args.rounds,
        "load_average": os.getloadavg()[0],
        **paired,
        "server": server,
        "query_100": {str(args.small): small, str(args.large): large},
    }


def render(r: dict[str, Any]) -> str:
    lines = [
        f"{r['items']:,} items of ~200 bytes, ops/s (one call at a time); raw SQLite and the "
        f"service alternate, medians of {r['rounds']} rounds; load average "
        f"{r['load_average']:.1f} at the end",
        "",
    ]
    lines.append(f"{'':12} {'PutItem':>10} {'GetItem':>10}")
    for name in ("raw_sqlite", "service", "server"):
        lines.append(f"{name:12} {r[name]['put']:>10,.0f} {r[name]['get']:>10,.0f}")
    ratio = r["ratio"]
    lines.append(
        f"{'service/raw':12} {ratio['put']:>9.2f}x {ratio['get']:>9.2f}x "
        "(median of the rounds' ratios)"
    )
    lines.append(
        f"{'8 callers':12} {r['service_8_callers']['put']:>10,.0f} {'':>10} PutItem from 8 "
        f"tasks at once (group commit): x{r['ratio_8_callers']['put']:.2f} raw's one-by-one"
    )
    server = r["server"]
    lines.append(
        f"server CPU per call: PutItem {server['put_cpu_us']:,.0f} us, GetItem "
        f"{server['get_cpu_us']:,.0f} us (all processes of the server, threads included)"
    )
    lines.append("")
    lines.append("Query of 100 items (one partition), service in process:")
    for size, figures in r["query_100"].items():
        lines.append(
            f"  table of {int(size):>10,} items: median {figures['median_ms']:.2f} ms, "
            f"p90 {figures['p90_ms']:.2f} ms (bare SQL + JSON on the database thread: "
            f"{figures['raw_median_ms']:.2f} ms)"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=500_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    return main_in_workdir(
        lambda work: run(work, args), render, work_parent=default_work_parent(),
        prefix="stratus-bench-tables-", as_json=args.json,
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
