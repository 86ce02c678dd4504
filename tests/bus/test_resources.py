"""EventBridge's stored resources over the wire: bus permissions and settings, connections
(secrets never answered), API destinations, global endpoints, partner event sources (none);
AWS's shapes, states and refusals."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from tests.bus.test_archives import _bus, _code, events
from tests.conftest import unique

__all__ = ["events"]  # the fixture shared with test_archives


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
