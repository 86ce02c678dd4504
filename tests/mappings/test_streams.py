"""DynamoDB stream mappings, end to end: items written with boto3 reach a real function
through a mapping, in AWS's record shape and order, with retries, partial failures,
bisection, discards to an on-failure queue, filters and tumbling windows."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.parser.models import (
    DynamoDBStreamLambdaOnFailureDestinationModel,
    DynamoDBStreamModel,
)
from botocore.exceptions import ClientError
from tests.conftest import make_queue, unique, wait_for
from tests.mappings.test_polling import events

# Writes each event to a file of its own in $OUT; MODE decides what it answers:
# "ok" success; "raise" fails when any record's NewImage has fail=true; "report" names
# those records' SequenceNumbers; "bad" reports an unknown identifier; "window" counts
# records into the tumbling window's state. SLEEP: seconds each invocation takes first.
STREAM_RECORDER = """
import json, os, time

def handler(event, context):
    time.sleep(float(os.environ.get("SLEEP", "0")))
    name = f"{time.time_ns()}-{context.aws_request_id}.json"
    with open(os.path.join(os.environ["OUT"], name), "w") as out:
        out.write(json.dumps(event))
    mode = os.environ.get("MODE", "ok")
    failing = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]
               if r["dynamodb"].get("NewImage", {}).get("fail", {}).get("BOOL")]
    if mode == "raise" and failing:
        raise RuntimeError("a record failed")
    if mode == "report":
        return {"batchItemFailures": [{"itemIdentifier": s} for s in failing]}
    if mode == "bad" and failing:
        return {"batchItemFailures": [{"itemIdentifier": "nope"}]}
    if mode == "window":
        state = dict(event.get("state") or {})
        state["count"] = state.get("count", 0) + len(event["Records"])
        return {"state": state}
    return None
