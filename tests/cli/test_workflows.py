"""`stratus workflows start|history`."""

from __future__ import annotations

import json
import threading
import urllib.request
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


@pytest.fixture
def napping(server: Any) -> str:
    """A machine that waits 10 s (on the server's manual clock), then answers."""
    sfn = server.client("stepfunctions")
    definition = {
        "StartAt": "Nap",
        "States": {
            "Nap": {"Type": "Wait", "Seconds": 10, "Next": "Answer"},
            "Answer": {"Type": "Pass", "Result": {"woke": True}, "End": True},
        },
    }
    name = unique("cli-nap")
    sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)
    return name


def test_follow_prints_events_live_until_the_execution_ends(stratus, napping, server):
    started = stratus("workflows", "start", napping)
    arn = started.stdout.strip()
    server.wait_idle()
    # The clock moves while follow is already polling: it prints the Wait's exit as it comes.
    mover = threading.Thread(target=server.advance, args=(10,))
    mover.start()
    followed = stratus("workflows", "follow", arn)
    mover.join()

    assert f"page: {server.endpoint_url}/_stratus/executions/{arn}" in started.stderr
    assert followed.exit_code == 0, followed.output
    assert json.loads(followed.stdout) == {"woke": True}
    assert f"/_stratus/executions/{arn}" in followed.stderr
    lines = followed.stderr.splitlines()
    assert [line.split()[1] for line in lines if line.split()[0].isdigit()] == [
        "ExecutionStarted",
        "WaitStateEntered",
        "WaitStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]


def test_follow_exits_1_for_a_failed_execution_and_2_for_an_unknown_one(stratus, machine, server):
    arn = stratus("workflows", "start", machine, "-i", '{"n": -1}').stdout.strip()
    server.wait_idle()
    missing = arn.rsplit(":", 1)[0] + ":no-such-execution"

    failed = stratus("workflows", "follow", arn)
    unknown = stratus("workflows", "follow", missing)
    malformed = stratus("workflows", "follow", "not-an-arn")

    assert failed.exit_code == 1
    assert "FAILED: NotPositive n must be > 0" in failed.stderr
    assert "FailStateEntered" in failed.stderr
    assert unknown.exit_code == 2
    assert "no such execution" in unknown.output
    assert malformed.exit_code == 2
    assert "not an execution ARN" in malformed.output


def test_the_printed_page_url_is_served(stratus, machine, server):
    started = stratus("workflows", "start", machine, "-i", '{"n": 2}')
    url = started.stderr.split("page: ", 1)[1].strip()

    with urllib.request.urlopen(url) as response:
        page = response.read().decode()

    assert 'data-state="Double"' in page
