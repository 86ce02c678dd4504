"""EventBridge's stored resources beside buses and rules: bus permissions and settings,
connections, API destinations and global endpoints. Kept and answered as AWS answers them;
what they would do outside the machine is not done:

    bus policy     PutPermission / RemovePermission: statements of the bus's resource policy
                   (DescribeEventBus shows it); Stratus serves one account, so it enforces
                   nothing: the policy is stored for templates and code that read it
    bus settings   UpdateEventBus's DeadLetterConfig, KmsKeyIdentifier, LogConfig (and the
                   description, kept with the bus)
    connections    authorization for API destinations: BASIC and API_KEY are AUTHORIZED at
                   once, OAUTH_CLIENT_CREDENTIALS too (no token endpoint is called); secrets
                   are never answered back, as on AWS
    API destinations  an HTTP endpoint with a connection; ACTIVE. A rule target naming one
                   sends the event there (invocations.py)
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

from . import invocations

AUTH_TYPES = ("BASIC", "OAUTH_CLIENT_CREDENTIALS", "API_KEY")
HTTP_METHODS = ("POST", "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE")
DEFAULT_RATE = 300  # InvocationRateLimitPerSecond when not given
_TIMES = ("CreationTime", "LastModifiedTime", "LastAuthorizedTime")
# Members of AuthParameters AWS never answers back (they live in the connection's secret).
_SECRETS = {"Password", "ApiKeyValue", "ClientSecret"}


class Resources:
    def __init__(self, settings: Settings, db: Database, clock: Callable[[], float]) -> None:
        self._db = db
        self._clock = clock
        self._region = settings.region
        self._account = settings.account_id
        self._prefix = f"arn:aws:events:{settings.region}:{settings.account_id}:"

    # -- the table --------------------------------------------------------------------------
    async def _get(self, kind: str, name: str, what: str) -> dict[str, Any]:
        doc = await self._db.run(lambda conn: _read(conn, kind, name))
        if doc is None:
            raise NotFound(f"{what} {name} does not exist.")
        return doc

    async def _put(self, kind: str, name: str, doc: dict[str, Any], *, new: bool) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                exists = _read(conn, kind, name) is not None
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
                doc = _read(conn, kind, name)
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

    # -- bus policy and settings ------------------------------------------------------------
    async def bus_extras(self, bus: str) -> dict[str, Any]:
        """What DescribeEventBus adds for `bus`: Policy and UpdateEventBus's settings."""
        policy = await self._db.run(lambda conn: _read(conn, "bus-policy", bus))
        settings = await self._db.run(lambda conn: _read(conn, "bus-settings", bus)) or {}
        extras = dict(settings)
        if policy and policy["Statement"]:
            extras["Policy"] = orjson.dumps(policy).decode()
        return extras

    async def update_bus(self, bus: str, given: dict[str, Any]) -> dict[str, Any]:
        settings = await self._db.run(lambda conn: _read(conn, "bus-settings", bus)) or {}
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
        policy = await self._db.run(lambda conn: _read(conn, "bus-policy", bus)) or {
            "Version": "2012-10-17",
            "Statement": [],
        }
        policy["Statement"] = [
            s for s in policy["Statement"] if s.get("Sid") != given["StatementId"]
        ] + [statement]
        await self._put("bus-policy", bus, policy, new=False)

    async def remove_permission(self, bus: str, statement_id: str | None, remove_all: bool) -> None:
        if remove_all:
            await self._db.run(lambda conn: _drop(conn, "bus-policy", bus))
            return
        if not statement_id:
            raise Validation("Parameter StatementId is required unless RemoveAllPermissions.")
        policy = await self._db.run(lambda conn: _read(conn, "bus-policy", bus)) or {}
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

    # -- connections ------------------------------------------------------------------------
    async def create_connection(self, given: dict[str, Any]) -> dict[str, Any]:
        name = given["Name"]
        kind = given["AuthorizationType"]
        if kind not in AUTH_TYPES:
            raise Validation(f"Parameter AuthorizationType must be one of {', '.join(AUTH_TYPES)}.")
        _check_auth(kind, given.get("AuthParameters") or {})
        now = self._clock()
        doc = {
            "ConnectionArn": f"{self._prefix}connection/{name}/{uuid.uuid4()}",
            "Name": name,
            "Description": given.get("Description"),
            "AuthorizationType": kind,
            "AuthParameters": given.get("AuthParameters") or {},
            "InvocationConnectivityParameters": given.get("InvocationConnectivityParameters"),
            "KmsKeyIdentifier": given.get("KmsKeyIdentifier"),
            "ConnectionState": "AUTHORIZED",
            "SecretArn": f"arn:aws:secretsmanager:{self._region}:{self._account}:secret:"
            f"events!connection/{name}/{uuid.uuid4()}",
            "CreationTime": now,
            "LastModifiedTime": now,
            "LastAuthorizedTime": now,
        }
        await self._put("connection", name, doc, new=True)
        return _pick(doc, "ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime")

    async def describe_connection(self, name: str) -> dict[str, Any]:
        doc = await self._get("connection", name, "Connection")
        return shown(doc | {"AuthParameters": _without_secrets(doc["AuthParameters"])})

    async def update_connection(self, given: dict[str, Any]) -> dict[str, Any]:
        doc = await self._get("connection", given["Name"], "Connection")
        kind = given.get("AuthorizationType") or doc["AuthorizationType"]
        if kind not in AUTH_TYPES:
            raise Validation(f"Parameter AuthorizationType must be one of {', '.join(AUTH_TYPES)}.")
        auth = _merged(doc["AuthParameters"], given.get("AuthParameters") or {})
        _check_auth(kind, auth)
        now = self._clock()
        doc |= {k: v for k, v in given.items() if v is not None and k != "AuthParameters"}
        doc |= {"AuthorizationType": kind, "AuthParameters": auth, "LastModifiedTime": now,
                "ConnectionState": "AUTHORIZED", "LastAuthorizedTime": now}  # fmt: skip
        await self._put("connection", doc["Name"], doc, new=False)
        return _pick(doc, "ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime",
                     "LastAuthorizedTime")  # fmt: skip

    async def deauthorize_connection(self, name: str) -> dict[str, Any]:
        doc = await self._get("connection", name, "Connection")
        doc |= {"ConnectionState": "DEAUTHORIZED", "LastModifiedTime": self._clock()}
        await self._put("connection", name, doc, new=False)
        return _pick(doc, "ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime",
                     "LastAuthorizedTime")  # fmt: skip

    async def delete_connection(self, name: str) -> dict[str, Any]:
        doc = await self._delete("connection", name, "Connection")
        doc["ConnectionState"] = "DELETING"
        return _pick(doc, "ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime",
                     "LastAuthorizedTime")  # fmt: skip

    async def connections(self, prefix: str, state: str | None) -> list[dict[str, Any]]:
        keep = ("ConnectionArn", "Name", "ConnectionState", "StateReason", "AuthorizationType",
                "CreationTime", "LastModifiedTime", "LastAuthorizedTime")  # fmt: skip
        return [
            _pick(doc, *keep)
            for doc in await self._all("connection", prefix)
            if state is None or doc["ConnectionState"] == state
        ]

    # -- API destinations -------------------------------------------------------------------
    async def create_api_destination(self, given: dict[str, Any]) -> dict[str, Any]:
        name = given["Name"]
        await self._connection_named(given["ConnectionArn"])
        _check_destination(given)
        now = self._clock()
        doc = {
            "ApiDestinationArn": f"{self._prefix}api-destination/{name}/{uuid.uuid4()}",
            "Name": name,
            "Description": given.get("Description"),
            "ApiDestinationState": "ACTIVE",
            "ConnectionArn": given["ConnectionArn"],
            "InvocationEndpoint": given["InvocationEndpoint"],
            "HttpMethod": given["HttpMethod"],
            "InvocationRateLimitPerSecond": given.get("InvocationRateLimitPerSecond")
            or DEFAULT_RATE,
            "CreationTime": now,
            "LastModifiedTime": now,
        }
        await self._put("api-destination", name, doc, new=True)
        return _pick(doc, "ApiDestinationArn", "ApiDestinationState", "CreationTime",
                     "LastModifiedTime")  # fmt: skip

    async def describe_api_destination(self, name: str) -> dict[str, Any]:
        return shown(await self._get("api-destination", name, "An api-destination"))

    async def update_api_destination(self, given: dict[str, Any]) -> dict[str, Any]:
        doc = await self._get("api-destination", given["Name"], "An api-destination")
        if given.get("ConnectionArn"):
            await self._connection_named(given["ConnectionArn"])
        doc |= {k: v for k, v in given.items() if v is not None}
        _check_destination(doc)
        doc["LastModifiedTime"] = self._clock()
        await self._put("api-destination", doc["Name"], doc, new=False)
        return _pick(doc, "ApiDestinationArn", "ApiDestinationState", "CreationTime",
                     "LastModifiedTime")  # fmt: skip

    async def delete_api_destination(self, name: str) -> None:
        await self._delete("api-destination", name, "An api-destination")

    async def api_destinations(
        self, prefix: str, connection_arn: str | None
    ) -> list[dict[str, Any]]:
        keep = ("ApiDestinationArn", "Name", "ApiDestinationState", "ConnectionArn",
                "InvocationEndpoint", "HttpMethod", "InvocationRateLimitPerSecond",
                "CreationTime", "LastModifiedTime")  # fmt: skip
        return [
            _pick(doc, *keep)
            for doc in await self._all("api-destination", prefix)
            if connection_arn is None or doc["ConnectionArn"] == connection_arn
        ]

    async def _connection_named(self, arn: str) -> dict[str, Any]:
        name = arn.split(":connection/", 1)[-1].split("/", 1)[0]
        doc = await self._db.run(lambda conn: _read(conn, "connection", name))
        if doc is None or doc["ConnectionArn"] != arn:
            raise NotFound(f"Connection {arn} does not exist.")
        return doc

    async def wait_invoke(self, arn: str, payload: bytes) -> None:
        """A rule's delivery to the API destination `arn` (invocations.py)."""
        name = arn.split(":api-destination/", 1)[-1].split("/", 1)[0]
        destination = await self._db.run(lambda conn: _read(conn, "api-destination", name))
        if destination is None or destination["ApiDestinationArn"] != arn:
            raise NotFound(f"API destination {arn} does not exist.")
        connection = await self._connection_named(destination["ConnectionArn"])
        await invocations.wait_send(destination, connection, payload)

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
        return _pick(await self._get("event-source", name, "Event source"), "Arn", "Name")

    async def partner_sources(self, prefix: str) -> list[dict[str, Any]]:
        return [_pick(doc, "Arn", "Name") for doc in await self._all("event-source", prefix)]

    async def partner_source_accounts(self, name: str) -> list[dict[str, Any]]:
        doc = await self._get("event-source", name, "Event source")
        return [_pick(doc, "Account", "CreationTime", "State")]

    async def delete_partner_source(self, name: str, account: str) -> None:
        doc = await self._db.run(lambda conn: _read(conn, "event-source", name))
        if doc is not None and doc["Account"] == account:
            await self._db.run(lambda conn: _drop(conn, "event-source", name))

    async def event_source(self, name: str) -> dict[str, Any]:
        """The account's view of a partner event source (DescribeEventSource)."""
        doc = await self._db.run(lambda conn: _read(conn, "event-source", name))
        if doc is None or doc["Account"] != self._account:
            raise NotFound(f"Event source {name} does not exist.")
        return doc

    async def event_sources(self, prefix: str) -> list[dict[str, Any]]:
        keep = ("Arn", "CreatedBy", "CreationTime", "Name", "State")
        return [
            _pick(doc, *keep)
            for doc in await self._all("event-source", prefix)
            if doc["Account"] == self._account
        ]

    async def set_source_state(self, name: str, state: str) -> None:
        doc = await self.event_source(name)
        await self._put("event-source", name, doc | {"State": state}, new=False)

    async def source_state(self, name: str) -> str | None:
        doc = await self._db.run(lambda conn: _read(conn, "event-source", name))
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
        return _pick(doc, "Name", "Arn", "RoutingConfig", "ReplicationConfig", "EventBuses",
                     "RoleArn") | {"State": "CREATING"}  # fmt: skip

    async def describe_endpoint(self, name: str) -> dict[str, Any]:
        return shown(await self._get("endpoint", name, "Endpoint"))

    async def update_endpoint(self, given: dict[str, Any]) -> dict[str, Any]:
        doc = await self._get("endpoint", given["Name"], "Endpoint")
        doc |= {k: v for k, v in given.items() if v is not None}
        doc["LastModifiedTime"] = self._clock()
        await self._put("endpoint", doc["Name"], doc, new=False)
        return _pick(doc, "Name", "Arn", "RoutingConfig", "ReplicationConfig", "EventBuses",
                     "RoleArn", "EndpointId", "EndpointUrl") | {"State": "UPDATING"}  # fmt: skip

    async def delete_endpoint(self, name: str) -> None:
        await self._delete("endpoint", name, "Endpoint")

    async def endpoints(self, prefix: str) -> list[dict[str, Any]]:
        return [shown(doc) for doc in await self._all("endpoint", prefix)]


