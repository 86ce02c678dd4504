"""Rules deliver: PutEvents -> rule -> function / queue, schedules, dead-letter queues."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import make_queue, unique, wait_for

RECORDER = """
import json, os
os.umask(0)
def handler(event, context):
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps(event) + "\\n")
"""


@pytest.fixture(scope="session")
def events(server: Any) -> Any:
    return server.client("events")


def _lines(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _receive(sqs: Any, url: str, wait: int = 5) -> list[dict[str, Any]]:
    answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait)
    return [json.loads(m["Body"]) for m in answer.get("Messages", [])]


def test_rule_invokes_a_function_with_aws_envelope_and_transformed_input(
    events, deploy, lambda_client, shared_dir
):
    out = shared_dir / "events.jsonl"
    name = deploy(RECORDER, Environment={"Variables": {"OUT": str(out)}})
    arn = lambda_client.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    rule = unique("r")
    rule_arn = events.put_rule(
        Name=rule,
        EventPattern=json.dumps(
            {"source": ["shop"], "detail": {"total": [{"numeric": [">", 10]}]}}
        ),
    )["RuleArn"]
    events.put_targets(
        Rule=rule,
        Targets=[
            {"Id": "plain", "Arn": arn},
            {
                "Id": "shaped",
                "Arn": arn,
                "InputTransformer": {
                    "InputPathsMap": {"order": "$.detail.order"},
                    "InputTemplate": '{"order": <order>, "rule": "<aws.events.rule-name>"}',
                },
            },
        ],
    )

    order = {"Source": "shop", "DetailType": "Order"}
    answer = events.put_events(
        Entries=[
            {**order, "Detail": json.dumps({"order": "o-1", "total": 20}), "Resources": ["arn:x"]},
            {**order, "Detail": json.dumps({"order": "o-2", "total": 5})},
        ]
    )

    assert answer["FailedEntryCount"] == 0
    assert wait_for(lambda: len(_lines(out)) >= 2)
    received = _lines(out)
    envelope = next(e for e in received if "detail" in e)
    assert envelope == {
        "version": "0",
        "id": answer["Entries"][0]["EventId"],
        "detail-type": "Order",
        "source": "shop",
        "account": "000000000000",
        "time": envelope["time"],
        "region": "us-east-1",
        "resources": ["arn:x"],
        "detail": {"order": "o-1", "total": 20},
    }
    assert envelope["time"].endswith("Z")
    assert {"order": "o-1", "rule": rule} in received
    assert len(received) == 2  # o-2 matched no rule
    assert rule_arn.endswith(f":rule/{rule}")


def test_rule_on_a_custom_bus_sends_to_a_queue_and_a_disabled_rule_sends_nothing(events, sqs):
    url, queue_arn = make_queue(sqs)
    bus = unique("bus")
    events.create_event_bus(Name=bus)
    rule = unique("r")
    events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps({"source": ["a"]}))
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])

    entry = {"Source": "a", "DetailType": "t", "Detail": '{"n": 1}', "EventBusName": bus}
    events.put_events(Entries=[entry, {**entry, "EventBusName": "default"}])
    bodies = _receive(sqs, url)
    assert [(b["source"], b["detail"]) for b in bodies] == [("a", {"n": 1})]

    events.disable_rule(Name=rule, EventBusName=bus)
    events.put_events(Entries=[entry])
    assert _receive(sqs, url, wait=1) == []


def test_scheduled_rule_fires_on_time_and_once_after_a_long_gap(server, events, sqs):
    url, queue_arn = make_queue(sqs)
    rule = unique("every5")
    rule_arn = events.put_rule(Name=rule, ScheduleExpression="rate(5 minutes)")["RuleArn"]
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": queue_arn}])

    server.advance(299)
    assert _receive(sqs, url, wait=0) == []
    server.advance(1)
    fired = _receive(sqs, url, wait=2)
    assert [(e["detail-type"], e["source"], e["resources"], e["detail"]) for e in fired] == [
        ("Scheduled Event", "aws.events", [rule_arn], {})
    ]
    server.advance(3 * 3600)  # 36 fires missed: one catch-up fire, no storm
    assert len(_receive(sqs, url, wait=2)) == 1
    events.disable_rule(Name=rule)
    server.advance(3600)
    assert _receive(sqs, url, wait=0) == []
    events.remove_targets(Rule=rule, Ids=["q"])
    events.delete_rule(Name=rule)


def test_undeliverable_event_goes_to_the_targets_dead_letter_queue(events, sqs):
    dlq_url, dlq_arn = make_queue(sqs)
    rule = unique("r")
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["dlq-test"]}))
    events.put_targets(
        Rule=rule,
        Targets=[
            {
                "Id": "gone",
                "Arn": "arn:aws:lambda:us-east-1:000000000000:function:no-such-function",
                "RetryPolicy": {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60},
                "DeadLetterConfig": {"Arn": dlq_arn},
            }
        ],
    )
    answer = events.put_events(Entries=[{"Source": "dlq-test", "DetailType": "t", "Detail": "{}"}])
    bodies = _receive(sqs, dlq_url)
    assert [b["id"] for b in bodies] == [answer["Entries"][0]["EventId"]]
