"""Step Functions over the wire: boto3's `stepfunctions` client against a real server —
state machines, executions run durably on the work queue (ManualClock), Lambda tasks,
history, and AWS's refusals with the codes boto3 maps to its exception classes."""

from __future__ import annotations

import base64
import json
import threading
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import make_queue, unique, wait_for

from stratus.store.clock import ManualClock
from stratus.testing import serve_in_thread

ROLE = "arn:aws:iam::000000000000:role/sfn"
PASS_CHAIN = {
    "StartAt": "Hello",
    "States": {
        "Hello": {
            "Type": "Pass",
            "Result": {"greeting": "hi"},
            "ResultPath": "$.r",
            "Next": "World",
        },
        "World": {
            "Type": "Pass",
            "Parameters": {"text.$": "States.Format('{} {}', $.r.greeting, $.who)"},
            "End": True,
        },
    },
}


@pytest.fixture(scope="module")
def sfn(server: Any) -> Any:
    return server.client("stepfunctions")


def make_machine(sfn: Any, definition: dict[str, Any], **extra: Any) -> str:
    arn: str = sfn.create_state_machine(
        name=unique("sm"), definition=json.dumps(definition), roleArn=ROLE, **extra
    )["stateMachineArn"]
    return arn


def error_of(call: Any, **params: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error: dict[str, str] = caught.value.response["Error"]
    return error


def run_to_end(server: Any, sfn: Any, machine: str, payload: Any = None, **extra: Any) -> dict:
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps(payload or {}), **extra)[
        "executionArn"
    ]
    server.wait_idle()
    return sfn.describe_execution(executionArn=arn)  # type: ignore[no-any-return]


def history(sfn: Any, arn: str, **params: Any) -> list[dict[str, Any]]:
    return sfn.get_execution_history(executionArn=arn, **params)["events"]  # type: ignore[no-any-return]


def test_state_machines_are_created_described_listed_and_deleted(sfn):
    name = unique("crud")
    arn = sfn.create_state_machine(name=name, definition=json.dumps(PASS_CHAIN), roleArn=ROLE)[
        "stateMachineArn"
    ]

    described = sfn.describe_state_machine(stateMachineArn=arn)
    listed = [m["name"] for m in sfn.list_state_machines()["stateMachines"]]
    again = sfn.create_state_machine(name=name, definition=json.dumps(PASS_CHAIN), roleArn=ROLE)
    sfn.delete_state_machine(stateMachineArn=arn)
    gone = error_of(sfn.describe_state_machine, stateMachineArn=arn)

    assert arn == f"arn:aws:states:us-east-1:000000000000:stateMachine:{name}"
    assert described["status"] == "ACTIVE"
    assert described["type"] == "STANDARD"
    assert json.loads(described["definition"]) == PASS_CHAIN
    assert described["loggingConfiguration"] == {"level": "OFF", "includeExecutionData": False}
    assert name in listed
    assert again["stateMachineArn"] == arn  # the same request again is the same machine
    assert gone["Code"] == "StateMachineDoesNotExist"


def test_a_different_definition_under_an_existing_name_is_refused(sfn):
    arn = make_machine(sfn, PASS_CHAIN)
    name = arn.rsplit(":", 1)[1]
    other = {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}

    error = error_of(
        sfn.create_state_machine, name=name, definition=json.dumps(other), roleArn=ROLE
    )

    assert error["Code"] == "StateMachineAlreadyExists"


def test_invalid_definitions_are_refused_with_aws_diagnostics(sfn):
    bad = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere", "Bogus": 1}}}

    with pytest.raises(sfn.exceptions.InvalidDefinition) as caught:
        sfn.create_state_machine(name=unique("bad"), definition=json.dumps(bad), roleArn=ROLE)

    message = caught.value.response["Error"]["Message"]
    assert message.startswith("Invalid State Machine Definition: ")
    assert "MISSING_TRANSITION_TARGET" in message
    assert "SCHEMA_VALIDATION_FAILED" in message


def test_validate_state_machine_definition_lists_diagnostics(sfn):
    bad = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}
    warned = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Parameters": {"x": "$.a"}, "End": True}},
    }

    failed = sfn.validate_state_machine_definition(definition=json.dumps(bad))
    ok = sfn.validate_state_machine_definition(definition=json.dumps(PASS_CHAIN))
    warnings = sfn.validate_state_machine_definition(
        definition=json.dumps(warned), severity="WARNING"
    )

    assert failed["result"] == "FAIL"
    assert {
        "severity": "ERROR",
        "code": "MISSING_TRANSITION_TARGET",
        "message": "Missing 'Next' target: Nowhere",
        "location": "/States/A/Next",
    } in failed["diagnostics"]
    assert ok["result"] == "OK"
    assert ok["diagnostics"] == []
    assert warnings["result"] == "OK"
    assert [d["code"] for d in warnings["diagnostics"]] == ["NO_DOLLAR"]


@pytest.mark.parametrize(
    ("call", "params", "code"),
    [
        (
            "create_state_machine",
            {"name": "has space", "definition": "{}", "roleArn": ROLE},
            "InvalidName",
        ),
        ("describe_state_machine", {"stateMachineArn": "arn:aws:nope"}, "InvalidArn"),
        (
            "describe_execution",
            {"executionArn": "arn:aws:states:us-east-1:000000000000:execution:x"},
            "InvalidArn",
        ),
        (
            "describe_execution",
            {"executionArn": "arn:aws:states:us-east-1:000000000000:execution:nope:nope"},
            "ExecutionDoesNotExist",
        ),
        (
            "start_execution",
            {"stateMachineArn": "arn:aws:states:us-east-1:000000000000:stateMachine:nope"},
            "StateMachineDoesNotExist",
        ),
        ("list_state_machines", {"nextToken": "!!garbage"}, "InvalidToken"),
    ],
)
def test_refusals_have_aws_codes(sfn, call, params, code):
    assert error_of(getattr(sfn, call), **params)["Code"] == code


