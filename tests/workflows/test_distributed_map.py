"""Distributed Map over the wire: boto3's `stepfunctions` and `s3` clients against a real
server. Items from the state input or from object storage (JSON, JSONL, CSV, inventory
manifest, listing), ItemSelector and ItemBatcher, child executions (STANDARD listed by
mapRunArn, EXPRESS not), MaxConcurrency, tolerated failures, ResultWriter's files, the Map
Runs API, StopExecution and redrive."""

from __future__ import annotations

import csv
import gzip
import io
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import unique

ROLE = "arn:aws:iam::000000000000:role/sfn"


@pytest.fixture(scope="module")
def sfn(server: Any) -> Any:
    return server.client("stepfunctions")


@pytest.fixture(scope="module")
def s3(server: Any) -> Any:
    return server.client("s3")


@pytest.fixture
def bucket(s3: Any) -> str:
    name = unique("dmap")
    s3.create_bucket(Bucket=name)
    return name


def distributed(
    processor_states: dict[str, Any] | None = None,
    execution_type: str = "STANDARD",
    **fields: Any,
) -> dict[str, Any]:
    """A machine whose one state is a distributed Map (processor: a Pass doubling nothing
    unless given states)."""
    states = processor_states or {"Echo": {"Type": "Pass", "End": True}}
    return {
        "StartAt": "Map",
        "States": {
            "Map": {
                "Type": "Map",
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": execution_type},
                    "StartAt": next(iter(states)),
                    "States": states,
                },
                "End": True,
                **fields,
            }
        },
    }


def make_machine(sfn: Any, definition: dict[str, Any]) -> str:
    arn: str = sfn.create_state_machine(
        name=unique("dm"), definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]
    return arn


def run(server: Any, sfn: Any, machine: str, payload: Any = None) -> dict[str, Any]:
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps(payload or {}))[
        "executionArn"
    ]
    server.wait_idle()
    return sfn.describe_execution(executionArn=arn)  # type: ignore[no-any-return]


def types(sfn: Any, arn: str) -> list[str]:
    events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return [e["type"] for e in events]


def map_run_of(sfn: Any, execution: str) -> str:
    runs = sfn.list_map_runs(executionArn=execution)["mapRuns"]
    assert len(runs) == 1
    return str(runs[0]["mapRunArn"])


def test_items_from_the_input_run_as_child_executions_listed_by_map_run(server, sfn):
    machine = make_machine(
        sfn,
        distributed(
            {
                "Double": {
                    "Type": "Pass",
                    "Parameters": {"twice.$": "States.MathAdd($.n, $.n)"},
                    "End": True,
                }
            },
            ItemsPath="$.numbers",
            ItemSelector={"n.$": "$$.Map.Item.Value", "index.$": "$$.Map.Item.Index"},
            Label="Doubler",
        ),
    )

    done = run(server, sfn, machine, {"numbers": [1, 2, 3]})
    execution = done["executionArn"]
    map_run = map_run_of(sfn, execution)
    described = sfn.describe_map_run(mapRunArn=map_run)
    children = sfn.list_executions(mapRunArn=map_run)["executions"]
    history = types(sfn, execution)

    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == [{"twice": 2}, {"twice": 4}, {"twice": 6}]
    machine_name = machine.rsplit(":", 1)[1]
    assert map_run.startswith(
        f"arn:aws:states:us-east-1:000000000000:mapRun:{machine_name}/Doubler:"
    )
    assert described["status"] == "SUCCEEDED"
    assert described["executionArn"] == execution
    assert described["itemCounts"]["succeeded"] == 3
    assert described["itemCounts"]["total"] == 3
    assert described["executionCounts"]["succeeded"] == 3
    assert len(children) == 3
    assert {c["status"] for c in children} == {"SUCCEEDED"}
    assert all(c["mapRunArn"] == map_run for c in children)
    assert all(
        c["stateMachineArn"].endswith(f":stateMachine:{machine_name}/Doubler") for c in children
    )
    child = sfn.describe_execution(executionArn=children[0]["executionArn"])
    assert set(json.loads(child["input"])) == {"n", "index"}
    assert child["mapRunArn"] == map_run
    processor = sfn.describe_state_machine_for_execution(executionArn=child["executionArn"])
    assert json.loads(processor["definition"])["StartAt"] == "Double"
    assert (processor["label"], processor["mapRunArn"]) == ("Doubler", map_run)
    assert processor["roleArn"] == ROLE
    assert history == [
        "ExecutionStarted",
        "MapStateEntered",
        "MapRunStarted",
        "MapRunSucceeded",
        "MapStateExited",
        "ExecutionSucceeded",
    ]
    started = next(
        e
        for e in sfn.get_execution_history(executionArn=execution)["events"]
        if e["type"] == "MapRunStarted"
    )
    assert started["mapRunStartedEventDetails"]["mapRunArn"] == map_run


