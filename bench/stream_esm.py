"""DynamoDB stream -> event source mapping -> function throughput, beside a same-run
baseline of the same stream read by a DynamoDB Streams API client (GetRecords, no function).

    python bench/stream_esm.py [--records 5000] [--json]

One server (`python -m stratus server`, a child). Per round, a table with a stream gets
--records items first (BatchWriteItem), then the clock starts and runs until every record
is read:

  * baseline: one client loops GetRecords (1,000 a call) from TRIM_HORIZON over HTTP (what
    a hand-written stream reader with no function costs the server);
  * mapping: a Python function that returns at once, behind a mapping from TRIM_HORIZON
    with BatchSize 100, then 1,000; done when the poller's counter (/_stratus/mappings)
    has every record.

Figures: records/s, and the server's CPU time per record. Nothing asserts on timing.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
import urllib.request
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

ROLE = "arn:aws:iam::000000000000:role/bench"
HANDLER = "def handler(event, context):\n    return None\n"


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        bundle.writestr("app.py", HANDLER)
    return buffer.getvalue()


def _table(ddb: Any, name: str, count: int) -> str:
    stream = ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    for start in range(0, count, 25):
        ddb.batch_write_item(
            RequestItems={
                name: [
                    {"PutRequest": {"Item": {"id": {"S": f"k{i}"}, "body": {"S": "x" * 150}}}}
                    for i in range(start, min(start + 25, count))
                ]
            }
        )
    return str(stream)


def _timed(process: psutil.Process, work: Any) -> tuple[float, float]:
    cpu = sum(process.cpu_times()[:2])
    started = time.monotonic()
    work()
    return time.monotonic() - started, sum(process.cpu_times()[:2]) - cpu


def baseline(process: psutil.Process, port: int, count: int) -> dict[str, float]:
    stream = _table(aws_client("dynamodb", port), "baseline", count)
    streams = aws_client("dynamodbstreams", port)

    def work() -> None:
        shard = streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"][0]
        iterator = streams.get_shard_iterator(
            StreamArn=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        read = 0
        while read < count:
            got = streams.get_records(ShardIterator=iterator, Limit=1000)
            read += len(got["Records"])
            iterator = got["NextShardIterator"]

    seconds, cpu = _timed(process, work)
    return {"records_per_s": count / seconds, "cpu_us_per_record": cpu / count * 1e6}


def _done(port: int, uuid: str) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stratus/mappings") as answer:
        found = json.load(answer).get(uuid)
    return int(found["deleted"]) if found else 0


def mapping(
    process: psutil.Process, port: int, count: int, name: str, batch: int
) -> dict[str, float]:
    stream = _table(aws_client("dynamodb", port), name, count)
    lam = aws_client("lambda", port)
    lam.create_function(
        FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
        Code={"ZipFile": _zip()},
    )  # fmt: skip
    lam.invoke(FunctionName=name, Payload=b"{}")  # warm: the first start is not the figure

    def work() -> None:
        uuid = lam.create_event_source_mapping(
            EventSourceArn=stream, FunctionName=name, StartingPosition="TRIM_HORIZON",
            BatchSize=batch,
        )["UUID"]  # fmt: skip
        while _done(port, uuid) < count:
            time.sleep(0.05)

    seconds, cpu = _timed(process, work)
    return {"records_per_s": count / seconds, "cpu_us_per_record": cpu / count * 1e6}


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
        log(f"baseline: GetRecords of {args.records:,} records")
        base = baseline(process, port, args.records)
        log("mapping, BatchSize 100")
        hundred = mapping(process, port, args.records, "esm100", 100)
        log("mapping, BatchSize 1000")
        thousand = mapping(process, port, args.records, "esm1000", 1000)
    finally:
        server.stop()
    return {
        "source": source_description(None),
        "host": HOST,
        "records": args.records,
        "baseline": base,
        "mapping_batch_100": hundred,
        "mapping_batch_1000": thousand,
    }


def render(figures: dict[str, Any]) -> str:
    lines = [
        f"stratus: {figures['source']}",
        f"{figures['records']:,} stream records read from TRIM_HORIZON:",
        f"{'':38} {'records/s':>12} {'server CPU/record':>18}",
    ]
    for label, key in (
        ("baseline: GetRecords client, no fn", "baseline"),
        ("mapping -> function, batch 100", "mapping_batch_100"),
        ("mapping -> function, batch 1000", "mapping_batch_1000"),
    ):
        row = figures[key]
        lines.append(
            f"{label:38} {row['records_per_s']:>12,.0f} {row['cpu_us_per_record']:>15,.0f} us"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    return main_in_workdir(
        lambda work: run(work, args), render, work_parent=default_work_parent(),
        prefix="stratus-bench-stream-esm-", as_json=args.json,
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