def test_a_pass_chain_runs_to_success_with_history(server, sfn):
    machine = make_machine(sfn, PASS_CHAIN)

    done = run_to_end(server, sfn, machine, {"who": "there"}, name="first")
    events = history(sfn, done["executionArn"])

    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"text": "hi there"}
    assert done["executionArn"] == machine.replace(":stateMachine:", ":execution:") + ":first"
    assert done["stopDate"] >= done["startDate"]
    assert [e["type"] for e in events] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert [(e["id"], e["previousEventId"]) for e in events] == [(i, i - 1) for i in range(1, 7)]
    assert events[1]["stateEnteredEventDetails"]["name"] == "Hello"
    assert json.loads(events[0]["executionStartedEventDetails"]["input"]) == {"who": "there"}


def test_history_pages_reverses_and_can_leave_out_data(server, sfn):
    done = run_to_end(server, sfn, make_machine(sfn, PASS_CHAIN), {"who": "x"})
    arn = done["executionArn"]

    first = sfn.get_execution_history(executionArn=arn, maxResults=4)
    rest = sfn.get_execution_history(executionArn=arn, maxResults=4, nextToken=first["nextToken"])
    backwards = history(sfn, arn, reverseOrder=True)
    back_first = sfn.get_execution_history(executionArn=arn, maxResults=4, reverseOrder=True)
    back_rest = sfn.get_execution_history(
        executionArn=arn, maxResults=4, reverseOrder=True, nextToken=back_first["nextToken"]
    )
    bad_token = error_of(sfn.get_execution_history, executionArn=arn, nextToken="!!")
    bare = history(sfn, arn, includeExecutionData=False)

    assert [e["id"] for e in first["events"] + rest["events"]] == [1, 2, 3, 4, 5, 6]
    assert "nextToken" not in rest
    assert [e["id"] for e in backwards] == [6, 5, 4, 3, 2, 1]
    assert [e["id"] for e in back_first["events"] + back_rest["events"]] == [6, 5, 4, 3, 2, 1]
    assert bad_token["Code"] == "InvalidToken"
    assert "input" not in bare[0]["executionStartedEventDetails"]


def test_a_failing_machine_reports_error_and_cause(server, sfn):
    machine = make_machine(
        sfn, {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Bad", "Cause": "why"}}}
    )

    done = run_to_end(server, sfn, machine)

    assert done["status"] == "FAILED"
    assert (done["error"], done["cause"]) == ("Bad", "why")
    assert "output" not in done


def test_paths_may_put_a_dot_before_a_bracket_as_jayway_reads_them(server, sfn):
    """`$.[0]` and `$.['a b']` (published AWS samples write them) are `$[0]` and `$['a b']`,
    in payload templates, InputPath and ResultPath alike."""
    branch = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": {"x": 1}, "End": True}}}
    machine = make_machine(
        sfn,
        {
            "StartAt": "P",
            "States": {
                "P": {
                    "Type": "Parallel",
                    "Branches": [branch],
                    "ResultSelector": {"first.$": "$.[0]"},
                    "ResultPath": "$.['the result']",
                    "Next": "Q",
                },
                "Q": {"Type": "Pass", "InputPath": "$.['the result'].first", "End": True},
            },
        },
    )

    done = run_to_end(server, sfn, machine)

    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"x": 1}


def test_waits_are_durable_timers_on_the_work_queue(server, sfn):
    """A one-hour Wait keeps the execution RUNNING until the clock passes the hour."""
    machine = make_machine(
        sfn, {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    )
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]

    server.advance(3599)
    before = sfn.describe_execution(executionArn=arn)["status"]
    server.advance(1)
    after = sfn.describe_execution(executionArn=arn)["status"]

    assert (before, after) == ("RUNNING", "SUCCEEDED")


def test_stop_execution_aborts_a_running_execution(server, sfn):
    machine = make_machine(
        sfn, {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 86400, "End": True}}}
    )
    arn = sfn.start_execution(stateMachineArn=machine)["executionArn"]

    stopped = sfn.stop_execution(executionArn=arn, error="Manual", cause="enough")
    server.advance(86400)
    described = sfn.describe_execution(executionArn=arn)

    assert described["status"] == "ABORTED"
    assert described["stopDate"] == stopped["stopDate"]
    assert history(sfn, arn)[-1]["type"] == "ExecutionAborted"
    assert server.work().kinds.get("workflow-timers") is None or server.work().idle()


def test_execution_names_are_unique_and_inputs_must_be_json(server, sfn):
    machine = make_machine(
        sfn, {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 10, "End": True}}}
    )

    first = sfn.start_execution(stateMachineArn=machine, name="n", input='{"a": 1}')
    same = sfn.start_execution(stateMachineArn=machine, name="n", input='{"a": 1}')
    different = error_of(sfn.start_execution, stateMachineArn=machine, name="n", input='{"a": 2}')
    bad_input = error_of(sfn.start_execution, stateMachineArn=machine, input="{nope")
    server.advance(10)
    closed = error_of(sfn.start_execution, stateMachineArn=machine, name="n", input='{"a": 1}')

    assert same["executionArn"] == first["executionArn"]
    assert different["Code"] == "ExecutionAlreadyExists"
    assert bad_input["Code"] == "InvalidExecutionInput"
    assert closed["Code"] == "ExecutionAlreadyExists"


