"""`stratus workflows start|history`."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.conftest import unique

ROLE = "arn:aws:iam::000000000000:role/sfn"


@pytest.fixture
def machine(server: Any) -> str:
    sfn = server.client("stepfunctions")
    definition = {
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericGreaterThan": 0, "Next": "Double"}],
                "Default": "Refuse",
            },
            "Double": {
                "Type": "Pass",
                "Parameters": {"n.$": "States.MathAdd($.n, $.n)"},
                "End": True,
            },
            "Refuse": {"Type": "Fail", "Error": "NotPositive", "Cause": "n must be > 0"},
        },
    }
    name = unique("cli-machine")
    sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)
    return name


def test_start_follow_prints_events_then_the_output(stratus, machine):
    done = stratus("workflows", "start", machine, "-i", '{"n": 4}', "--follow")

    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout) == {"n": 8}
    assert "ChoiceStateEntered" in done.stderr
    assert "ExecutionSucceeded" in done.stderr


def test_a_failed_execution_exits_1_with_its_error(stratus, machine):
    done = stratus("workflows", "start", machine, "-i", '{"n": -1}', "-f")

    assert done.exit_code == 1
    assert "FAILED: NotPositive n must be > 0" in done.stderr


def test_start_prints_the_arn_and_history_prints_the_events(stratus, machine, server):
    started = stratus("workflows", "start", machine, "--name", "by-cli", "-i", '{"n": 1}')
    arn = started.stdout.strip()
    server.wait_idle()
    history = stratus("workflows", "history", arn)

    assert arn.endswith(f":execution:{machine}:by-cli")
    lines = history.stdout.splitlines()
    assert lines[0].split()[:2] == ["1", "ExecutionStarted"]
    assert lines[-1].split()[1] == "ExecutionSucceeded"


def test_unknown_machines_and_bad_input_are_refused(stratus, machine):
    missing = stratus("workflows", "start", "no-such-machine")
    bad = stratus("workflows", "start", machine, "-i", "{nope")

    assert missing.exit_code == 2
    assert "no state machine is named" in missing.output
    assert bad.exit_code == 2
    assert "not JSON" in bad.output
