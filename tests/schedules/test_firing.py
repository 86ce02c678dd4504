"""Schedules fire: on time, in their zone, inside their window, once after an outage, and to
each kind of target; failures reach the dead-letter queue. The clock is the server's
ManualClock (server.advance), never real time."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import make_queue, unique, wait_for

from stratus.store.clock import ManualClock
from stratus.testing import RunningServer, serve_in_thread

ROLE = "arn:aws:iam::000000000000:role/scheduler"
OFF = {"Mode": "OFF"}
CONTEXT = json.dumps(
    {
        "arn": "<aws.scheduler.schedule-arn>",
        "time": "<aws.scheduler.scheduled-time>",
        "execution": "<aws.scheduler.execution-id>",
        "attempt": "<aws.scheduler.attempt-number>",
    }
)
RECORDER = """
import json, os
os.umask(0)
def handler(event, context):
    with open(os.environ["OUT"], "a") as out:
        out.write(json.dumps(event) + "\\n")
"""


@pytest.fixture(scope="session")
def scheduler(server: Any) -> Any:
    return server.client("scheduler")


def _at(server: RunningServer, seconds: float) -> tuple[str, float]:
    """An at() expression `seconds` from the server's now (whole seconds), and its epoch."""
    assert server.clock is not None
    moment = math.floor(server.clock.now() + seconds)
    text = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"at({text})", float(moment)


def _z(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _receive(sqs: Any, url: str, wait: int = 0, **extra: Any) -> list[dict[str, Any]]:
    answer = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait, **extra
    )
    messages: list[dict[str, Any]] = answer.get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return messages


def _bodies(sqs: Any, url: str, wait: int = 0) -> list[Any]:
    return [json.loads(m["Body"]) for m in _receive(sqs, url, wait)]


def test_rate_schedule_fires_each_period_with_its_context(server, scheduler, sqs):
    """rate(5 minutes) first fires one period after creation, then every period; the Input
    reaches the queue as it is, context attributes filled in; DISABLED stops it."""
    url, queue = make_queue(sqs)
    name = unique("every5")
    arn = scheduler.create_schedule(
        Name=name, ScheduleExpression="rate(5 minutes)", FlexibleTimeWindow=OFF,
        Target={"Arn": queue, "RoleArn": ROLE, "Input": CONTEXT},
    )["ScheduleArn"]  # fmt: skip
    created = scheduler.get_schedule(Name=name)["CreationDate"].timestamp()

    server.advance(created + 299 - server.clock.now())
    before = _bodies(sqs, url)
    server.advance(1)
    first = _bodies(sqs, url, wait=2)
    server.advance(300)
    second = _bodies(sqs, url, wait=2)
    scheduler.update_schedule(
        Name=name, ScheduleExpression="rate(5 minutes)", FlexibleTimeWindow=OFF,
        State="DISABLED", Target={"Arn": queue, "RoleArn": ROLE, "Input": CONTEXT},
    )  # fmt: skip
    server.advance(900)

    assert before == []
    assert len(first) == 1
    assert first[0]["arn"] == arn
    assert first[0]["time"] == _z(created + 300)
    assert first[0]["attempt"] == "1"
    assert len(first[0]["execution"]) >= 32
    assert [b["time"] for b in second] == [_z(created + 600)]
    assert second[0]["execution"] != first[0]["execution"]
    assert _bodies(sqs, url) == []
    scheduler.delete_schedule(Name=name)


def test_one_time_schedule_fires_once_and_deletes_itself_when_asked(server, scheduler, sqs):
    """at() fires once at its time; ActionAfterCompletion DELETE removes the schedule after,
    NONE keeps it."""
    url, queue = make_queue(sqs)
    expression, moment = _at(server, 120)
    deleting, keeping = unique("once-del"), unique("once-keep")
    for name, action in ((deleting, "DELETE"), (keeping, "NONE")):
        scheduler.create_schedule(
            Name=name, ScheduleExpression=expression, FlexibleTimeWindow=OFF,
            ActionAfterCompletion=action,
            Target={"Arn": queue, "RoleArn": ROLE, "Input": CONTEXT},
        )  # fmt: skip

    server.advance(moment - 1 - server.clock.now())
    early = _bodies(sqs, url)
    server.advance(1)
    fired = _bodies(sqs, url, wait=2)
    server.advance(7 * 86_400)

    assert early == []
    assert sorted(b["time"] for b in fired) == [_z(moment)] * 2
    assert _bodies(sqs, url) == []
    with pytest.raises(scheduler.exceptions.ResourceNotFoundException):
        scheduler.get_schedule(Name=deleting)
    assert scheduler.get_schedule(Name=keeping)["State"] == "ENABLED"


