"""EventBridge's stored resources over the wire: bus permissions and settings, connections
(secrets never answered), API destinations, global endpoints, partner event sources (none);
AWS's shapes, states and refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.bus.test_archives import _bus, _code, _drain, _put, events
from tests.conftest import make_queue, unique
from tests.topics.conftest import endpoint

__all__ = ["endpoint", "events"]  # fixtures shared with test_archives and the topic tests


def test_bus_permissions_and_settings(events):
    """PutPermission adds statements to the bus's policy (DescribeEventBus shows it),
    RemovePermission takes them out; UpdateEventBus keeps its settings."""
    bus, arn = _bus(events)
    events.put_permission(
        EventBusName=bus, Action="events:PutEvents", Principal="111122223333", StatementId="one"
    )
    events.put_permission(
        EventBusName=bus, Action="events:PutEvents", Principal="*", StatementId="org",
        Condition={"Type": "StringEquals", "Key": "aws:PrincipalOrgID", "Value": "o-1"},
    )  # fmt: skip
    policy = json.loads(events.describe_event_bus(Name=bus)["Policy"])
    events.remove_permission(EventBusName=bus, StatementId="one")
    after = json.loads(events.describe_event_bus(Name=bus)["Policy"])
    updated = events.update_event_bus(
        Name=bus, Description="orders", DeadLetterConfig={"Arn": "arn:aws:sqs:us-east-1:0:q"}
    )
    events.remove_permission(EventBusName=bus, RemoveAllPermissions=True)
    described = events.describe_event_bus(Name=bus)

    assert policy["Statement"][0] == {
        "Sid": "one", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "events:PutEvents", "Resource": arn,
    }  # fmt: skip
    assert policy["Statement"][1]["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-1"}}
    assert [s["Sid"] for s in after["Statement"]] == ["org"]
    assert updated["Description"] == "orders"
    assert updated["DeadLetterConfig"] == {"Arn": "arn:aws:sqs:us-east-1:0:q"}
    assert "Policy" not in described
    assert described["DeadLetterConfig"] == {"Arn": "arn:aws:sqs:us-east-1:0:q"}
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.remove_permission(EventBusName=bus, StatementId="never")
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.put_permission(
            EventBusName=unique("nobus"), Action="events:PutEvents", Principal="111122223333",
            StatementId="x",
        )  # fmt: skip


def test_connections_and_api_destinations(events):
    """A connection is AUTHORIZED and never shows its secret; an API destination needs an
    existing connection and is ACTIVE; both list, update and delete as on AWS."""
    name = unique("conn")
    created = events.create_connection(
        Name=name, AuthorizationType="API_KEY",
        AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-key", "ApiKeyValue": "s3cr3t"}},
    )  # fmt: skip
    described = events.describe_connection(Name=name)
    destination = unique("dest")
    made = events.create_api_destination(
        Name=destination, ConnectionArn=created["ConnectionArn"],
        InvocationEndpoint="https://example.com/hook", HttpMethod="POST",
    )  # fmt: skip
    shown = events.describe_api_destination(Name=destination)
    events.update_api_destination(Name=destination, InvocationRateLimitPerSecond=5)
    listed = events.list_api_destinations(NamePrefix=destination)["ApiDestinations"]
    deauthorized = events.deauthorize_connection(Name=name)

    assert created["ConnectionState"] == "AUTHORIZED"
    assert described["AuthParameters"] == {"ApiKeyAuthParameters": {"ApiKeyName": "x-key"}}
    assert "s3cr3t" not in json.dumps(described, default=str)
    assert described["SecretArn"].startswith("arn:aws:secretsmanager:")
    assert made["ApiDestinationState"] == "ACTIVE"
    assert shown["InvocationRateLimitPerSecond"] == 300
    assert [(d["Name"], d["InvocationRateLimitPerSecond"]) for d in listed] == [(destination, 5)]
    assert deauthorized["ConnectionState"] == "DEAUTHORIZED"
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.create_api_destination(
            Name=unique("dest"), InvocationEndpoint="https://example.com", HttpMethod="POST",
            ConnectionArn=created["ConnectionArn"] + "0",
        )  # fmt: skip
    with pytest.raises(events.exceptions.ResourceAlreadyExistsException):
        events.create_connection(
            Name=name, AuthorizationType="BASIC",
            AuthParameters={"BasicAuthParameters": {"Username": "u", "Password": "p"}},
        )  # fmt: skip
    events.delete_api_destination(Name=destination)
    assert events.delete_connection(Name=name)["ConnectionState"] == "DELETING"
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.describe_connection(Name=name)


def test_endpoints_and_event_sources(events):
    """A global endpoint is stored (CREATING, then ACTIVE); there are no partner event
    sources."""
    name = unique("ep")
    buses = [
        {"EventBusArn": f"arn:aws:events:{region}:000000000000:event-bus/default"}
        for region in ("us-east-1", "us-west-2")
    ]
    routing = {"FailoverConfig": {"Primary": {"HealthCheck": "arn:aws:route53:::healthcheck/x"},
                                  "Secondary": {"Route": "us-west-2"}}}  # fmt: skip
    created = events.create_endpoint(Name=name, RoutingConfig=routing, EventBuses=buses)
    described = events.describe_endpoint(Name=name)
    listed = events.list_endpoints(NamePrefix=name)["Endpoints"]
    events.delete_endpoint(Name=name)

    assert created["State"] == "CREATING"
    assert described["State"] == "ACTIVE"
    assert described["EndpointUrl"].startswith("https://")
    assert [e["Name"] for e in listed] == [name]
    assert events.list_event_sources()["EventSources"] == []
    with pytest.raises(ClientError) as missing:
        events.describe_event_source(Name="aws.partner/example.com/1/x")
    assert _code(missing) == "ResourceNotFoundException"


def _api_destination(events: Any, url: str, headers: dict[str, str]) -> str:
    connection = events.create_connection(
        Name=unique("hook"), AuthorizationType="API_KEY",
        AuthParameters={
            "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "s3cr3t"},
            "InvocationHttpParameters": {
                "HeaderParameters": [{"Key": k, "Value": v} for k, v in headers.items()],
                "BodyParameters": [{"Key": "origin", "Value": "stratus"}],
            },
        },
    )["ConnectionArn"]  # fmt: skip
    return str(
        events.create_api_destination(
            Name=unique("dest"), ConnectionArn=connection, InvocationEndpoint=url,
            HttpMethod="POST",
        )["ApiDestinationArn"]
    )  # fmt: skip


def test_a_rule_sends_events_to_an_api_destination(events, sqs, endpoint):
    """A rule whose target is an API destination sends the event to its endpoint with the
    connection's API key and extra parameters; an endpoint answering 400 is not retried and
    the event reaches the target's dead-letter queue."""
    bus, _ = _bus(events)
    # The test endpoint answers by this header: 200 by default, 400 for "refuse".
    endpoint.status["refuse"] = 400
    good = _api_destination(events, endpoint.url, {"x-team": "orders"})
    bad = _api_destination(events, endpoint.url, {"x-amz-sns-message-type": "refuse"})
    dlq_url, dlq = make_queue(sqs)
    for source, destination in (("shop", good), ("bad", bad)):
        events.put_rule(
            Name=source, EventBusName=bus, EventPattern=json.dumps({"source": [source]})
        )
        events.put_targets(
            Rule=source, EventBusName=bus,
            Targets=[{"Id": "web", "Arn": destination, "DeadLetterConfig": {"Arn": dlq},
                      "RetryPolicy": {"MaximumRetryAttempts": 3}}],
        )  # fmt: skip
    _put(events, bus, "shop", 1)
    headers, body = endpoint.next()
    _put(events, bus, "bad", 2)
    endpoint.next()
    letters = _drain(sqs, dlq_url, wait=10)

    assert headers["x-api-key"] == "s3cr3t"
    assert headers["x-team"] == "orders"
    assert body["detail"] == {"n": 1}
    assert body["origin"] == "stratus"
    assert [letter["detail"] for letter in letters] == [{"n": 2}]
    assert endpoint.received.empty()  # a 400 is not retried


