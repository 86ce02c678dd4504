"""CloudWatch metric alarms with boto3 against the real server: their configuration and
AWS's refusals, their evaluation over stored metrics (EvaluationPeriods, DatapointsToAlarm,
TreatMissingData), SetAlarmState, and what a change of state does (SNS, Lambda, the default
event bus, history), with actions enabled and disabled."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import create_function, make_queue, unique, wait_for

from stratus.testing import RunningServer


@pytest.fixture(scope="module")
def cw(server: RunningServer) -> Any:
    return server.client("cloudwatch")


@pytest.fixture
def ns() -> str:
    return f"Alarmed{uuid.uuid4().hex[:8]}"


def alarm(cw: Any, name: str, ns: str, **members: Any) -> None:
    cw.put_metric_alarm(**{
        "AlarmName": name, "Namespace": ns, "MetricName": "Failures", "Statistic": "Sum",
        "Period": 10, "EvaluationPeriods": 1, "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold", **members,
    })  # fmt: skip


def described(cw: Any, name: str) -> dict[str, Any]:
    found = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return found[0] if found else {}


def state(cw: Any, name: str) -> str:
    return str(described(cw, name).get("StateValue"))


def code(refused: pytest.ExceptionInfo[ClientError]) -> str:
    return str(refused.value.response["Error"]["Code"])


def test_alarms_are_described_filtered_and_deleted(cw: Any, ns: str) -> None:
    """A new alarm is INSUFFICIENT_DATA with its members as put; DescribeAlarms filters by
    prefix, state and action prefix and pages; DescribeAlarmsForMetric finds it by metric;
    deleting a missing alarm is ResourceNotFound."""
    names = [f"{ns}-{i}" for i in range(3)]
    topic = "arn:aws:sns:us-east-1:000000000000:nowhere"
    for name in names:
        alarm(cw, name, ns, AlarmActions=[topic], Dimensions=[{"Name": "Shard", "Value": name}])
    first = cw.describe_alarms(AlarmNamePrefix=ns, MaxRecords=2)
    rest = cw.describe_alarms(AlarmNamePrefix=ns, NextToken=first["NextToken"])
    one = described(cw, names[0])
    by_metric = cw.describe_alarms_for_metric(
        Namespace=ns, MetricName="Failures", Dimensions=[{"Name": "Shard", "Value": names[1]}]
    )["MetricAlarms"]

    assert [a["AlarmName"] for a in first["MetricAlarms"] + rest["MetricAlarms"]] == names
    assert (one["StateValue"], one["StateReason"]) == (
        "INSUFFICIENT_DATA", "Unchecked: Initial alarm creation"
    )  # fmt: skip
    assert one["AlarmArn"] == f"arn:aws:cloudwatch:us-east-1:000000000000:alarm:{names[0]}"
    assert (one["Period"], one["Statistic"], one["ActionsEnabled"]) == (10, "Sum", True)
    assert one["AlarmActions"] == [topic]
    assert [a["AlarmName"] for a in by_metric] == [names[1]]
    assert len(cw.describe_alarms(ActionPrefix="arn:aws:sns:", AlarmNamePrefix=ns)
               ["MetricAlarms"]) == 3  # fmt: skip
    assert cw.describe_alarms(StateValue="ALARM", AlarmNamePrefix=ns)["MetricAlarms"] == []
    cw.delete_alarms(AlarmNames=names[:2])
    assert [a["AlarmName"] for a in cw.describe_alarms(AlarmNamePrefix=ns)["MetricAlarms"]] == [
        names[2]
    ]
    with pytest.raises(cw.exceptions.ResourceNotFound):
        cw.delete_alarms(AlarmNames=[names[0]])


def test_put_metric_alarm_refuses_what_aws_refuses(cw: Any, ns: str) -> None:
    """Both Statistic and ExtendedStatistic, an action that is not a topic or function,
    DatapointsToAlarm above EvaluationPeriods, a bad period, an unknown TreatMissingData and
    an expression that reads no metric are refused with AWS's codes."""
    name = f"{ns}-bad"
    cases = [
        ({"ExtendedStatistic": "p99"}, "InvalidParameterCombination"),
        ({"AlarmActions": ["arn:aws:sqs:us-east-1:000000000000:q"]}, "InvalidParameterValue"),
        ({"EvaluationPeriods": 2, "DatapointsToAlarm": 3}, "InvalidParameterValue"),
        ({"Period": 45}, "InvalidParameterValue"),
        ({"TreatMissingData": "sometimes"}, "InvalidParameterValue"),
    ]
    found = []
    for members, _ in cases:
        with pytest.raises(ClientError) as refused:
            alarm(cw, name, ns, **members)
        found.append(code(refused))
    with pytest.raises(ClientError) as math:
        cw.put_metric_alarm(AlarmName=name, EvaluationPeriods=1, Threshold=1.0,
                            ComparisonOperator="GreaterThanThreshold",
                            Metrics=[{"Id": "e1", "Expression": "m1 * 2"}])  # fmt: skip

    assert found == [expected for _, expected in cases]
    assert code(math) == "InvalidParameterValue"
    assert described(cw, name) == {}


