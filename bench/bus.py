"""Event bus latency: PutEvents -> rule -> function, durable, end to end.

    python bench/bus.py [--samples 200] [--json]

`python -m stratus server` runs as a child with one rule (a pattern on source and a numeric
detail field) whose target is a Python function. One PutEvents at a time: from just before
the call to the moment the function's handler runs (it notes time.time() in a file of a
directory the bench shares with it; both clocks are this machine's). Also PutEvents' own
answer time: the event is matched and its delivery stored before it answers. The first
event (a cold start) is left out.

The clients share the machine's CPUs with the server, so these figures are floors. Nothing
asserts on timing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import (
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
from invoke import create_function, lambda_client

HANDLER = """
import os, time
def handler(event, context):
    path = os.path.join(os.environ["OUT"], event["detail"]["n"])
    with open(path + ".tmp", "w") as out:
        out.write(repr(time.time()))
    os.rename(path + ".tmp", path)
"""


def _wait_file(path: Path, timeout: float = 60.0) -> float:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the function never ran for {path.name}")
        time.sleep(0.0005)
    return float(path.read_text())


def server_round(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    server = start_child(
        "stratus", stratus_command(port, work / "data"), port, work / "stratus.log",
        stratus_environ(None),
    )  # fmt: skip
    # Not under /tmp: functions see a private /tmp of their own.
    shared = Path(tempfile.mkdtemp(prefix="stratus-bench-bus-", dir="/var/tmp"))
    shared.chmod(0o1777)
    try:
        functions, events = lambda_client(port), aws_client("events", port)
        create_function(functions, "bench-bus", HANDLER)
        functions.update_function_configuration(
            FunctionName="bench-bus", Environment={"Variables": {"OUT": str(shared)}}
        )
        arn = functions.get_function(FunctionName="bench-bus")["Configuration"]["FunctionArn"]
        pattern = {"source": ["bench"], "detail": {"size": [{"numeric": [">", 0]}]}}
        events.put_rule(Name="bench", EventPattern=json.dumps(pattern))
        events.put_targets(Rule="bench", Targets=[{"Id": "f", "Arn": arn}])
        end_to_end: list[float] = []
        answered: list[float] = []
        for i in range(args.samples + 1):
            detail = json.dumps({"n": f"e{i}", "size": 1})
            started = time.time()
            events.put_events(Entries=[{"Source": "bench", "DetailType": "t", "Detail": detail}])
            answer = time.time()
            ran = _wait_file(shared / f"e{i}")
            if i:  # the first one starts the function's environment
                end_to_end.append((ran - started) * 1000)
                answered.append((answer - started) * 1000)
        return {"put_events_ms": summarize(answered), "end_to_end_ms": summarize(end_to_end)}
    finally:
        server.stop()
        for path in shared.iterdir():
            path.unlink()
        os.rmdir(shared)


def run(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    log("server")
    return {"source": source_description(None), **server_round(work, args)}


def render(figures: dict[str, Any]) -> str:
    put, end = figures["put_events_ms"], figures["end_to_end_ms"]
    return "\n".join(
        [
            f"stratus: {figures['source']}",
            f"PutEvents answered:            p50 {put['p50']:.1f} ms, p90 {put['p90']:.1f} ms, "
            f"p99 {put['p99']:.1f} ms",
            f"PutEvents -> rule -> function: p50 {end['p50']:.1f} ms, p90 {end['p90']:.1f} ms, "
            f"p99 {end['p99']:.1f} ms (n={end['n']:.0f})",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    return main_in_workdir(
        lambda work: run(work, args), render, work_parent=default_work_parent(),
        prefix="stratus-bench-bus-", as_json=args.json,
    )  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