"""


@pytest.fixture(scope="module")
def dynamodb(server: Any) -> Any:
    return server.client("dynamodb")


def make_table(dynamodb: Any, view: str = "NEW_AND_OLD_IMAGES") -> tuple[str, str]:
    name = unique("t")
    described = dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
    )["TableDescription"]
    return name, described["LatestStreamArn"]


def put(dynamodb: Any, table: str, key: str, **attributes: Any) -> None:
    item = {"id": {"S": key}}
    for name, value in attributes.items():
        item[name] = {"BOOL": value} if isinstance(value, bool) else {"S": str(value)}
    dynamodb.put_item(TableName=table, Item=item)


def keys(out: Path) -> list[str]:
    return [r["dynamodb"]["Keys"]["id"]["S"] for e in events(out) for r in e.get("Records", [])]


def recorder(deploy: Any, out: Path, mode: str = "ok") -> str:
    return str(deploy(STREAM_RECORDER, Environment={"Variables": {"OUT": str(out), "MODE": mode}}))


def code(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def test_records_reach_the_function_in_order_in_aws_shape(
    server, dynamodb, lambda_client, deploy, shared_dir
):
    """Inserts, changes and removals reach the function once each, in order, in the record
    shape AWS sends (Powertools' model parses it), with the mapping's stream defaults."""
    table, stream = make_table(dynamodb)
    put(dynamodb, table, "before")  # TRIM_HORIZON: records already there count
    name = recorder(deploy, shared_dir)
    created = lambda_client.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=name, StartingPosition="TRIM_HORIZON"
    )
    for i in range(5):
        put(dynamodb, table, f"k{i}", n=i)
    dynamodb.update_item(
        TableName=table,
        Key={"id": {"S": "k0"}},
        UpdateExpression="SET n = :n",
        ExpressionAttributeValues={":n": {"S": "changed"}},
    )
    dynamodb.delete_item(TableName=table, Key={"id": {"S": "k1"}})

    assert wait_for(lambda: len(keys(shared_dir)) >= 8, timeout=30)
    got = [r for e in events(shared_dir) for r in e["Records"]]
    mapping = lambda_client.get_event_source_mapping(UUID=created["UUID"])

    assert created["State"] == "Creating"
    assert created["StartingPosition"] == "TRIM_HORIZON"
    assert created["BatchSize"] == 100
    assert created["MaximumRetryAttempts"] == -1
    assert created["MaximumRecordAgeInSeconds"] == -1
    assert created["ParallelizationFactor"] == 1
    assert created["BisectBatchOnFunctionError"] is False
    assert created["TumblingWindowInSeconds"] == 0
    assert created["DestinationConfig"] == {"OnFailure": {}}
    assert mapping["State"] == "Enabled"
    assert created["LastProcessingResult"] == "No records processed"
    assert mapping["LastProcessingResult"] == "OK"
    assert keys(shared_dir) == ["before", "k0", "k1", "k2", "k3", "k4", "k0", "k1"]
    assert [r["eventName"] for r in got] == ["INSERT"] * 6 + ["MODIFY", "REMOVE"]
    sequence = [int(r["dynamodb"]["SequenceNumber"]) for r in got]
    assert sequence == sorted(sequence)
    first = got[6]
    assert list(first) == [
        "eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "dynamodb",
        "eventSourceARN",
    ]  # fmt: skip
    assert first["eventVersion"] == "1.1"
    assert first["eventSource"] == "aws:dynamodb"
    assert first["awsRegion"] == "us-east-1"
    assert first["eventSourceARN"] == stream
    assert first["dynamodb"]["NewImage"]["n"] == {"S": "changed"}
    assert first["dynamodb"]["OldImage"]["n"] == {"S": "0"}
    assert first["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert isinstance(first["dynamodb"]["ApproximateCreationDateTime"], int)
    assert first["dynamodb"]["SizeBytes"] > 0
    for event in events(shared_dir):
        DynamoDBStreamModel.model_validate(event)


def test_latest_starts_after_what_the_stream_holds(
    server, dynamodb, lambda_client, deploy, shared_dir
):
    """LATEST: only changes made after the mapping was created reach the function."""
    table, stream = make_table(dynamodb)
    put(dynamodb, table, "old")
    name = recorder(deploy, shared_dir)
    lambda_client.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=name, StartingPosition="LATEST"
    )
    put(dynamodb, table, "new")

    assert wait_for(lambda: keys(shared_dir) == ["new"], timeout=30)


def test_bad_parameters_are_refused_as_aws_refuses_them(server, dynamodb, lambda_client, deploy):
    """StartingPosition required (AT_TIMESTAMP refused), ranges, record age 1-59, members
    of other sources, missing streams and FIFO destinations answer Lambda's errors."""
    _, stream = make_table(dynamodb)
    name = deploy("def handler(event, context):\n    return None\n")
    _, fifo_arn = make_queue(server.client("sqs"), unique("f") + ".fifo")
    raw = server.client("lambda", parameter_validation=False)

    def refused(client: Any = lambda_client, **params: Any) -> str:
        with pytest.raises(ClientError) as caught:
            client.create_event_source_mapping(EventSourceArn=stream, FunctionName=name, **params)
        return code(caught.value)

    assert refused() == "InvalidParameterValueException"
    assert refused(StartingPosition="AT_TIMESTAMP") == "InvalidParameterValueException"
    assert refused(raw, StartingPosition="LATEST", BatchSize=10_001) == "ValidationException"
    assert refused(raw, StartingPosition="LATEST", ParallelizationFactor=11) == (
        "ValidationException"
    )
    assert refused(raw, StartingPosition="LATEST", MaximumRetryAttempts=-2) == (
        "ValidationException"
    )
    assert refused(StartingPosition="LATEST", MaximumRecordAgeInSeconds=30) == (
        "InvalidParameterValueException"
    )
    assert refused(raw, StartingPosition="LATEST", TumblingWindowInSeconds=901) == (
        "ValidationException"
    )
    assert refused(StartingPosition="LATEST", ScalingConfig={"MaximumConcurrency": 5}) == (
        "InvalidParameterValueException"
    )
    assert refused(
        StartingPosition="LATEST",
        DestinationConfig={"OnFailure": {"Destination": fifo_arn}},
    ) == ("InvalidParameterValueException")
    with pytest.raises(ClientError) as missing:
        lambda_client.create_event_source_mapping(
            EventSourceArn=stream.replace("/stream/", "/stream/x"),
            FunctionName=name,
            StartingPosition="LATEST",
        )
    assert code(missing.value) == "InvalidParameterValueException"
    made = lambda_client.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=name, StartingPosition="LATEST"
    )
    with pytest.raises(ClientError) as twice:
        lambda_client.create_event_source_mapping(
            EventSourceArn=stream, FunctionName=name, StartingPosition="LATEST"
        )
    assert code(twice.value) == "ResourceConflictException"
    assert made["UUID"] in str(twice.value)
    lambda_client.delete_event_source_mapping(UUID=made["UUID"])