def _read(conn: sqlite3.Connection, kind: str, name: str) -> dict[str, Any] | None:
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


def _pick(doc: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in shown(doc).items() if k in keys}


def _without_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if k not in _SECRETS}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def _merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    merged = dict(old)
    for key, value in new.items():
        both = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = _merged(merged[key], value) if both else value
    return merged


_AUTH_MEMBERS = {
    "BASIC": "BasicAuthParameters",
    "API_KEY": "ApiKeyAuthParameters",
    "OAUTH_CLIENT_CREDENTIALS": "OAuthParameters",
}


def _check_auth(kind: str, auth: dict[str, Any]) -> None:
    member = _AUTH_MEMBERS[kind]
    if not auth.get(member):
        raise Validation(
            f"Parameter AuthParameters.{member} is required for AuthorizationType {kind}."
        )


def _check_destination(doc: dict[str, Any]) -> None:
    if doc["HttpMethod"] not in HTTP_METHODS:
        raise Validation(f"Parameter HttpMethod must be one of {', '.join(HTTP_METHODS)}.")
    if not _invocable(str(doc["InvocationEndpoint"])):
        raise Validation(
            "Parameter InvocationEndpoint is not valid: it must be an https:// URL (http:// "
            "is taken for this machine's own addresses, for local endpoints)."
        )


def _invocable(url: str) -> bool:
    """AWS calls HTTPS endpoints only; Stratus also calls plain HTTP on the loopback, where
    the endpoints of local development and of tests live."""
    if url.startswith("https://"):
        return True
    host = url.removeprefix("http://").split("/", 1)[0].rsplit(":", 1)[0]
    return url.startswith("http://") and host in ("localhost", "127.0.0.1", "[::1]")
