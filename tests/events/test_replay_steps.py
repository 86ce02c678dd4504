"""A replay runs in steps of REPLAY_STEP events, each its own transaction: between steps it
is RUNNING and CancelReplay stops it (CANCELLING, then CANCELLED), keeping what was sent.
Driven step by step over the real store and work queue (no server, no worker loop)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from stratus.config import Settings
from stratus.events.archives import REPLAY_STEP, REPLAYS
from stratus.events.service import DELIVERIES, EventBusService
from stratus.events.store import SCHEMA as EVENTS_SCHEMA
from stratus.store.clock import ManualClock
from stratus.store.db import Database
from stratus.store.work import SCHEMA as WORK_SCHEMA
from stratus.store.work import WorkQueue

BUS = "arn:aws:events:us-east-1:000000000000:event-bus/default"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "stratus.db", (WORK_SCHEMA, EVENTS_SCHEMA))
    yield database
    database.close()


async def _never(arn: str, payload: bytes, delivery_id: str) -> None:
    raise AssertionError("steps only stage deliveries; nothing is delivered here")


def _deliveries(work: WorkQueue) -> int:
    stats = work.db.run_blocking(work.statistics)
    kind = stats.kinds.get(DELIVERIES.name)
    return 0 if kind is None else kind.queued


def test_cancel_between_steps(db: Database) -> None:
    """250 archived events: the first step sends 100 and leaves the replay RUNNING; a cancel
    then makes it CANCELLING and the next step CANCELLED, with no more events sent."""
    clock = ManualClock(1_800_000_000.0)
    work = WorkQueue(db, clock)
    bus = EventBusService(Settings(data_dir=Path("/nonexistent")), db, work, _never)
    archives = bus.archives

    async def scenario() -> dict[str, Any]:
        await bus.put_rule("default", "all", pattern=json.dumps({"source": ["s"]}),
                           schedule=None, state=None, description=None, role_arn=None,
                           tags={})  # fmt: skip
        await bus.put_targets(
            "default", "all", [{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"}]
        )
        await archives.create("everything", BUS, None, None, None)
        entry = {"Source": "s", "DetailType": "t", "Detail": "{}"}
        for _ in range(25):
            await bus.put_events([entry] * 10)
        live = _deliveries(work)
        clock.advance(60)
        await archives.start_replay(
            "again", archives.arn("archive", "everything"),
            datetime.fromtimestamp(clock.now() - 3600, UTC),
            datetime.fromtimestamp(clock.now(), UTC),
            {"Arn": BUS}, None,
        )  # fmt: skip
        (item,) = work.db.run_blocking(lambda conn: work.claim(conn, REPLAYS, 10))
        await archives.wait_step(item)
        after_one = (await archives.describe_replay("again"))["State"], _deliveries(work) - live
        cancelling = (await archives.cancel_replay("again"))["State"]
        (item,) = work.db.run_blocking(lambda conn: work.claim(conn, REPLAYS, 10))
        await archives.wait_step(item)
        final = await archives.describe_replay("again")
        left = work.db.run_blocking(lambda conn: work.claim(conn, REPLAYS, 10))
        return {"live": live, "after_one": after_one, "cancelling": cancelling,
                "final": final["State"], "sent": _deliveries(work) - live, "left": left,
                "ended": "ReplayEndTime" in final}  # fmt: skip

    found = asyncio.run(scenario())

    assert found["live"] == 250
    assert found["after_one"] == ("RUNNING", REPLAY_STEP)
    assert found["cancelling"] == "CANCELLING"
    assert found["final"] == "CANCELLED"
    assert found["sent"] == REPLAY_STEP
    assert found["left"] == []
    assert found["ended"]


def test_replay_steps_through_one_minute_windows_in_event_time_order(db: Database) -> None:
    """Events archived over three minutes (with an empty minute between) replay one
    one-minute window per step, each window's events in the order they were received; the
    empty minute costs no step; then COMPLETED."""
    clock = ManualClock(1_800_000_000.0)
    work = WorkQueue(db, clock)
    bus = EventBusService(Settings(data_dir=Path("/nonexistent")), db, work, _never)
    archives = bus.archives

    async def scenario() -> tuple[list[int], list[str], str]:
        await bus.put_rule("default", "all", pattern=json.dumps({"source": ["s"]}),
                           schedule=None, state=None, description=None, role_arn=None,
                           tags={})  # fmt: skip
        await bus.put_targets(
            "default", "all", [{"Id": "q", "Arn": "arn:aws:sqs:us-east-1:000000000000:q"}]
        )
        created = (await archives.create("windows", BUS, None, None, None))["State"]
        described = (await archives.describe("windows"))["State"]
        start = clock.now()
        for minute, count in ((0, 3), (1, 2), (3, 4)):
            clock.advance(start + minute * 60 + 10 - clock.now())
            for _ in range(count):
                await bus.put_events([{"Source": "s", "DetailType": "t", "Detail": "{}"}])
        live = _deliveries(work)
        await archives.start_replay(
            "paced", archives.arn("archive", "windows"),
            datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(clock.now() + 1, UTC),
            {"Arn": BUS}, None,
        )  # fmt: skip
        per_step = []
        while True:
            items = work.db.run_blocking(lambda conn: work.claim(conn, REPLAYS, 10))
            if not items:
                break
            before = _deliveries(work)
            await archives.wait_step(items[0])
            per_step.append(_deliveries(work) - before)
        final = (await archives.describe_replay("paced"))["State"]
        assert live == 9
        return per_step, [created, described], final

    per_step, states, final = asyncio.run(scenario())

    assert per_step == [3, 2, 4, 0]  # the last step finds nothing more and completes
    assert states == ["CREATING", "ENABLED"]
    assert final == "COMPLETED"