def test_flexible_window_fires_within_the_window(server, scheduler, sqs):
    """FLEXIBLE with MaximumWindowInMinutes 10: never before the scheduled time, always by
    its end; each schedule fires once, its scheduled-time the scheduled one."""
    url, queue = make_queue(sqs)
    expression, moment = _at(server, 60)
    names = [unique("flex") for _ in range(6)]
    for name in names:
        scheduler.create_schedule(
            Name=name, ScheduleExpression=expression, ActionAfterCompletion="DELETE",
            FlexibleTimeWindow={"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 10},
            Target={"Arn": queue, "RoleArn": ROLE, "Input": CONTEXT},
        )  # fmt: skip

    server.advance(moment - 1 - server.clock.now())
    early = _bodies(sqs, url)
    arrived: list[Any] = []
    for step in [60] * 10 + [1]:  # minute by minute through the window, then its last second
        server.advance(step)
        arrived += _bodies(sqs, url, wait=1)
    server.advance(3600)
    late = _bodies(sqs, url)

    assert early == []
    assert sorted(b["arn"].rsplit("/", 1)[1] for b in arrived) == sorted(names)
    assert {b["time"] for b in arrived} == {_z(moment)}
    assert late == []


def test_fifo_queue_target_gets_the_message_group(server, scheduler, sqs):
    """SqsParameters.MessageGroupId is the FIFO message's group."""
    url, queue = make_queue(sqs, unique("sched") + ".fifo")
    expression, moment = _at(server, 30)
    scheduler.create_schedule(
        Name=unique("fifo"), ScheduleExpression=expression, FlexibleTimeWindow=OFF,
        Target={"Arn": queue, "RoleArn": ROLE, "Input": "plain text",
                "SqsParameters": {"MessageGroupId": "nightly"}},
    )  # fmt: skip

    server.advance(moment - server.clock.now())
    messages = _receive(sqs, url, wait=2, AttributeNames=["MessageGroupId"])

    assert [(m["Body"], m["Attributes"]["MessageGroupId"]) for m in messages] == [
        ("plain text", "nightly")
    ]


def test_bus_and_topic_targets(server, scheduler, sqs, sns):
    """An event bus target gets the Input as an event's detail, with EventBridgeParameters'
    source and detail-type (a rule routes it on); a topic target gets it as the message."""
    events = server.client("events")
    bus = unique("sched-bus")
    events.create_event_bus(Name=bus)
    routed_url, routed = make_queue(sqs)
    rule = unique("r")
    events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps({"source": ["cron.jobs"]}))
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "q", "Arn": routed}])
    topic = sns.create_topic(Name=unique("sched-topic"))["TopicArn"]
    fanned_url, fanned = make_queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=fanned,
                  Attributes={"RawMessageDelivery": "true"})  # fmt: skip
    expression, moment = _at(server, 30)
    bus_arn = f"arn:aws:events:us-east-1:000000000000:event-bus/{bus}"
    scheduler.create_schedule(
        Name=unique("to-bus"), ScheduleExpression=expression, FlexibleTimeWindow=OFF,
        Target={"Arn": bus_arn, "RoleArn": ROLE, "Input": '{"job": "report"}',
                "EventBridgeParameters": {"Source": "cron.jobs", "DetailType": "Nightly"}},
    )  # fmt: skip
    scheduler.create_schedule(
        Name=unique("to-topic"), ScheduleExpression=expression, FlexibleTimeWindow=OFF,
        Target={"Arn": topic, "RoleArn": ROLE, "Input": "hello"},
    )  # fmt: skip

    server.advance(moment - server.clock.now())
    routed_events = _bodies(sqs, routed_url, wait=2)
    published = [m["Body"] for m in _receive(sqs, fanned_url, wait=2)]

    assert [(e["source"], e["detail-type"], e["detail"]) for e in routed_events] == [
        ("cron.jobs", "Nightly", {"job": "report"})
    ]
    assert published == ["hello"]


