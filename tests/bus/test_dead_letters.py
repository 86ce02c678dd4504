"""A bus target's dead-letter message says what failed, in AWS's message attributes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.conftest import make_queue, unique


@pytest.fixture(scope="session")
def events(server: Any) -> Any:
    return server.client("events")


def test_dead_letter_message_carries_rule_target_and_error(events, sqs):
    """The event goes to the DLQ as the target's input, with RULE_ARN, TARGET_ARN,
    ERROR_CODE, ERROR_MESSAGE and RETRY_ATTEMPTS."""
    dlq_url, dlq_arn = make_queue(sqs)
    missing = "arn:aws:lambda:us-east-1:000000000000:function:not-there"
    rule = unique("r")
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["dl-attrs"]}))[
        "RuleArn"
    ]
    events.put_targets(
        Rule=rule,
        Targets=[{"Id": "gone", "Arn": missing, "Input": '{"fixed": true}',
                  "DeadLetterConfig": {"Arn": dlq_arn}}],
    )  # fmt: skip

    events.put_events(Entries=[{"Source": "dl-attrs", "DetailType": "t", "Detail": "{}"}])
    answer = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=5, MessageAttributeNames=["All"])

    (message,) = answer["Messages"]
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert json.loads(message["Body"]) == {"fixed": True}
    assert attributes["RULE_ARN"] == rule_arn
    assert attributes["TARGET_ARN"] == missing
    assert attributes["ERROR_CODE"] == "RESOURCE_NOT_FOUND"
    assert "not-there" in attributes["ERROR_MESSAGE"]
    assert attributes["RETRY_ATTEMPTS"] == "0"
    events.remove_targets(Rule=rule, Ids=["gone"])
    events.delete_rule(Name=rule)
