"""Stacks on disk: one row per stack, its resources and its events (tables in store/db.py).

A stack's `state` holds what the next operation needs and DescribeStacks does not show:
the parameter values as given (NoEcho ones too) and the processed template's resources with
their resolved properties, so an update can diff against what was really applied.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson

from stratus.errors import AlreadyExists, Invalid
from stratus.store.db import Database, transaction

from .model import ChangeSet, Stack, StackEvent, StackResource, now
from .operations import starts_operation


@dataclass
class Applied:
    """One resource as the engine left it: what it was made from and what it answers."""

    type: str
    physical_id: str
    properties: dict[str, Any]
    attributes: dict[str, Any] = field(default_factory=dict)
    deletion_policy: str = "Delete"

    def dump(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "physical_id": self.physical_id,
            "properties": self.properties,
            "attributes": self.attributes,
            "deletion_policy": self.deletion_policy,
        }


EventListener = Callable[[Stack, StackEvent], Awaitable[None]]


class StackStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self.on_event: EventListener | None = None  # told of every event once stored

    async def insert(self, stack: Stack, template: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            try:
                conn.execute(
                    "INSERT INTO stacks (id, name, record, template) VALUES (?, ?, ?, ?)",
                    (stack.StackId, stack.StackName, stack.model_dump_json(), template),
                )
            except sqlite3.IntegrityError:
                raise AlreadyExists(f"Stack [{stack.StackName}] already exists") from None

        await self._db.run(write)

    async def find(self, name_or_id: str) -> Stack:
        """The live stack of that name, or any stack by its id (deleted ones included, as
        AWS describes deleted stacks by id)."""

        def read(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT record FROM stacks WHERE id = ? OR (name = ? AND deleted = 0)",
                (name_or_id, name_or_id),
            ).fetchone()
            return None if row is None else str(row[0])

        found = await self._db.run(read)
        if found is None:
            raise Invalid(f"Stack with id {name_or_id} does not exist")
        return Stack.model_validate_json(found)

    async def stacks(self, *, deleted: bool) -> list[Stack]:
        def read(conn: sqlite3.Connection) -> list[str]:
            query = "SELECT record FROM stacks" + ("" if deleted else " WHERE deleted = 0")
            return [r[0] for r in conn.execute(query + " ORDER BY rowid DESC")]

        return [Stack.model_validate_json(r) for r in await self._db.run(read)]

    async def save(
        self,
        stack: Stack,
        *,
        template: str | None = None,
        processed: dict[str, Any] | None = None,
        state: dict[str, Any] | None = None,
    ) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE stacks SET record = ?, deleted = ?,"
                " template = coalesce(?, template), processed = coalesce(?, processed),"
                " state = coalesce(?, state) WHERE id = ?",
                (
                    stack.model_dump_json(),
                    int(stack.StackStatus == "DELETE_COMPLETE"),
                    template,
                    None if processed is None else orjson.dumps(processed).decode(),
                    None if state is None else orjson.dumps(state).decode(),
                    stack.StackId,
                ),
            )

        await self._db.run(write)

    async def documents(self, stack_id: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """(original template, processed template, state)."""

        def read(conn: sqlite3.Connection) -> tuple[str, str, str]:
            row = conn.execute(
                "SELECT template, processed, state FROM stacks WHERE id = ?", (stack_id,)
            ).fetchone()
            return row[0], row[1], row[2]

        template, processed, state = await self._db.run(read)
        return template, orjson.loads(processed), orjson.loads(state)

    # -- resources -------------------------------------------------------------------------
    async def put_resource(self, record: StackResource, applied: Applied | None) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO stack_resources (stack_id, logical_id, record, applied)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (stack_id, logical_id) DO UPDATE"
                " SET record = excluded.record, applied = coalesce(excluded.applied, applied)",
                (
                    record.StackId,
                    record.LogicalResourceId,
                    record.model_dump_json(),
                    None if applied is None else orjson.dumps(applied.dump()).decode(),
                ),
            )

        await self._db.run(write)

    async def drop_resource(self, stack_id: str, logical_id: str) -> None:
        await self._db.run(
            lambda conn: conn.execute(
                "DELETE FROM stack_resources WHERE stack_id = ? AND logical_id = ?",
                (stack_id, logical_id),
            )
        )

    async def resources(self, stack_id: str) -> list[tuple[StackResource, Applied | None]]:
        def read(conn: sqlite3.Connection) -> list[tuple[str, str | None]]:
            return [
                (r[0], r[1])
                for r in conn.execute(
                    "SELECT record, applied FROM stack_resources WHERE stack_id = ? ORDER BY rowid",
                    (stack_id,),
                )
            ]

        return [
            (
                StackResource.model_validate_json(record),
                None if applied is None else Applied(**orjson.loads(applied)),
            )
            for record, applied in await self._db.run(read)
        ]

    # -- events ----------------------------------------------------------------------------
    async def add_event(
        self, stack: Stack, logical_id: str, kind: str, status: str, **extra: Any
    ) -> StackEvent:
        event = StackEvent(
            StackId=stack.StackId,
            EventId=str(uuid.uuid4()),
            StackName=stack.StackName,
            LogicalResourceId=logical_id,
            ResourceType=kind,
            Timestamp=now(),
            ResourceStatus=status,
            **extra,
        )
        starts = starts_operation(stack.StackName, logical_id, kind, status)

        def write(conn: sqlite3.Connection) -> StackEvent:
            with transaction(conn):
                operation = str(uuid.uuid4()) if starts else _operation(conn, stack.StackId)
                recorded = event.model_copy(
                    update={
                        "OperationId": operation,
                        "Timestamp": _after_latest(conn, stack.StackId, event.Timestamp),
                    }
                )
                conn.execute(
                    "INSERT INTO stack_events (stack_id, record) VALUES (?, ?)",
                    (stack.StackId, recorded.model_dump_json()),
                )
                return recorded

        recorded = await self._db.run(write)
        if self.on_event is not None and stack.NotificationARNs:
            await self.on_event(stack, recorded)
        return recorded

    async def stack_of_operation(self, operation_id: str) -> str | None:
        def read(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT stack_id FROM stack_events"
                " WHERE json_extract(record, '$.OperationId') = ? LIMIT 1",
                (operation_id,),
            ).fetchone()
            return None if row is None else str(row[0])

        return await self._db.run(read)

    async def events(self, stack_id: str) -> list[StackEvent]:
        def read(conn: sqlite3.Connection) -> list[str]:
            return [
                r[0]
                for r in conn.execute(
                    "SELECT record FROM stack_events WHERE stack_id = ? ORDER BY seq DESC",
                    (stack_id,),
                )
            ]

        return [StackEvent.model_validate_json(r) for r in await self._db.run(read)]

    # -- exports ---------------------------------------------------------------------------
    async def replace_exports(self, stack_id: str, exports: dict[str, str]) -> None:
        """The stack's exports become `exports`; a name another stack exports refuses."""

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                for name in exports:
                    row = conn.execute(
                        "SELECT stack_id FROM stack_exports WHERE name = ?", (name,)
                    ).fetchone()
                    if row is not None and row[0] != stack_id:
                        raise Invalid(
                            f"Export with name {name} is already exported by stack {row[0]}"
                        )
                conn.execute("DELETE FROM stack_exports WHERE stack_id = ?", (stack_id,))
                conn.executemany(
                    "INSERT INTO stack_exports (name, stack_id, value) VALUES (?, ?, ?)",
                    [(k, stack_id, v) for k, v in exports.items()],
                )

        await self._db.run(write)

    async def exports(self) -> list[tuple[str, str, str]]:
        """(name, exporting stack id, value) for every export."""
        return await self._db.run(
            lambda conn: [
                (r[0], r[1], r[2])
                for r in conn.execute(
                    "SELECT name, stack_id, value FROM stack_exports ORDER BY name"
                )
            ]
        )

    # -- change sets -----------------------------------------------------------------------
    async def put_change_set(self, change_set: ChangeSet, request: dict[str, Any]) -> None:
        def write(conn: sqlite3.Connection) -> None:
            try:
                conn.execute(
                    "INSERT INTO stack_change_sets (id, stack_id, name, record, request)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (
                        change_set.ChangeSetId,
                        change_set.StackId,
                        change_set.ChangeSetName,
                        change_set.model_dump_json(),
                        orjson.dumps(request).decode(),
                    ),
                )
            except sqlite3.IntegrityError:
                raise AlreadyExists(
                    f"ChangeSet {change_set.ChangeSetName} already exists"
                ) from None

        await self._db.run(write)

    async def save_change_set(self, change_set: ChangeSet) -> None:
        await self._db.run(
            lambda conn: conn.execute(
                "UPDATE stack_change_sets SET record = ? WHERE id = ?",
                (change_set.model_dump_json(), change_set.ChangeSetId),
            )
        )

    async def change_set(
        self, name_or_id: str, stack_id: str | None
    ) -> tuple[ChangeSet, dict[str, Any]] | None:
        """By ARN, or by name within a stack."""

        def read(conn: sqlite3.Connection) -> tuple[str, str] | None:
            row = conn.execute(
                "SELECT record, request FROM stack_change_sets"
                " WHERE id = ? OR (stack_id = ? AND name = ?)",
                (name_or_id, stack_id, name_or_id),
            ).fetchone()
            return None if row is None else (str(row[0]), str(row[1]))

        found = await self._db.run(read)
        if found is None:
            return None
        return ChangeSet.model_validate_json(found[0]), orjson.loads(found[1])

    async def change_sets(self, stack_id: str) -> list[ChangeSet]:
        def read(conn: sqlite3.Connection) -> list[str]:
            return [
                r[0]
                for r in conn.execute(
                    "SELECT record FROM stack_change_sets WHERE stack_id = ? ORDER BY rowid",
                    (stack_id,),
                )
            ]

        return [ChangeSet.model_validate_json(r) for r in await self._db.run(read)]

    async def drop_change_sets(self, stack_id: str, keep: str | None = None) -> None:
        await self._db.run(
            lambda conn: conn.execute(
                "DELETE FROM stack_change_sets WHERE stack_id = ? AND id IS NOT ?",
                (stack_id, keep),
            )
        )

    # -- custom resource requests awaiting their answer ---------------------------------------
    async def pending_request(
        self, stack_id: str, logical_id: str, request_type: str
    ) -> tuple[dict[str, Any], float] | None:
        def read(conn: sqlite3.Connection) -> tuple[str, float] | None:
            row = conn.execute(
                "SELECT request, deadline FROM stack_custom_requests"
                " WHERE stack_id = ? AND logical_id = ? AND request_type = ?",
                (stack_id, logical_id, request_type),
            ).fetchone()
            return None if row is None else (str(row[0]), float(row[1]))

        found = await self._db.run(read)
        return None if found is None else (orjson.loads(found[0]), found[1])

    async def put_pending_request(
        self, stack_id: str, logical_id: str, request: dict[str, Any], deadline: float
    ) -> None:
        await self._db.run(
            lambda conn: conn.execute(
                "INSERT OR REPLACE INTO stack_custom_requests"
                " (stack_id, logical_id, request_type, request, deadline) VALUES (?, ?, ?, ?, ?)",
                (
                    stack_id,
                    logical_id,
                    request["RequestType"],
                    orjson.dumps(request).decode(),
                    deadline,
                ),
            )
        )

    async def drop_pending_request(self, stack_id: str, logical_id: str, request_type: str) -> None:
        await self._db.run(
            lambda conn: conn.execute(
                "DELETE FROM stack_custom_requests"
                " WHERE stack_id = ? AND logical_id = ? AND request_type = ?",
                (stack_id, logical_id, request_type),
            )
        )

    async def pending_requests(self, stack_id: str) -> list[str]:
        """The request types a stack's custom resources await answers to."""
        return await self._db.run(
            lambda conn: [
                str(r[0])
                for r in conn.execute(
                    "SELECT request_type FROM stack_custom_requests WHERE stack_id = ?",
                    (stack_id,),
                )
            ]
        )

    async def drop_pending_requests(self, stack_id: str) -> None:
        await self._db.run(
            lambda conn: conn.execute(
                "DELETE FROM stack_custom_requests WHERE stack_id = ?", (stack_id,)
            )
        )

    # -- stack policies --------------------------------------------------------------------
    async def set_policy(self, stack_id: str, body: str) -> None:
        await self._db.run(
            lambda conn: conn.execute(
                "INSERT INTO stack_policies (stack_id, body) VALUES (?, ?)"
                " ON CONFLICT (stack_id) DO UPDATE SET body = excluded.body",
                (stack_id, body),
            )
        )

    async def policy(self, stack_id: str) -> str | None:
        def read(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT body FROM stack_policies WHERE stack_id = ?", (stack_id,)
            ).fetchone()
            return None if row is None else str(row[0])

        return await self._db.run(read)

    async def drop_change_set(self, change_set_id: str) -> None:
        await self._db.run(
            lambda conn: conn.execute(
                "DELETE FROM stack_change_sets WHERE id = ?", (change_set_id,)
            )
        )