def test_lambda_target_is_invoked_with_the_input(server, scheduler, deploy, lambda_client,
                                                  shared_dir):  # fmt: skip
    """A function target is invoked asynchronously with the Input as its event."""
    out = shared_dir / "scheduled.jsonl"
    name = deploy(RECORDER, Environment={"Variables": {"OUT": str(out)}})
    function = lambda_client.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    expression, moment = _at(server, 30)
    scheduler.create_schedule(
        Name=unique("to-fn"), ScheduleExpression=expression, FlexibleTimeWindow=OFF,
        Target={"Arn": function, "RoleArn": ROLE, "Input": '{"order": 7}'},
    )  # fmt: skip

    server.advance(moment - server.clock.now())

    assert wait_for(lambda: out.exists() and out.read_text().strip())
    assert [json.loads(line) for line in out.read_text().splitlines()] == [{"order": 7}]


def test_state_machine_target_starts_an_execution_with_the_input(server, scheduler):
    """A state machine target (Step Functions' StartExecution templated target) starts an
    execution whose input is the schedule's Input."""
    sfn = server.client("stepfunctions")
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Pass", "End": True}}}
    machine = sfn.create_state_machine(
        name=unique("scheduled"), definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]
    expression, moment = _at(server, 30)
    scheduler.create_schedule(
        Name=unique("to-machine"), ScheduleExpression=expression, FlexibleTimeWindow=OFF,
        Target={"Arn": machine, "RoleArn": ROLE, "Input": '{"report": "nightly"}'},
    )  # fmt: skip

    server.advance(moment - server.clock.now())

    assert wait_for(lambda: sfn.list_executions(stateMachineArn=machine)["executions"])
    [execution] = sfn.list_executions(stateMachineArn=machine)["executions"]
    started = sfn.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(started["input"]) == {"report": "nightly"}


def test_failed_invocation_goes_to_the_dead_letter_queue(server, scheduler, sqs):
    """A target that cannot be invoked sends the Input to the DLQ, with AWS's attributes."""
    dlq_url, dlq = make_queue(sqs)
    missing = "arn:aws:lambda:us-east-1:000000000000:function:no-such-function"
    expression, moment = _at(server, 30)
    arn = scheduler.create_schedule(
        Name=unique("doomed"), ScheduleExpression=expression, FlexibleTimeWindow=OFF,
        Target={"Arn": missing, "RoleArn": ROLE, "Input": '{"n": 1}',
                "RetryPolicy": {"MaximumRetryAttempts": 2, "MaximumEventAgeInSeconds": 600},
                "DeadLetterConfig": {"Arn": dlq}},
    )["ScheduleArn"]  # fmt: skip

    server.advance(moment - server.clock.now())
    letters = _receive(sqs, dlq_url, wait=2, MessageAttributeNames=["All"])

    assert [m["Body"] for m in letters] == ['{"n": 1}']
    attributes = {k: v["StringValue"] for k, v in letters[0]["MessageAttributes"].items()}
    assert attributes["SCHEDULE_ARN"] == arn
    assert attributes["TARGET_ARN"] == missing
    assert attributes["ERROR_CODE"] == "AWS.Scheduler.ResourceNotFoundException"
    assert attributes["RETRY_ATTEMPTS"] == "0"  # a target that does not exist: no retries
    assert attributes["ERROR_MESSAGE"]


# 2027-03-13 12:00 UTC: the day before daylight saving time starts in New York.
BEFORE_DST = datetime(2027, 3, 13, 12, tzinfo=UTC).timestamp()


def _server_at(data: Path, start: float) -> Any:
    return serve_in_thread(data, clock=ManualClock(start))