def test_list_executions_filters_by_status_and_pages(server, sfn):
    machine = make_machine(
        sfn, {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 50, "End": True}}}
    )
    arns = [sfn.start_execution(stateMachineArn=machine)["executionArn"] for _ in range(3)]
    sfn.stop_execution(executionArn=arns[0])

    running = sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]
    page = sfn.list_executions(stateMachineArn=machine, maxResults=2)
    rest = sfn.list_executions(stateMachineArn=machine, maxResults=2, nextToken=page["nextToken"])

    assert {e["executionArn"] for e in running} == set(arns[1:])
    assert len(page["executions"]) + len(rest["executions"]) == 3
    assert {e["status"] for e in page["executions"] + rest["executions"]} == {"RUNNING", "ABORTED"}
    server.advance(50)


def test_describe_state_machine_for_execution_gives_the_definition_it_started_with(server, sfn):
    machine = make_machine(sfn, PASS_CHAIN)
    done = run_to_end(server, sfn, machine, {"who": "x"})
    changed = {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}
    sfn.update_state_machine(stateMachineArn=machine, definition=json.dumps(changed))

    described = sfn.describe_state_machine_for_execution(executionArn=done["executionArn"])

    assert json.loads(described["definition"]) == PASS_CHAIN
    assert json.loads(sfn.describe_state_machine(stateMachineArn=machine)["definition"]) == changed


HANDLER = """
import base64
import json

def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"doubled": event["n"] * 2}
"""


def test_lambda_tasks_run_functions_in_process(server, sfn, deploy):
    """lambda:invoke wraps the response in Payload/StatusCode; a function ARN returns it bare."""
    name = deploy(HANDLER)
    function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    machine = make_machine(
        sfn,
        {
            "StartAt": "Optimised",
            "States": {
                "Optimised": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": name, "Payload.$": "$"},
                    "ResultSelector": {"n.$": "$.Payload.doubled", "status.$": "$.StatusCode"},
                    "Next": "Plain",
                },
                "Plain": {"Type": "Task", "Resource": function_arn, "End": True},
            },
        },
    )

    done = run_to_end(server, sfn, machine, {"n": 5})
    types = [e["type"] for e in history(sfn, done["executionArn"])]

    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"]) == {"doubled": 20}
    assert types[2:5] == ["TaskScheduled", "TaskStarted", "TaskSucceeded"]
    assert "LambdaFunctionScheduled" in types
    assert "LambdaFunctionSucceeded" in types


def test_function_errors_are_retried_then_caught_by_name(server, sfn, deploy):
    """The function's errorType is the States error; Retry waits on the work queue's clock."""
    name = deploy(HANDLER)
    machine = make_machine(
        sfn,
        {
            "StartAt": "Call",
            "States": {
                "Call": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": name, "Payload.$": "$"},
                    "Retry": [
                        {"ErrorEquals": ["ValueError"], "IntervalSeconds": 10, "MaxAttempts": 2}
                    ],
                    "Catch": [
                        {"ErrorEquals": ["ValueError"], "ResultPath": "$.error", "Next": "Caught"}
                    ],
                    "End": True,
                },
                "Caught": {"Type": "Pass", "End": True},
            },
        },
    )
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"fail": True}))[
        "executionArn"
    ]

    server.wait_idle()
    after_first = sfn.describe_execution(executionArn=arn)["status"]
    server.advance(10)
    server.advance(20)
    done = sfn.describe_execution(executionArn=arn)
    failures = [e for e in history(sfn, arn) if e["type"] == "TaskFailed"]

    assert after_first == "RUNNING"
    assert done["status"] == "SUCCEEDED"
    error = json.loads(done["output"])["error"]
    assert error["Error"] == "ValueError"
    assert json.loads(error["Cause"])["errorMessage"] == "asked to fail"
    assert len(failures) == 3


def test_a_missing_function_is_lambda_resource_not_found(server, sfn):
    machine = make_machine(
        sfn,
        {
            "StartAt": "Call",
            "States": {
                "Call": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": "no-such-function"},
                    "End": True,
                }
            },
        },
    )

    done = run_to_end(server, sfn, machine)

    assert done["status"] == "FAILED"
    assert done["error"] == "Lambda.ResourceNotFoundException"


def test_parallel_and_map_run_on_the_server(server, sfn):
    machine = make_machine(
        sfn,
        {
            "StartAt": "Fan",
            "States": {
                "Fan": {
                    "Type": "Parallel",
                    "Branches": [
                        {
                            "StartAt": "A",
                            "States": {"A": {"Type": "Wait", "Seconds": 5, "End": True}},
                        },
                        {
                            "StartAt": "B",
                            "States": {"B": {"Type": "Pass", "Result": "b", "End": True}},
                        },
                    ],
                    "ResultPath": "$.fan",
                    "Next": "Each",
                },
                "Each": {
                    "Type": "Map",
                    "ItemsPath": "$.items",
                    "MaxConcurrency": 2,
                    "ItemProcessor": {
                        "StartAt": "Double",
                        "States": {
                            "Double": {
                                "Type": "Pass",
                                "Parameters": {"v.$": "States.MathAdd($, $)"},
                                "OutputPath": "$.v",
                                "End": True,
                            }
                        },
                    },
                    "ResultPath": "$.doubled",
                    "End": True,
                },
            },
        },
    )
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"items": [1, 2, 3]}))[
        "executionArn"
    ]

    server.advance(5)
    done = sfn.describe_execution(executionArn=arn)

    assert done["status"] == "SUCCEEDED"
    output = json.loads(done["output"])
    assert output["fan"][1] == "b"
    assert output["doubled"] == [2, 4, 6]
    types = [e["type"] for e in history(sfn, arn)]
    assert types.count("MapIterationSucceeded") == 3
    assert "ParallelStateSucceeded" in types


@pytest.fixture(scope="module")
def sfn_sync(server: Any) -> Any:
    """StartSyncExecution's endpoint has a `sync-` host prefix; against a local endpoint
    boto3 must not prepend it (as with any endpoint_url that is an IP address)."""
    return server.client("stepfunctions", inject_host_prefix=False)