def _after_latest(conn: sqlite3.Connection, stack_id: str, moment: datetime) -> datetime:
    """`moment`, or a millisecond after the stack's latest event when that one is as late (the
    wire's resolution): tools sort the events they print by Timestamp (the CDK does), and
    several events of one fast step would otherwise tie and print out of order."""
    row = conn.execute(
        "SELECT json_extract(record, '$.Timestamp') FROM stack_events WHERE stack_id = ?"
        " ORDER BY seq DESC LIMIT 1",
        (stack_id,),
    ).fetchone()
    if row is None or row[0] is None:
        return moment
    stored = datetime.fromisoformat(str(row[0]))
    latest = stored.replace(microsecond=stored.microsecond // 1000 * 1000)  # as the wire has it
    if moment - latest >= timedelta(milliseconds=1):
        return moment
    return latest + timedelta(milliseconds=1)


def _operation(conn: sqlite3.Connection, stack_id: str) -> str | None:
    """The operation of the stack's latest event (the one under way)."""
    row = conn.execute(
        "SELECT json_extract(record, '$.OperationId') FROM stack_events WHERE stack_id = ?"
        " ORDER BY seq DESC LIMIT 1",
        (stack_id,),
    ).fetchone()
    return None if row is None or row[0] is None else str(row[0])
