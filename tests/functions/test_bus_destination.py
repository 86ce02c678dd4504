"""Asynchronous invocation destinations on an event bus: the record arrives as AWS puts it
(source lambda, detail-type "Lambda Function Invocation Result - Success/Failure")."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import make_queue, unique
from tests.topics.test_delivery import receive


def test_destinations_on_an_event_bus(server, sqs, lambda_client, deploy):
    """OnSuccess and OnFailure may name a bus; a rule on it sees the record as the detail."""
    events: Any = server.client("events")
    bus = unique("results")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    url, queue_arn = make_queue(sqs)
    events.put_rule(Name="all", EventBusName=bus, EventPattern=json.dumps({"source": ["lambda"]}))
    events.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
    good = deploy("def handler(event, context):\n    return {'ok': event['n']}\n")
    bad = deploy("def handler(event, context):\n    raise ValueError('no')\n")
    lambda_client.put_function_event_invoke_config(
        FunctionName=good, DestinationConfig={"OnSuccess": {"Destination": bus_arn}}
    )
    lambda_client.put_function_event_invoke_config(
        FunctionName=bad,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": bus_arn}},
    )

    lambda_client.invoke(FunctionName=good, InvocationType="Event", Payload=b'{"n": 1}')
    lambda_client.invoke(FunctionName=bad, InvocationType="Event", Payload=b'{"n": 2}')
    got = [json.loads(m["Body"]) for m in receive(sqs, url, 2, wait=20)]

    by_type = {e["detail-type"]: e for e in got}
    success = by_type["Lambda Function Invocation Result - Success"]
    failure = by_type["Lambda Function Invocation Result - Failure"]
    assert success["source"] == "lambda"
    assert success["detail"]["responsePayload"] == {"ok": 1}
    assert success["detail"]["requestContext"]["condition"] == "Success"
    assert bus_arn in success["resources"]
    assert failure["detail"]["requestContext"]["condition"] == "RetriesExhausted"
    assert failure["detail"]["requestPayload"] == {"n": 2}


def test_a_missing_bus_is_refused(server, lambda_client, deploy):
    """A destination naming a bus that does not exist is InvalidParameterValueException."""
    name = deploy("def handler(event, context):\n    return None\n")
    missing = "arn:aws:events:us-east-1:000000000000:event-bus/" + unique("nobus")

    with pytest.raises(ClientError) as refused:
        lambda_client.put_function_event_invoke_config(
            FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": missing}}
        )

    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