def test_start_sync_execution_runs_an_express_machine_to_its_end(sfn, sfn_sync, deploy):
    name = deploy(HANDLER)
    machine = make_machine(
        sfn,
        {
            "StartAt": "Call",
            "States": {
                "Call": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": name, "Payload.$": "$"},
                    "OutputPath": "$.Payload",
                    "End": True,
                }
            },
        },
        type="EXPRESS",
    )

    done = sfn_sync.start_sync_execution(stateMachineArn=machine, name="sync-1", input='{"n": 4}')
    failed = sfn_sync.start_sync_execution(stateMachineArn=machine, input='{"fail": true}')

    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"doubled": 8}
    assert done["executionArn"].startswith(
        machine.replace(":stateMachine:", ":express:") + ":sync-1:"
    )
    assert done["billingDetails"]["billedDurationInMilliseconds"] >= 100
    assert (failed["status"], failed["error"]) == ("FAILED", "ValueError")
    assert "output" not in failed


SLOW = """
import time

def handler(event, context):
    time.sleep(event["sleep"])
    return {"slept": event["sleep"]}
"""


SLOW_INIT = """
import time

time.sleep(2)

def handler(event, context):
    return {"slept": event["sleep"]}
"""


@pytest.mark.parametrize("source", [SLOW, SLOW_INIT], ids=["running", "starting"])
def test_a_timed_out_express_task_lets_its_function_finish_and_serve_again(
    server, sfn, sfn_sync, deploy, lambda_client, source
):
    """The execution stops waiting for a Task past its TimeoutSeconds; the function runs on
    to its end, as on AWS, whether it was running or still starting: its REPORT is logged,
    and its environment serves the next invoke warm. (A running one stayed busy for good, a
    starting one was lost: its process held until the server stopped.)"""
    name = deploy(source)
    call = {"FunctionName": name, "Payload.$": "$"}
    task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": call}
    definition = {"StartAt": "Call", "States": {"Call": {**task, "TimeoutSeconds": 1, "End": True}}}
    machine = make_machine(sfn, definition, type="EXPRESS")
    logs = server.client("logs")

    def reports() -> list[str]:
        found = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}", filterPattern="REPORT")
        return [e["message"] for e in found["events"]]

    timed_out: dict[str, Any] = {}
    calling = threading.Thread(
        target=lambda: timed_out.update(
            sfn_sync.start_sync_execution(stateMachineArn=machine, input='{"sleep": 2}')
        )
    )
    calling.start()
    while calling.is_alive():  # (the Task's timer is on the server's manual clock)
        server.clock.advance(1)
        calling.join(0.2)

    assert (timed_out["status"], timed_out.get("error")) == ("FAILED", "States.Timeout")
    assert wait_for(lambda: len(reports()) == 1, timeout=15)
    assert "Init Duration" in reports()[0]
    answer = lambda_client.invoke(FunctionName=name, Payload=b'{"sleep": 0}', LogType="Tail")
    tail = base64.b64decode(answer["LogResult"]).decode()
    assert json.loads(answer["Payload"].read()) == {"slept": 0}
    assert "REPORT" in tail
    assert "Init Duration" not in tail  # the same environment, warm


def test_start_sync_execution_refuses_standard_machines(sfn, sfn_sync):
    machine = make_machine(sfn, PASS_CHAIN)

    error = error_of(sfn_sync.start_sync_execution, stateMachineArn=machine)

    assert error["Code"] == "StateMachineTypeNotSupported"


def callback_machine(sfn: Any, queue_url: str, **task: Any) -> str:
    return make_machine(
        sfn,
        {
            "StartAt": "Ask",
            "States": {
                "Ask": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {
                        "QueueUrl": queue_url,
                        "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$.order"},
                    },
                    "Catch": [
                        {"ErrorEquals": ["Rejected"], "ResultPath": "$.error", "Next": "Rejected"}
                    ],
                    "End": True,
                    **task,
                },
                "Rejected": {"Type": "Pass", "End": True},
            },
        },
    )


def token_from(sqs: Any, url: str) -> tuple[str, dict[str, Any]]:
    [message] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    body = json.loads(message["Body"])
    return body["token"], body


