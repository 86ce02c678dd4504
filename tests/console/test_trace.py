"""What the page colours each state by, read from histories the interpreter really writes
(tests/workflows/harness.py runs definitions with faked tasks)."""

from __future__ import annotations

import json
from typing import Any

from tests.workflows.harness import run_machine

from stratus.console.trace import KEPT_VISITS, Reader, trace
from stratus.workflows.failure import StatesFailure

TASK = "arn:aws:lambda:us-east-1:123456789012:function:work"


def task(**fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": TASK, **fields}


def failing_first(times: int):
    """A task that fails `times` times with Boom, then answers {"done": n}."""
    calls = {"n": 0}

    def work(payload: Any) -> Any:
        calls["n"] += 1
        if calls["n"] <= times:
            raise StatesFailure("Boom", f"attempt {calls['n']}")
        return {"done": calls["n"]}

    return work


def states_of(doc: dict[str, Any], execution_input: Any = None, work: Any = None) -> dict[str, Any]:
    outcome = run_machine(doc, execution_input, {TASK: work} if work else {})
    return trace(outcome.events).json()


def test_a_pass_chain_succeeds_state_by_state_with_its_transitions():
    doc = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Result": 1, "Next": "B"}, "B": {"Type": "Succeed"}},
    }

    traced = states_of(doc, {"x": 1})

    assert traced["status"] == "SUCCEEDED"
    assert {n: s["status"] for n, s in traced["states"].items()} == {
        "A": "succeeded",
        "B": "succeeded",
    }
    assert json.loads(traced["states"]["A"]["visits"][0]["input"]) == {"x": 1}
    assert json.loads(traced["states"]["A"]["visits"][0]["output"]) == 1
    assert traced["transitions"] == [["__start__", "A"], ["A", "B"], ["B", "__end__"]]
    assert json.loads(traced["output"]) == 1


def test_a_retried_task_counts_its_retries_and_keeps_each_error():
    doc = {
        "StartAt": "T",
        "States": {
            "T": task(Retry=[{"ErrorEquals": ["Boom"], "MaxAttempts": 3}], End=True),
        },
    }

    state = states_of(doc, {}, work=failing_first(2))["states"]["T"]

    assert state["status"] == "succeeded"
    assert state["retries"] == 2
    visit = state["visits"][0]
    assert [e["error"] for e in visit["errors"]] == ["Boom", "Boom"]
    assert visit["errors"][1]["cause"] == "attempt 2"
    assert json.loads(visit["output"]) == {"done": 3}


def test_a_caught_failure_is_caught_and_the_catcher_runs():
    doc = {
        "StartAt": "T",
        "States": {
            "T": task(Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Handle"}], End=True),
            "Handle": {"Type": "Pass", "End": True},
        },
    }

    traced = states_of(doc, {}, work=failing_first(5))

    assert traced["states"]["T"]["status"] == "caught"
    assert traced["states"]["T"]["visits"][0]["errors"][0]["error"] == "Boom"
    assert traced["states"]["Handle"]["status"] == "succeeded"
    assert ["T", "Handle"] in traced["transitions"]
    assert traced["status"] == "SUCCEEDED"


def test_an_uncaught_failure_fails_the_state_and_the_execution():
    doc = {"StartAt": "T", "States": {"T": task(End=True)}}

    traced = states_of(doc, {}, work=failing_first(5))

    assert traced["status"] == "FAILED"
    assert traced["error"] == "Boom"
    assert traced["states"]["T"]["status"] == "failed"


def test_a_fail_state_is_failed_and_a_choice_records_the_branch_taken():
    doc = {
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericGreaterThan": 0, "Next": "Fine"}],
                "Default": "Refuse",
            },
            "Fine": {"Type": "Succeed"},
            "Refuse": {"Type": "Fail", "Error": "NotPositive"},
        },
    }

    traced = states_of(doc, {"n": -1})

    assert traced["states"]["Refuse"]["status"] == "failed"
    assert traced["states"]["Refuse"]["visits"][0]["errors"] == [
        {"error": "NotPositive", "cause": ""}
    ]
    assert "Fine" not in traced["states"]
    assert ["Check", "Refuse"] in traced["transitions"]
    assert ["Check", "Fine"] not in traced["transitions"]


def test_a_failing_branch_fails_its_parallel_and_stops_the_other_branch():
    doc = {
        "StartAt": "Both",
        "States": {
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Bad", "States": {"Bad": task(End=True)}},
                    {
                        "StartAt": "Slow",
                        "States": {"Slow": {"Type": "Wait", "Seconds": 60, "End": True}},
                    },
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "After"}],
                "End": True,
            },
            "After": {"Type": "Pass", "End": True},
        },
    }

    states = states_of(doc, {}, work=failing_first(5))["states"]

    assert states["Bad"]["status"] == "failed"
    assert states["Slow"]["status"] == "aborted"
    assert states["Both"]["status"] == "caught"
    assert states["Both"]["visits"][0]["errors"][0]["error"] == "Boom"
    assert states["After"]["status"] == "succeeded"


def test_map_iterations_are_visits_of_the_same_states():
    doc = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "Double",
                    "States": {"Double": {"Type": "Pass", "End": True}},
                },
                "End": True,
            }
        },
    }

    states = states_of(doc, list(range(KEPT_VISITS + 3)))["states"]

    assert states["Each"]["status"] == "succeeded"
    assert states["Double"]["counts"]["succeeded"] == KEPT_VISITS + 3
    assert len(states["Double"]["visits"]) == KEPT_VISITS
    assert states["Double"]["more"] == 3
    assert json.loads(states["Double"]["visits"][1]["input"]) == 1


def test_a_failed_task_waiting_for_its_retry_is_running_and_retrying():
    doc = {
        "StartAt": "T",
        "States": {"T": task(Retry=[{"ErrorEquals": ["Boom"], "IntervalSeconds": 5}], End=True)},
    }
    outcome = run_machine(doc, {}, {TASK: failing_first(1)})
    failed = next(i for i, e in enumerate(outcome.events) if e["type"].endswith("Failed"))

    waiting = trace(outcome.events[: failed + 1]).json()["states"]["T"]
    retried = trace(outcome.events).json()["states"]["T"]

    assert waiting["status"] == "running"
    assert waiting["retrying"] is True
    assert waiting["retries"] == 0
    assert waiting["visits"][0]["errors"] == [{"error": "Boom", "cause": "attempt 1"}]
    assert retried["retrying"] is False
    assert retried["retries"] == 1


def test_a_state_still_waiting_is_running():
    doc = {
        "StartAt": "Ask",
        "States": {"Ask": task(End=True)},
    }
    outcome = run_machine(doc, {}, {}, hold={TASK})

    traced = trace(outcome.events).json()

    assert traced["status"] == "RUNNING"
    assert traced["states"]["Ask"]["status"] == "running"
    assert traced["lastEventId"] == outcome.events[-1]["id"]


def test_a_reader_fed_in_parts_and_twice_reads_as_one_pass():
    doc = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "T",
                    "States": {"T": task(Retry=[{"ErrorEquals": ["Boom"]}], End=True)},
                },
                "End": True,
            }
        },
    }
    events = run_machine(doc, [1, 2, 3], {TASK: failing_first(2)}).events
    reader = Reader()

    for cut in range(0, len(events), 4):
        for event in events[: cut + 4]:  # every part again from the start: seen ones skipped
            reader.read(event)

    assert reader.execution.json() == trace(events).json()
    assert reader.execution.json()["states"]["T"]["retries"] == 2