def test_report_batch_item_failures_checkpoints_at_the_lowest_failure(
    server, dynamodb, lambda_client, deploy, shared_dir
):
    """A reported failure retries from the lowest failed record on; past
    MaximumRetryAttempts the rest is described to the on-failure queue (AWS's record, with
    DDBStreamBatchInfo) and the shard moves on."""
    sqs = server.client("sqs")
    dlq_url, dlq_arn = make_queue(sqs)
    table, stream = make_table(dynamodb)
    for key in ("r1", "r2", "r3"):
        put(dynamodb, table, key, fail=key == "r2")
    name = recorder(deploy, shared_dir, "report")
    lambda_client.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName=name,
        StartingPosition="TRIM_HORIZON",
        FunctionResponseTypes=["ReportBatchItemFailures"],
        MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
    )

    messages: list[dict[str, Any]] = []

    def arrived() -> bool:
        messages.extend(
            sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1).get("Messages", [])
        )
        return bool(messages)

    assert wait_for(arrived, timeout=40)
    put(dynamodb, table, "r4")
    assert wait_for(lambda: keys(shared_dir)[-1:] == ["r4"], timeout=30)
    body = json.loads(messages[0]["Body"])
    batches = [[r["dynamodb"]["Keys"]["id"]["S"] for r in e["Records"]] for e in events(shared_dir)]
    parsed = DynamoDBStreamLambdaOnFailureDestinationModel.model_validate(body)

    assert batches[0] == ["r1", "r2", "r3"]
    assert batches[1:3] == [["r2", "r3"], ["r2", "r3"]]  # retried from the failure on
    assert batches[3] == ["r4"]
    assert body["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert body["requestContext"]["approximateInvokeCount"] == 3
    info = body["DDBStreamBatchInfo"]
    assert info["batchSize"] == 2
    assert info["streamArn"] == stream
    assert info["startSequenceNumber"] < info["endSequenceNumber"]
    assert parsed.ddb_stream_batch_info.shard_id == info["shardId"]


def test_unknown_identifier_fails_the_whole_batch(
    server, dynamodb, lambda_client, deploy, shared_dir
):
    """An itemIdentifier that names no record of the batch fails all of it, as on AWS."""
    table, stream = make_table(dynamodb)
    put(dynamodb, table, "a")
    put(dynamodb, table, "b", fail=True)
    name = recorder(deploy, shared_dir, "bad")
    lambda_client.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName=name,
        StartingPosition="TRIM_HORIZON",
        FunctionResponseTypes=["ReportBatchItemFailures"],
        MaximumRetryAttempts=1,
    )

    assert wait_for(lambda: len(events(shared_dir)) >= 2, timeout=30)
    batches = [[r["dynamodb"]["Keys"]["id"]["S"] for r in e["Records"]] for e in events(shared_dir)]
    assert batches[:2] == [["a", "b"], ["a", "b"]]


