"""Lambda's own metrics (AWS/Lambda) and Embedded Metric Format lines, read back with boto3's
CloudWatch client from the real server after real invocations."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import create_function, unique, wait_for

from stratus.testing import RunningServer

SOURCE = """
import json

def handler(event, context):
    if event.get("emf"):
        print(json.dumps({
            "_aws": {"Timestamp": event["at"], "CloudWatchMetrics": [{
                "Namespace": event["ns"], "Dimensions": [["service"], []],
                "Metrics": [{"Name": "Placed", "Unit": "Count"},
                            {"Name": "Latency", "Unit": "Milliseconds"}]}]},
            "service": "orders", "Placed": 2, "Latency": [10, 20, 30]}))
        print(json.dumps({"_aws": {"CloudWatchMetrics": [{"Namespace": "AWS/Nope",
              "Dimensions": [], "Metrics": [{"Name": "Placed"}]}]}, "Placed": 1}))
    if event.get("fail"):
        raise RuntimeError("boom")
    return "ok"
"""


@pytest.fixture(scope="module")
def lam(server: RunningServer) -> Any:
    return server.client("lambda")


@pytest.fixture(scope="module")
def cw(server: RunningServer) -> Any:
    return server.client("cloudwatch")


def statistics(cw: Any, name: str, dims: dict[str, str], stats: list[str], **more: Any) -> Any:
    now = datetime.now(UTC)
    points = cw.get_metric_statistics(
        Namespace=more.pop("Namespace", "AWS/Lambda"), MetricName=name,
        Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
        StartTime=now - timedelta(minutes=10), EndTime=now + timedelta(minutes=1),
        Period=3600, Statistics=stats, **more,
    )["Datapoints"]  # fmt: skip
    return points[0] if points else None


def test_invocations_errors_duration_and_throttles(lam: Any, cw: Any) -> None:
    """Three invocations, one failing, and a throttled one (reserved concurrency 0) show as
    AWS/Lambda Invocations, Errors (Average = the error rate), Duration and Throttles under
    FunctionName; a call through an alias also under Resource and ExecutedVersion."""
    name = unique("metered")
    create_function(lam, name, SOURCE)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    for payload in ({}, {"fail": True}):
        lam.invoke(FunctionName=name, Payload=json.dumps(payload))
    lam.invoke(FunctionName=name, Qualifier="live", Payload=b"{}")
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError):
        lam.invoke(FunctionName=name, Payload=b"{}")
    function = {"FunctionName": name}
    alias = {**function, "Resource": f"{name}:live"}

    assert wait_for(lambda: statistics(cw, "Throttles", function, ["Sum"]) is not None)
    invocations = statistics(cw, "Invocations", function, ["Sum"])
    errors = statistics(cw, "Errors", function, ["Sum", "Average"])
    duration = statistics(cw, "Duration", function, ["SampleCount", "Maximum"],
                          ExtendedStatistics=["p50"])  # fmt: skip
    assert invocations["Sum"] == 3.0
    assert (errors["Sum"], errors["Average"]) == (1.0, pytest.approx(1 / 3))
    assert duration["SampleCount"] == 3.0
    assert duration["Unit"] == "Milliseconds"
    assert 0 < duration["ExtendedStatistics"]["p50"] <= duration["Maximum"]
    assert statistics(cw, "Throttles", function, ["Sum"])["Sum"] >= 1.0  # (boto3 retries 429)
    assert statistics(cw, "Invocations", alias, ["Sum"])["Sum"] == 1.0
    executed = {**alias, "ExecutedVersion": version}
    assert statistics(cw, "Invocations", executed, ["Sum"])["Sum"] == 1.0
    assert statistics(cw, "ConcurrentExecutions", function, ["Maximum"])["Maximum"] == 1.0
    listed = cw.list_metrics(Namespace="AWS/Lambda", Dimensions=[{"Name": "FunctionName",
                                                                   "Value": name}])  # fmt: skip
    assert {m["MetricName"] for m in listed["Metrics"]} == {
        "Invocations", "Errors", "Duration", "Throttles", "ConcurrentExecutions"
    }  # fmt: skip


def test_embedded_metric_format_lines_become_metrics(lam: Any, cw: Any) -> None:
    """A function's EMF line makes each named metric under each dimension set, at the
    line's own timestamp; a line with an AWS/ namespace makes none."""
    name = unique("emf")
    ns = f"Orders{name.split('-')[-1]}"
    create_function(lam, name, SOURCE)
    at = int((datetime.now(UTC) - timedelta(minutes=2)).timestamp() * 1000)
    lam.invoke(FunctionName=name, Payload=json.dumps({"emf": True, "ns": ns, "at": at}))
    service = {"service": "orders"}

    assert wait_for(lambda: statistics(cw, "Placed", service, ["Sum"], Namespace=ns))
    latency = statistics(cw, "Latency", service, ["SampleCount", "Average"], Namespace=ns)
    assert latency["SampleCount"] == 3.0
    assert latency["Average"] == 20.0
    assert latency["Unit"] == "Milliseconds"
    assert statistics(cw, "Placed", {}, ["Sum"], Namespace=ns)["Sum"] == 2.0
    assert statistics(cw, "Placed", {}, ["Sum"], Namespace="AWS/Nope") is None
    now = datetime.now(UTC)
    recent = cw.get_metric_statistics(Namespace=ns, MetricName="Placed", Period=60,
                                      Dimensions=[{"Name": "service", "Value": "orders"}],
                                      StartTime=now - timedelta(seconds=90), EndTime=now,
                                      Statistics=["Sum"])  # fmt: skip
    assert recent["Datapoints"] == []  # (stamped two minutes ago, by the line)


POWERTOOLS_V3 = (
    "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-{python}-x86_64:7"
)
USES_POWERTOOLS_METRICS = """
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

metrics = Metrics(namespace="{namespace}", service="checkout")

@metrics.log_metrics
def handler(event, context):
    metrics.add_metric(name="OrdersPlaced", unit=MetricUnit.Count, value=2)
    metrics.add_metric(name="CartValue", unit=MetricUnit.Count, value=40)
    metrics.add_metric(name="CartValue", unit=MetricUnit.Count, value=60)
    return "ok"
"""


def test_powertools_metrics_become_metrics(lam: Any, cw: Any) -> None:
    """Powertools for AWS Lambda's Metrics, unchanged (from its public layer), prints EMF;
    its metrics arrive under the namespace and the `service` dimension it names."""
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    name = unique("powertools-metrics")
    ns = f"Shop{name.split('-')[-1]}"
    layer = POWERTOOLS_V3.format(python=runtime.replace(".", ""))
    create_function(lam, name, USES_POWERTOOLS_METRICS.replace("{namespace}", ns),
                    Runtime=runtime, Layers=[layer], Timeout=30)  # fmt: skip
    answer = lam.invoke(FunctionName=name, Payload=b"{}")
    service = {"service": "checkout"}

    assert "FunctionError" not in answer, answer["Payload"].read()
    assert wait_for(lambda: statistics(cw, "OrdersPlaced", service, ["Sum"], Namespace=ns))
    assert statistics(cw, "OrdersPlaced", service, ["Sum"], Namespace=ns)["Sum"] == 2.0
    cart = statistics(cw, "CartValue", service, ["SampleCount", "Average"], Namespace=ns)
    assert (cart["SampleCount"], cart["Average"]) == (2.0, 50.0)