def test_wait_for_task_token_through_a_queue_and_send_task_success(server, sfn, sqs):
    """The task sends the token with the message, waits, and ends when the worker answers."""
    url = make_queue(sqs)[0]
    machine = callback_machine(sfn, url)
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"order": 7}))[
        "executionArn"
    ]
    server.wait_idle()
    token, body = token_from(sqs, url)
    waiting = sfn.describe_execution(executionArn=arn)["status"]

    sfn.send_task_success(taskToken=token, output=json.dumps({"approved": True}))
    server.wait_idle()
    done = sfn.describe_execution(executionArn=arn)
    again = error_of(sfn.send_task_success, taskToken=token, output="{}")
    types = [e["type"] for e in history(sfn, arn)]

    assert body["order"] == 7
    assert waiting == "RUNNING"
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"approved": True}
    assert types[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    assert again["Code"] == "TaskTimedOut"


def test_send_task_failure_is_caught_by_its_error_name(server, sfn, sqs):
    url = make_queue(sqs)[0]
    arn = sfn.start_execution(stateMachineArn=callback_machine(sfn, url), input='{"order": 1}')[
        "executionArn"
    ]
    server.wait_idle()
    token, _ = token_from(sqs, url)

    sfn.send_task_failure(taskToken=token, error="Rejected", cause="out of stock")
    server.wait_idle()
    done = sfn.describe_execution(executionArn=arn)

    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"])["error"] == {"Error": "Rejected", "Cause": "out of stock"}


def test_heartbeats_keep_a_callback_alive_and_silence_times_it_out(server, sfn, sqs):
    url = make_queue(sqs)[0]
    machine = callback_machine(sfn, url, HeartbeatSeconds=60)
    arn = sfn.start_execution(stateMachineArn=machine, input='{"order": 1}')["executionArn"]
    server.wait_idle()
    token, _ = token_from(sqs, url)

    server.advance(50)
    sfn.send_task_heartbeat(taskToken=token)
    server.advance(50)  # 100 s since the start, 50 since the heartbeat
    alive = sfn.describe_execution(executionArn=arn)["status"]
    server.advance(10)
    done = sfn.describe_execution(executionArn=arn)

    assert alive == "RUNNING"
    assert (done["status"], done["error"]) == ("FAILED", "States.HeartbeatTimeout")


@pytest.mark.parametrize(
    ("catch_on", "status"),
    [
        ("States.Timeout", "SUCCEEDED"),
        ("States.HeartbeatTimeout", "SUCCEEDED"),
        ("States.ALL", "SUCCEEDED"),
        ("States.TaskFailed", "FAILED"),
    ],
)
def test_a_missed_heartbeat_is_a_states_timeout_and_not_a_task_failure(
    server, sfn, sqs, catch_on, status
):
    """AWS: States.Timeout covers a Task that "failed to send a heartbeat", and
    States.TaskFailed matches anything but States.Timeout."""
    url = make_queue(sqs)[0]
    catch = [{"ErrorEquals": [catch_on], "ResultPath": "$.error", "Next": "Rejected"}]
    machine = callback_machine(sfn, url, HeartbeatSeconds=10, Catch=catch)
    arn = sfn.start_execution(stateMachineArn=machine, input='{"order": 1}')["executionArn"]
    server.wait_idle()

    server.advance(11)
    done = sfn.describe_execution(executionArn=arn)
    timed_out = [e for e in history(sfn, arn) if e["type"] == "TaskTimedOut"]

    assert done["status"] == status
    assert timed_out[0]["taskTimedOutEventDetails"]["error"] == "States.HeartbeatTimeout"
    if status == "SUCCEEDED":
        assert json.loads(done["output"])["error"]["Error"] == "States.HeartbeatTimeout"
    else:
        assert done["error"] == "States.HeartbeatTimeout"


def test_bad_task_tokens_are_refused(sfn):
    assert (
        error_of(sfn.send_task_success, taskToken="not-a-token", output="{}")["Code"]
        == "InvalidToken"
    )
    assert error_of(sfn.send_task_heartbeat, taskToken="garbage!")["Code"] == "InvalidToken"


def test_activities_are_created_described_listed_and_deleted(sfn):
    name = unique("activity")

    arn = sfn.create_activity(name=name)["activityArn"]
    again = sfn.create_activity(name=name)["activityArn"]
    described = sfn.describe_activity(activityArn=arn)
    listed = [a["name"] for a in sfn.list_activities()["activities"]]
    sfn.delete_activity(activityArn=arn)
    gone = error_of(sfn.describe_activity, activityArn=arn)

    assert arn == again == f"arn:aws:states:us-east-1:000000000000:activity:{name}"
    assert described["name"] == name
    assert name in listed
    assert gone["Code"] == "ActivityDoesNotExist"


def activity_machine(sfn: Any, activity: str, **task: Any) -> str:
    return make_machine(
        sfn,
        {
            "StartAt": "Work",
            "States": {"Work": {"Type": "Task", "Resource": activity, "End": True, **task}},
        },
    )


def test_an_activity_worker_takes_the_task_and_answers_it(server, sfn):
    activity = sfn.create_activity(name=unique("worker"))["activityArn"]
    arn = sfn.start_execution(
        stateMachineArn=activity_machine(sfn, activity), input=json.dumps({"job": 3})
    )["executionArn"]
    server.wait_idle()

    task = sfn.get_activity_task(activityArn=activity, workerName="w-1")
    sfn.send_task_success(taskToken=task["taskToken"], output=json.dumps({"done": 3}))
    server.wait_idle()
    done = sfn.describe_execution(executionArn=arn)
    events = history(sfn, arn)

    assert json.loads(task["input"]) == {"job": 3}
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"done": 3}
    assert [e["type"] for e in events][2:5] == [
        "ActivityScheduled",
        "ActivityStarted",
        "ActivitySucceeded",
    ]
    assert events[3]["activityStartedEventDetails"] == {"workerName": "w-1"}


def test_a_waiting_worker_is_woken_by_a_new_task(server, sfn):
    """GetActivityTask long polls: a task scheduled while it waits is handed over at once."""
    activity = sfn.create_activity(name=unique("poll"))["activityArn"]
    machine = activity_machine(sfn, activity)
    got: list[dict[str, Any]] = []
    poller = threading.Thread(
        target=lambda: got.append(sfn.get_activity_task(activityArn=activity))
    )
    poller.start()
    time.sleep(0.5)  # the poll is parked (nothing to wait *for* but the poll itself)

    started = time.monotonic()
    arn = sfn.start_execution(stateMachineArn=machine, input='{"x": 1}')["executionArn"]
    poller.join(timeout=30)
    waited = time.monotonic() - started
    sfn.send_task_failure(taskToken=got[0]["taskToken"], error="Nope", cause="c")
    server.wait_idle()

    assert json.loads(got[0]["input"]) == {"x": 1}
    assert waited < 30
    assert sfn.describe_execution(executionArn=arn)["error"] == "Nope"