def test_bisect_isolates_the_failing_record(server, dynamodb, lambda_client, deploy, shared_dir):
    """BisectBatchOnFunctionError halves a failing batch until the bad record is alone;
    the others succeed, and only the bad one is discarded (MaximumRetryAttempts)."""
    sqs = server.client("sqs")
    dlq_url, dlq_arn = make_queue(sqs)
    table, stream = make_table(dynamodb)
    for key in ("a", "b", "c", "d"):
        put(dynamodb, table, key, fail=key == "c")
    name = recorder(deploy, shared_dir, "raise")
    lambda_client.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName=name,
        StartingPosition="TRIM_HORIZON",
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=3,
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
    )

    messages: list[dict[str, Any]] = []

    def arrived() -> bool:
        messages.extend(
            sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1).get("Messages", [])
        )
        return bool(messages)

    assert wait_for(arrived, timeout=40)
    assert wait_for(lambda: keys(shared_dir)[-1:] == ["d"], timeout=30)
    batches = [[r["dynamodb"]["Keys"]["id"]["S"] for r in e["Records"]] for e in events(shared_dir)]
    info = json.loads(messages[0]["Body"])["DDBStreamBatchInfo"]

    assert batches[0] == ["a", "b", "c", "d"]
    assert ["a", "b"] in batches
    assert ["c"] in batches
    assert ["d"] in batches
    assert info["batchSize"] == 1


def test_filters_pass_over_records_that_do_not_match(
    server, dynamodb, lambda_client, deploy, shared_dir
):
    """FilterCriteria on the record (eventName, NewImage) keeps only matching records."""
    table, stream = make_table(dynamodb)
    name = recorder(deploy, shared_dir)
    pattern = {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"kind": {"S": ["photo"]}}}}
    lambda_client.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName=name,
        StartingPosition="TRIM_HORIZON",
        FilterCriteria={"Filters": [{"Pattern": json.dumps(pattern)}]},
    )
    put(dynamodb, table, "p1", kind="photo")
    put(dynamodb, table, "d1", kind="doc")
    put(dynamodb, table, "p1", kind="photo", extra="x")  # a MODIFY: dropped
    put(dynamodb, table, "p2", kind="photo")

    assert wait_for(lambda: keys(shared_dir) == ["p1", "p2"], timeout=60)


def test_update_and_disable(server, dynamodb, lambda_client, deploy, shared_dir):
    """Update changes the stream settings in place; a disabled mapping reads nothing, and
    enabled again it resumes from its checkpoint."""
    table, stream = make_table(dynamodb)
    name = recorder(deploy, shared_dir)
    uuid = lambda_client.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=name, StartingPosition="LATEST"
    )["UUID"]
    put(dynamodb, table, "one")
    assert wait_for(lambda: keys(shared_dir) == ["one"], timeout=30)

    updated = lambda_client.update_event_source_mapping(
        UUID=uuid, Enabled=False, MaximumRetryAttempts=5, ParallelizationFactor=2
    )
    put(dynamodb, table, "two")
    assert not wait_for(lambda: len(keys(shared_dir)) > 1, timeout=2)
    lambda_client.update_event_source_mapping(UUID=uuid, Enabled=True)

    assert wait_for(lambda: keys(shared_dir) == ["one", "two"], timeout=30)
    assert updated["State"] == "Disabling"
    assert updated["MaximumRetryAttempts"] == 5
    assert updated["ParallelizationFactor"] == 2
    assert updated["StartingPosition"] == "LATEST"


