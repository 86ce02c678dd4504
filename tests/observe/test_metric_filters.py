"""CloudWatch Logs' metric filters publish their metrics: lines PutLogEvents writes, matched
by a group's filters, become CloudWatch datapoints (read back with boto3's cloudwatch)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tests.conftest import unique, wait_for

from stratus.testing import RunningServer


@pytest.fixture(scope="module")
def logs(server: RunningServer) -> Any:
    return server.client("logs")


@pytest.fixture(scope="module")
def cw(server: RunningServer) -> Any:
    return server.client("cloudwatch")


def total(cw: Any, ns: str, name: str, dims: dict[str, str], stat: str = "Sum") -> Any:
    now = datetime.now(UTC)
    points = cw.get_metric_statistics(
        Namespace=ns, MetricName=name, Period=3600, Statistics=[stat],
        Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
        StartTime=now - timedelta(minutes=10), EndTime=now + timedelta(minutes=1),
    )["Datapoints"]  # fmt: skip
    return points[0][stat] if points else None


def test_metric_filters_publish_what_they_match(logs: Any, cw: Any) -> None:
    """A JSON filter publishes a selected value under a selected dimension; a space-delimited
    one a named field; a literal value counts lines, with its defaultValue for the others;
    a line whose value is not a number publishes nothing."""
    group, ns = f"/app/{unique('mf')}", f"Filtered{unique('n').split('-')[1]}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_metric_filter(logGroupName=group, filterName="latency",
                           filterPattern="{ $.latency > 0 }", metricTransformations=[{
                               "metricName": "Latency", "metricNamespace": ns,
                               "metricValue": "$.latency", "unit": "Milliseconds",
                               "dimensions": {"Route": "$.route"}}])  # fmt: skip
    logs.put_metric_filter(logGroupName=group, filterName="bytes",
                           filterPattern="[ip, user, status=2*, size]", metricTransformations=[{
                               "metricName": "Bytes", "metricNamespace": ns,
                               "metricValue": "$size"}])  # fmt: skip
    errors = {"metricName": "Errors", "metricNamespace": ns, "metricValue": "1", "defaultValue": 0}
    logs.put_metric_filter(
        logGroupName=group, filterName="errors", filterPattern="ERROR",
        metricTransformations=[errors],
    )  # fmt: skip
    now = int(time.time() * 1000)
    lines = [
        json.dumps({"latency": 12, "route": "/a"}),
        json.dumps({"latency": 30, "route": "/a"}),
        json.dumps({"latency": "slow", "route": "/a"}),
        "10.0.0.1 alice 200 512",
        "10.0.0.2 bob 404 100",
        "ERROR the disk is full",
    ]
    logs.put_log_events(logGroupName=group, logStreamName="s",
                        logEvents=[{"timestamp": now, "message": m} for m in lines])  # fmt: skip

    assert wait_for(lambda: total(cw, ns, "Errors", {}) is not None)
    assert total(cw, ns, "Latency", {"Route": "/a"}) == 42.0
    assert total(cw, ns, "Latency", {"Route": "/a"}, "SampleCount") == 2.0
    assert total(cw, ns, "Bytes", {}) == 512.0
    assert total(cw, ns, "Errors", {}) == 1.0
    assert total(cw, ns, "Errors", {}, "SampleCount") == 6.0  # (5 lines published 0)
