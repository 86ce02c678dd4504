"""CloudWatch metrics with boto3 against the real server: PutMetricData's forms and limits,
GetMetricStatistics, GetMetricData, ListMetrics; over JSON 1.0 (what boto3 sends) and over
Smithy RPC v2 CBOR (the model's first protocol, which other SDKs send)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.serialize
import cbor2
import httpx
import pytest
from botocore.exceptions import ClientError

from stratus.testing import RunningServer


@pytest.fixture(scope="module")
def cw(server: RunningServer) -> Any:
    return server.client("cloudwatch")


@pytest.fixture
def ns() -> str:
    return f"App{uuid.uuid4().hex[:8]}"


def client_speaking(server: RunningServer, protocol: str) -> Any:
    """A boto3 client speaking `protocol` (smithy-rpc-v2-cbor, query): botocore prefers
    JSON when a model lists it, so its own serializer and parser for the other are put in."""
    client = boto3.client(
        "cloudwatch", endpoint_url=server.endpoint_url, region_name=server.settings.region,
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip
    client.meta.service_model.__dict__["resolved_protocol"] = protocol  # (a cached property)
    client._serializer = botocore.serialize.create_serializer(protocol)
    return client


def window() -> dict[str, datetime]:
    now = datetime.now(UTC)
    return {"StartTime": now - timedelta(minutes=10), "EndTime": now + timedelta(minutes=1)}


FORTNIGHT_AGO = datetime.now(UTC) - timedelta(days=15)


def code(refused: pytest.ExceptionInfo[ClientError]) -> str:
    return str(refused.value.response["Error"]["Code"])


def test_values_counts_and_statistic_sets_combine_into_statistics(cw: Any, ns: str) -> None:
    """Value, Values+Counts and StatisticValues of one metric combine per period; p50 is
    read from the values sent one by one."""
    dims = [{"Name": "Service", "Value": "orders"}]
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "Latency", "Dimensions": dims, "Value": 10.0, "Unit": "Milliseconds"},
        {"MetricName": "Latency", "Dimensions": dims, "Values": [1.0, 2.0, 3.0],
         "Counts": [1.0, 1.0, 2.0], "Unit": "Milliseconds"},
    ])  # fmt: skip
    got = cw.get_metric_statistics(
        Namespace=ns, MetricName="Latency", Dimensions=dims, Period=3600,
        Statistics=["SampleCount", "Sum", "Minimum", "Maximum", "Average"],
        ExtendedStatistics=["p50"], **window(),
    )  # fmt: skip
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Sets", "StatisticValues": {
        "SampleCount": 4, "Sum": 10, "Minimum": 1, "Maximum": 4}}])  # fmt: skip
    sets = cw.get_metric_statistics(Namespace=ns, MetricName="Sets", Period=3600,
                                    Statistics=["Average", "Maximum"], **window())  # fmt: skip

    (point,) = got["Datapoints"]
    assert got["Label"] == "Latency"
    assert (point["SampleCount"], point["Sum"], point["Minimum"], point["Maximum"]) == (
        5.0, 19.0, 1.0, 10.0
    )  # fmt: skip
    assert point["Average"] == pytest.approx(3.8)
    assert point["ExtendedStatistics"] == {"p50": 3.0}  # of 1, 2, 3, 3, 10
    assert point["Unit"] == "Milliseconds"
    assert [(p["Average"], p["Maximum"]) for p in sets["Datapoints"]] == [(2.5, 4.0)]


def test_put_metric_data_refuses_what_aws_refuses(cw: Any, ns: str) -> None:
    """AWS's namespace, mutually exclusive members, mismatched Values/Counts, no value, an
    old timestamp and a bad resolution are refused with AWS's codes."""
    cases = {
        "InvalidParameterValue": [
            {"Namespace": "AWS/Lambda", "MetricData": [{"MetricName": "m", "Value": 1}]},
            {"Namespace": ns, "MetricData": [{"MetricName": "m", "Values": [1, 2],
                                              "Counts": [1]}]},
            {"Namespace": ns, "MetricData": [{"MetricName": "m", "Value": 1,
                                              "Timestamp": FORTNIGHT_AGO}]},
            {"Namespace": ns, "MetricData": [{"MetricName": "m", "Value": 1,
                                              "StorageResolution": 5}]},
        ],
        "InvalidParameterCombination": [
            {"Namespace": ns, "MetricData": [{"MetricName": "m", "Value": 1, "StatisticValues": {
                "SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}]},
        ],
        "MissingParameter": [{"Namespace": ns, "MetricData": [{"MetricName": "m"}]}],
    }  # fmt: skip
    found = {}
    for expected, calls in cases.items():
        for members in calls:
            with pytest.raises(ClientError) as refused:
                cw.put_metric_data(**members)
            found.setdefault(expected, []).append(code(refused))

    assert found == {k: [k] * len(v) for k, v in cases.items()}
    assert cw.list_metrics(Namespace=ns)["Metrics"] == []
    with pytest.raises(cw.exceptions.InvalidParameterValueException):
        cw.put_metric_data(Namespace="AWS/EC2", MetricData=[{"MetricName": "m", "Value": 1}])


def test_get_metric_data_answers_each_query_newest_first(cw: Any, ns: str) -> None:
    """MetricStat queries answer one value per period, newest first by default; a query
    with ReturnData false is left out; metric math combines them per timestamp; what Stratus
    does not evaluate is refused by name."""
    now = datetime.now(UTC)
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "Hits", "Value": 1, "Timestamp": now - timedelta(minutes=3)},
        {"MetricName": "Hits", "Value": 2, "Timestamp": now - timedelta(minutes=3)},
        {"MetricName": "Hits", "Value": 5, "Timestamp": now - timedelta(seconds=5)},
        {"MetricName": "Misses", "Value": 1, "Timestamp": now - timedelta(seconds=5)},
    ])  # fmt: skip
    start = now - timedelta(minutes=4)

    def stat(name: str) -> dict[str, Any]:
        return {"Metric": {"Namespace": ns, "MetricName": name}, "Period": 60, "Stat": "Sum"}

    got = cw.get_metric_data(StartTime=start, EndTime=now + timedelta(seconds=1),
                             ScanBy="TimestampAscending", MetricDataQueries=[
        {"Id": "ratio", "Expression": "100 * misses / (hits + misses)", "Label": "Miss %"},
        {"Id": "hits", "MetricStat": stat("Hits"), "Label": "H"},
        {"Id": "misses", "MetricStat": stat("Misses"), "ReturnData": False},
        {"Id": "all", "Expression": "SUM(METRICS())"},
        {"Id": "filled", "Expression": "FILL(misses, 0)"},
    ])  # fmt: skip
    only_hits = [{"Id": "hits", "MetricStat": stat("Hits")}]
    newest_first = cw.get_metric_data(
        StartTime=start, EndTime=now + timedelta(seconds=1), MetricDataQueries=only_hits
    )
    with pytest.raises(ClientError) as search:
        cw.get_metric_data(StartTime=start, EndTime=now, MetricDataQueries=[
            {"Id": "e1", "Expression": "SEARCH('{AWS/EC2,InstanceId}', 'Sum', 60)"}])  # fmt: skip

    results = {r["Id"]: r for r in got["MetricDataResults"]}
    assert list(results) == ["ratio", "hits", "all", "filled"]
    assert (results["hits"]["Label"], results["hits"]["StatusCode"]) == ("H", "Complete")
    assert results["hits"]["Values"] == [3.0, 5.0]
    assert results["ratio"]["Label"] == "Miss %"
    assert results["ratio"]["Values"] == [pytest.approx(100 / 6)]
    assert results["ratio"]["Timestamps"] == results["hits"]["Timestamps"][1:]
    assert results["all"]["Values"] == [3.0, 6.0]
    assert results["filled"]["Values"] == [0.0, 1.0]
    assert newest_first["MetricDataResults"][0]["Values"] == [5.0, 3.0]
    assert code(search) == "InvalidParameterValue"
    assert "SEARCH" in str(search.value)


def test_list_metrics_filters_by_dimension_and_pages(cw: Any, ns: str) -> None:
    """ListMetrics filters by namespace, name and dimensions (a name alone matches any
    value) and pages 500 at a time."""
    data = [
        {
            "MetricName": f"m{i:03d}",
            "Value": 1.0,
            "Dimensions": [{"Name": "Shard", "Value": str(i % 2)}],
        }
        for i in range(600)
    ]
    for start in range(0, 600, 150):
        cw.put_metric_data(Namespace=ns, MetricData=data[start : start + 150])
    first = cw.list_metrics(Namespace=ns)
    second = cw.list_metrics(Namespace=ns, NextToken=first["NextToken"])
    odd = cw.list_metrics(Namespace=ns, Dimensions=[{"Name": "Shard", "Value": "1"}])
    named = cw.list_metrics(Namespace=ns, MetricName="m004", Dimensions=[{"Name": "Shard"}])

    assert len(first["Metrics"]) == 500
    assert len(second["Metrics"]) == 100
    assert "NextToken" not in second
    assert len(odd["Metrics"]) == 300
    assert named["Metrics"] == [{"Namespace": ns, "MetricName": "m004",
                                 "Dimensions": [{"Name": "Shard", "Value": "0"}]}]  # fmt: skip


def test_rpc_v2_cbor_serves_the_same_api(server: RunningServer, ns: str) -> None:
    """Over Smithy RPC v2 CBOR (POST /service/GraniteServiceVersion20100801/operation/…):
    timestamps as CBOR tag 1 both ways, and errors read back with their query codes."""
    cw = client_speaking(server, "smithy-rpc-v2-cbor")
    cw.put_metric_data(Namespace=ns, MetricData=[{"MetricName": "Bytes", "Value": 7.0,
                                                  "Timestamp": datetime.now(UTC)}])  # fmt: skip
    got = cw.get_metric_statistics(Namespace=ns, MetricName="Bytes", Period=60,
                                   Statistics=["Sum"], **window())  # fmt: skip
    with pytest.raises(ClientError) as refused:
        cw.put_metric_data(Namespace="AWS/S3", MetricData=[{"MetricName": "m", "Value": 1}])

    assert [p["Sum"] for p in got["Datapoints"]] == [7.0]
    assert isinstance(got["Datapoints"][0]["Timestamp"], datetime)
    assert got["ResponseMetadata"]["HTTPHeaders"]["smithy-protocol"] == "rpc-v2-cbor"
    assert code(refused) == "InvalidParameterValue"
    assert cw.list_metrics(Namespace=ns)["Metrics"][0]["MetricName"] == "Bytes"


def test_rpc_v2_cbor_requests_name_their_protocol(server: RunningServer) -> None:
    """A CBOR request without `smithy-protocol: rpc-v2-cbor` is refused, and an operation
    Stratus lacks is UnknownOperationException, both as CBOR with `__type`."""
    url = f"{server.endpoint_url}/service/GraniteServiceVersion20100801/operation/"
    body = cbor2.dumps({"Namespace": "A"})
    headers = {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"}
    unnamed = httpx.post(
        url + "ListMetrics", content=body, headers={"Content-Type": "application/cbor"}
    )
    lacking = httpx.post(url + "StartMetricStreams", content=body, headers=headers)

    assert unnamed.status_code == 400
    assert cbor2.loads(unnamed.content)["__type"] == "SerializationException"
    assert lacking.status_code == 400
    assert lacking.headers["smithy-protocol"] == "rpc-v2-cbor"
    assert cbor2.loads(lacking.content)["__type"] == "UnknownOperationException"


def test_the_query_protocol_serves_older_clients(server: RunningServer, ns: str) -> None:
    """botocore from before CloudWatch listed JSON and CBOR sends the query protocol
    (Action=PutMetricData, signed for "monitoring"): the same API answers in XML."""
    cw = client_speaking(server, "query")
    dims = [{"Name": "T", "Value": "x"}]
    cw.put_metric_data(
        Namespace=ns, MetricData=[{"MetricName": "Rows", "Values": [1.0, 3.0], "Dimensions": dims}]
    )
    got = cw.get_metric_statistics(
        Namespace=ns, MetricName="Rows", Period=60, Dimensions=dims,
        Statistics=["Average"], ExtendedStatistics=["p100"], **window(),
    )  # fmt: skip
    with pytest.raises(ClientError) as refused:
        cw.put_metric_data(Namespace="AWS/S3", MetricData=[{"MetricName": "m", "Value": 1}])

    assert [(p["Average"], p["ExtendedStatistics"]) for p in got["Datapoints"]] == [
        (2.0, {"p100": 3.0})
    ]
    assert code(refused) == "InvalidParameterValue"
    assert cw.list_metrics(Namespace=ns)["Metrics"][0]["Dimensions"] == [
        {"Name": "T", "Value": "x"}
    ]