def test_tumbling_window_carries_state_and_ends_with_a_final_invoke(
    server, dynamodb, lambda_client, deploy, shared_dir
):
    """Each invoke of a window gets the state the last one answered; when the window's
    end passes, a final invoke (no records, isFinalInvokeForWindow) gets the total."""
    table, stream = make_table(dynamodb)
    name = recorder(deploy, shared_dir, "window")
    lambda_client.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName=name,
        StartingPosition="TRIM_HORIZON",
        TumblingWindowInSeconds=120,
        BatchSize=2,
    )
    for key in ("w1", "w2", "w3"):
        put(dynamodb, table, key)
    assert wait_for(lambda: len(keys(shared_dir)) == 3, timeout=30)
    assert not any(e["isFinalInvokeForWindow"] for e in events(shared_dir))

    server.advance(240)  # the window's end passes (on the server's clock)

    assert wait_for(lambda: events(shared_dir)[-1]["isFinalInvokeForWindow"], timeout=30)
    got = events(shared_dir)
    final = got[-1]
    sizes = [len(e["Records"]) for e in got]
    assert sizes[-1] == 0
    assert sum(sizes) == 3
    assert max(sizes) <= 2  # BatchSize
    assert got[0]["state"] == {}
    for at, event in enumerate(got[1:], start=1):  # each carries the state answered last
        assert event["state"] == {"count": sum(sizes[:at])}
    assert final["state"] == {"count": 3}
    assert final["Records"] == []
    assert final["window"]["start"] < final["window"]["end"]
    assert final["shardId"].startswith("shardId-")
    assert final["eventSourceARN"] == stream
    assert final["isWindowTerminatedEarly"] is False


def test_records_past_their_maximum_age_are_discarded(
    server, dynamodb, lambda_client, deploy, shared_dir
):
    """A failing record is retried until it is older than MaximumRecordAgeInSeconds (on
    the server's clock), then described to the on-failure queue with RecordAgeExceeded."""
    sqs = server.client("sqs")
    dlq_url, dlq_arn = make_queue(sqs)
    table, stream = make_table(dynamodb)
    put(dynamodb, table, "old", fail=True)
    name = recorder(deploy, shared_dir, "raise")
    lambda_client.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName=name,
        StartingPosition="TRIM_HORIZON",
        MaximumRecordAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": dlq_arn}},
    )
    assert wait_for(lambda: len(events(shared_dir)) >= 2, timeout=30)  # retried
    server.advance(61)

    messages: list[dict[str, Any]] = []

    def arrived() -> bool:
        found = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1).get("Messages", [])
        messages.extend(found)
        return bool(messages)

    assert wait_for(arrived, timeout=30)
    put(dynamodb, table, "fresh")  # the shard moved on past the discarded record

    assert wait_for(lambda: keys(shared_dir)[-1:] == ["fresh"], timeout=30)
    assert sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=1).get("Messages", []) == []
    body = json.loads(messages[0]["Body"])
    assert body["requestContext"]["condition"] == "RecordAgeExceeded"
    assert body["DDBStreamBatchInfo"]["batchSize"] == 1


def test_parallelization_keeps_each_items_changes_in_order(
    server, dynamodb, lambda_client, deploy, shared_dir
):
    """ParallelizationFactor splits the shard by item key: every change arrives, and the
    changes of one item arrive in the order they were made."""
    table, stream = make_table(dynamodb)
    name = recorder(deploy, shared_dir)
    lambda_client.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName=name,
        StartingPosition="TRIM_HORIZON",
        ParallelizationFactor=3,
        BatchSize=2,
    )
    for version in range(4):
        for key in ("a", "b", "c", "d", "e"):
            put(dynamodb, table, key, v=version)

    def versions() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for event in events(shared_dir):
            for r in event["Records"]:
                image = r["dynamodb"]["NewImage"]
                found.setdefault(image["id"]["S"], []).append(image["v"]["S"])
        return found

    assert wait_for(lambda: sum(len(v) for v in versions().values()) == 20, timeout=60)
    assert versions() == {key: ["0", "1", "2", "3"] for key in "abcde"}
    assert all(len(e["Records"]) <= 2 for e in events(shared_dir))  # BatchSize, per lane


