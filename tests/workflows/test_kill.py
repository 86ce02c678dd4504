"""Durability: `kill -9` of the server neither loses nor repeats a committed transition."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from tests.conftest import create_function, wait_for

from stratus.testing import serve_in_process

# One new file per run of a task: environments may run as different uids after a restart,
# so one shared file appended to by both would not be writable by the second.
HANDLER = """
def handler(event, context):
    with open(event["dir"] + "/" + event["mark"] + "-" + context.aws_request_id, "w") as mark:
        mark.write(event["mark"])
    return event
"""


def machine(function: str) -> str:
    def task(mark: str, next_state: str | None) -> dict:
        state = {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": function, "Payload": {"dir.$": "$.dir", "mark": mark}},
            "ResultPath": None,
        }
        return {**state, "Next": next_state} if next_state else {**state, "End": True}

    return json.dumps(
        {
            "StartAt": "First",
            "States": {
                "First": task("first", "Pause"),
                "Pause": {"Type": "Wait", "Seconds": 2, "Next": "Second"},
                "Second": task("second", None),
            },
        }
    )


def test_kill_9_during_a_wait_resumes_without_rerunning_the_completed_task(
    tmp_path: Path, shared_dir: Path
):
    """The first task's transition was committed before the kill: after the restart the
    execution goes on from the Wait, and the first task has run exactly once."""
    data = tmp_path / "data"
    data.mkdir()
    with serve_in_process(data) as server:
        create_function(server.client("lambda"), "marker", HANDLER)
        sfn = server.client("stepfunctions")
        arn = sfn.create_state_machine(
            name="durable", definition=machine("marker"), roleArn="arn:aws:iam::000000000000:role/r"
        )["stateMachineArn"]
        execution = sfn.start_execution(
            stateMachineArn=arn, input=json.dumps({"dir": str(shared_dir)})
        )["executionArn"]

        def waiting() -> bool:
            events = sfn.get_execution_history(executionArn=execution)["events"]
            return any(e["type"] == "WaitStateEntered" for e in events)

        assert wait_for(waiting, timeout=60)
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()

    with serve_in_process(data) as server:
        sfn = server.client("stepfunctions")

        def finished() -> bool:
            return sfn.describe_execution(executionArn=execution)["status"] != "RUNNING"

        assert wait_for(finished, timeout=60)
        described = sfn.describe_execution(executionArn=execution)
        types = [e["type"] for e in sfn.get_execution_history(executionArn=execution)["events"]]

    assert described["status"] == "SUCCEEDED", (
        described.get("error"),
        described.get("cause"),
        types,
    )
    assert sorted(path.read_text() for path in shared_dir.iterdir()) == ["first", "second"]
    assert types.count("TaskScheduled") == 2
    assert types.count("WaitStateEntered") == 1


def test_kill_9_during_busy_task_chains_loses_and_repeats_no_transition(tmp_path: Path):
    """Many executions of Task chains settle in shared transactions (group commit): a kill in
    the middle leaves every execution to finish after the restart, each state entered exactly
    once and the history's ids contiguous."""
    data = tmp_path / "data"
    data.mkdir()
    states = 40
    chain = {
        f"T{i}": {
            "Type": "Task",
            "Resource": "arn:aws:states:::aws-sdk:sfn:listActivities",
            "Parameters": {},
            "ResultPath": None,
            **({"Next": f"T{i + 1}"} if i < states - 1 else {"End": True}),
        }
        for i in range(states)
    }
    with serve_in_process(data) as server:
        sfn = server.client("stepfunctions")
        arn = sfn.create_state_machine(
            name="busy",
            definition=json.dumps({"StartAt": "T0", "States": chain}),
            roleArn="arn:aws:iam::000000000000:role/r",
        )["stateMachineArn"]
        executions = [
            sfn.start_execution(stateMachineArn=arn, name=f"e{i}")["executionArn"]
            for i in range(40)
        ]

        def under_way() -> bool:
            events = sfn.get_execution_history(executionArn=executions[-1])["events"]
            return len(events) > 12

        assert wait_for(under_way, timeout=60)
        running = sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")
        assert running["executions"]  # the kill lands mid-run
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()

    with serve_in_process(data) as server:
        sfn = server.client("stepfunctions")

        def all_done() -> bool:
            listed = sfn.list_executions(stateMachineArn=arn, statusFilter="SUCCEEDED")
            return len(listed["executions"]) == len(executions)

        assert wait_for(all_done, timeout=120)
        for execution in executions:
            events = sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]
            entered = [
                e["stateEnteredEventDetails"]["name"]
                for e in events
                if e["type"] == "TaskStateEntered"
            ]
            assert entered == [f"T{i}" for i in range(states)], execution
            assert [e["id"] for e in events] == list(range(1, len(events) + 1)), execution


def test_kill_9_during_a_map_run_loses_and_repeats_no_child(tmp_path: Path):
    """A distributed Map of 20 STANDARD children, 4 at a time, each waiting a second: killed
    while some children are done, some running and some not started, the map run resumes
    after the restart and ends with exactly 20 children, each run once, results in order."""
    data = tmp_path / "data"
    data.mkdir()
    definition = {
        "StartAt": "Map",
        "States": {
            "Map": {
                "Type": "Map",
                "MaxConcurrency": 4,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "Pause",
                    "States": {
                        "Pause": {"Type": "Wait", "Seconds": 1, "Next": "Done"},
                        "Done": {"Type": "Pass", "End": True},
                    },
                },
                "End": True,
            }
        },
    }
    with serve_in_process(data) as server:
        sfn = server.client("stepfunctions")
        arn = sfn.create_state_machine(
            name="durable-map",
            definition=json.dumps(definition),
            roleArn="arn:aws:iam::000000000000:role/r",
        )["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(list(range(20))))[
            "executionArn"
        ]

        def some_done() -> bool:
            runs = sfn.list_map_runs(executionArn=execution)["mapRuns"]
            if not runs:
                return False
            counts = sfn.describe_map_run(mapRunArn=runs[0]["mapRunArn"])["executionCounts"]
            return bool(counts["succeeded"] >= 4 and counts["pending"] > 0)

        assert wait_for(some_done, timeout=60)
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()

    with serve_in_process(data) as server:
        sfn = server.client("stepfunctions")

        def finished() -> bool:
            return sfn.describe_execution(executionArn=execution)["status"] != "RUNNING"

        assert wait_for(finished, timeout=90)
        described = sfn.describe_execution(executionArn=execution)
        map_run = sfn.list_map_runs(executionArn=execution)["mapRuns"][0]["mapRunArn"]
        counts = sfn.describe_map_run(mapRunArn=map_run)["executionCounts"]
        children = sfn.list_executions(mapRunArn=map_run, maxResults=100)["executions"]

    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == list(range(20))
    assert len(children) == 20
    assert {c["status"] for c in children} == {"SUCCEEDED"}
    assert (counts["succeeded"], counts["total"], counts["running"]) == (20, 20, 0)