def test_evaluation_counts_datapoints_to_alarm_and_missing_data(cw: Any, ns: str) -> None:
    """Two breaching datapoints in the last three periods: ALARM when two must breach, OK
    when three must; with no data, INSUFFICIENT_DATA (missing), ALARM (breaching) or OK
    (notBreaching)."""
    now = datetime.now(UTC)
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "Failures", "Value": 5.0, "Timestamp": now - timedelta(seconds=2)},
        {"MetricName": "Failures", "Value": 5.0, "Timestamp": now - timedelta(seconds=14)},
    ])  # fmt: skip
    three = {"EvaluationPeriods": 3}
    alarm(cw, f"{ns}-two", ns, DatapointsToAlarm=2, **three)
    alarm(cw, f"{ns}-three", ns, DatapointsToAlarm=3, **three)
    empty = {"MetricName": "Nothing"}
    alarm(cw, f"{ns}-missing", ns, **empty)
    alarm(cw, f"{ns}-breaching", ns, TreatMissingData="breaching", **empty)
    alarm(cw, f"{ns}-fine", ns, TreatMissingData="notBreaching", **empty)
    expected = {"two": "ALARM", "three": "OK", "missing": "INSUFFICIENT_DATA",
                "breaching": "ALARM", "fine": "OK"}  # fmt: skip

    def states() -> dict[str, str]:
        found = cw.describe_alarms(AlarmNamePrefix=f"{ns}-")["MetricAlarms"]
        return {a["AlarmName"].removeprefix(f"{ns}-"): a["StateValue"] for a in found}

    assert wait_for(lambda: states() == expected, timeout=10), states()
    two = described(cw, f"{ns}-two")
    assert two["StateReason"].startswith("Threshold Crossed: 2 out of the last 3 datapoints")
    assert json.loads(two["StateReasonData"])["recentDatapoints"] == [5.0, 5.0]
    history = cw.describe_alarm_history(AlarmName=f"{ns}-two")["AlarmHistoryItems"]
    assert [h["HistoryItemType"] for h in history] == ["StateUpdate", "ConfigurationUpdate"]
    assert history[0]["HistorySummary"] == "Alarm updated from INSUFFICIENT_DATA to ALARM"


def test_a_state_change_invokes_a_function_and_reaches_the_bus(
    server: RunningServer, cw: Any, sqs: Any, ns: str
) -> None:
    """SetAlarmState to ALARM invokes the alarm's function with AWS's alarm event and puts
    a "CloudWatch Alarm State Change" event on the default bus; with actions disabled the
    function is not invoked again, while the bus still hears of the change."""
    lam, events, logs = server.client("lambda"), server.client("events"), server.client("logs")
    function = unique("on-alarm")
    created = create_function(lam, function, "import json\n"
                              "def handler(event, context):\n"
                              "    print('EVENT ' + json.dumps(event))\n")  # fmt: skip
    url, queue_arn = make_queue(sqs)
    rule = unique("alarms")
    events.put_rule(Name=rule, EventPattern=json.dumps({
        "source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"],
        "detail": {"alarmName": [f"{ns}-fn"]}}))  # fmt: skip
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": queue_arn}])
    name = f"{ns}-fn"
    alarm(cw, name, ns, AlarmActions=[created["FunctionArn"]], TreatMissingData="ignore")
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="by hand",
                       StateReasonData='{"why": "test"}')  # fmt: skip

    def printed() -> list[dict[str, Any]]:
        try:
            found = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}",
                                           filterPattern="EVENT")["events"]  # fmt: skip
        except ClientError:
            return []
        return [json.loads(e["message"].split("EVENT ", 1)[1]) for e in found]

    assert wait_for(lambda: len(printed()) == 1)
    (event,) = printed()
    assert (event["source"], event["alarmArn"]) == (
        "aws.cloudwatch",
        described(cw, name)["AlarmArn"],
    )
    data = event["alarmData"]
    assert (data["alarmName"], data["state"]["value"], data["state"]["reason"]) == (
        name, "ALARM", "by hand"
    )  # fmt: skip
    assert data["previousState"]["value"] == "INSUFFICIENT_DATA"
    assert data["configuration"]["metrics"][0]["metricStat"]["metric"]["name"] == "Failures"
    bus = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)["Messages"]
    announced = json.loads(bus[0]["Body"])
    assert (announced["source"], announced["detail-type"]) == (
        "aws.cloudwatch", "CloudWatch Alarm State Change"
    )  # fmt: skip
    assert announced["detail"]["state"]["value"] == "ALARM"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=bus[0]["ReceiptHandle"])

    cw.disable_alarm_actions(AlarmNames=[name])
    cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="quiet")
    cw.set_alarm_state(AlarmName=name, StateValue="ALARM", StateReason="again")
    assert described(cw, name)["ActionsEnabled"] is False
    assert wait_for(lambda: len(sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)
                                .get("Messages", [])) > 0)  # fmt: skip
    assert len(printed()) == 1
    kinds = [h["HistoryItemType"] for h in cw.describe_alarm_history(
        AlarmName=name, ScanBy="TimestampAscending")["AlarmHistoryItems"]]  # fmt: skip
    assert kinds == ["ConfigurationUpdate", "StateUpdate", "Action", "StateUpdate", "StateUpdate"]
    with pytest.raises(ClientError) as bad:
        cw.set_alarm_state(AlarmName=name, StateValue="OK", StateReason="x",
                           StateReasonData="not json")  # fmt: skip
    assert code(bad) == "InvalidFormat"
    with pytest.raises(cw.exceptions.ResourceNotFound):
        cw.set_alarm_state(AlarmName=f"{ns}-none", StateValue="OK", StateReason="x")


