"""Event source mappings over the Lambda API: boto3 against a real server."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import make_queue, unique

HANDLER = "def handler(event, context):\n    return None\n"


@pytest.fixture(scope="module")
def raw_lambda(server: Any) -> Any:
    """A client that sends what it is given: the server's own checks answer."""
    return server.client("lambda", parameter_validation=False)


def code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def test_create_get_list_update_delete(server, sqs, lambda_client, deploy):
    """A mapping goes Creating -> Enabled, Disabling -> Disabled, Deleting -> gone, with
    AWS's defaults, fields and filters in List."""
    _, arn = make_queue(sqs)
    name = deploy(HANDLER)

    created = lambda_client.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)
    uuid = created["UUID"]
    got = lambda_client.get_event_source_mapping(UUID=uuid)
    by_queue = lambda_client.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    by_function = lambda_client.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]
    updated = lambda_client.update_event_source_mapping(UUID=uuid, BatchSize=5, Enabled=False)
    disabled = lambda_client.get_event_source_mapping(UUID=uuid)
    deleted = lambda_client.delete_event_source_mapping(UUID=uuid)

    assert created["State"] == "Creating"
    assert created["BatchSize"] == 10
    assert created["MaximumBatchingWindowInSeconds"] == 0
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    assert created["EventSourceArn"] == arn
    assert created["FunctionResponseTypes"] == []
    assert created["EventSourceMappingArn"].endswith(f":event-source-mapping:{uuid}")
    assert created["StateTransitionReason"] == "USER_INITIATED"
    assert "LastModified" in created
    assert got["State"] == "Enabled"
    assert [m["UUID"] for m in by_queue] == [uuid]
    assert [m["UUID"] for m in by_function] == [uuid]
    assert updated["State"] == "Disabling"
    assert updated["BatchSize"] == 5
    assert disabled["State"] == "Disabled"
    assert deleted["State"] == "Deleting"
    with pytest.raises(ClientError) as gone:
        lambda_client.get_event_source_mapping(UUID=uuid)
    assert code(gone.value) == "ResourceNotFoundException"


def test_settings_are_kept_and_shown(server, sqs, lambda_client, deploy):
    """FilterCriteria, ScalingConfig, FunctionResponseTypes and a batching window are stored
    and answered as given; an empty ScalingConfig removes the limit."""
    _, arn = make_queue(sqs)
    name = deploy(HANDLER)
    pattern = json.dumps({"body": {"kind": ["order"]}})

    created = lambda_client.create_event_source_mapping(
        EventSourceArn=arn,
        FunctionName=name,
        BatchSize=100,
        MaximumBatchingWindowInSeconds=2,
        FilterCriteria={"Filters": [{"Pattern": pattern}]},
        ScalingConfig={"MaximumConcurrency": 5},
        FunctionResponseTypes=["ReportBatchItemFailures"],
    )
    updated = lambda_client.update_event_source_mapping(UUID=created["UUID"], ScalingConfig={})
    lambda_client.delete_event_source_mapping(UUID=created["UUID"])

    assert created["BatchSize"] == 100
    assert created["MaximumBatchingWindowInSeconds"] == 2
    assert created["FilterCriteria"] == {"Filters": [{"Pattern": pattern}]}
    assert created["ScalingConfig"] == {"MaximumConcurrency": 5}
    assert created["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "ScalingConfig" not in updated
    assert updated["State"] == "Updating"


def test_list_pages_with_marker(server, sqs, lambda_client, deploy):
    """MaxItems and Marker page through the mappings of a function, each once."""
    name = deploy(HANDLER)
    uuids = []
    for _ in range(3):
        _, arn = make_queue(sqs)
        uuids.append(
            lambda_client.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)["UUID"]
        )

    first = lambda_client.list_event_source_mappings(FunctionName=name, MaxItems=2)
    second = lambda_client.list_event_source_mappings(
        FunctionName=name, MaxItems=2, Marker=first["NextMarker"]
    )
    for uuid in uuids:
        lambda_client.delete_event_source_mapping(UUID=uuid)

    assert [m["UUID"] for m in first["EventSourceMappings"]] == uuids[:2]
    assert [m["UUID"] for m in second["EventSourceMappings"]] == uuids[2:]
    assert "NextMarker" not in second