def test_tags_on_state_machines_and_activities(sfn):
    machine = make_machine(sfn, PASS_CHAIN, tags=[{"key": "team", "value": "a"}])
    activity = sfn.create_activity(name=unique("tagged"))["activityArn"]

    sfn.tag_resource(resourceArn=machine, tags=[{"key": "env", "value": "dev"}])
    sfn.tag_resource(resourceArn=activity, tags=[{"key": "env", "value": "prod"}])
    sfn.untag_resource(resourceArn=machine, tagKeys=["team"])
    machine_tags = sfn.list_tags_for_resource(resourceArn=machine)["tags"]
    activity_tags = sfn.list_tags_for_resource(resourceArn=activity)["tags"]
    missing = error_of(
        sfn.list_tags_for_resource,
        resourceArn="arn:aws:states:us-east-1:000000000000:stateMachine:nope",
    )

    assert machine_tags == [{"key": "env", "value": "dev"}]
    assert activity_tags == [{"key": "env", "value": "prod"}]
    assert missing["Code"] == "ResourceNotFound"


def parent_of(sfn: Any, child: str, resource: str, **task: Any) -> str:
    return make_machine(
        sfn,
        {
            "StartAt": "Child",
            "States": {
                "Child": {
                    "Type": "Task",
                    "Resource": resource,
                    "Parameters": {"StateMachineArn": child, "Input": {"n.$": "$.n"}},
                    "End": True,
                    **task,
                }
            },
        },
    )


CHILD = {
    "StartAt": "Wait",
    "States": {
        "Wait": {"Type": "Wait", "Seconds": 30, "Next": "Check"},
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericLessThan": 0, "Next": "Fail"}],
            "Default": "Double",
        },
        "Double": {
            "Type": "Pass",
            "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"},
            "End": True,
        },
        "Fail": {"Type": "Fail", "Error": "Negative", "Cause": "n < 0"},
    },
}


def test_a_sync2_child_execution_is_waited_for_and_its_output_returned(server, sfn):
    child = make_machine(sfn, CHILD)
    parent = parent_of(sfn, child, "arn:aws:states:::states:startExecution.sync:2")

    arn = sfn.start_execution(stateMachineArn=parent, input='{"n": 21}')["executionArn"]
    server.wait_idle()
    waiting = sfn.describe_execution(executionArn=arn)["status"]
    server.advance(30)
    done = sfn.describe_execution(executionArn=arn)
    output = json.loads(done["output"])
    children = sfn.list_executions(stateMachineArn=child)["executions"]

    assert waiting == "RUNNING"
    assert done["status"] == "SUCCEEDED"
    assert output["Output"] == {"doubled": 42}
    assert output["Status"] == "SUCCEEDED"
    assert output["Input"] == {"n": 21}
    assert output["ExecutionArn"] == children[0]["executionArn"]


def test_a_failed_sync_child_fails_the_parent_task(server, sfn):
    child = make_machine(sfn, CHILD)
    parent = make_machine(
        sfn,
        {
            "StartAt": "Child",
            "States": {
                "Child": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::states:startExecution.sync",
                    "Parameters": {"StateMachineArn": child, "Input": {"n.$": "$.n"}},
                    "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "Caught"}],
                    "End": True,
                },
                "Caught": {"Type": "Pass", "End": True},
            },
        },
    )

    arn = sfn.start_execution(stateMachineArn=parent, input='{"n": -1}')["executionArn"]
    server.advance(30)
    done = sfn.describe_execution(executionArn=arn)
    caught = json.loads(done["output"])

    assert done["status"] == "SUCCEEDED"
    assert caught["Error"] == "States.TaskFailed"
    cause = json.loads(caught["Cause"])
    assert (cause["Status"], cause["Error"], cause["Cause"]) == ("FAILED", "Negative", "n < 0")


def test_a_plain_start_execution_answers_with_the_child_arn_at_once(server, sfn):
    child = make_machine(sfn, CHILD)
    parent = parent_of(sfn, child, "arn:aws:states:::states:startExecution")

    arn = sfn.start_execution(stateMachineArn=parent, input='{"n": 1}')["executionArn"]
    server.wait_idle()
    done = sfn.describe_execution(executionArn=arn)
    child_arn = json.loads(done["output"])["ExecutionArn"]
    child_status = sfn.describe_execution(executionArn=child_arn)["status"]
    server.advance(30)

    assert done["status"] == "SUCCEEDED"
    assert child_status == "RUNNING"
    assert sfn.describe_execution(executionArn=child_arn)["status"] == "SUCCEEDED"


def test_starting_a_missing_machine_fails_the_task_by_name(server, sfn):
    missing = "arn:aws:states:us-east-1:000000000000:stateMachine:no-such-machine"
    parent = parent_of(sfn, missing, "arn:aws:states:::states:startExecution.sync:2")

    done = run_to_end(server, sfn, parent, {"n": 1})

    assert done["error"] == "StepFunctions.StateMachineDoesNotExistException"


def test_an_event_bus_rule_starts_executions(server, sfn):
    """A rule's state machine target: each matching event starts one execution, with the
    event as its input."""
    events = server.client("events")
    machine = make_machine(
        sfn, {"StartAt": "Got", "States": {"Got": {"Type": "Pass", "End": True}}}
    )
    rule = unique("orders")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["shop.sfn"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "flow", "Arn": machine, "RoleArn": ROLE}])

    events.put_events(
        Entries=[{"Source": "shop.sfn", "DetailType": "Order", "Detail": '{"id": 9}'}]
    )
    server.wait_idle()
    [execution] = sfn.list_executions(stateMachineArn=machine)["executions"]
    done = sfn.describe_execution(executionArn=execution["executionArn"])

    assert done["status"] == "SUCCEEDED"
    event = json.loads(done["output"])
    assert (event["source"], event["detail"]) == ("shop.sfn", {"id": 9})