def test_cron_in_a_time_zone_skips_the_time_dst_skips(tmp_path):
    """cron(30 2 * * ? *) in America/New_York: 02:30 does not exist on 2027-03-14, so the
    next run is 2027-03-15 02:30 EDT (06:30 UTC), and none between."""
    with _server_at(tmp_path / "data", BEFORE_DST) as running:
        scheduler, sqs = running.client("scheduler"), running.client("sqs")
        url, queue = make_queue(sqs, "nightly")
        scheduler.create_schedule(
            Name="nightly", ScheduleExpression="cron(30 2 * * ? *)",
            ScheduleExpressionTimezone="America/New_York", FlexibleTimeWindow=OFF,
            Target={"Arn": queue, "RoleArn": ROLE, "Input": CONTEXT},
        )  # fmt: skip

        running.advance(datetime(2027, 3, 14, 12, tzinfo=UTC).timestamp() - BEFORE_DST)
        on_the_day = _bodies(sqs, url)
        running.advance(19 * 3600)  # 2027-03-15 07:00 UTC
        next_day = _bodies(sqs, url, wait=2)

    assert on_the_day == []
    assert [b["time"] for b in next_day] == ["2027-03-15T06:30:00Z"]


def test_after_a_restart_missed_runs_fire_once(tmp_path):
    """Stopped for 10 hours, an hourly schedule fires once (for the latest missed hour), a
    missed one-time schedule fires once and deletes itself; then the hourly goes on."""
    data = tmp_path / "data"
    start = datetime(2027, 6, 1, 0, 0, 30, tzinfo=UTC).timestamp()
    with _server_at(data, start) as running:
        scheduler, sqs = running.client("scheduler"), running.client("sqs")
        url, queue = make_queue(sqs, "missed")
        scheduler.create_schedule(
            Name="hourly", ScheduleExpression="cron(0 * * * ? *)", FlexibleTimeWindow=OFF,
            Target={"Arn": queue, "RoleArn": ROLE, "Input": CONTEXT},
        )  # fmt: skip
        scheduler.create_schedule(
            Name="once", ScheduleExpression="at(2027-06-01T05:00:00)", FlexibleTimeWindow=OFF,
            ActionAfterCompletion="DELETE",
            Target={"Arn": queue, "RoleArn": ROLE, "Input": CONTEXT},
        )  # fmt: skip

    ten_hours_later = start + 10 * 3600
    with _server_at(data, ten_hours_later) as again:
        scheduler, sqs = again.client("scheduler"), again.client("sqs")
        again.wait_idle()
        caught_up = _bodies(sqs, url, wait=2)
        again.advance(3600)
        resumed = _bodies(sqs, url, wait=2)
        listed = [s["Name"] for s in scheduler.list_schedules()["Schedules"]]

    by_name = sorted((b["arn"].rsplit("/", 1)[1], b["time"]) for b in caught_up)
    assert by_name == [("hourly", "2027-06-01T10:00:00Z"), ("once", "2027-06-01T05:00:00Z")]
    assert [b["time"] for b in resumed] == ["2027-06-01T11:00:00Z"]
    assert listed == ["hourly"]


def test_rate_runs_from_start_date_until_end_date(server, scheduler, sqs):
    """With StartDate, a rate first fires at it, then every period, never after EndDate."""
    url, queue = make_queue(sqs)
    start = math.floor(server.clock.now()) + 7200
    end = start + 2 * 3600 + 1800
    scheduler.create_schedule(
        Name=unique("window"), ScheduleExpression="rate(1 hour)", FlexibleTimeWindow=OFF,
        StartDate=datetime.fromtimestamp(start, UTC), EndDate=datetime.fromtimestamp(end, UTC),
        Target={"Arn": queue, "RoleArn": ROLE, "Input": CONTEXT},
    )  # fmt: skip

    server.advance(start - 1 - server.clock.now())
    before = _bodies(sqs, url)
    seen: list[str] = []
    for _ in range(5):
        server.advance(3600)
        seen += [b["time"] for b in _bodies(sqs, url, wait=1)]

    assert before == []
    assert seen == [_z(start), _z(start + 3600), _z(start + 7200)]
