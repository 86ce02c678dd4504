"""EventBridge's control plane and PutEvents' answers, with boto3 against a real server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import unique


@pytest.fixture(scope="session")
def events(server: Any) -> Any:
    return server.client("events")


def _code(error: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return error.value.response["Error"]["Code"], error.value.response["Error"]["Message"]


def test_default_bus_always_exists_and_custom_buses_come_and_go(events):
    name = unique("bus")
    assert events.describe_event_bus()["Name"] == "default"
    arn = events.create_event_bus(Name=name, Tags=[{"Key": "team", "Value": "a"}])["EventBusArn"]
    assert arn.endswith(f":event-bus/{name}")
    with pytest.raises(ClientError) as again:
        events.create_event_bus(Name=name)
    assert _code(again) == ("ResourceAlreadyExistsException", f"Event bus {name} already exists.")
    listed = [b["Name"] for b in events.list_event_buses(NamePrefix=name)["EventBuses"]]
    assert listed == [name]
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "a"}]
    events.delete_event_bus(Name=name)
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.describe_event_bus(Name=name)
    with pytest.raises(ClientError) as default:
        events.delete_event_bus(Name="default")
    assert _code(default)[0] == "ValidationException"


def test_rules_put_describe_list_page_enable_disable_delete(events):
    prefix = unique("r")
    pattern = json.dumps({"source": ["app"]})
    for index in range(3):
        events.put_rule(Name=f"{prefix}-{index}", EventPattern=pattern)
    rule = events.describe_rule(Name=f"{prefix}-0")
    assert (rule["State"], rule["EventPattern"], rule["EventBusName"]) == (
        "ENABLED", pattern, "default"
    )  # fmt: skip
    first = events.list_rules(NamePrefix=prefix, Limit=2)
    second = events.list_rules(NamePrefix=prefix, Limit=2, NextToken=first["NextToken"])
    assert [r["Name"] for r in first["Rules"] + second["Rules"]] == [
        f"{prefix}-{i}" for i in range(3)
    ]
    assert "NextToken" not in second
    events.disable_rule(Name=f"{prefix}-1")
    assert events.describe_rule(Name=f"{prefix}-1")["State"] == "DISABLED"
    events.enable_rule(Name=f"{prefix}-1")
    assert events.describe_rule(Name=f"{prefix}-1")["State"] == "ENABLED"

    events.put_targets(Rule=f"{prefix}-0", Targets=[{"Id": "t", "Arn": "arn:aws:sqs:x:1:q"}])
    with pytest.raises(ClientError) as busy:
        events.delete_rule(Name=f"{prefix}-0")
    assert _code(busy) == ("ValidationException", "Rule can't be deleted since it has targets.")
    events.remove_targets(Rule=f"{prefix}-0", Ids=["t"])
    events.delete_rule(Name=f"{prefix}-0")
    with pytest.raises(ClientError) as gone:
        events.describe_rule(Name=f"{prefix}-0")
    assert _code(gone) == (
        "ResourceNotFoundException", f"Rule {prefix}-0 does not exist on EventBus default."
    )  # fmt: skip


def test_put_rule_refusals_use_aws_errors(events):
    with pytest.raises(ClientError) as bad_pattern:
        events.put_rule(Name=unique("r"), EventPattern='{"source": "not-a-list"}')
    code, message = _code(bad_pattern)
    assert code == "InvalidEventPatternException"
    assert message.startswith("Event pattern is not valid. Reason: ")
    with pytest.raises(ClientError) as neither:
        events.put_rule(Name=unique("r"))
    assert _code(neither) == (
        "ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified."
    )  # fmt: skip
    with pytest.raises(ClientError) as bad_rate:
        events.put_rule(Name=unique("r"), ScheduleExpression="rate(1 minutes)")
    assert _code(bad_rate) == ("ValidationException", "Parameter ScheduleExpression is not valid.")
    bus = unique("bus")
    events.create_event_bus(Name=bus)
    with pytest.raises(ClientError) as custom:
        events.put_rule(Name=unique("r"), EventBusName=bus, ScheduleExpression="rate(5 minutes)")
    assert _code(custom) == (
        "ValidationException", "ScheduleExpression is supported only on the default event bus."
    )  # fmt: skip
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.put_rule(Name=unique("r"), EventBusName=unique("nb"), EventPattern='{"a": [1]}')


def test_targets_at_most_five_and_bad_ones_fail_per_entry(events):
    rule = unique("r")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["app"]}))
    answer = events.put_targets(
        Rule=rule,
        Targets=[
            {"Id": "good", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"},
            {"Id": "bad", "Arn": "arn:aws:sqs:us-east-1:000000000000:q", "Input": "not json"},
        ],
    )
    assert answer["FailedEntryCount"] == 1
    assert answer["FailedEntries"][0]["TargetId"] == "bad"
    assert [t["Id"] for t in events.list_targets_by_rule(Rule=rule)["Targets"]] == ["good"]
    by_target = events.list_rule_names_by_target(TargetArn="arn:aws:sqs:us-east-1:000000000000:q")
    assert rule in by_target["RuleNames"]
    more = [{"Id": f"t{i}", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"} for i in range(5)]
    with pytest.raises(events.exceptions.LimitExceededException):
        events.put_targets(Rule=rule, Targets=more)
    missing = events.remove_targets(Rule=rule, Ids=["good", "nope"])
    assert [f["TargetId"] for f in missing["FailedEntries"]] == ["nope"]


def test_put_events_answers_each_entry(events):
    answer = events.put_events(
        Entries=[
            {"Source": "app", "DetailType": "t", "Detail": "{}"},
            {"Source": "app", "DetailType": "t", "Detail": "[1"},
            {"Source": "app", "DetailType": "t"},
            {"Source": "app", "DetailType": "t", "Detail": "{}", "EventBusName": unique("no")},
        ]
    )
    assert answer["FailedEntryCount"] == 3
    first, malformed, missing, no_bus = answer["Entries"]
    assert "EventId" in first
    assert (malformed["ErrorCode"], malformed["ErrorMessage"]) == (
        "MalformedDetail", "Detail is malformed."
    )  # fmt: skip
    assert (missing["ErrorCode"], missing["ErrorMessage"]) == (
        "InvalidArgument", "Parameter Detail is not valid."
    )  # fmt: skip
    assert no_bus["ErrorCode"] == "ResourceNotFoundException"


def test_put_events_limits_entries_and_total_size(events):
    entry = {"Source": "app", "DetailType": "t", "Detail": "{}"}
    with pytest.raises(ClientError) as eleven:
        events.put_events(Entries=[entry] * 11)
    assert _code(eleven)[0] == "ValidationException"
    # Sized as AWS sizes it: Source + DetailType + Detail + resources (+ 14 for a Time).
    big = json.dumps({"x": "a" * (1_048_576 - 13)})
    fits = {"Source": "app", "DetailType": "t", "Detail": big}
    assert len(big) + 4 == 1_048_576
    assert events.put_events(Entries=[fits])["FailedEntryCount"] == 0
    with pytest.raises(ClientError) as over:
        events.put_events(Entries=[{**fits, "Resources": ["r"]}])
    assert _code(over)[0] == "LimitExceededException"


def test_test_event_pattern(events):
    event = json.dumps({
        "id": "1", "account": "1", "source": "app", "time": "2024-01-01T00:00:00Z",
        "region": "us-east-1", "resources": [], "detail-type": "t", "detail": {"n": 5},
    })  # fmt: skip
    pattern = json.dumps({"detail": {"n": [{"numeric": [">", 3]}]}})
    assert events.test_event_pattern(EventPattern=pattern, Event=event)["Result"] is True
    with pytest.raises(ClientError) as bad:
        events.test_event_pattern(EventPattern=pattern, Event="{}")
    assert _code(bad) == ("InvalidEventPatternException", "Parameter Event is not valid.")