def test_express_children_run_and_are_not_listed(server, sfn):
    machine = make_machine(
        sfn,
        distributed(
            {
                "Up": {
                    "Type": "Pass",
                    "Parameters": {"v.$": "States.StringToJson('1')"},
                    "End": True,
                }
            },
            execution_type="EXPRESS",
        ),
    )

    done = run(server, sfn, machine, list(range(120)))
    map_run = map_run_of(sfn, done["executionArn"])
    described = sfn.describe_map_run(mapRunArn=map_run)

    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == [{"v": 1}] * 120
    assert described["executionCounts"]["succeeded"] == 120
    assert sfn.list_executions(mapRunArn=map_run)["executions"] == []


def test_csv_items_from_object_storage_in_batches(server, sfn, s3, bucket):
    rows = io.StringIO()
    writer = csv.writer(rows)
    writer.writerow(["id", "name"])
    for i in range(7):
        writer.writerow([i, f"n{i}"])
    s3.put_object(Bucket=bucket, Key="in/data.csv", Body=rows.getvalue().encode())
    machine = make_machine(
        sfn,
        distributed(
            ItemReader={
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW"},
                "Parameters": {"Bucket.$": "$.bucket", "Key": "in/data.csv"},
            },
            ItemBatcher={"MaxItemsPerBatch": 3, "BatchInput": {"job.$": "$.job"}},
        ),
    )

    done = run(server, sfn, machine, {"bucket": bucket, "job": "j1"})
    described = sfn.describe_map_run(mapRunArn=map_run_of(sfn, done["executionArn"]))

    assert done["status"] == "SUCCEEDED"
    output = json.loads(done["output"])
    assert [len(batch["Items"]) for batch in output] == [3, 3, 1]
    assert output[0] == {
        "BatchInput": {"job": "j1"},
        "Items": [{"id": "0", "name": "n0"}, {"id": "1", "name": "n1"}, {"id": "2", "name": "n2"}],
    }
    assert described["itemCounts"]["total"] == 7
    assert described["executionCounts"]["total"] == 3


@pytest.mark.parametrize(
    ("body", "config", "expected"),
    [
        (b'[{"a": 1}, {"a": 2}, {"a": 3}]', {"InputType": "JSON"}, [{"a": 1}, {"a": 2}]),
        (b'{"a": 1}\n{"a": 2}\n\n{"a": 3}\n', {"InputType": "JSONL"}, [{"a": 1}, {"a": 2}]),
        (
            b"1|x\n2|y\n3|z\n",
            {
                "InputType": "CSV",
                "CSVHeaderLocation": "GIVEN",
                "CSVHeaders": ["n", "c"],
                "CSVDelimiter": "PIPE",
            },
            [{"n": "1", "c": "x"}, {"n": "2", "c": "y"}],
        ),
    ],
)
def test_reader_input_types_and_max_items(server, sfn, s3, bucket, body, config, expected):
    s3.put_object(Bucket=bucket, Key="items", Body=body)
    machine = make_machine(
        sfn,
        distributed(
            ItemReader={
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {**config, "MaxItems": 2},
                "Parameters": {"Bucket": bucket, "Key": "items"},
            }
        ),
    )

    done = run(server, sfn, machine)

    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == expected