def test_ttl_deletions_reach_the_function_as_the_services(
    server, dynamodb, lambda_client, deploy, shared_dir
):
    """An item removed by TTL reaches the function as a REMOVE with the service's
    userIdentity, as Lambda spells it (type, principalId)."""
    table, stream = make_table(dynamodb, "OLD_IMAGE")
    dynamodb.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"}
    )
    name = recorder(deploy, shared_dir)
    lambda_client.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=name, StartingPosition="LATEST"
    )
    now = int(server.clock.now())
    dynamodb.put_item(TableName=table, Item={"id": {"S": "gone"}, "exp": {"N": str(now - 1)}})
    assert wait_for(lambda: keys(shared_dir) == ["gone"], timeout=30)

    server.advance(61)  # the sweep deletes it

    assert wait_for(lambda: keys(shared_dir) == ["gone", "gone"], timeout=30)
    removed = events(shared_dir)[-1]["Records"][0]
    assert removed["eventName"] == "REMOVE"
    assert removed["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    assert removed["dynamodb"]["OldImage"]["id"] == {"S": "gone"}
    DynamoDBStreamModel.model_validate(events(shared_dir)[-1])


def test_a_failing_mapping_stops_when_disabled_and_resumes_the_batch(
    server, dynamodb, lambda_client, deploy, shared_dir
):
    """A batch retried without end (MaximumRetryAttempts -1) stops being retried when the
    mapping is disabled, and comes again, not skipped, once it is enabled."""
    table, stream = make_table(dynamodb)
    put(dynamodb, table, "stuck", fail=True)
    name = recorder(deploy, shared_dir, "raise")
    uuid = lambda_client.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=name, StartingPosition="TRIM_HORIZON"
    )["UUID"]
    assert wait_for(lambda: len(events(shared_dir)) >= 2, timeout=30)

    lambda_client.update_event_source_mapping(UUID=uuid, Enabled=False)
    time.sleep(6)  # a retry under way when disabled finishes (backoff at most 5 s)
    stopped_at = len(events(shared_dir))
    assert not wait_for(lambda: len(events(shared_dir)) > stopped_at, timeout=6)
    fixed = recorder(deploy, shared_dir, "ok")
    lambda_client.update_event_source_mapping(UUID=uuid, Enabled=True, FunctionName=fixed)

    assert wait_for(lambda: len(events(shared_dir)) == stopped_at + 1, timeout=30)
    assert keys(shared_dir)[-1] == "stuck"
    assert lambda_client.get_event_source_mapping(UUID=uuid)["LastProcessingResult"] == "OK"


def test_a_batching_window_gathers_records_into_one_batch(
    server, dynamodb, lambda_client, deploy, shared_dir
):
    """With MaximumBatchingWindowInSeconds, records written one by one within the window
    reach the function together, up to BatchSize."""
    table, stream = make_table(dynamodb)
    name = recorder(deploy, shared_dir)
    lambda_client.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName=name,
        StartingPosition="LATEST",
        BatchSize=3,
        MaximumBatchingWindowInSeconds=5,
    )
    for key in ("x", "y", "z", "later"):
        put(dynamodb, table, key)

    assert wait_for(lambda: len(keys(shared_dir)) == 4, timeout=30)
    assert [len(e["Records"]) for e in events(shared_dir)] == [3, 1]


def test_discards_go_to_a_topic_too(server, dynamodb, lambda_client, deploy, shared_dir):
    """An on-failure topic gets the failure record as its message (here read through a
    queue subscribed with raw delivery); with MaximumRetryAttempts 0 after one invoke."""
    sns, sqs = server.client("sns"), server.client("sqs")
    topic = sns.create_topic(Name=unique("failures"))["TopicArn"]
    url, queue_arn = make_queue(sqs)
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    table, stream = make_table(dynamodb)
    put(dynamodb, table, "bad", fail=True)
    name = recorder(deploy, shared_dir, "raise")
    lambda_client.create_event_source_mapping(
        EventSourceArn=stream,
        FunctionName=name,
        StartingPosition="TRIM_HORIZON",
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": topic}},
    )

    messages: list[dict[str, Any]] = []

    def arrived() -> bool:
        messages.extend(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []))
        return bool(messages)

    assert wait_for(arrived, timeout=30)
    body = json.loads(messages[0]["Body"])
    assert body["requestContext"]["approximateInvokeCount"] == 1
    assert body["responseContext"]["functionError"] == "Unhandled"
    assert len(events(shared_dir)) == 1
