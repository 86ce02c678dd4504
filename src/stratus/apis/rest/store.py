"""REST APIs' rows, and the one way they change: a function run in one transaction.

    rest_apis             id -> RestApi
    rest_api_parts        (api, kind, key) -> Resource | Authorizer | Model | RequestValidator
                          | Stage  (key: the id, or the name of models and stages)
    rest_deployments      (api, id) -> Deployment, and its frozen snapshot (see stages.py)
    rest_api_keys, rest_usage_plans, rest_usage_plan_keys: the account's, not an API's
    rest_account_items    (kind, id) -> VpcLink | ClientCertificate | Account: the account's

A change is a plain function of a `Parts` view of one API, run on the database thread inside
one transaction (`RestStore.write`): its checks and writes see the same state, nothing else
runs in between (one database thread), and a check that raises rolls the writes back.
Every call is counted (../remembered.py), so the data plane's cached reads know when they
are stale.
"""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from stratus.errors import Invalid, NotFound
from stratus.store.db import Schema, transaction

from ..remembered import Counted
from ..shape import Shape
from .model import (
    Authorizer,
    Deployment,
    GatewayResponse,
    Model,
    RequestValidator,
    Resource,
    RestApi,
    Stage,
)

S = TypeVar("S", bound=Shape)
T = TypeVar("T")
DEFAULT_LIMIT, MAX_LIMIT = 25, 500

SCHEMA = Schema(
    "rest_apis",
    """
CREATE TABLE IF NOT EXISTS rest_apis (
    id     TEXT PRIMARY KEY,
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rest_api_parts (     -- resources, authorizers, models...
    api_id TEXT NOT NULL REFERENCES rest_apis(id) ON DELETE CASCADE,
    kind   TEXT NOT NULL,
    key    TEXT NOT NULL,                       -- the id, or the name of models and stages
    config TEXT NOT NULL,
    PRIMARY KEY (api_id, kind, key)
);
CREATE TABLE IF NOT EXISTS rest_deployments (
    api_id   TEXT NOT NULL REFERENCES rest_apis(id) ON DELETE CASCADE,
    id       TEXT NOT NULL,
    config   TEXT NOT NULL,
    snapshot TEXT NOT NULL,                     -- the API as deployed (stages.py)
    PRIMARY KEY (api_id, id)
);
CREATE TABLE IF NOT EXISTS rest_api_keys (
    id     TEXT PRIMARY KEY,
    value  TEXT NOT NULL UNIQUE,
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rest_usage_plans (
    id     TEXT PRIMARY KEY,
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rest_account_items (  -- VPC links, client certificates, account
    kind   TEXT NOT NULL,
    id     TEXT NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS rest_usage_plan_keys (
    plan_id TEXT NOT NULL REFERENCES rest_usage_plans(id) ON DELETE CASCADE,
    key_id  TEXT NOT NULL REFERENCES rest_api_keys(id) ON DELETE CASCADE,
    PRIMARY KEY (plan_id, key_id)
);
""",
)


@dataclass(frozen=True, slots=True)
class Kind(Generic[S]):
    tag: str  # the `kind` column
    model: type[S]
    missing: str  # AWS's NotFoundException text


RESOURCES = Kind("resource", Resource, "Invalid Resource identifier specified")
AUTHORIZERS = Kind("authorizer", Authorizer, "Invalid Authorizer identifier specified")
MODELS = Kind("model", Model, "Invalid model name specified")
VALIDATORS = Kind("validator", RequestValidator, "Invalid Request Validator identifier specified")
STAGES = Kind("stage", Stage, "Invalid Stage identifier specified")
GATEWAY_RESPONSES = Kind(
    "gatewayresponse", GatewayResponse, "Invalid Gateway Response identifier specified"
)
NO_API = "Invalid REST API identifier specified"


def not_found(message: str, key: str) -> NotFound:
    return NotFound(f"{message} {key}".rstrip())