def test_an_s3_inventory_manifest_and_a_listing_are_read(server, sfn, s3, bucket):
    inventory = "b,k1,10\nb,k2,20\n"
    s3.put_object(Bucket=bucket, Key="inv/data/1.csv.gz", Body=gzip.compress(inventory.encode()))
    manifest = {
        "sourceBucket": "b",
        "destinationBucket": f"arn:aws:s3:::{bucket}",
        "fileFormat": "CSV",
        "fileSchema": "Bucket, Key, Size",
        "files": [{"key": "inv/data/1.csv.gz", "size": 20, "MD5checksum": "x"}],
    }
    s3.put_object(Bucket=bucket, Key="inv/manifest.json", Body=json.dumps(manifest).encode())
    for key in ("photos/a.jpg", "photos/b.jpg", "other/c.jpg"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"12345")
    by_manifest = make_machine(
        sfn,
        distributed(
            ItemReader={
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "MANIFEST"},
                "Parameters": {"Bucket": bucket, "Key": "inv/manifest.json"},
            }
        ),
    )
    by_listing = make_machine(
        sfn,
        distributed(
            ItemReader={
                "Resource": "arn:aws:states:::s3:listObjectsV2",
                "Parameters": {"Bucket": bucket, "Prefix": "photos/"},
            }
        ),
    )

    from_manifest = run(server, sfn, by_manifest)
    from_listing = run(server, sfn, by_listing)

    assert json.loads(from_manifest["output"]) == [
        {"Bucket": "b", "Key": "k1", "Size": "10"},
        {"Bucket": "b", "Key": "k2", "Size": "20"},
    ]
    listed = json.loads(from_listing["output"])
    assert [item["Key"] for item in listed] == ["photos/a.jpg", "photos/b.jpg"]
    assert listed[0]["Size"] == 5
    assert set(listed[0]) == {"Etag", "Key", "LastModified", "Size", "StorageClass"}


def test_a_missing_object_is_item_reader_failed_and_catchable(server, sfn, bucket):
    definition = distributed(
        ItemReader={
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSON"},
            "Parameters": {"Bucket": bucket, "Key": "nothing-here.json"},
        }
    )
    machine = make_machine(sfn, definition)

    done = run(server, sfn, machine)
    history = types(sfn, done["executionArn"])

    assert done["status"] == "FAILED"
    assert done["error"] == "States.ItemReaderFailed"
    assert "NoSuchKey" in done["cause"]
    assert "MapRunFailed" in history
    described = sfn.describe_map_run(mapRunArn=map_run_of(sfn, done["executionArn"]))
    assert described["status"] == "FAILED"


FAIL_ON_NEGATIVE = {
    "Check": {
        "Type": "Choice",
        "Choices": [{"Variable": "$", "NumericLessThan": 0, "Next": "Bad"}],
        "Default": "Good",
    },
    "Bad": {"Type": "Fail", "Error": "Negative", "Cause": "below zero"},
    "Good": {"Type": "Succeed"},
}


def test_failures_past_the_tolerated_count_fail_the_map_run(server, sfn):
    tolerant = make_machine(sfn, distributed(FAIL_ON_NEGATIVE, ToleratedFailureCount=1))
    strict = make_machine(sfn, distributed(FAIL_ON_NEGATIVE, ToleratedFailurePercentage=10))

    passed = run(server, sfn, tolerant, [1, -1, 2])
    failed = run(server, sfn, strict, [1, -1, 2])
    map_run = map_run_of(sfn, failed["executionArn"])
    described = sfn.describe_map_run(mapRunArn=map_run)
    failed_children = sfn.list_executions(mapRunArn=map_run, statusFilter="FAILED")["executions"]

    assert passed["status"] == "SUCCEEDED"
    # A failed child's result is its execution's description (AWS: failed children are
    # returned unchanged, as with Transformation NONE).
    tolerated = json.loads(passed["output"])[1]
    assert (tolerated["Status"], tolerated["Error"], tolerated["Cause"]) == (
        "FAILED",
        "Negative",
        "below zero",
    )
    assert tolerated["Input"] == "-1"
    assert failed["status"] == "FAILED"
    assert failed["error"] == "States.ExceedToleratedFailureThreshold"
    assert described["status"] == "FAILED"
    assert described["toleratedFailurePercentage"] == 10.0
    assert described["itemCounts"]["failed"] == 1
    assert len(failed_children) == 1
    assert "MapRunFailed" in types(sfn, failed["executionArn"])