# TestState, like StartSyncExecution, has boto3 prepend `sync-` to the host: sfn_sync.
def test_state_runs_one_pass_state_and_lays_its_data_flow_open(sfn_sync):
    state = {
        "Type": "Pass",
        "InputPath": "$.order",
        "Parameters": {"id.$": "$.id", "who.$": "$$.State.Name"},
        "ResultPath": "$.picked",
        "OutputPath": "$.picked",
        "Next": "After",
    }

    done = sfn_sync.test_state(
        definition=json.dumps(state),
        roleArn=ROLE,
        input=json.dumps({"order": {"id": 5}}),
        inspectionLevel="DEBUG",
    )
    seen = {k: json.loads(v) for k, v in done["inspectionData"].items()}

    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"id": 5, "who": "TestState"}
    assert done["nextState"] == "After"
    assert seen["input"] == {"order": {"id": 5}}
    assert seen["afterInputPath"] == {"id": 5}
    assert seen["afterParameters"] == {"id": 5, "who": "TestState"}
    assert seen["afterResultPath"] == {"order": {"id": 5}, "picked": {"id": 5, "who": "TestState"}}


TASK_STATE = {
    "Type": "Task",
    "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName": "not-called", "Payload.$": "$"},
    "ResultSelector": {"body.$": "$.Payload"},
    "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 3, "MaxAttempts": 2}],
    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recover"}],
    "End": True,
}


def test_state_mocks_task_results_and_judges_retry_and_catch(sfn_sync):
    definition = json.dumps(TASK_STATE)

    ok = sfn_sync.test_state(
        definition=definition,
        roleArn=ROLE,
        input="{}",
        mock={"result": json.dumps({"Payload": {"v": 1}})},
    )
    busy = sfn_sync.test_state(
        definition=definition,
        roleArn=ROLE,
        mock={"errorOutput": {"error": "Busy", "cause": "later"}},
    )
    spent = sfn_sync.test_state(
        definition=definition,
        roleArn=ROLE,
        input='{"k": 1}',
        mock={"errorOutput": {"error": "Busy", "cause": "later"}},
        stateConfiguration={"retrierRetryCount": 2},
    )

    assert (ok["status"], json.loads(ok["output"])) == ("SUCCEEDED", {"body": {"v": 1}})
    assert busy["status"] == "RETRIABLE"
    assert busy["inspectionData"]["errorDetails"] == {
        "retryIndex": 0,
        "retryBackoffIntervalSeconds": 3,
    }
    assert spent["status"] == "CAUGHT_ERROR"
    assert spent["nextState"] == "Recover"
    assert json.loads(spent["output"]) == {"k": 1, "error": {"Error": "Busy", "Cause": "later"}}
    assert spent["inspectionData"]["errorDetails"] == {"catchIndex": 0}


def test_state_calls_the_real_task_when_not_mocked(sfn_sync, deploy):
    name = deploy(HANDLER)
    state = {**TASK_STATE, "Parameters": {"FunctionName": name, "Payload.$": "$"}}

    done = sfn_sync.test_state(definition=json.dumps(state), roleArn=ROLE, input='{"n": 4}')

    assert json.loads(done["output"]) == {"body": {"doubled": 8}}


def test_state_picks_a_state_from_a_machine_and_reads_variables(sfn_sync):
    machine = {
        "QueryLanguage": "JSONata",
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $limit > $states.input.n %}", "Next": "Small"}],
                "Default": "Big",
            },
            "Small": {"Type": "Succeed"},
            "Big": {"Type": "Succeed"},
        },
    }

    small = sfn_sync.test_state(
        definition=json.dumps(machine),
        stateName="B",
        roleArn=ROLE,
        input='{"n": 1}',
        variables='{"limit": 5}',
    )
    big = sfn_sync.test_state(
        definition=json.dumps(machine),
        stateName="B",
        roleArn=ROLE,
        input='{"n": 9}',
        variables='{"limit": 5}',
    )

    assert (small["nextState"], big["nextState"]) == ("Small", "Big")


def test_state_refuses_invalid_states(sfn_sync):
    error = error_of(
        sfn_sync.test_state,
        definition=json.dumps({"Type": "Pass", "Bogus": 1, "End": True}),
        roleArn=ROLE,
    )

    assert error["Code"] == "InvalidDefinition"
    assert "SCHEMA_VALIDATION_FAILED" in error["Message"]


def test_stopping_a_parent_stops_its_sync_children(server, sfn):
    child = make_machine(sfn, CHILD)
    parent = parent_of(sfn, child, "arn:aws:states:::states:startExecution.sync:2")
    arn = sfn.start_execution(stateMachineArn=parent, input='{"n": 1}')["executionArn"]
    server.wait_idle()
    [running] = sfn.list_executions(stateMachineArn=child)["executions"]

    sfn.stop_execution(executionArn=arn)
    server.wait_idle()

    assert sfn.describe_execution(executionArn=running["executionArn"])["status"] == "ABORTED"


def greeter(word: str) -> dict[str, Any]:
    return {"StartAt": "Say", "States": {"Say": {"Type": "Pass", "Result": word, "End": True}}}


