"""Destinations and dead-letter queues of asynchronous invocations: what each receives, when."""

import json
import re
import signal
from pathlib import Path

import pytest
from tests.conftest import create_function, make_queue, unique, wait_for

from stratus.functions.destinations import DeadLetter
from stratus.runtime.spec import InvokeResult
from stratus.testing import serve_in_process

# Appends every event it gets to the file named by $OUT.
RECORDER = """
import json, os, time
os.umask(0)  # environments run as uids of their own: let the next one append too
def handler(event, context):
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps(event) + "\\n")
    time.sleep(float(os.environ.get("SLEEP", "0")))
"""

# Logs each attempt's request id to event["path"]; fails when event["fail"] is set.
SOURCE = """
import os
os.umask(0)  # environments run as uids of their own: let the next one append too
def handler(event, context):
    with open(event["path"], "a") as out:
        out.write(context.aws_request_id + "\\n")
    if event.get("fail"):
        raise RuntimeError("failed on purpose")
    return {"echo": event.get("value")}
"""


def _arn(name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _records(path: Path) -> list[dict]:
    return [json.loads(line) for line in _lines(path)]


def _recorder(deploy, path: Path, **variables: str) -> str:
    return deploy(RECORDER, Environment={"Variables": {"OUT": str(path), **variables}})


def _invoke_event(client, name: str, event: dict) -> str:
    response = client.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps(event))
    return response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]


