"""Archives keep the events a bus received; replays send them to the bus's rules again."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import make_queue, unique


@pytest.fixture(scope="session")
def events(server: Any) -> Any:
    return server.client("events")


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def _drain(sqs: Any, url: str, wait: int = 1) -> list[dict[str, Any]]:
    bodies: list[dict[str, Any]] = []
    while True:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=wait)
        messages = answer.get("Messages", [])
        if not messages:
            return bodies
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        wait = 0


def _bus(events: Any) -> tuple[str, str]:
    name = unique("abus")
    arn = events.create_event_bus(Name=name)["EventBusArn"]
    return name, arn


def _put(events: Any, bus: str, source: str, n: int) -> str:
    entry = {"Source": source, "DetailType": "t", "Detail": json.dumps({"n": n}),
             "EventBusName": bus}  # fmt: skip
    answer = events.put_events(Entries=[entry])
    assert answer["FailedEntryCount"] == 0
    return str(answer["Entries"][0]["EventId"])


def _now(server: Any) -> datetime:
    return datetime.fromtimestamp(server.clock.now(), UTC)


def test_archive_keeps_the_events_its_pattern_matches(server, events):
    """An archive counts the matching events it stored; Update, List and Delete work, and
    AWS's refusals come with AWS's codes."""
    bus, bus_arn = _bus(events)
    name = unique("arch")
    created = events.create_archive(
        ArchiveName=name, EventSourceArn=bus_arn, RetentionDays=3,
        EventPattern=json.dumps({"source": ["shop"]}),
    )  # fmt: skip
    for n in range(3):
        _put(events, bus, "shop", n)
    _put(events, bus, "elsewhere", 9)

    described = events.describe_archive(ArchiveName=name)
    assert created["ArchiveArn"] == f"arn:aws:events:us-east-1:000000000000:archive/{name}"
    assert created["State"] == "CREATING"  # as AWS answers; ENABLED from then on
    assert described["State"] == "ENABLED"
    assert described["EventCount"] == 3
    assert described["SizeBytes"] > 3 * len('{"n": 0}')
    assert (described["EventSourceArn"], described["RetentionDays"]) == (bus_arn, 3)
    listed = events.list_archives(EventSourceArn=bus_arn)["Archives"]
    assert [(a["ArchiveName"], a["EventCount"]) for a in listed] == [(name, 3)]

    updated = events.update_archive(
        ArchiveName=name, EventPattern=json.dumps({"source": ["elsewhere"]})
    )
    assert updated["State"] == "UPDATING"
    _put(events, bus, "elsewhere", 10)
    assert events.describe_archive(ArchiveName=name)["EventCount"] == 4

    with pytest.raises(ClientError) as twice:
        events.create_archive(ArchiveName=name, EventSourceArn=bus_arn)
    assert _code(twice) == "ResourceAlreadyExistsException"
    with pytest.raises(ClientError) as no_bus:
        events.create_archive(ArchiveName=unique("a"),
                              EventSourceArn=bus_arn + "-missing")  # fmt: skip
    assert _code(no_bus) == "ResourceNotFoundException"
    with pytest.raises(ClientError) as bad_pattern:
        events.create_archive(ArchiveName=unique("a"), EventSourceArn=bus_arn,
                              EventPattern='{"source": "shop"}')  # fmt: skip
    assert _code(bad_pattern) == "InvalidEventPatternException"

    events.delete_archive(ArchiveName=name)
    with pytest.raises(ClientError) as gone:
        events.describe_archive(ArchiveName=name)
    assert _code(gone) == "ResourceNotFoundException"


def test_retention_drops_old_events(server, events):
    """Events older than RetentionDays are no longer in the archive."""
    bus, bus_arn = _bus(events)
    name = unique("short")
    events.create_archive(ArchiveName=name, EventSourceArn=bus_arn, RetentionDays=1)
    _put(events, bus, "x", 1)
    server.advance(86_400 + 60)
    _put(events, bus, "x", 2)

    assert events.describe_archive(ArchiveName=name)["EventCount"] == 1


def test_replay_sends_the_window_again_with_replay_name(server, events, sqs):
    """A replay of a time window sends those events, and only those, to the bus's rules with
    a replay-name field; FilterArns narrows the rules; a rule can refuse replays by pattern.
    The replay ends COMPLETED and cannot be cancelled then."""
    bus, bus_arn = _bus(events)
    archive = unique("all")
    archive_arn = events.create_archive(ArchiveName=archive, EventSourceArn=bus_arn)["ArchiveArn"]
    urls = {}
    rule_arns = {}
    patterns = {
        "plain": {"source": ["shop"]},
        "other": {"source": ["shop"]},
        "live-only": {"source": ["shop"], "replay-name": [{"exists": False}]},
    }
    for key, pattern in patterns.items():
        urls[key], queue = make_queue(sqs)
        rule = unique(key)
        rule_arns[key] = events.put_rule(Name=rule, EventBusName=bus,
                                         EventPattern=json.dumps(pattern))["RuleArn"]  # fmt: skip
        events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "q", "Arn": queue}])

    first = _put(events, bus, "shop", 1)
    server.advance(30)
    start = _now(server)
    server.advance(30)
    second = _put(events, bus, "shop", 2)
    server.advance(30)
    end = _now(server)
    server.advance(30)
    third = _put(events, bus, "shop", 3)
    _put(events, bus, "shop", 4)
    for url in urls.values():
        assert len(_drain(sqs, url)) == 4  # the live deliveries

    replay = unique("again")
    started = events.start_replay(
        ReplayName=replay, EventSourceArn=archive_arn, EventStartTime=start, EventEndTime=end,
        Destination={"Arn": bus_arn, "FilterArns": [rule_arns["plain"], rule_arns["live-only"]]},
    )  # fmt: skip
    server.wait_idle()
    replayed = _drain(sqs, urls["plain"])
    described = events.describe_replay(ReplayName=replay)

    assert started["State"] == "STARTING"
    assert started["ReplayArn"] == f"arn:aws:events:us-east-1:000000000000:replay/{replay}"
    assert [(e["id"], e["replay-name"], e["detail"]) for e in replayed] == [
        (second, replay, {"n": 2})
    ]
    assert _drain(sqs, urls["other"], wait=0) == []  # not in FilterArns
    assert _drain(sqs, urls["live-only"], wait=0) == []  # refuses replays
    assert described["State"] == "COMPLETED"
    assert described["EventSourceArn"] == archive_arn
    assert described["Destination"]["Arn"] == bus_arn
    assert "ReplayEndTime" in described
    assert "EventLastReplayedTime" in described
    assert [r["ReplayName"] for r in events.list_replays(NamePrefix=replay)["Replays"]] == [replay]
    with pytest.raises(ClientError) as finished:
        events.cancel_replay(ReplayName=replay)
    assert _code(finished) == "IllegalStatusException"
    assert first != second != third


def test_replay_refusals(server, events):
    """Replays to another bus, of a missing archive, with the window reversed, or reusing a
    name are refused with AWS's codes."""
    _, bus_arn = _bus(events)
    _, other_arn = _bus(events)
    archive_arn = events.create_archive(ArchiveName=unique("a"),
                                        EventSourceArn=bus_arn)["ArchiveArn"]  # fmt: skip
    now = _now(server)
    earlier = datetime.fromtimestamp(server.clock.now() - 3600, UTC)
    name = unique("rp")
    events.start_replay(ReplayName=name, EventSourceArn=archive_arn, EventStartTime=earlier,
                        EventEndTime=now, Destination={"Arn": bus_arn})  # fmt: skip

    cases = [
        ({"EventSourceArn": archive_arn, "Destination": {"Arn": other_arn}},
         "ValidationException"),
        ({"EventSourceArn": archive_arn + "-missing", "Destination": {"Arn": bus_arn}},
         "ResourceNotFoundException"),
        ({"EventSourceArn": archive_arn, "Destination": {"Arn": bus_arn},
          "EventStartTime": now, "EventEndTime": earlier}, "ValidationException"),
        ({"ReplayName": name, "EventSourceArn": archive_arn, "Destination": {"Arn": bus_arn}},
         "ResourceAlreadyExistsException"),
    ]  # fmt: skip
    for members, code in cases:
        request = {"ReplayName": unique("rp"), "EventStartTime": earlier, "EventEndTime": now,
                   **members}  # fmt: skip
        with pytest.raises(ClientError) as refused:
            events.start_replay(**request)
        assert _code(refused) == code, members
    with pytest.raises(ClientError) as missing:
        events.describe_replay(ReplayName=unique("nope"))
    assert _code(missing) == "ResourceNotFoundException"