def test_versions_freeze_definitions_and_aliases_route_to_them(server, sfn):
    name = unique("versioned")
    created = sfn.create_state_machine(
        name=name, definition=json.dumps(greeter("one")), roleArn=ROLE, publish=True
    )
    machine = created["stateMachineArn"]
    v1 = created["stateMachineVersionArn"]
    again = sfn.publish_state_machine_version(stateMachineArn=machine)["stateMachineVersionArn"]
    v2 = sfn.update_state_machine(
        stateMachineArn=machine, definition=json.dumps(greeter("two")), publish=True
    )["stateMachineVersionArn"]
    alias = sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}]
    )["stateMachineAliasArn"]

    via_v1 = run_to_end(server, sfn, v1)
    via_alias = run_to_end(server, sfn, alias)
    sfn.update_state_machine_alias(
        stateMachineAliasArn=alias,
        routingConfiguration=[{"stateMachineVersionArn": v2, "weight": 100}],
    )
    via_moved_alias = run_to_end(server, sfn, alias)
    latest = run_to_end(server, sfn, machine)
    listed = [
        v["stateMachineVersionArn"]
        for v in sfn.list_state_machine_versions(stateMachineArn=machine)["stateMachineVersions"]
    ]
    described = sfn.describe_state_machine(stateMachineArn=v1)
    in_use = error_of(sfn.delete_state_machine_version, stateMachineVersionArn=v2)

    assert (v1, v2) == (f"{machine}:1", f"{machine}:2")
    assert again == v1  # nothing changed since: the same version
    assert json.loads(via_v1["output"]) == "one"
    assert via_v1["stateMachineVersionArn"] == v1
    assert (json.loads(via_alias["output"]), via_alias["stateMachineAliasArn"]) == ("one", alias)
    assert json.loads(via_moved_alias["output"]) == "two"
    assert json.loads(latest["output"]) == "two"
    assert listed == [v2, v1]
    assert json.loads(described["definition"]) == greeter("one")
    assert in_use["Code"] == "ConflictException"
    assert sfn.describe_state_machine_alias(stateMachineAliasArn=alias)["routingConfiguration"] == [
        {"stateMachineVersionArn": v2, "weight": 100}
    ]


def test_alias_routing_must_add_up_and_name_versions(sfn):
    created = sfn.create_state_machine(
        name=unique("routed"), definition=json.dumps(greeter("x")), roleArn=ROLE, publish=True
    )
    v1 = created["stateMachineVersionArn"]

    bad_weights = error_of(
        sfn.create_state_machine_alias,
        name="half",
        routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 50}],
    )
    missing = error_of(
        sfn.create_state_machine_alias,
        name="ghost",
        routingConfiguration=[
            {"stateMachineVersionArn": created["stateMachineArn"] + ":9", "weight": 100}
        ],
    )

    assert bad_weights["Code"] == "ValidationException"
    assert missing["Code"] == "ResourceNotFound"


def test_start_execution_runs_express_machines_in_memory(server, sfn, sqs):
    """An EXPRESS machine started asynchronously runs (here it sends a message) and leaves
    no history to list, as on AWS."""
    url = make_queue(sqs)[0]
    machine = make_machine(
        sfn,
        {
            "StartAt": "Send",
            "States": {
                "Send": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage",
                    "Parameters": {"QueueUrl": url, "MessageBody.$": "$.note"},
                    "End": True,
                }
            },
        },
        type="EXPRESS",
    )

    started = sfn.start_execution(stateMachineArn=machine, name="e1", input='{"note": "ran"}')
    server.wait_idle()
    [message] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    listed = error_of(sfn.list_executions, stateMachineArn=machine)

    assert started["executionArn"].startswith(
        machine.replace(":stateMachine:", ":express:") + ":e1:"
    )
    assert message["Body"] == "ran"
    assert listed["Code"] == "StateMachineTypeNotSupported"


FIRST_RUN_ONLY = "States.ArrayContains(States.Array(0), $$.Execution.RedriveCount)"


def test_redrive_execution_retries_from_the_failed_state(server, sfn, deploy):
    name = deploy(HANDLER)
    machine = make_machine(
        sfn,
        {
            "StartAt": "Prepare",
            "States": {
                "Prepare": {
                    "Type": "Pass",
                    "Result": {"prepared": True},
                    "ResultPath": "$.p",
                    "Next": "Call",
                },
                "Call": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {
                        "FunctionName": name,
                        # fails on the first run only: RedriveCount is 0 then
                        "Payload": {
                            "n": 2,
                            "fail.$": FIRST_RUN_ONLY,
                        },
                    },
                    "OutputPath": "$.Payload",
                    "End": True,
                },
            },
        },
    )
    arn = run_to_end(server, sfn, machine)["executionArn"]
    failed = sfn.describe_execution(executionArn=arn)

    sfn.redrive_execution(executionArn=arn)
    server.wait_idle()
    done = sfn.describe_execution(executionArn=arn)
    types = [e["type"] for e in history(sfn, arn)]
    again = error_of(sfn.redrive_execution, executionArn=arn)

    assert (failed["status"], failed["redriveStatus"]) == ("FAILED", "REDRIVABLE")
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"doubled": 4}
    assert done["redriveCount"] == 1
    assert types.count("PassStateEntered") == 1  # the finished state is not run again
    assert "ExecutionRedriven" in types
    assert again["Code"] == "ExecutionNotRedrivable"


def test_a_standard_execution_times_out_after_a_year_as_on_aws(tmp_path):
    """AWS's quota: a Standard execution that runs past a year fails with States.Timeout,
    TIMED_OUT as its own TimeoutSeconds would have it (here a Wait of two years, and a
    TimeoutSeconds of three: the year comes first). Its own server, as a year passes."""
    year = 365 * 24 * 3600
    wait = {"Type": "Wait", "Seconds": 2 * year, "End": True}
    with serve_in_thread(tmp_path / "data", clock=ManualClock()) as own:
        client = own.client("stepfunctions")
        machine = make_machine(
            client, {"StartAt": "W", "TimeoutSeconds": 3 * year, "States": {"W": wait}}
        )
        arn = client.start_execution(stateMachineArn=machine)["executionArn"]
        own.advance(year - 1)
        before = client.describe_execution(executionArn=arn)["status"]
        own.advance(1)
        described = client.describe_execution(executionArn=arn)
        last = history(client, arn)[-1]

    assert before == "RUNNING"
    assert described["status"] == "TIMED_OUT"
    assert described["error"] == "States.Timeout"
    assert last["type"] == "ExecutionTimedOut"
    assert last["executionTimedOutEventDetails"]["error"] == "States.Timeout"
