"""Archives and replays on the event bus.

    archive   on one bus (EventSourceArn), with an optional EventPattern and RetentionDays
              (0: forever). PutEvents stores each event the archive's pattern matches, in the
              same transaction as its deliveries (`record`): an answered event is archived.
              SizeBytes / EventCount are counted from the stored rows (AWS updates them
              within a day; ours are exact). Events past the retention are deleted when the
              archive is next read or replayed.
    states    CreateArchive answers CREATING and UpdateArchive UPDATING, as AWS does; the
              archive is ENABLED from then on (it records from its creation: there is no
              provisioning to wait for locally)
    replay    events of one archive received in [EventStartTime, EventEndTime), in the order
              they came (received time, then arrival), sent again to the rules of the
              archive's bus (Destination.Arn; only the rules in FilterArns when given) with a
              top-level "replay-name" field, as
              AWS adds (a rule can refuse replays with {"replay-name": [{"exists": false}]}).

    StartReplay -> STARTING, one work item (kind events.replay)
    each step   -> the events of one one-minute window (AWS processes a replay "in one
                   minute intervals": the window from EventStartTime + k minutes), up to
                   100 of them, routed; cursor and EventLastReplayedTime saved in the same
                   transaction: RUNNING. The next window is the next one holding an event
                   (empty minutes cost nothing). A big archive is thus replayed as many
                   small work items, between which other work runs, never all at once. A
                   crash resumes from the cursor, so an event is re-sent at most once per
                   crash (at-least-once, as deliveries are)
    last step   -> COMPLETED (ReplayEndTime); CancelReplay -> CANCELLING, and the next step
                   -> CANCELLED; an archive deleted under a replay -> FAILED
Replayed events are not archived again.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from stratus.config import Settings
from stratus.errors import AlreadyExists, Conflict, NotFound, Validation
from stratus.patterns.eventbridge import parse_event_pattern
from stratus.patterns.rule import Rule as Pattern
from stratus.store.db import Database, transaction
from stratus.store.work import Kind, WorkItem, WorkQueue

REPLAYS = Kind("events.replay", lease_s=60.0)
REPLAY_STEP = 100
REPLAY_WINDOW_S = 60.0  # AWS replays in one-minute intervals of the archive's time
DAY_S = 86_400.0
_DONE = ("COMPLETED", "CANCELLED", "FAILED")

# Routes one replayed envelope to the rules of a bus (all, or those whose ARN is in `only`),
# staging its deliveries in the caller's transaction: the bus service's routing.
Route = Callable[[sqlite3.Connection, str, dict[str, Any], set[str] | None, float], None]


@functools.lru_cache(maxsize=256)
def _pattern(text: str) -> Pattern:
    return parse_event_pattern(text)


class Archives:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        work: WorkQueue,
        route: Route,
        bus_arn: Callable[[str], str],
    ) -> None:
        self._db = db
        self._work = work
        self._clock = work.clock
        self._route = route
        self._bus_arn = bus_arn
        self._prefix = f"arn:aws:events:{settings.region}:{settings.account_id}:"

    def arn(self, kind: str, name: str) -> str:
        return f"{self._prefix}{kind}/{name}"

    # -- archives ---------------------------------------------------------------------------
    async def create(
        self, name: str, source_arn: str, pattern: str | None, description: str | None,
        retention: int | None,
    ) -> dict[str, Any]:  # fmt: skip
        if pattern is not None:
            _pattern(pattern)  # InvalidPattern with AWS's reason
        bus = self._bus_of(source_arn)
        now = self._clock.now()
        doc = {"ArchiveArn": self.arn("archive", name), "EventSourceArn": source_arn,
               "Description": description, "EventPattern": pattern,
               "RetentionDays": retention or 0, "CreationTime": now}  # fmt: skip

        def create(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if conn.execute("SELECT 1 FROM events_buses WHERE name = ?", (bus,)).fetchone() \
                        is None:  # fmt: skip
                    raise NotFound(f"Event bus {bus} does not exist.")
                inserted = conn.execute(
                    "INSERT INTO events_archives (name, bus, doc) VALUES (?, ?, ?) "
                    "ON CONFLICT (name) DO NOTHING", (name, bus, orjson.dumps(doc)),
                ).rowcount  # fmt: skip
                if not inserted:
                    raise AlreadyExists(f"Archive {name} already exists.")

        await self._db.run(create)
        return {"ArchiveArn": doc["ArchiveArn"], "State": "CREATING",
                "CreationTime": _time(now)}  # fmt: skip

    async def update(
        self, name: str, pattern: str | None, description: str | None, retention: int | None
    ) -> dict[str, Any]:
        if pattern is not None:
            _pattern(pattern)

        def update(conn: sqlite3.Connection) -> dict[str, Any]:
            with transaction(conn):
                doc = _archive(conn, name)
                changes = {"EventPattern": pattern, "Description": description,
                           "RetentionDays": retention}  # fmt: skip
                doc.update({k: v for k, v in changes.items() if v is not None})
                conn.execute("UPDATE events_archives SET doc = ? WHERE name = ?",
                             (orjson.dumps(doc), name))  # fmt: skip
                return doc

        doc = await self._db.run(update)
        return {"ArchiveArn": doc["ArchiveArn"], "State": "UPDATING",
                "CreationTime": _time(doc["CreationTime"])}  # fmt: skip

    async def delete(self, name: str) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                _archive(conn, name)
                conn.execute("DELETE FROM events_archives WHERE name = ?", (name,))
                conn.execute("DELETE FROM events_archived WHERE archive = ?", (name,))

        await self._db.run(delete)

    async def describe(self, name: str) -> dict[str, Any]:
        def read(conn: sqlite3.Connection) -> dict[str, Any]:
            return self._described(conn, name, _archive(conn, name))

        return await self._db.run(read)

    async def archives(
        self, prefix: str, source_arn: str | None, state: str | None
    ) -> list[dict[str, Any]]:
        def read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            rows = conn.execute(
                "SELECT name, doc FROM events_archives WHERE substr(name, 1, ?) = ? "
                "ORDER BY name", (len(prefix), prefix),
            ).fetchall()  # fmt: skip
            found = [self._described(conn, row[0], orjson.loads(row[1])) for row in rows]
            keep = ("ArchiveName", "EventSourceArn", "State", "RetentionDays", "SizeBytes",
                    "EventCount", "CreationTime")  # fmt: skip
            return [
                {k: a[k] for k in keep if k in a}
                for a in found
                if (source_arn is None or a["EventSourceArn"] == source_arn)
                and (state is None or state == "ENABLED")
            ]

        return await self._db.run(read)

    def _described(
        self, conn: sqlite3.Connection, name: str, doc: dict[str, Any]
    ) -> dict[str, Any]:
        self._expire(conn, name, doc)
        count, size = conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM events_archived WHERE archive = ?",
            (name,),
        ).fetchone()
        answer = {k: v for k, v in doc.items() if v is not None}
        return answer | {"ArchiveName": name, "State": "ENABLED", "EventCount": count,
                         "SizeBytes": size, "CreationTime": _time(doc["CreationTime"])}  # fmt: skip

    def _expire(self, conn: sqlite3.Connection, name: str, doc: dict[str, Any]) -> None:
        days = int(doc.get("RetentionDays") or 0)
        if days > 0:
            oldest = self._clock.now() - days * DAY_S
            conn.execute("DELETE FROM events_archived WHERE archive = ? AND received < ?",
                         (name, oldest))  # fmt: skip

    def record(
        self, conn: sqlite3.Connection, bus: str, envelope: dict[str, Any], now: float
    ) -> None:
        """Inside PutEvents' transaction: store the event in each archive of `bus` it matches."""
        body: bytes | None = None
        for name, doc in conn.execute(
            "SELECT name, doc FROM events_archives WHERE bus = ?", (bus,)
        ):
            pattern = orjson.loads(doc).get("EventPattern")
            if pattern is None or _pattern(pattern).matches(envelope):
                body = body or orjson.dumps(envelope)
                conn.execute(
                    "INSERT INTO events_archived (archive, received, size, envelope) "
                    "VALUES (?, ?, ?, ?)", (name, now, len(body), body),
                )  # fmt: skip

    # -- replays ----------------------------------------------------------------------------
    async def start_replay(
        self, name: str, source_arn: str, start: datetime, end: datetime,
        destination: dict[str, Any], description: str | None,
    ) -> dict[str, Any]:  # fmt: skip
        if end <= start:
            raise Validation("Parameter EventEndTime is not valid. Reason: EventStartTime "
                             "must be before EventEndTime.")  # fmt: skip
        archive = source_arn.rpartition("archive/")[2] if ":archive/" in source_arn else ""
        now = self._clock.now()
        doc = {"ReplayName": name, "ReplayArn": self.arn("replay", name),
               "Description": description, "State": "STARTING", "EventSourceArn": source_arn,
               "Destination": destination, "EventStartTime": start.timestamp(),
               "EventEndTime": end.timestamp(), "ReplayStartTime": now,
               "after": [start.timestamp(), 0]}  # fmt: skip

        def start_it(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                row = conn.execute("SELECT bus FROM events_archives WHERE name = ?",
                                   (archive,)).fetchone()  # fmt: skip
                if row is None:
                    raise NotFound(f"Archive {archive or source_arn} does not exist.")
                if destination["Arn"] != self._bus_arn(row[0]):
                    raise Validation("Parameter Destination.Arn is not valid. Reason: Cross "
                                     "event bus replay is not permitted.")  # fmt: skip
                inserted = conn.execute(
                    "INSERT INTO events_replays (name, doc) VALUES (?, ?) "
                    "ON CONFLICT (name) DO NOTHING", (name, orjson.dumps(doc)),
                ).rowcount  # fmt: skip
                if not inserted:
                    raise AlreadyExists(f"Replay {name} already exists.")
                self._work.enqueue(conn, REPLAYS, name, b"", subject=name)

        await self._db.run(start_it)
        return {"ReplayArn": doc["ReplayArn"], "State": "STARTING",
                "ReplayStartTime": _time(now)}  # fmt: skip

    async def cancel_replay(self, name: str) -> dict[str, Any]:
        def cancel(conn: sqlite3.Connection) -> dict[str, Any]:
            with transaction(conn):
                doc = _replay(conn, name)
                if doc["State"] in (*_DONE, "CANCELLING"):
                    raise Conflict(f"Replay {name} is {doc['State']} and cannot be cancelled.")
                doc["State"] = "CANCELLING"
                _save_replay(conn, doc)
                return doc

        doc = await self._db.run(cancel)
        return {"ReplayArn": doc["ReplayArn"], "State": "CANCELLING"}

    async def describe_replay(self, name: str) -> dict[str, Any]:
        return _replay_answer(await self._db.run(lambda conn: _replay(conn, name)))

    async def list_replays(
        self, prefix: str, state: str | None, source_arn: str | None
    ) -> list[dict[str, Any]]:
        def read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            rows = conn.execute(
                "SELECT doc FROM events_replays WHERE substr(name, 1, ?) = ? ORDER BY name",
                (len(prefix), prefix),
            )
            return [orjson.loads(row[0]) for row in rows]

        keep = ("ReplayName", "EventSourceArn", "State", "StateReason", "EventStartTime",
                "EventEndTime", "EventLastReplayedTime", "ReplayStartTime",
                "ReplayEndTime")  # fmt: skip
        return [
            {k: v for k, v in _replay_answer(doc).items() if k in keep}
            for doc in await self._db.run(read)
            if (state is None or doc["State"] == state)
            and (source_arn is None or doc["EventSourceArn"] == source_arn)
        ]

    async def wait_step(self, item: WorkItem) -> None:
        """One step of a replay: up to REPLAY_STEP events sent on, or its end."""
        await self._db.run(lambda conn: self._step(conn, item))

    def _step(self, conn: sqlite3.Connection, item: WorkItem) -> None:
        now = self._clock.now()
        with transaction(conn):
            row = conn.execute("SELECT doc FROM events_replays WHERE name = ?",
                               (item.subject,)).fetchone()  # fmt: skip
            if row is None:
                self._work.ack(conn, item)
                return
            doc = orjson.loads(row[0])
            archive = doc["EventSourceArn"].rpartition("archive/")[2]
            archived = conn.execute("SELECT doc FROM events_archives WHERE name = ?",
                                    (archive,)).fetchone()  # fmt: skip
            if doc["State"] == "CANCELLING":
                self._finish(conn, item, doc, "CANCELLED", now)
                return
            if archived is None:
                doc["StateReason"] = f"Archive {archive} was deleted."
                self._finish(conn, item, doc, "FAILED", now)
                return
            self._expire(conn, archive, orjson.loads(archived[0]))
            rows = _next_window(conn, archive, doc)
            if not rows:
                self._finish(conn, item, doc, "COMPLETED", now)
                return
            bus = doc["Destination"]["Arn"].rpartition("event-bus/")[2]
            only = set(doc["Destination"].get("FilterArns") or ()) or None
            for seq, received, envelope in rows:
                event = orjson.loads(envelope) | {"replay-name": doc["ReplayName"]}
                self._route(conn, bus, event, only, now)
                doc["after"], doc["EventLastReplayedTime"] = [received, seq], received
            doc["State"] = "RUNNING"
            _save_replay(conn, doc)
            self._work.retry(conn, item, delay=0.0)

    def _finish(
        self, conn: sqlite3.Connection, item: WorkItem, doc: dict[str, Any], state: str,
        now: float,
    ) -> None:  # fmt: skip
        doc["State"], doc["ReplayEndTime"] = state, now
        _save_replay(conn, doc)
        self._work.ack(conn, item)

    def _bus_of(self, source_arn: str) -> str:
        if not source_arn.startswith(f"{self._prefix}event-bus/"):
            raise Validation(f"Parameter EventSourceArn is not valid: {source_arn} is not an "
                             "event bus of this account and region.")  # fmt: skip
        return source_arn.rpartition("event-bus/")[2]


def _next_window(
    conn: sqlite3.Connection, archive: str, doc: dict[str, Any]
) -> list[tuple[int, float, bytes]]:
    """The next events to replay: after the cursor, in the one-minute window (counted from
    EventStartTime) of the first of them, REPLAY_STEP at most; none when all were sent."""
    start, end = doc["EventStartTime"], doc["EventEndTime"]
    received, seq = doc.get("after") or [start, 0]
    later = "archive = ? AND (received > ? OR (received = ? AND seq > ?)) AND received >= ?"
    args = (archive, received, received, seq, start)
    first = conn.execute(
        f"SELECT min(received) FROM events_archived WHERE {later}", args
    ).fetchone()[0]
    if first is None or first >= end:
        return []
    window_end = start + (int((first - start) // REPLAY_WINDOW_S) + 1) * REPLAY_WINDOW_S
    rows = conn.execute(
        f"SELECT seq, received, envelope FROM events_archived WHERE {later} AND received < ? "
        "ORDER BY received, seq LIMIT ?",
        (*args, min(window_end, end), REPLAY_STEP),
    ).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]


def _archive(conn: sqlite3.Connection, name: str) -> dict[str, Any]:
    row = conn.execute("SELECT doc FROM events_archives WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise NotFound(f"Archive {name} does not exist.")
    doc: dict[str, Any] = orjson.loads(row[0])
    return doc


def _replay(conn: sqlite3.Connection, name: str) -> dict[str, Any]:
    row = conn.execute("SELECT doc FROM events_replays WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise NotFound(f"Replay {name} does not exist.")
    doc: dict[str, Any] = orjson.loads(row[0])
    return doc


def _save_replay(conn: sqlite3.Connection, doc: dict[str, Any]) -> None:
    conn.execute("UPDATE events_replays SET doc = ? WHERE name = ?",
                 (orjson.dumps(doc), doc["ReplayName"]))  # fmt: skip


def _replay_answer(doc: dict[str, Any]) -> dict[str, Any]:
    times = ("EventStartTime", "EventEndTime", "EventLastReplayedTime", "ReplayStartTime",
             "ReplayEndTime")  # fmt: skip
    return {
        k: _time(v) if k in times else v
        for k, v in doc.items()
        if v is not None and k not in ("cursor", "after")
    }


def _time(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