def test_result_writer_writes_the_manifest_and_result_files(server, sfn, s3, bucket):
    machine = make_machine(
        sfn,
        distributed(
            FAIL_ON_NEGATIVE,
            ToleratedFailureCount=5,
            ResultWriter={
                "Resource": "arn:aws:states:::s3:putObject",
                "Parameters": {"Bucket": bucket, "Prefix": "results"},
            },
        ),
    )

    done = run(server, sfn, machine, [3, -4, 5])
    output = json.loads(done["output"])
    map_run = output["MapRunArn"]
    key = output["ResultWriterDetails"]["Key"]
    manifest = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    succeeded_key = manifest["ResultFiles"]["SUCCEEDED"][0]["Key"]
    succeeded = json.loads(s3.get_object(Bucket=bucket, Key=succeeded_key)["Body"].read())
    failed = json.loads(
        s3.get_object(Bucket=bucket, Key=manifest["ResultFiles"]["FAILED"][0]["Key"])["Body"].read()
    )
    described = sfn.describe_map_run(mapRunArn=map_run)

    run_id = map_run.rsplit(":", 1)[1]
    assert done["status"] == "SUCCEEDED"
    assert output["ResultWriterDetails"]["Bucket"] == bucket
    assert key == f"results/{run_id}/manifest.json"
    assert manifest["DestinationBucket"] == bucket
    assert manifest["MapRunArn"] == map_run
    assert manifest["ResultFiles"]["PENDING"] == []
    assert succeeded_key == f"results/{run_id}/SUCCEEDED_0.json"
    assert manifest["ResultFiles"]["SUCCEEDED"][0]["Size"] == len(
        json.dumps(succeeded, separators=(",", ":"))
    )
    assert sorted(json.loads(e["Output"]) for e in succeeded) == [3, 5]
    assert succeeded[0]["Status"] == "SUCCEEDED"
    assert succeeded[0]["ExecutionArn"].startswith(
        "arn:aws:states:us-east-1:000000000000:execution:"
    )
    assert failed[0]["Error"] == "Negative"
    assert failed[0]["Status"] == "FAILED"
    assert described["itemCounts"]["resultsWritten"] == 3


def test_a_missing_result_bucket_is_result_writer_failed(server, sfn):
    machine = make_machine(
        sfn,
        distributed(
            ResultWriter={
                "Resource": "arn:aws:states:::s3:putObject",
                "Parameters": {"Bucket": unique("no-such-bucket"), "Prefix": "r"},
            }
        ),
    )

    done = run(server, sfn, machine, [1])

    assert done["status"] == "FAILED"
    assert done["error"] == "States.ResultWriterFailed"


def test_jsonata_items_selector_and_writer_config(server, sfn):
    definition = distributed(
        Items="{% $states.input.values %}",
        ItemSelector={"v": "{% $states.context.Map.Item.Value * 10 %}"},
        ResultWriter={"WriterConfig": {"Transformation": "FLATTEN", "OutputType": "JSON"}},
    )
    definition["QueryLanguage"] = "JSONata"
    definition["States"]["Map"]["ItemProcessor"]["States"]["Echo"] = {
        "Type": "Pass",
        "Output": "{% [$states.input.v, $states.input.v + 1] %}",
        "End": True,
    }
    machine = make_machine(sfn, definition)

    done = run(server, sfn, machine, {"values": [1, 2]})

    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"]) == [10, 11, 20, 21]


WAIT_THEN_PASS = {
    "Pause": {"Type": "Wait", "Seconds": 10, "Next": "Done"},
    "Done": {"Type": "Pass", "End": True},
}


def test_max_concurrency_bounds_running_children_and_update_map_run_raises_it(server, sfn):
    machine = make_machine(sfn, distributed(WAIT_THEN_PASS, MaxConcurrency=2))
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps(list(range(5))))[
        "executionArn"
    ]
    server.wait_idle()
    map_run = map_run_of(sfn, execution)

    first = sfn.describe_map_run(mapRunArn=map_run)
    sfn.update_map_run(mapRunArn=map_run, maxConcurrency=4)
    server.wait_idle()
    raised = sfn.describe_map_run(mapRunArn=map_run)
    server.advance(10)
    server.advance(10)
    done = sfn.describe_execution(executionArn=execution)

    assert first["maxConcurrency"] == 2
    assert first["executionCounts"]["running"] == 2
    assert first["executionCounts"]["pending"] == 3
    assert raised["maxConcurrency"] == 4
    assert raised["executionCounts"]["running"] == 4
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == [0, 1, 2, 3, 4]


def test_stop_execution_aborts_the_map_run_and_its_children(server, sfn):
    machine = make_machine(sfn, distributed(WAIT_THEN_PASS, MaxConcurrency=2))
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps([1, 2, 3]))[
        "executionArn"
    ]
    server.wait_idle()
    map_run = map_run_of(sfn, execution)

    sfn.stop_execution(executionArn=execution, error="Enough")
    server.wait_idle()
    described = sfn.describe_map_run(mapRunArn=map_run)
    children = sfn.list_executions(mapRunArn=map_run)["executions"]
    history = types(sfn, execution)

    assert described["status"] == "ABORTED"
    assert described["executionCounts"]["aborted"] == 2
    assert described["executionCounts"]["pending"] == 1
    assert {c["status"] for c in children} == {"ABORTED"}
    assert history[-2:] == ["MapRunAborted", "ExecutionAborted"]


