"""Workflows: state transitions per second, in memory and durable, without HTTP.

    python bench/workflows.py [--states 1000] [--executions 200] [--waits 20] [--items 10000]

    interpreter   a Pass chain of --states states run by interpreter.start alone: what the
                  language costs per transition (the ceiling for Express executions)
    start->end    a 2-state Pass machine, start to SUCCEEDED, in the interpreter (p50)
    durable pass  --executions executions of a 100-state Pass chain on the service: each start
                  runs the chain and commits the run and its 202 history events in one
                  transaction; transitions/s
    durable wait  --executions executions of a chain of --waits `Wait 0` states on the
                  service (SQLite WAL, the work queue's workers, the system clock): a Wait with
                  nothing to wait for ends in the step that entered it, so each execution is
                  one transaction, as a Pass chain; transitions/s over the whole run
    durable task  --executions executions of a chain of --waits Task states whose integration
                  answers at once (in process): each transition is a task item claimed and one
                  transaction acking it and committing the run, its history and the next item
    map inline    a Map over --items items (a Pass processor) run in memory as an Express
                  execution runs it (express.wait_run): wall time, start to SUCCEEDED
    map distributed  the same items as a distributed Map on the service (SQLite, work
                  queue, system clock), children STANDARD (each a durable execution with its
                  history) or EXPRESS (in memory, 50 to a work item): wall time from
                  StartExecution to the parent's SUCCEEDED

    --api         over HTTP, boto3 against `stratus server` in a child process: p50 of
                  StartExecution of a 2-state Pass machine (STANDARD; it answers once the run
                  is SUCCEEDED and committed, checked), of StartSyncExecution of the same
                  machine as EXPRESS, and the transitions/s of one StartSyncExecution of a
                  --states Pass chain

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from stratus.config import Settings
from stratus.store.clock import SystemClock
from stratus.store.db import Database
from stratus.store.work import SCHEMA as WORK_SCHEMA
from stratus.store.work import WorkQueue
from stratus.workflows import definition, express, interpreter
from stratus.workflows.schema import SCHEMA
from stratus.workflows.service import WorkflowService


class EchoTasks:
    """An integration that answers at once with its input: what the durable path costs."""

    async def wait_run(self, resource: str, payload: Any, timeout_s: int | None) -> Any:
        return payload


FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:echo"


def in_memory(states: int) -> tuple[float, float]:
    chain = {f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(states)}
    chain[f"S{states}"] = {"Type": "Pass", "End": True}
    machine = definition.parse(json.dumps({"StartAt": "S0", "States": chain}))
    runs = 5
    start = time.perf_counter()
    for _ in range(runs):
        interpreter.start(
            machine, {"a": 1}, execution={"Id": "x"}, state_machine={"Id": "y"}, now=0.0
        )
    per_second = runs * (states + 1) / (time.perf_counter() - start)
    two = definition.parse(
        json.dumps(
            {
                "StartAt": "A",
                "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": True}},
            }
        )
    )
    laps = []
    for _ in range(2000):
        lap = time.perf_counter()
        interpreter.start(two, {"a": 1}, execution={"Id": "x"}, state_machine={"Id": "y"}, now=0.0)
        laps.append(time.perf_counter() - lap)
    return per_second, statistics.median(laps) * 1e3


async def durable_pass(executions: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "bench.db", (WORK_SCHEMA, SCHEMA))
        service = WorkflowService(Settings(), db, WorkQueue(db, SystemClock()), EchoTasks())
        chain = {f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(99)}
        chain["S99"] = {"Type": "Pass", "End": True}
        text = json.dumps({"StartAt": "S0", "States": chain})
        machine = await service.create("bench", text, "arn:aws:iam::0:role/r")
        start = time.perf_counter()
        for i in range(executions):
            await service.start(machine.arn, f"e{i}", "{}")
        elapsed = time.perf_counter() - start
        db.close()
        return executions * 100 / elapsed


async def durable(executions: int, waits: int, kind: str = "Wait") -> float:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "bench.db", (WORK_SCHEMA, SCHEMA))
        work = WorkQueue(db, SystemClock())
        service = WorkflowService(Settings(), db, work, EchoTasks())
        body: dict[str, Any] = (
            {"Type": "Wait", "Seconds": 0}
            if kind == "Wait"
            else {"Type": "Task", "Resource": FUNCTION}
        )
        chain = {f"W{i}": {**body, "Next": f"W{i + 1}"} for i in range(waits)}
        chain[f"W{waits}"] = {"Type": "Succeed"}
        machine = await service.create(
            "bench", json.dumps({"StartAt": "W0", "States": chain}), "arn:aws:iam::0:role/r"
        )
        runner = asyncio.create_task(service.wait_run_forever())
        start = time.perf_counter()
        arns = [(await service.start(machine.arn, f"e{i}", "{}")).arn for i in range(executions)]
        while True:
            done = [await service.describe_execution(arn) for arn in arns[-5:]]
            if all(e.status != "RUNNING" for e in done):
                break
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - start
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        db.close()
        return executions * (waits + 1) / elapsed


def map_machine(items: int, mode: str | None) -> str:
    processor: dict[str, Any] = {
        "StartAt": "P",
        "States": {"P": {"Type": "Pass", "Parameters": {"n.$": "$.n"}, "End": True}},
    }
    if mode is not None:
        processor["ProcessorConfig"] = {"Mode": "DISTRIBUTED", "ExecutionType": mode}
    return json.dumps(
        {
            "StartAt": "M",
            "States": {
                "M": {
                    "Type": "Map",
                    "ItemsPath": "$.items",
                    "ItemSelector": {"n.$": "$$.Map.Item.Index"},
                    "ItemProcessor": processor,
                    "End": True,
                }
            },
        }
    )


def items_input(items: int) -> str:
    return json.dumps({"items": [{"k": i} for i in range(items)]})


async def map_inline(items: int) -> float:
    machine = definition.parse(map_machine(items, None))
    start = time.perf_counter()
    step = await express.wait_run(
        machine,
        json.loads(items_input(items)),
        execution={"Id": "x"},
        state_machine={"Id": "y"},
        clock=SystemClock(),
        runner=EchoTasks(),
    )
    elapsed = time.perf_counter() - start
    assert step.run["status"] == "SUCCEEDED", step.run.get("cause")
    assert len(step.run["output"]) == items
    return elapsed


async def map_distributed(items: int, mode: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "bench.db", (WORK_SCHEMA, SCHEMA))
        service = WorkflowService(Settings(), db, WorkQueue(db, SystemClock()), EchoTasks())
        machine = await service.create("bench", map_machine(items, mode), "arn:aws:iam::0:role/r")
        runner = asyncio.create_task(service.wait_run_forever())
        start = time.perf_counter()
        arn = (await service.start(machine.arn, "e", items_input(items))).arn
        while True:
            done = await service.describe_execution(arn)
            if done.status != "RUNNING":
                break
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - start
        runner.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await runner
        db.close()
        assert done.status == "SUCCEEDED", done.cause
        assert len(json.loads(done.output or "[]")) == items
        return elapsed


def over_api(states: int, laps: int = 300) -> None:
    import boto3
    from botocore.config import Config

    from stratus.testing import serve_in_process

    two = json.dumps(
        {
            "StartAt": "A",
            "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": True}},
        }
    )
    chain = {f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(states)}
    chain[f"S{states}"] = {"Type": "Pass", "End": True}
    with tempfile.TemporaryDirectory() as tmp, serve_in_process(Path(tmp)) as server:
        sfn = boto3.client(
            "stepfunctions",
            endpoint_url=server.settings.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="x",
            config=Config(inject_host_prefix=False),
        )
        role = "arn:aws:iam::000000000000:role/r"
        standard = sfn.create_state_machine(name="two", definition=two, roleArn=role)
        express = sfn.create_state_machine(
            name="two-x", definition=two, roleArn=role, type="EXPRESS"
        )
        long_chain = sfn.create_state_machine(
            name="chain-x",
            definition=json.dumps({"StartAt": "S0", "States": chain}),
            roleArn=role,
            type="EXPRESS",
        )
        times: list[float] = []
        last = ""
        for _ in range(laps):
            lap = time.perf_counter()
            last = sfn.start_execution(stateMachineArn=standard["stateMachineArn"])["executionArn"]
            times.append(time.perf_counter() - lap)
        status = sfn.describe_execution(executionArn=last)["status"]
        print(
            f"api: STANDARD 2-state Pass StartExecution (answered {status}): "
            f"p50 {statistics.median(times) * 1e3:.2f} ms"
        )
        times = []
        for _ in range(laps):
            lap = time.perf_counter()
            sfn.start_sync_execution(stateMachineArn=express["stateMachineArn"])
            times.append(time.perf_counter() - lap)
        p50 = statistics.median(times) * 1e3
        print(f"api: EXPRESS 2-state Pass StartSyncExecution: p50 {p50:.2f} ms")
        times = []
        for _ in range(7):  # the first run also compiles the definition's paths
            lap = time.perf_counter()
            answer = sfn.start_sync_execution(stateMachineArn=long_chain["stateMachineArn"])
            times.append(time.perf_counter() - lap)
        print(
            f"api: EXPRESS Pass chain of {states} in one StartSyncExecution ({answer['status']}): "
            f"{(states + 1) / statistics.median(times):,.0f} transitions/s (median of 7; "
            f"first {(states + 1) / times[0]:,.0f}/s)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--states", type=int, default=1000)
    parser.add_argument("--executions", type=int, default=200)
    parser.add_argument("--waits", type=int, default=20)
    parser.add_argument("--api", action="store_true", help="measure over HTTP instead")
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--only-map", action="store_true", help="only the Map figures")
    args = parser.parse_args()
    if args.api:
        over_api(args.states)
        return
    if args.only_map:
        map_figures(args.items)
        return
    per_second, p50_ms = in_memory(args.states)
    print(f"interpreter: Pass chain of {args.states}: {per_second:,.0f} transitions/s")
    print(f"interpreter: 2-state Pass machine start -> SUCCEEDED: p50 {p50_ms:.3f} ms")
    passes = asyncio.run(durable_pass(args.executions))
    chains = f"{args.executions} Pass chains of 100, one commit each"
    print(f"durable: {chains}: {passes:,.0f} transitions/s")
    rate = asyncio.run(durable(args.executions, args.waits))
    transitions = f"{args.executions} executions x {args.waits + 1} transitions"
    print(f"durable: {transitions} (Wait 0): {rate:,.0f} transitions/s")
    rate = asyncio.run(durable(args.executions, args.waits, "Task"))
    print(f"durable: {transitions} (Task), a work item each: {rate:,.0f} transitions/s")
    map_figures(args.items)


def map_figures(items: int) -> None:
    inline = asyncio.run(map_inline(items))
    print(f"map inline (Express, in memory): {items:,} items: {inline:.2f} s")
    for mode in ("EXPRESS", "STANDARD"):
        wall = asyncio.run(map_distributed(items, mode))
        print(f"map distributed, {mode} children: {items:,} items: {wall:.2f} s")


if __name__ == "__main__":
    main()