def test_alarm_tags(cw: Any, ns: str) -> None:
    """Tags put with a new alarm are listed by its ARN; PutMetricAlarm on an existing alarm
    leaves them (as AWS does), TagResource / UntagResource change them; an ARN that names
    no alarm is ResourceNotFoundException."""
    name = f"{ns}-tagged"
    alarm(cw, name, ns, Tags=[{"Key": "team", "Value": "a"}])
    alarm(cw, name, ns, Tags=[{"Key": "ignored", "Value": "x"}], Threshold=2.0)
    arn = described(cw, name)["AlarmArn"]
    first = cw.list_tags_for_resource(ResourceARN=arn)["Tags"]
    cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "tier", "Value": "1"}])
    cw.untag_resource(ResourceARN=arn, TagKeys=["team"])

    assert first == [{"Key": "team", "Value": "a"}]
    assert described(cw, name)["Threshold"] == 2.0
    assert cw.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "tier", "Value": "1"}]
    with pytest.raises(cw.exceptions.ResourceNotFoundException):
        cw.list_tags_for_resource(ResourceARN=arn + "-gone")


def test_dashboards_are_kept_and_answered(cw: Any, ns: str) -> None:
    """PutDashboard keeps a body with widgets, GetDashboard answers it, ListDashboards finds
    it by prefix; a body without widgets is InvalidParameterInput with AWS's validation
    messages; deleting a missing dashboard is ResourceNotFound."""
    body = json.dumps({"widgets": [{"type": "text", "x": 0, "y": 0, "width": 6, "height": 3,
                                    "properties": {"markdown": "hi"}}]})  # fmt: skip
    put = cw.put_dashboard(DashboardName=f"{ns}-board", DashboardBody=body)
    got = cw.get_dashboard(DashboardName=f"{ns}-board")
    listed = cw.list_dashboards(DashboardNamePrefix=ns)["DashboardEntries"]
    with pytest.raises(ClientError) as invalid:
        cw.put_dashboard(DashboardName=f"{ns}-bad", DashboardBody='{"nope": []}')

    assert put["DashboardValidationMessages"] == []
    assert (got["DashboardName"], got["DashboardBody"]) == (f"{ns}-board", body)
    assert got["DashboardArn"] == f"arn:aws:cloudwatch::000000000000:dashboard/{ns}-board"
    assert [(d["DashboardName"], d["Size"]) for d in listed] == [(f"{ns}-board", len(body))]
    assert code(invalid) == "InvalidParameterInput"
    assert invalid.value.response["dashboardValidationMessages"][0]["DataPath"] == ""
    cw.delete_dashboards(DashboardNames=[f"{ns}-board"])
    with pytest.raises(ClientError) as gone:
        cw.delete_dashboards(DashboardNames=[f"{ns}-board"])
    assert code(gone) == "ResourceNotFound"  # (DashboardNotFoundError's query code)


def test_an_alarm_on_metric_math(cw: Any, ns: str) -> None:
    """An error-rate alarm (100 * errors / requests, ReturnData on the expression only)
    judges the expression's value; its reason names that value."""
    now = datetime.now(UTC)
    cw.put_metric_data(Namespace=ns, MetricData=[
        {"MetricName": "Errors", "Value": 1.0, "Timestamp": now},
        {"MetricName": "Requests", "Value": 4.0, "Timestamp": now},
    ])  # fmt: skip

    def read(name: str) -> dict[str, Any]:
        metric = {"Namespace": ns, "MetricName": name}
        return {"Metric": metric, "Period": 10, "Stat": "Sum"}

    cw.put_metric_alarm(
        AlarmName=f"{ns}-rate", EvaluationPeriods=1, Threshold=10.0,
        ComparisonOperator="GreaterThanThreshold", Metrics=[
            {"Id": "errors", "MetricStat": read("Errors"), "ReturnData": False},
            {"Id": "requests", "MetricStat": read("Requests"), "ReturnData": False},
            {"Id": "rate", "Expression": "100 * errors / requests", "Label": "Error %"},
        ],
    )  # fmt: skip

    assert wait_for(lambda: state(cw, f"{ns}-rate") == "ALARM", timeout=10)
    found = described(cw, f"{ns}-rate")
    assert found["StateReason"].startswith("Threshold Crossed: 1 datapoint [25.0 (")
    assert [q["Id"] for q in found["Metrics"]] == ["errors", "requests", "rate"]
    assert "Dimensions" not in found