class Parts:
    """One REST API's rows, inside the caller's transaction (database thread only)."""

    def __init__(self, conn: sqlite3.Connection, api_id: str) -> None:
        row = conn.execute("SELECT config FROM rest_apis WHERE id = ?", (api_id,)).fetchone()
        if row is None:
            raise not_found(NO_API, api_id)
        self.conn = conn
        self.api_id = api_id
        self.api = RestApi.model_validate_json(row[0])

    def save_api(self, api: RestApi) -> None:
        self.conn.execute(
            "UPDATE rest_apis SET config = ? WHERE id = ?", (api.model_dump_json(), self.api_id)
        )
        self.api = api

    def get(self, kind: Kind[S], key: str) -> S | None:
        row = self.conn.execute(
            "SELECT config FROM rest_api_parts WHERE api_id = ? AND kind = ? AND key = ?",
            (self.api_id, kind.tag, key),
        ).fetchone()
        return None if row is None else kind.model.model_validate_json(row[0])

    def require(self, kind: Kind[S], key: str) -> S:
        found = self.get(kind, key)
        if found is None:
            raise not_found(kind.missing, key)
        return found

    def all(self, kind: Kind[S]) -> list[S]:
        rows = self.conn.execute(
            "SELECT config FROM rest_api_parts WHERE api_id = ? AND kind = ? ORDER BY key",
            (self.api_id, kind.tag),
        )
        return [kind.model.model_validate_json(r[0]) for r in rows]

    def put(self, kind: Kind[S], key: str, value: S) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO rest_api_parts (api_id, kind, key, config) VALUES (?, ?, ?, ?)",
            (self.api_id, kind.tag, key, value.model_dump_json()),
        )

    def delete(self, kind: Kind[S], key: str, *, missing_ok: bool = False) -> None:
        cursor = self.conn.execute(
            "DELETE FROM rest_api_parts WHERE api_id = ? AND kind = ? AND key = ?",
            (self.api_id, kind.tag, key),
        )
        if not cursor.rowcount and not missing_ok:
            raise not_found(kind.missing, key)

    def clear(self, kind: Kind[S]) -> None:
        self.conn.execute(
            "DELETE FROM rest_api_parts WHERE api_id = ? AND kind = ?", (self.api_id, kind.tag)
        )

    # -- deployments ---------------------------------------------------------------------------
    def deployment(self, deployment_id: str) -> Deployment:
        row = self.conn.execute(
            "SELECT config FROM rest_deployments WHERE api_id = ? AND id = ?",
            (self.api_id, deployment_id),
        ).fetchone()
        if row is None:
            raise not_found("Invalid Deployment identifier specified", deployment_id)
        return Deployment.model_validate_json(row[0])

    def snapshot(self, deployment_id: str) -> str:
        self.deployment(deployment_id)  # NotFound first
        row = self.conn.execute(
            "SELECT snapshot FROM rest_deployments WHERE api_id = ? AND id = ?",
            (self.api_id, deployment_id),
        ).fetchone()
        return str(row[0])

    def deployments(self) -> list[Deployment]:
        rows = self.conn.execute(
            "SELECT config FROM rest_deployments WHERE api_id = ? ORDER BY id", (self.api_id,)
        )
        return [Deployment.model_validate_json(r[0]) for r in rows]

    def add_deployment(self, deployment: Deployment, snapshot: str) -> None:
        self.conn.execute(
            "INSERT INTO rest_deployments (api_id, id, config, snapshot) VALUES (?, ?, ?, ?)",
            (self.api_id, deployment.id, deployment.model_dump_json(), snapshot),
        )

    def save_deployment(self, deployment: Deployment) -> None:
        self.conn.execute(
            "UPDATE rest_deployments SET config = ? WHERE api_id = ? AND id = ?",
            (deployment.model_dump_json(), self.api_id, deployment.id),
        )

    def delete_deployment(self, deployment_id: str) -> None:
        self.conn.execute(
            "DELETE FROM rest_deployments WHERE api_id = ? AND id = ?",
            (self.api_id, deployment_id),
        )


class AccountItems(Generic[S]):
    """One kind of the account's own things in `rest_account_items` (database thread only,
    inside the caller's transaction)."""

    def __init__(self, kind: Kind[S]) -> None:
        self.kind = kind

    def get(self, conn: sqlite3.Connection, key: str) -> S | None:
        row = conn.execute(
            "SELECT config FROM rest_account_items WHERE kind = ? AND id = ?", (self.kind.tag, key)
        ).fetchone()
        return None if row is None else self.kind.model.model_validate_json(row[0])

    def require(self, conn: sqlite3.Connection, key: str) -> S:
        found = self.get(conn, key)
        if found is None:
            raise not_found(self.kind.missing, key)
        return found

    def all(self, conn: sqlite3.Connection) -> list[S]:
        rows = conn.execute(
            "SELECT config FROM rest_account_items WHERE kind = ? ORDER BY id", (self.kind.tag,)
        )
        return [self.kind.model.model_validate_json(r[0]) for r in rows]

    def put(self, conn: sqlite3.Connection, key: str, value: S) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO rest_account_items (kind, id, config) VALUES (?, ?, ?)",
            (self.kind.tag, key, value.model_dump_json()),
        )

    def delete(self, conn: sqlite3.Connection, key: str) -> None:
        cursor = conn.execute(
            "DELETE FROM rest_account_items WHERE kind = ? AND id = ?", (self.kind.tag, key)
        )
        if not cursor.rowcount:
            raise not_found(self.kind.missing, key)


class RestStore(Counted):
    """The database, counting every call (any of them may have changed an API)."""

    async def transact(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work(connection)` in one transaction (for the account's rows: keys, plans)."""

        def run(conn: sqlite3.Connection) -> T:
            with transaction(conn):
                return work(conn)

        return await self.run(run)

    async def write(self, api_id: str, work: Callable[[Parts], T]) -> T:
        """`work(parts)` in one transaction; whatever it raises rolls it back."""

        def run(conn: sqlite3.Connection) -> T:
            with transaction(conn):
                return work(Parts(conn, api_id))

        return await self.run(run)

    async def read(self, api_id: str, work: Callable[[Parts], T]) -> T:
        return await self.run(lambda conn: work(Parts(conn, api_id)))


def page(
    items: Sequence[T], key: Callable[[T], str], position: str | None, limit: int | None
) -> tuple[list[T], str | None]:
    """One page of `items` (sorted by `key`, which is unique) after `position`, and the
    position of the next page, or None: API Gateway's `position`/`limit` paging."""
    limit = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"Invalid limit {limit}: it must be between 1 and {MAX_LIMIT}")
    ordered = sorted(items, key=key)
    if position:
        try:
            after = base64.b64decode(position, altchars=b"-_", validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            raise Invalid(
                f"Invalid position {position!r}: pass a position given by a previous page"
            ) from None
        ordered = [i for i in ordered if key(i) > after]
    chosen = ordered[:limit]
    if len(ordered) <= limit:
        return chosen, None
    return chosen, base64.urlsafe_b64encode(key(chosen[-1]).encode()).decode()
