"""`.waitForTaskToken`: the token reaches the integration through `$$.Task.Token`, the run
waits for SendTaskSuccess/Failure, heartbeats re-arm their timer, silence is a
States.HeartbeatTimeout; stale tokens change nothing."""

from __future__ import annotations

import json

import pytest

from stratus.workflows import definition, interpreter, tokens

START = 1_700_000_000.0
SEND = "arn:aws:states:::sqs:sendMessage.waitForTaskToken"


def begin(**task: object):
    doc = {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": SEND,
                "Parameters": {
                    "QueueUrl": "q",
                    "MessageBody": {"token.$": "$$.Task.Token", "in.$": "$"},
                },
                "End": True,
                **task,
            }
        },
    }
    machine = definition.parse(json.dumps(doc))
    step = interpreter.start(
        machine,
        {"n": 1},
        execution={"Id": "arn:aws:states:us-east-1:1:execution:m:e"},
        state_machine={"Id": "m"},
        now=START,
    )
    return machine, step


def invoke_of(step: interpreter.Step) -> interpreter.InvokeTask:
    [effect] = [e for e in step.effects if isinstance(e, interpreter.InvokeTask)]
    return effect


def test_the_token_goes_out_and_the_callback_ends_the_task():
    machine, step = begin()
    effect = invoke_of(step)
    task_token = effect.payload["MessageBody"]["token"]

    submitted = interpreter.resume(
        machine, step.run, interpreter.TaskSubmitted(effect.token, {"MessageId": "m1"}), START + 1
    )
    done = interpreter.resume(
        machine, submitted.run, interpreter.TaskSucceeded(effect.token, {"ok": True}), START + 2
    )

    assert effect.callback is True
    assert tokens.decode(task_token) == ("arn:aws:states:us-east-1:1:execution:m:e", effect.token)
    assert effect.payload["MessageBody"]["in"] == {"n": 1}
    assert [e["type"] for e in submitted.events] == ["TaskSubmitted"]
    assert (
        submitted.events[0]["taskSubmittedEventDetails"]["resource"]
        == "sendMessage.waitForTaskToken"
    )
    assert submitted.run["status"] == "RUNNING"
    assert done.run["status"] == "SUCCEEDED"
    assert done.run["output"] == {"ok": True}


def test_heartbeats_rearm_and_silence_is_a_heartbeat_timeout():
    machine, step = begin(HeartbeatSeconds=10, TimeoutSeconds=100)
    effect = invoke_of(step)
    [first_beat] = [
        e
        for e in step.effects
        if isinstance(e, interpreter.StartTimer) and e.purpose == "heartbeat"
    ]

    beat = interpreter.resume(machine, step.run, interpreter.Heartbeat(effect.token), START + 5)
    [second_beat] = beat.effects
    stale = interpreter.resume(
        machine, beat.run, interpreter.TimerFired(first_beat.token), START + 10
    )
    silent = interpreter.resume(
        machine, beat.run, interpreter.TimerFired(second_beat.token), START + 15
    )

    assert first_beat.due == START + 10
    assert second_beat.due == START + 15
    assert stale.events == []
    assert stale.run == beat.run
    assert silent.run["status"] == "FAILED"
    assert silent.run["error"] == "States.HeartbeatTimeout"
    assert "TaskTimedOut" in [e["type"] for e in silent.events]


def test_a_failure_callback_goes_through_catch():
    machine, step = begin()
    effect = invoke_of(step)

    failed = interpreter.resume(
        machine, step.run, interpreter.TaskFailed(effect.token, "Rejected", "no"), START + 1
    )

    assert (failed.run["error"], failed.run["cause"]) == ("Rejected", "no")


def test_tokens_round_trip_and_garbage_is_refused():
    text = tokens.encode("arn:x", "0#3")

    assert tokens.decode(text) == ("arn:x", "0#3")
    for bad in ["", "!!!", "e30", "x" * 2000]:
        with pytest.raises(tokens.BadToken):
            tokens.decode(bad)


def test_a_heartbeat_without_heartbeat_seconds_is_accepted_and_changes_nothing():
    machine, step = begin()
    effect = invoke_of(step)

    beat = interpreter.resume(machine, step.run, interpreter.Heartbeat(effect.token), START + 1)
    late = interpreter.resume(machine, step.run, interpreter.Heartbeat("0#999"), START + 1)

    assert beat.accepted is True
    assert beat.events == []
    assert late.accepted is False