def test_on_success_destination_gets_the_invocation_record(lambda_client, deploy, shared_dir):
    """After a successful run, the OnSuccess destination is invoked with AWS's invocation
    record: request and response, condition Success, the qualified function ARN."""
    received = shared_dir / "received.jsonl"
    recorder = _recorder(deploy, received)
    source = deploy(SOURCE)
    lambda_client.put_function_event_invoke_config(
        FunctionName=source, DestinationConfig={"OnSuccess": {"Destination": _arn(recorder)}}
    )
    event = {"path": str(shared_dir / "calls"), "value": 42}

    request_id = _invoke_event(lambda_client, source, event)

    assert wait_for(lambda: _records(received))
    record = _records(received)[0]
    timestamp = record.pop("timestamp")
    assert record == {
        "version": "1.0",
        "requestContext": {
            "requestId": request_id,
            "functionArn": _arn(source, "$LATEST"),
            "condition": "Success",
            "approximateInvokeCount": 1,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "responsePayload": {"echo": 42},
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", timestamp)


def test_on_failure_destination_gets_the_record_after_the_last_retry(
    server, lambda_client, deploy, shared_dir
):
    """With MaximumRetryAttempts=1 a failing event runs twice; then the OnFailure destination
    gets the record (RetriesExhausted, the error as responsePayload) and OnSuccess nothing."""
    failures, successes = shared_dir / "failures.jsonl", shared_dir / "successes.jsonl"
    on_failure, on_success = _recorder(deploy, failures), _recorder(deploy, successes)
    source = deploy(SOURCE)
    lambda_client.put_function_event_invoke_config(
        FunctionName=source,
        MaximumRetryAttempts=1,
        DestinationConfig={
            "OnSuccess": {"Destination": _arn(on_success)},
            "OnFailure": {"Destination": _arn(on_failure)},
        },
    )
    calls = shared_dir / "calls"

    request_id = _invoke_event(lambda_client, source, {"path": str(calls), "fail": True})
    server.wait_idle()
    before_the_retry = _records(failures)
    server.advance(60)

    assert before_the_retry == []
    record = _records(failures)[0]
    assert record["requestContext"] == {
        "requestId": request_id,
        "functionArn": _arn(source, "$LATEST"),
        "condition": "RetriesExhausted",
        "approximateInvokeCount": 2,
    }
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    assert record["responsePayload"]["errorMessage"] == "failed on purpose"
    assert _lines(calls) == [request_id, request_id]
    assert not successes.exists()


def test_zero_retry_attempts_give_exactly_one_attempt(server, lambda_client, deploy, shared_dir):
    """MaximumRetryAttempts=0: a failing event runs once, then goes to OnFailure."""
    failures = shared_dir / "failures.jsonl"
    on_failure = _recorder(deploy, failures)
    source = deploy(SOURCE)
    lambda_client.put_function_event_invoke_config(
        FunctionName=source,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": _arn(on_failure)}},
    )
    calls = shared_dir / "calls"

    _invoke_event(lambda_client, source, {"path": str(calls), "fail": True})

    server.advance(24 * 3600)  # far past any retry delay: a retry would have run

    assert len(_records(failures)) == 1
    assert len(_lines(calls)) == 1
    assert _records(failures)[0]["requestContext"]["approximateInvokeCount"] == 1


def test_dead_letter_queue_gets_the_original_event(server, lambda_client, deploy, shared_dir):
    """Without destinations, a dead-letter queue receives the event itself (no record) once
    the default two retries are spent."""
    dead_letters = shared_dir / "dead-letters.jsonl"
    queue = _recorder(deploy, dead_letters)
    source = deploy(SOURCE, DeadLetterConfig={"TargetArn": _arn(queue)})
    calls = shared_dir / "calls"
    event = {"path": str(calls), "fail": True, "value": "lost"}

    _invoke_event(lambda_client, source, event)
    server.advance(60)
    server.advance(120)

    assert _records(dead_letters) == [event]
    assert len(_lines(calls)) == 3


def test_dead_letter_queue_and_on_failure_destination_both_receive(
    lambda_client, deploy, shared_dir
):
    """With both configured, the dead-letter queue gets the event and the OnFailure
    destination the record."""
    dead_letters, failures = shared_dir / "dead-letters.jsonl", shared_dir / "failures.jsonl"
    queue, on_failure = _recorder(deploy, dead_letters), _recorder(deploy, failures)
    source = deploy(SOURCE, DeadLetterConfig={"TargetArn": _arn(queue)})
    lambda_client.put_function_event_invoke_config(
        FunctionName=source,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": _arn(on_failure)}},
    )
    event = {"path": str(shared_dir / "calls"), "fail": True}

    _invoke_event(lambda_client, source, event)

    assert wait_for(lambda: _records(dead_letters) and _records(failures))
    assert _records(dead_letters) == [event]
    assert _records(failures)[0]["requestPayload"] == event


def test_an_alias_uses_its_own_configuration(server, lambda_client, deploy, shared_dir):
    """Invoking through an alias uses the alias's configuration, not $LATEST's; the record
    names the alias and the version that ran."""
    received = shared_dir / "received.jsonl"
    recorder = _recorder(deploy, received)
    source = deploy(SOURCE)
    lambda_client.publish_version(FunctionName=source)
    lambda_client.create_alias(FunctionName=source, Name="live", FunctionVersion="1")
    lambda_client.put_function_event_invoke_config(
        FunctionName=source,
        Qualifier="live",
        DestinationConfig={"OnSuccess": {"Destination": _arn(recorder)}},
    )
    calls = shared_dir / "calls"

    _invoke_event(lambda_client, source, {"path": str(calls)})
    server.wait_idle()  # the event has run, and any delivery of its outcome too
    unqualified = _records(received)
    _invoke_event(lambda_client, f"{source}:live", {"path": str(calls)})
    server.wait_idle()

    assert len(_lines(calls)) == 2
    assert unqualified == []
    [record] = _records(received)
    assert record["requestContext"]["functionArn"] == _arn(source, "live")
    assert record["responseContext"]["executedVersion"] == "1"


def test_an_event_older_than_its_maximum_age_is_discarded(shared_dir):
    """A failed event whose next retry would come after MaximumEventAgeInSeconds is not
    retried: OnFailure gets the record with condition EventAgeExceeded at once."""
    failures, calls = shared_dir / "failures.jsonl", shared_dir / "calls"
    # Retries a minute apart: longer than the shortest maximum age AWS allows (60 s).
    with serve_in_process(
        shared_dir / "data", environ={"STRATUS_ASYNC_RETRY_DELAYS": "61"}
    ) as server:
        client = server.client("lambda")
        create_function(
            client, "recorder", RECORDER, Environment={"Variables": {"OUT": str(failures)}}
        )
        create_function(client, "source", SOURCE)
        client.put_function_event_invoke_config(
            FunctionName="source",
            MaximumEventAgeInSeconds=60,
            DestinationConfig={"OnFailure": {"Destination": _arn("recorder")}},
        )

        _invoke_event(client, "source", {"path": str(calls), "fail": True})

        assert wait_for(lambda: _records(failures))
    context = _records(failures)[0]["requestContext"]
    assert context["condition"] == "EventAgeExceeded"
    assert context["approximateInvokeCount"] == 1
    assert len(_lines(calls)) == 1


def test_a_delivered_record_survives_kill_9(shared_dir):
    """A record handed to a destination function is a durable async event of its own: if the
    server dies while the destination runs, it runs again after the restart."""
    data, received = shared_dir / "data", shared_dir / "received.jsonl"
    variables = {"OUT": str(received), "SLEEP": "30"}
    with serve_in_process(data) as first:
        client = first.client("lambda")
        create_function(client, "slow-recorder", RECORDER, Environment={"Variables": variables})
        create_function(client, "source", SOURCE)
        client.put_function_event_invoke_config(
            FunctionName="source",
            DestinationConfig={"OnSuccess": {"Destination": _arn("slow-recorder")}},
        )
        request_id = _invoke_event(client, "source", {"path": str(shared_dir / "calls")})
        assert wait_for(lambda: len(_lines(received)) == 1)
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()
        port = first.settings.port

    with serve_in_process(data, port=port):
        assert wait_for(lambda: len(_lines(received)) == 2, timeout=30)
    records = _records(received)
    assert records[0] == records[1]
    assert records[0]["requestContext"]["requestId"] == request_id


def test_reserved_concurrency_zero_sends_events_on_without_running_them(
    lambda_client, deploy, shared_dir
):
    """A function with reserved concurrency 0 runs no events: each goes straight to OnFailure
    (condition ZeroReservedConcurrency, no response) and to the dead-letter queue."""
    failures, dead_letters = shared_dir / "failures.jsonl", shared_dir / "dead-letters.jsonl"
    on_failure, queue = _recorder(deploy, failures), _recorder(deploy, dead_letters)
    source = deploy(SOURCE, DeadLetterConfig={"TargetArn": _arn(queue)})
    lambda_client.put_function_concurrency(FunctionName=source, ReservedConcurrentExecutions=0)
    lambda_client.put_function_event_invoke_config(
        FunctionName=source, DestinationConfig={"OnFailure": {"Destination": _arn(on_failure)}}
    )
    calls = shared_dir / "calls"
    event = {"path": str(calls)}

    request_id = _invoke_event(lambda_client, source, event)

    assert wait_for(lambda: _records(failures) and _records(dead_letters))
    record = _records(failures)[0]
    record.pop("timestamp")
    assert record == {
        "version": "1.0",
        "requestContext": {
            "requestId": request_id,
            "functionArn": _arn(source, "$LATEST"),
            "condition": "ZeroReservedConcurrency",
            "approximateInvokeCount": 0,
        },
        "requestPayload": event,
    }
    assert _records(dead_letters) == [event]
    assert not calls.exists()


def _dead_letter_source(deploy, lambda_client, target_arn: str, message: str) -> str:
    source = deploy(
        f"def handler(event, context):\n    raise RuntimeError({message!r})\n",
        DeadLetterConfig={"TargetArn": target_arn},
    )
    lambda_client.put_function_event_invoke_config(FunctionName=source, MaximumRetryAttempts=0)
    return source


def test_a_dead_letter_message_carries_awss_attributes(lambda_client, deploy, sqs):
    """An SQS dead-letter queue's message is the event, with the attributes AWS documents:
    RequestID (String), ErrorCode (Number: the Invoke's HTTP status, 200 for a function
    error) and ErrorMessage (String: the function's error message)."""
    url, arn = make_queue(sqs)
    source = _dead_letter_source(deploy, lambda_client, arn, "failed on purpose")

    request_id = _invoke_event(lambda_client, source, {"value": "lost"})

    received = []
    assert wait_for(
        lambda: (
            received.extend(
                sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"]).get("Messages", [])
            )
            or received
        )
    )
    [message] = received
    assert json.loads(message["Body"]) == {"value": "lost"}
    assert message["MessageAttributes"] == {
        "RequestID": {"DataType": "String", "StringValue": request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": "failed on purpose"},
    }


def test_a_dead_letter_topic_publishes_the_attributes_truncated(lambda_client, deploy, sns, sqs):
    """An SNS dead-letter topic publishes the event with the same attributes, which its
    notifications carry; the error message is cut to 1 KB."""
    topic = sns.create_topic(Name=unique("dlq-topic"))["TopicArn"]
    url, queue_arn = make_queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    source = _dead_letter_source(deploy, lambda_client, topic, "é" * 3000)

    request_id = _invoke_event(lambda_client, source, {"value": "lost"})

    received = []
    assert wait_for(
        lambda: received.extend(sqs.receive_message(QueueUrl=url).get("Messages", [])) or received
    )
    notification = json.loads(received[0]["Body"])
    assert json.loads(notification["Message"]) == {"value": "lost"}
    attributes = notification["MessageAttributes"]
    assert attributes["RequestID"] == {"Type": "String", "Value": request_id}
    assert attributes["ErrorCode"] == {"Type": "Number", "Value": "200"}
    assert attributes["ErrorMessage"] == {"Type": "String", "Value": "é" * 512}


@pytest.mark.parametrize(
    ("result", "code", "message"),
    [
        (InvokeResult(b'{"errorMessage": "boom"}', "1", "Unhandled"), 200, "boom"),
        (InvokeResult(b"plain words", "1", "Unhandled"), 200, "plain words"),
        (InvokeResult(b'{"errorType": "E"}', "1", "Unhandled"), 200, '{"errorType": "E"}'),
        (None, 429, "Rate Exceeded."),  # never ran: throttled, or reserved concurrency 0
    ],
)
def test_a_dead_letters_error_code_and_message(result, code, message):
    """ErrorCode is the last attempt's HTTP status, ErrorMessage the function's errorMessage
    (its whole answer when it has none)."""
    letter = DeadLetter.of("r-1", b"{}", result)

    assert (letter.error_code, letter.error_message) == (code, message)