def test_redrive_reruns_only_the_failed_children(server, sfn):
    """A child fails while its execution's RedriveCount is 0 (its document at that index
    is not JSON); redriven, the same child execution goes on from that state."""
    processor = {
        "Parse": {
            "Type": "Pass",
            "Parameters": {
                "v.$": "States.StringToJson(States.ArrayGetItem($.docs, $$.Execution.RedriveCount))"
            },
            "End": True,
        }
    }
    machine = make_machine(sfn, distributed(processor))
    items = [{"docs": ["1", "1"]}, {"docs": ["oops", "2"]}, {"docs": ["3", "3"]}]

    failed = run(server, sfn, machine, items)
    execution = failed["executionArn"]
    map_run = map_run_of(sfn, execution)
    children_before = {
        c["executionArn"]: c["status"] for c in sfn.list_executions(mapRunArn=map_run)["executions"]
    }
    sfn.redrive_execution(executionArn=execution)
    server.wait_idle()
    done = sfn.describe_execution(executionArn=execution)
    described = sfn.describe_map_run(mapRunArn=map_run)
    children_after = {
        c["executionArn"]: c for c in sfn.list_executions(mapRunArn=map_run)["executions"]
    }
    history = types(sfn, execution)

    assert failed["status"] == "FAILED"
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == [{"v": 1}, {"v": 2}, {"v": 3}]
    assert set(children_after) == set(children_before)  # no new child executions
    redriven = [a for a, s in children_before.items() if s == "FAILED"]
    assert len(redriven) == 1
    assert sfn.describe_execution(executionArn=redriven[0])["redriveCount"] == 1
    assert described["redriveCount"] == 1
    assert described["status"] == "SUCCEEDED"
    assert "MapRunRedriven" in history
    assert sfn.list_map_runs(executionArn=execution)["mapRuns"][0]["mapRunArn"] == map_run


def test_map_run_api_refusals(sfn):
    missing = (
        "arn:aws:states:us-east-1:000000000000:mapRun:nope/Map:00000000-0000-0000-0000-000000000000"
    )
    with pytest.raises(ClientError) as described:
        sfn.describe_map_run(mapRunArn=missing)
    with pytest.raises(ClientError) as updated:
        sfn.update_map_run(mapRunArn=missing, maxConcurrency=3)
    with pytest.raises(ClientError) as listed:
        sfn.list_executions(mapRunArn=missing)
    with pytest.raises(ClientError) as out_of_range:
        sfn.update_map_run(mapRunArn=missing, toleratedFailurePercentage=101.0)

    assert described.value.response["Error"]["Code"] == "ResourceNotFound"
    assert updated.value.response["Error"]["Code"] == "ResourceNotFound"
    assert listed.value.response["Error"]["Code"] == "ResourceNotFound"
    assert out_of_range.value.response["Error"]["Code"] == "ValidationException"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ItemReader", {"Resource": "arn:aws:states:::s3:getObject", "Parameters": {}}),
        ("ItemBatcher", {"MaxItemsPerBatch": 2}),
        ("ResultWriter", {"WriterConfig": {"OutputType": "JSON"}}),
        ("Label", "x"),
    ],
)
def test_distributed_only_fields_are_refused_on_an_inline_map(sfn, field, value):
    definition = distributed(**{field: value})
    definition["States"]["Map"]["ItemProcessor"]["ProcessorConfig"] = {"Mode": "INLINE"}

    checked = sfn.validate_state_machine_definition(definition=json.dumps(definition))
    with pytest.raises(ClientError) as refused:
        make_machine(sfn, definition)

    assert checked["result"] == "FAIL"
    assert [(d["code"], d["location"]) for d in checked["diagnostics"]] == [
        ("SCHEMA_VALIDATION_FAILED", f"/States/Map/{field}")
    ]
    assert refused.value.response["Error"]["Code"] == "InvalidDefinition"


def test_distributed_map_definitions_are_checked(sfn):
    bad_reader = distributed(
        ItemReader={
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "XML"},
            "Parameters": {"Bucket": "b", "Key": "k"},
        }
    )
    no_type = distributed()
    del no_type["States"]["Map"]["ItemProcessor"]["ProcessorConfig"]["ExecutionType"]
    express_parent = distributed()

    reader = sfn.validate_state_machine_definition(definition=json.dumps(bad_reader))
    typeless = sfn.validate_state_machine_definition(definition=json.dumps(no_type))
    in_express = sfn.validate_state_machine_definition(
        definition=json.dumps(express_parent), type="EXPRESS"
    )

    assert [d["location"] for d in reader["diagnostics"]] == [
        "/States/Map/ItemReader/ReaderConfig/InputType"
    ]
    assert [d["location"] for d in typeless["diagnostics"]] == [
        "/States/Map/ItemProcessor/ProcessorConfig/ExecutionType"
    ]
    assert in_express["result"] == "FAIL"