def test_partner_event_sources_reach_their_partner_bus(events, sqs):
    """A partner's event source is PENDING for the account until it creates the partner
    bus of that name, then ACTIVE: PutPartnerEvents reaches the bus's rules; a deactivated
    source refuses entries one by one."""
    account = "000000000000"
    name = f"aws.partner/example.com/{unique('src')}"
    created = events.create_partner_event_source(Name=name, Account=account)
    pending = events.describe_event_source(Name=name)["State"]
    events.create_event_bus(Name=name, EventSourceName=name)
    active = events.describe_event_source(Name=name)["State"]
    url, queue = make_queue(sqs)
    events.put_rule(Name="partner", EventBusName=name, EventPattern=json.dumps({"source": [name]}))
    events.put_targets(Rule="partner", EventBusName=name, Targets=[{"Id": "q", "Arn": queue}])
    entry = {"Source": name, "DetailType": "signup", "Detail": json.dumps({"user": "u1"})}
    sent = events.put_partner_events(Entries=[entry])
    got = _drain(sqs, url, wait=5)
    events.deactivate_event_source(Name=name)
    refused = events.put_partner_events(Entries=[entry])

    assert created["EventSourceArn"] == f"arn:aws:events:us-east-1::event-source/{name}"
    assert (pending, active) == ("PENDING", "ACTIVE")
    assert sent["FailedEntryCount"] == 0
    assert [(m["source"], m["detail"]) for m in got] == [(name, {"user": "u1"})]
    assert refused["FailedEntryCount"] == 1
    assert events.describe_event_source(Name=name)["State"] == "DISABLED"
    sources = events.list_partner_event_sources(NamePrefix="aws.partner/example.com/")
    assert name in {s["Name"] for s in sources["PartnerEventSources"]}
    [listed] = events.list_partner_event_source_accounts(EventSourceName=name)[
        "PartnerEventSourceAccounts"
    ]
    assert (listed["Account"], listed["State"]) == (account, "DISABLED")
    events.delete_partner_event_source(Name=name, Account=account)
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.describe_event_source(Name=name)