@pytest.mark.parametrize(
    ("fifo", "queue_attributes", "function_config", "mapping", "error"),
    [
        (False, {}, {}, {"BatchSize": 11}, "InvalidParameterValueException"),
        (False, {}, {}, {"BatchSize": 10_001}, "ValidationException"),
        (False, {}, {}, {"BatchSize": 0}, "ValidationException"),
        (False, {}, {}, {"MaximumBatchingWindowInSeconds": 301}, "ValidationException"),
        (True, {}, {}, {"BatchSize": 11, "MaximumBatchingWindowInSeconds": 1},
         "InvalidParameterValueException"),
        (True, {}, {}, {"MaximumBatchingWindowInSeconds": 1}, "InvalidParameterValueException"),
        (False, {}, {}, {"ScalingConfig": {"MaximumConcurrency": 1}}, "ValidationException"),
        (False, {}, {}, {"ScalingConfig": {"MaximumConcurrency": 1001}}, "ValidationException"),
        (False, {}, {}, {"FunctionResponseTypes": ["Everything"]}, "ValidationException"),
        (False, {}, {}, {"FilterCriteria": {"Filters": [{"Pattern": "{not json"}]}},
         "InvalidParameterValueException"),
        (False, {}, {}, {"FilterCriteria": {"Filters": [{"Pattern": "x" * 4097}]}},
         "ValidationException"),
        (False, {}, {}, {"StartingPosition": "LATEST"}, "InvalidParameterValueException"),
        (False, {"VisibilityTimeout": "30"}, {"Timeout": 31}, {},
         "InvalidParameterValueException"),
    ],
)  # fmt: skip
def test_refusals(
    server, sqs, raw_lambda, deploy, fifo, queue_attributes, function_config, mapping, error
):
    """Lambda's refusals, with the codes botocore maps: the model's ranges answer
    ValidationException, Lambda's own rules InvalidParameterValueException."""
    _, arn = make_queue(sqs, unique("bad") + (".fifo" if fifo else ""), **queue_attributes)
    name = deploy(HANDLER, **function_config)

    with pytest.raises(ClientError) as refused:
        raw_lambda.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, **mapping)

    assert code(refused.value) == error
    assert raw_lambda.list_event_source_mappings(FunctionName=name)["EventSourceMappings"] == []


def test_missing_things_and_duplicates(server, sqs, lambda_client, deploy):
    """A missing function is ResourceNotFoundException, a missing queue
    InvalidParameterValueException, a second mapping of one queue to one function
    ResourceConflictException, an unknown UUID ResourceNotFoundException; an update that
    would make the function outlast the queue's visibility timeout is refused."""
    _, arn = make_queue(sqs, VisibilityTimeout="5")
    name = deploy(HANDLER)
    slow = deploy(HANDLER, Timeout=10)
    missing_queue = arn + "-missing"

    with pytest.raises(ClientError) as no_function:
        lambda_client.create_event_source_mapping(EventSourceArn=arn, FunctionName="nope-fn")
    with pytest.raises(ClientError) as no_queue:
        lambda_client.create_event_source_mapping(EventSourceArn=missing_queue, FunctionName=name)
    uuid = lambda_client.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)["UUID"]
    with pytest.raises(ClientError) as duplicate:
        lambda_client.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)
    with pytest.raises(ClientError) as too_slow:
        lambda_client.update_event_source_mapping(UUID=uuid, FunctionName=slow)
    with pytest.raises(ClientError) as no_uuid:
        lambda_client.get_event_source_mapping(UUID="00000000-0000-0000-0000-000000000000")
    lambda_client.delete_event_source_mapping(UUID=uuid)

    assert code(no_function.value) == "ResourceNotFoundException"
    assert code(no_queue.value) == "InvalidParameterValueException"
    assert code(duplicate.value) == "ResourceConflictException"
    assert uuid in duplicate.value.response["Error"]["Message"]
    assert code(too_slow.value) == "InvalidParameterValueException"
    assert "Function timeout: 10 seconds" in too_slow.value.response["Error"]["Message"]
    assert code(no_uuid.value) == "ResourceNotFoundException"


def test_qualified_functions_and_moving_a_mapping(server, sqs, lambda_client, deploy):
    """A mapping may name an alias (FunctionArn carries it; List by the bare name finds it,
    by another qualifier not); Update may move it to another function."""
    _, arn = make_queue(sqs)
    name = deploy(HANDLER)
    other = deploy(HANDLER)
    version = lambda_client.publish_version(FunctionName=name)["Version"]
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion=version)

    created = lambda_client.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=f"{name}:live"
    )
    by_name = lambda_client.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]
    by_other_alias = lambda_client.list_event_source_mappings(FunctionName=f"{name}:dev")[
        "EventSourceMappings"
    ]
    moved = lambda_client.update_event_source_mapping(UUID=created["UUID"], FunctionName=other)
    lambda_client.delete_event_source_mapping(UUID=created["UUID"])

    assert created["FunctionArn"].endswith(f":function:{name}:live")
    assert [m["UUID"] for m in by_name] == [created["UUID"]]
    assert by_other_alias == []
    assert moved["FunctionArn"].endswith(f":function:{other}")