def test_jsonata_item_reader_and_path_limits(server, sfn, s3, bucket):
    """JSONata's Arguments and expressions in ReaderConfig; JSONPath's *Path limits."""
    s3.put_object(Bucket=bucket, Key="n.json", Body=json.dumps(list(range(10))).encode())
    jsonata = distributed(
        ItemReader={
            "Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": {"InputType": "JSON", "MaxItems": "{% $states.input.max %}"},
            "Arguments": {"Bucket": "{% $states.input.bucket %}", "Key": "n.json"},
        },
        ItemBatcher={"MaxInputBytesPerBatch": 16},
    )
    jsonata["QueryLanguage"] = "JSONata"
    paths = distributed(
        FAIL_ON_NEGATIVE,
        ItemsPath="$.values",
        MaxConcurrencyPath="$.limit",
        ToleratedFailureCountPath="$.tolerated",
    )

    read = run(server, sfn, make_machine(sfn, jsonata), {"bucket": bucket, "max": 6})
    limited = run(
        server, sfn, make_machine(sfn, paths), {"values": [1, -1, -2], "limit": 1, "tolerated": 1}
    )
    described = sfn.describe_map_run(mapRunArn=map_run_of(sfn, limited["executionArn"]))

    assert read["status"] == "SUCCEEDED", read
    batches = json.loads(read["output"])
    assert [item for batch in batches for item in batch["Items"]] == list(range(6))
    assert batches == [{"Items": [0, 1]}, {"Items": [2, 3]}, {"Items": [4, 5]}]  # <= 16 bytes
    assert limited["error"] == "States.ExceedToleratedFailureThreshold"
    assert (described["maxConcurrency"], described["toleratedFailureCount"]) == (1, 1)


def test_express_children_failures_count_against_the_tolerance(server, sfn):
    tolerant = make_machine(
        sfn, distributed(FAIL_ON_NEGATIVE, execution_type="EXPRESS", ToleratedFailureCount=2)
    )
    strict = make_machine(sfn, distributed(FAIL_ON_NEGATIVE, execution_type="EXPRESS"))

    passed = run(server, sfn, tolerant, [1, -1, -2, 4])
    failed = run(server, sfn, strict, [1, -1, 4])
    described = sfn.describe_map_run(mapRunArn=map_run_of(sfn, passed["executionArn"]))

    assert passed["status"] == "SUCCEEDED"
    results = json.loads(passed["output"])
    assert [r if isinstance(r, int) else r["Error"] for r in results] == [
        1,
        "Negative",
        "Negative",
        4,
    ]
    assert ":express:" in results[1]["ExecutionArn"]
    assert (described["itemCounts"]["failed"], described["itemCounts"]["succeeded"]) == (2, 2)
    assert failed["status"] == "FAILED"
    assert failed["error"] == "States.ExceedToleratedFailureThreshold"


def test_a_stopped_map_run_is_redriven_with_its_aborted_and_pending_children(server, sfn):
    machine = make_machine(sfn, distributed(WAIT_THEN_PASS, MaxConcurrency=2))
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps([1, 2, 3]))[
        "executionArn"
    ]
    server.wait_idle()
    map_run = map_run_of(sfn, execution)
    sfn.stop_execution(executionArn=execution)
    server.wait_idle()

    sfn.redrive_execution(executionArn=execution)
    server.wait_idle()
    redriven = sfn.describe_map_run(mapRunArn=map_run)
    server.advance(10)
    server.advance(10)
    done = sfn.describe_execution(executionArn=execution)
    children = sfn.list_executions(mapRunArn=map_run)["executions"]

    assert redriven["status"] == "RUNNING"
    assert redriven["executionCounts"]["running"] == 2
    assert redriven["executionCounts"]["pending"] == 1
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == [1, 2, 3]
    assert len(children) == 3
    counts = [
        sfn.describe_execution(executionArn=c["executionArn"])["redriveCount"] for c in children
    ]
    assert sorted(counts) == [0, 1, 1]  # the two stopped children redriven, the third new
    assert sfn.describe_map_run(mapRunArn=map_run)["status"] == "SUCCEEDED"
