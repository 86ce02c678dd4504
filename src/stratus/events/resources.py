"""EventBridge's stored resources beside buses and rules: bus permissions and settings,
global endpoints, partner event sources (connections and API destinations: connections.py).
Kept and answered as AWS answers them; what they would do outside the machine is not done:

    bus policy     PutPermission / RemovePermission: statements of the bus's resource policy
                   (DescribeEventBus shows it); Stratus serves one account, so it enforces
                   nothing: the policy is stored for templates and code that read it
    bus settings   UpdateEventBus's DeadLetterConfig, KmsKeyIdentifier, LogConfig (and the
                   description, kept with the bus)
    connections, API destinations   connections.py, on the same table
    endpoints      global endpoints (two buses in two regions, failover): stored, ACTIVE.
                   Stratus is one region; PutEvents does not route through them
    partner event sources  what a SaaS partner's calls make (CreatePartnerEventSource for an
                   account, PutPartnerEvents), so an integration can be tried locally: the
                   source is PENDING until the account creates the partner event bus of
                   the same name (CreateEventBus with EventSourceName), then ACTIVE; Deactivate
                   / ActivateEventSource switch it DISABLED / ACTIVE; PutPartnerEvents puts
                   each entry on the bus of its Source while the source is ACTIVE

One table holds them all, a JSON document per (kind, name), written in one transaction per
call.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson

from stratus.config import Settings
from stratus.errors import AlreadyExists, NotFound, Validation
from stratus.store.db import Database, transaction

_TIMES = ("CreationTime", "LastModifiedTime", "LastAuthorizedTime")


class DocumentTable:
    """The `events_resources` table: one JSON document per (kind, name)."""

    def __init__(self, settings: Settings, db: Database, clock: Callable[[], float]) -> None:
        self._db = db
        self._clock = clock
        self._region = settings.region
        self._account = settings.account_id
        self._prefix = f"arn:aws:events:{settings.region}:{settings.account_id}:"

    # -- the table --------------------------------------------------------------------------
    async def _get(self, kind: str, name: str, what: str) -> dict[str, Any]:
        doc = await self._db.run(lambda conn: read_document(conn, kind, name))
        if doc is None:
            raise NotFound(f"{what} {name} does not exist.")
        return doc

    async def _put(self, kind: str, name: str, doc: dict[str, Any], *, new: bool) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                exists = read_document(conn, kind, name) is not None
                if new and exists:
                    raise AlreadyExists(f"{kind.capitalize()} {name} already exists.")
                conn.execute(
                    "INSERT OR REPLACE INTO events_resources VALUES (?, ?, ?)",
                    (kind, name, orjson.dumps(doc)),
                )

        await self._db.run(write)

    async def _delete(self, kind: str, name: str, what: str) -> dict[str, Any]:
        def delete(conn: sqlite3.Connection) -> dict[str, Any] | None:
            with transaction(conn):
                doc = read_document(conn, kind, name)
                conn.execute(
                    "DELETE FROM events_resources WHERE kind = ? AND name = ?", (kind, name)
                )
                return doc

        doc = await self._db.run(delete)
        if doc is None:
            raise NotFound(f"{what} {name} does not exist.")
        return doc

    async def _all(self, kind: str, prefix: str) -> list[dict[str, Any]]:
        def read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            rows = conn.execute(
                "SELECT doc FROM events_resources WHERE kind = ? AND substr(name, 1, ?) = ? "
                "ORDER BY name",
                (kind, len(prefix), prefix),
            )
            return [orjson.loads(row[0]) for row in rows]

        return await self._db.run(read)


class Resources(DocumentTable):
    """Bus policies and settings, partner event sources, global endpoints."""

    # -- bus policy and settings ------------------------------------------------------------
    async def bus_extras(self, bus: str) -> dict[str, Any]:
        """What DescribeEventBus adds for `bus`: Policy and UpdateEventBus's settings."""
        policy = await self._db.run(lambda conn: read_document(conn, "bus-policy", bus))
        settings = await self._db.run(lambda conn: read_document(conn, "bus-settings", bus)) or {}
        extras = dict(settings)
        if policy and policy["Statement"]:
            extras["Policy"] = orjson.dumps(policy).decode()
        return extras

    async def update_bus(self, bus: str, given: dict[str, Any]) -> dict[str, Any]:
        settings = await self._db.run(lambda conn: read_document(conn, "bus-settings", bus)) or {}
        for key in ("DeadLetterConfig", "KmsKeyIdentifier", "LogConfig"):
            if given.get(key) is not None:
                settings[key] = given[key]
        await self._put("bus-settings", bus, settings, new=False)
        return settings

    async def put_permission(self, bus: str, bus_arn: str, given: dict[str, Any]) -> None:
        if given.get("Policy"):
            try:
                policy = orjson.loads(given["Policy"])
            except orjson.JSONDecodeError:
                raise Validation("Parameter Policy is not valid: not JSON.") from None
            if not isinstance(policy, dict) or not isinstance(policy.get("Statement"), list):
                raise Validation("Parameter Policy is not valid: it needs a Statement list.")
            await self._put("bus-policy", bus, policy, new=False)
            return
        for member in ("Action", "Principal", "StatementId"):
            if not given.get(member):
                raise Validation(
                    f"Parameter {member} is required unless a Policy is given (PutPermission "
                    "takes a whole Policy, or Action, Principal and StatementId)."
                )
        if given["Action"] != "events:PutEvents":
            raise Validation("Parameter Action is not valid: only events:PutEvents is allowed.")
        principal = given["Principal"]
        if principal != "*" and not (len(principal) == 12 and principal.isdigit()):
            raise Validation("Parameter Principal is not valid: an account id or *.")
        if principal == "*" and not given.get("Condition"):
            raise Validation("A Condition is required when Principal is *.")
        statement: dict[str, Any] = {
            "Sid": given["StatementId"],
            "Effect": "Allow",
            "Principal": "*" if principal == "*" else {"AWS": f"arn:aws:iam::{principal}:root"},
            "Action": "events:PutEvents",
            "Resource": bus_arn,
        }
        condition = given.get("Condition")
        if condition:
            statement["Condition"] = {
                condition["Type"]: {condition["Key"]: condition["Value"]}
            }  # fmt: skip
        await self.put_statement(bus, statement)

    async def put_statement(self, bus: str, statement: dict[str, Any]) -> None:
        """Add the statement to the bus's policy, in place of one with the same Sid."""
        policy = await self._db.run(lambda conn: read_document(conn, "bus-policy", bus)) or {
            "Version": "2012-10-17",
            "Statement": [],
        }
        policy["Statement"] = [
            s for s in policy["Statement"] if s.get("Sid") != statement["Sid"]
        ] + [statement]
        await self._put("bus-policy", bus, policy, new=False)

    async def remove_permission(self, bus: str, statement_id: str | None, remove_all: bool) -> None:
        if remove_all:
            await self._db.run(lambda conn: _drop(conn, "bus-policy", bus))
            return
        if not statement_id:
            raise Validation("Parameter StatementId is required unless RemoveAllPermissions.")
        policy = await self._db.run(lambda conn: read_document(conn, "bus-policy", bus)) or {}
        statements = policy.get("Statement") or []
        kept = [s for s in statements if s.get("Sid") != statement_id]
        if len(kept) == len(statements):
            raise NotFound("Statement with the provided id does not exist.")
        await self._put("bus-policy", bus, policy | {"Statement": kept}, new=False)

    async def forget_bus(self, bus: str) -> None:
        def drop(conn: sqlite3.Connection) -> None:
            _drop(conn, "bus-policy", bus)
            _drop(conn, "bus-settings", bus)

        await self._db.run(drop)

    # -- partner event sources --------------------------------------------------------------
    async def create_partner_source(self, name: str, account: str) -> str:
        if not name.startswith("aws.partner/") or name.count("/") < 2:
            raise Validation(
                "Parameter Name is not valid: a partner event source is named "
                "aws.partner/<partner domain>/<name>."
            )
        now = self._clock()
        doc = {
            "Arn": f"arn:aws:events:{self._region}::event-source/{name}",
            "Name": name,
            "Account": account,
            "CreatedBy": name.split("/")[1],
            "CreationTime": now,
            "State": "PENDING",
        }
        await self._put("event-source", name, doc, new=True)
        return str(doc["Arn"])

    async def describe_partner_source(self, name: str) -> dict[str, Any]:
        return pick(await self._get("event-source", name, "Event source"), "Arn", "Name")

    async def partner_sources(self, prefix: str) -> list[dict[str, Any]]:
        return [pick(doc, "Arn", "Name") for doc in await self._all("event-source", prefix)]

    async def partner_source_accounts(self, name: str) -> list[dict[str, Any]]:
        doc = await self._get("event-source", name, "Event source")
        return [pick(doc, "Account", "CreationTime", "State")]

    async def delete_partner_source(self, name: str, account: str) -> None:
        doc = await self._db.run(lambda conn: read_document(conn, "event-source", name))
        if doc is not None and doc["Account"] == account:
            await self._db.run(lambda conn: _drop(conn, "event-source", name))

    async def event_source(self, name: str) -> dict[str, Any]:
        """The account's view of a partner event source (DescribeEventSource)."""
        doc = await self._db.run(lambda conn: read_document(conn, "event-source", name))
        if doc is None or doc["Account"] != self._account:
            raise NotFound(f"Event source {name} does not exist.")
        return doc

    async def event_sources(self, prefix: str) -> list[dict[str, Any]]:
        keep = ("Arn", "CreatedBy", "CreationTime", "Name", "State")
        return [
            pick(doc, *keep)
            for doc in await self._all("event-source", prefix)
            if doc["Account"] == self._account
        ]

    async def set_source_state(self, name: str, state: str) -> None:
        doc = await self.event_source(name)
        await self._put("event-source", name, doc | {"State": state}, new=False)

    async def source_state(self, name: str) -> str | None:
        doc = await self._db.run(lambda conn: read_document(conn, "event-source", name))
        return None if doc is None or doc["Account"] != self._account else str(doc["State"])

    # -- global endpoints -------------------------------------------------------------------
    async def create_endpoint(self, given: dict[str, Any]) -> dict[str, Any]:
        name = given["Name"]
        buses = given.get("EventBuses") or []
        if len(buses) != 2:
            raise Validation("Parameter EventBuses must name exactly two event buses.")
        endpoint_id = uuid.uuid4().hex[:8] + "." + uuid.uuid4().hex[:4]
        now = self._clock()
        doc = {
            "Name": name,
            "Description": given.get("Description"),
            "Arn": f"arn:aws:events:{self._region}:{self._account}:endpoint/{name}",
            "RoutingConfig": given["RoutingConfig"],
            "ReplicationConfig": given.get("ReplicationConfig") or {"State": "ENABLED"},
            "EventBuses": buses,
            "RoleArn": given.get("RoleArn"),
            "EndpointId": endpoint_id,
            "EndpointUrl": f"https://{endpoint_id}.endpoint.events.amazonaws.com",
            "State": "ACTIVE",
            "CreationTime": now,
            "LastModifiedTime": now,
        }
        await self._put("endpoint", name, doc, new=True)
        # AWS answers CREATING; the endpoint is ACTIVE from then on (nothing to provision).
        return pick(doc, "Name", "Arn", "RoutingConfig", "ReplicationConfig", "EventBuses",
                     "RoleArn") | {"State": "CREATING"}  # fmt: skip

    async def describe_endpoint(self, name: str) -> dict[str, Any]:
        return shown(await self._get("endpoint", name, "Endpoint"))

    async def update_endpoint(self, given: dict[str, Any]) -> dict[str, Any]:
        doc = await self._get("endpoint", given["Name"], "Endpoint")
        doc |= {k: v for k, v in given.items() if v is not None}
        doc["LastModifiedTime"] = self._clock()
        await self._put("endpoint", doc["Name"], doc, new=False)
        return pick(doc, "Name", "Arn", "RoutingConfig", "ReplicationConfig", "EventBuses",
                     "RoleArn", "EndpointId", "EndpointUrl") | {"State": "UPDATING"}  # fmt: skip

    async def delete_endpoint(self, name: str) -> None:
        await self._delete("endpoint", name, "Endpoint")

    async def endpoints(self, prefix: str) -> list[dict[str, Any]]:
        return [shown(doc) for doc in await self._all("endpoint", prefix)]


def read_document(conn: sqlite3.Connection, kind: str, name: str) -> dict[str, Any] | None:
    row = conn.execute(
        "SELECT doc FROM events_resources WHERE kind = ? AND name = ?", (kind, name)
    ).fetchone()
    return None if row is None else dict(orjson.loads(row[0]))


def _drop(conn: sqlite3.Connection, kind: str, name: str) -> None:
    conn.execute("DELETE FROM events_resources WHERE kind = ? AND name = ?", (kind, name))


def shown(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored document as the API answers it: no empty members, times as datetimes."""
    return {
        k: datetime.fromtimestamp(v, UTC) if k in _TIMES else v
        for k, v in doc.items()
        if v is not None
    }


def pick(doc: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in shown(doc).items() if k in keys}
