"""REST APIs' rows, and the one way they change: a function run in one transaction.

    rest_apis             id -> RestApi
    rest_api_parts        (api, kind, key) -> Resource | Authorizer | Model | RequestValidator
                          | Stage  (key: the id, or the name of models and stages)
    rest_deployments      (api, id) -> Deployment, and its frozen snapshot (see rest_stages)
    rest_api_keys, rest_usage_plans, rest_usage_plan_keys: the account's, not an API's

A change is a plain function of a `Parts` view of one API, run on the database thread inside
one transaction (`RestStore.write`): its checks and writes see the same state, nothing else
runs in between (one database thread), and a check that raises rolls the writes back.
Every call is counted, so RestApiService.resolve knows when its cache is stale.
"""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from stratus.errors import Invalid, NotFound
from stratus.store.db import Database, transaction

from .model import Shape
from .rest_model import (
    Authorizer,
    Deployment,
    Model,
    RequestValidator,
    Resource,
    RestApi,
    Stage,
)

S = TypeVar("S", bound=Shape)
T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")
DEFAULT_LIMIT, MAX_LIMIT = 25, 500
REMEMBERED_LIMIT = 4096  # answers a Remembered keeps (clients choose the keys)


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


class RestStore:
    """The database, counting every call (any of them may have changed an API)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.calls = 0

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        self.calls += 1
        try:
            return await self.db.run(work)
        finally:
            self.calls += 1

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


class Remembered(Generic[K, V]):
    """Answers of the data plane's reads, kept while the store has not been called since:
    any call may have changed what they were read from. A read that overlapped a call is
    used but not kept. The reads themselves are not counted."""

    def __init__(self, store: RestStore) -> None:
        self._store = store
        self._found: dict[K, V] = {}
        self._at = -1

    async def lookup(self, key: K, read: Callable[[sqlite3.Connection], V]) -> V:
        store = self._store
        if self._at != store.calls or len(self._found) >= REMEMBERED_LIMIT:
            self._found.clear()
            self._at = store.calls
        if key in self._found:
            return self._found[key]
        generation = store.calls
        value = await store.db.run(read)
        if generation == store.calls:
            self._found[key] = value
        return value


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
