"""A rule's CloudWatch Logs target writes each event into its log group, as EventBridge does;
PutTargets refuses target kinds Stratus cannot deliver to."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import make_queue, unique, wait_for


@pytest.fixture(scope="session")
def events(server: Any) -> Any:
    return server.client("events")


@pytest.fixture(scope="session")
def logs(server: Any) -> Any:
    return server.client("logs")


def _group(logs: Any) -> tuple[str, str]:
    """A new log group: (name, ARN as DescribeLogGroups answers it, `:*` included)."""
    name = f"/aws/events/{unique('g')}"
    logs.create_log_group(logGroupName=name)
    [group] = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return name, group["arn"]


def _events_of(logs: Any, name: str, count: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def arrived() -> bool:
        found[:] = logs.filter_log_events(logGroupName=name)["events"]
        return len(found) >= count

    assert wait_for(arrived, timeout=10)
    return found


def _cleanup(events: Any, rule: str, ids: list[str]) -> None:
    events.remove_targets(Rule=rule, Ids=ids)
    events.delete_rule(Name=rule)


def test_a_log_group_target_writes_each_event_as_a_log_event(events, logs):
    """The event's JSON is the message, in a stream named after the event's id, stamped
    with the event's time; GetLogEvents reads it from that stream."""
    name, arn = _group(logs)
    rule = unique("r")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["to-logs"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "log", "Arn": arn}])

    when = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    answer = events.put_events(
        Entries=[{"Source": "to-logs", "DetailType": "order", "Detail": '{"n": 7}', "Time": when}]
    )
    [written] = _events_of(logs, name, 1)

    event_id = answer["Entries"][0]["EventId"]
    message = json.loads(written["message"])
    assert message["id"] == event_id
    assert (message["source"], message["detail-type"], message["detail"]) == (
        "to-logs", "order", {"n": 7}
    )  # fmt: skip
    assert written["logStreamName"] == event_id
    assert written["timestamp"] == int(when.timestamp() * 1000)
    read = logs.get_log_events(logGroupName=name, logStreamName=event_id)["events"]
    assert [json.loads(e["message"])["id"] for e in read] == [event_id]
    _cleanup(events, rule, ["log"])


def test_an_input_transformer_writes_its_timestamp_and_message(events, logs):
    """With an InputTransformer the template is AWS's {"timestamp", "message"} record: the
    message is the text it makes, the timestamp the one it names."""
    name, arn = _group(logs)
    rule = unique("r")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["to-logs-shaped"]}))
    events.put_targets(
        Rule=rule,
        Targets=[{"Id": "log", "Arn": arn.removesuffix(":*"), "InputTransformer": {
            "InputPathsMap": {"t": "$.time", "state": "$.detail.state"},
            "InputTemplate": '{"timestamp": <t>, "message": "instance is <state>"}',
        }}],
    )  # fmt: skip

    when = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    events.put_events(Entries=[{"Source": "to-logs-shaped", "DetailType": "s",
                                "Detail": '{"state": "RUNNING"}', "Time": when}])  # fmt: skip
    [written] = _events_of(logs, name, 1)

    assert written["message"] == "instance is RUNNING"
    assert written["timestamp"] == int(when.timestamp() * 1000)
    _cleanup(events, rule, ["log"])


def test_a_missing_log_group_sends_the_event_to_the_dead_letter_queue(events, logs, sqs):
    """A log group that does not exist is a target that does not exist: no retry, the
    event goes to the target's DLQ with ERROR_CODE RESOURCE_NOT_FOUND."""
    dlq_url, dlq_arn = make_queue(sqs)
    missing = f"arn:aws:logs:us-east-1:000000000000:log-group:/aws/events/{unique('none')}"
    rule = unique("r")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["to-missing-logs"]}))
    events.put_targets(
        Rule=rule, Targets=[{"Id": "log", "Arn": missing, "DeadLetterConfig": {"Arn": dlq_arn}}]
    )

    answer = events.put_events(
        Entries=[{"Source": "to-missing-logs", "DetailType": "t", "Detail": "{}"}]
    )
    received = sqs.receive_message(
        QueueUrl=dlq_url, WaitTimeSeconds=5, MessageAttributeNames=["All"]
    )

    (message,) = received["Messages"]
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert json.loads(message["Body"])["id"] == answer["Entries"][0]["EventId"]
    assert attributes["TARGET_ARN"] == missing
    assert attributes["ERROR_CODE"] == "RESOURCE_NOT_FOUND"
    assert attributes["RETRY_ATTEMPTS"] == "0"
    _cleanup(events, rule, ["log"])


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:kinesis:us-east-1:000000000000:stream/orders",
        "arn:aws:execute-api:us-east-1:000000000000:a1b2c3/prod/POST/orders",
        "arn:aws:lambda:us-east-1:000000000000:layer:deps",
        "arn:aws:events:us-east-1:000000000000:rule/other",
        "arn:aws:logs:us-east-1:000000000000:destination:central",
        "not-an-arn",
    ],
)
def test_put_targets_refuses_a_target_stratus_cannot_deliver_to(events, arn):
    """EventBridge's ValidationException for the ARN, naming the kinds Stratus serves; the
    other targets of the call are not stored either."""
    rule = unique("r")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["never"]}))
    good = {"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"}

    with pytest.raises(ClientError) as caught:
        events.put_targets(Rule=rule, Targets=[good, {"Id": "bad", "Arn": arn}])

    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert (
        f"Parameter {arn} is not valid. Reason: Provided Arn is not in correct format."
        in (error["Message"])
    )
    assert "CloudWatch Logs log groups" in error["Message"]
    assert events.list_targets_by_rule(Rule=rule)["Targets"] == []
    events.delete_rule(Name=rule)


@pytest.mark.parametrize(
    "setting",
    [
        {"Input": '{"timestamp": 1, "message": "fixed"}'},
        {"InputPath": "$.detail"},
        {"InputTransformer": {"InputPathsMap": {"d": "$.detail"}, "InputTemplate": '{"d": <d>}'}},
        {"InputTransformer": {"InputTemplate": '"just text"'}},
    ],
)
def test_a_log_group_target_takes_only_the_event_or_a_log_record(events, logs, setting):
    """Input, InputPath and templates other than {"timestamp", "message"} fail the entry."""
    _, arn = _group(logs)
    rule = unique("r")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["never"]}))

    answer = events.put_targets(Rule=rule, Targets=[{"Id": "log", "Arn": arn, **setting}])

    assert answer["FailedEntryCount"] == 1
    [failed] = answer["FailedEntries"]
    assert failed["ErrorCode"] == "ValidationException"
    assert '{"timestamp": <timestamp>, "message": <message>}' in failed["ErrorMessage"]
    assert events.list_targets_by_rule(Rule=rule)["Targets"] == []
    events.delete_rule(Name=rule)
