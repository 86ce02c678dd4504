"""The HTTP APIs' tables, and every SQL statement that reads or writes them.

One row per API (`apis`) and one table per kind of child (routes, integrations, stages,
authorizers), each row the JSON of its shape, deleted with its API. Every call counts
(`calls`, before and after): ApiService.resolve caches what the gateway reads and drops it
whenever the count moved, so any write, including ones added later, invalidates it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import NamedTuple, TypeVar

from stratus.errors import Conflict, NotFound
from stratus.store.db import Database, Schema, transaction

from ..shape import Shape
from .model import Api, Route

S = TypeVar("S", bound=Shape)
T = TypeVar("T")

SCHEMA = Schema(
    "apis",
    """
CREATE TABLE IF NOT EXISTS apis (                -- HTTP APIs; config: JSON
    id     TEXT PRIMARY KEY,
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_routes (
    api_id TEXT NOT NULL REFERENCES apis(id) ON DELETE CASCADE,
    id     TEXT NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (api_id, id)
);
CREATE TABLE IF NOT EXISTS api_integrations (
    api_id TEXT NOT NULL REFERENCES apis(id) ON DELETE CASCADE,
    id     TEXT NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (api_id, id)
);
CREATE TABLE IF NOT EXISTS api_stages (
    api_id TEXT NOT NULL REFERENCES apis(id) ON DELETE CASCADE,
    name   TEXT NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (api_id, name)
);
CREATE TABLE IF NOT EXISTS api_authorizers (    -- JWT and Lambda authorizers
    api_id TEXT NOT NULL REFERENCES apis(id) ON DELETE CASCADE,
    id     TEXT NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (api_id, id)
);
""",
)


class Kind(NamedTuple):
    """A kind of child of an API: its name in messages, its table and its key column."""

    name: str
    table: str
    column: str


ROUTES = Kind("Route", "api_routes", "id")
INTEGRATIONS = Kind("Integration", "api_integrations", "id")
STAGES = Kind("Stage", "api_stages", "name")
AUTHORIZERS = Kind("Authorizer", "api_authorizers", "id")
Child = tuple[Kind, str, Shape]  # (kind, key, shape) to insert with its API

# An API as the gateway reads it: API, stage, routes, integrations, authorizers (JSON).
Served = tuple[str, str, list[str], list[str], list[str]]
_SELECT = "SELECT config FROM {} WHERE api_id = ? ORDER BY rowid"


class ApiStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self.calls = 0  # moves with every call but read_served (see the module docstring)

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        self.calls += 1
        try:
            return await self._db.run(work)
        finally:
            self.calls += 1

    # -- APIs -----------------------------------------------------------------------------
    async def insert_api(self, api: Api, children: Sequence[Child] = ()) -> None:
        def insert(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO apis (id, config) VALUES (?, ?)",
                    (api.ApiId, api.model_dump_json()),
                )
                _insert_children(conn, api.ApiId, children)

        await self._run(insert)

    async def read_api(self, api_id: str) -> Api | None:
        def read(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT config FROM apis WHERE id = ?", (api_id,)).fetchone()
            return None if row is None else str(row[0])

        found = await self._run(read)
        return None if found is None else Api.model_validate_json(found)

    async def list_apis(self) -> list[Api]:
        def read(conn: sqlite3.Connection) -> list[str]:
            return [r[0] for r in conn.execute("SELECT config FROM apis ORDER BY id")]

        return [Api.model_validate_json(c) for c in await self._run(read)]

    async def write_api(self, api: Api) -> bool:
        def write(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "UPDATE apis SET config = ? WHERE id = ?", (api.model_dump_json(), api.ApiId)
            )
            return cursor.rowcount

        return bool(await self._run(write))

    async def delete_api(self, api_id: str) -> bool:
        def remove(conn: sqlite3.Connection) -> int:
            return conn.execute("DELETE FROM apis WHERE id = ?", (api_id,)).rowcount

        return bool(await self._run(remove))

    async def replace_api(self, api: Api, children: Sequence[Child]) -> bool:
        """The API's settings, routes, integrations and authorizers replaced in one
        transaction (its stages stay); False when it does not exist."""

        def replace(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                cursor = conn.execute(
                    "UPDATE apis SET config = ? WHERE id = ?", (api.model_dump_json(), api.ApiId)
                )
                if not cursor.rowcount:
                    return 0
                for kind in (ROUTES, INTEGRATIONS, AUTHORIZERS):
                    conn.execute(f"DELETE FROM {kind.table} WHERE api_id = ?", (api.ApiId,))
                _insert_children(conn, api.ApiId, children)
                return 1

        return bool(await self._run(replace))

    # -- children -------------------------------------------------------------------------
    async def put_child(
        self, api_id: str, kind: Kind, key: str, value: Shape, *, new: bool
    ) -> None:
        """Inserts (`new`) or replaces a child; a route's key must be unique in its API."""

        def write(conn: sqlite3.Connection) -> str | None:
            with transaction(conn):
                if conn.execute("SELECT 1 FROM apis WHERE id = ?", (api_id,)).fetchone() is None:
                    return "api"
                if (
                    isinstance(value, Route)
                    and conn.execute(
                        "SELECT 1 FROM api_routes WHERE api_id = ? AND id != ? "
                        "AND json_extract(config, '$.RouteKey') = ?",
                        (api_id, key, value.RouteKey),
                    ).fetchone()
                ):
                    return "route key"
                if new:
                    try:
                        conn.execute(
                            f"INSERT INTO {kind.table} (api_id, {kind.column}, config) "
                            "VALUES (?, ?, ?)",
                            (api_id, key, value.model_dump_json()),
                        )
                    except sqlite3.IntegrityError:
                        return "exists"
                    return None
                cursor = conn.execute(
                    f"UPDATE {kind.table} SET config = ? WHERE api_id = ? AND {kind.column} = ?",
                    (value.model_dump_json(), api_id, key),
                )
                return None if cursor.rowcount else "missing"

        problem = await self._run(write)
        if problem == "api":
            raise not_found("API", api_id)
        if problem == "missing":
            raise not_found(kind.name, key)
        if problem == "route key":
            assert isinstance(value, Route)
            raise Conflict(f"Unable to create route {value.RouteKey}. The route already exists.")
        if problem == "exists":
            raise Conflict(f"{kind.name} {key} already exists in API {api_id}")

    async def get_child(self, api_id: str, kind: Kind, key: str, model: type[S]) -> S | None:
        def read(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                f"SELECT config FROM {kind.table} WHERE api_id = ? AND {kind.column} = ?",
                (api_id, key),
            ).fetchone()
            return None if row is None else str(row[0])

        found = await self._run(read)
        return None if found is None else model.model_validate_json(found)

    async def list_children(self, api_id: str, kind: Kind, model: type[S]) -> list[S]:
        def read(conn: sqlite3.Connection) -> list[str]:
            return [r[0] for r in conn.execute(_SELECT.format(kind.table), (api_id,))]

        return [model.model_validate_json(c) for c in await self._run(read)]

    async def delete_child(self, api_id: str, kind: Kind, key: str) -> bool:
        def remove(conn: sqlite3.Connection) -> int:
            return conn.execute(
                f"DELETE FROM {kind.table} WHERE api_id = ? AND {kind.column} = ?", (api_id, key)
            ).rowcount

        return bool(await self._run(remove))

    # -- serving --------------------------------------------------------------------------
    async def read_served(self, api_id: str, stages: tuple[str, str]) -> Served | None:
        """What the gateway needs of an API: its config, the first of `stages` that exists
        (a named stage, then `$default`), and all its routes, integrations and authorizers.
        Not counted: it writes nothing."""
        first, default = stages

        def read(conn: sqlite3.Connection) -> Served | None:
            api = conn.execute("SELECT config FROM apis WHERE id = ?", (api_id,)).fetchone()
            if api is None:
                return None
            found = {
                r[0]: r[1]
                for r in conn.execute(
                    "SELECT name, config FROM api_stages WHERE api_id = ? AND name IN (?, ?)",
                    (api_id, first, default),
                )
            }
            stage = (found.get(first) if first != default else None) or found.get(default)
            if stage is None:
                return None
            routes = [r[0] for r in conn.execute(_SELECT.format("api_routes"), (api_id,))]
            integrations = [
                r[0] for r in conn.execute(_SELECT.format("api_integrations"), (api_id,))
            ]
            authorizers = [r[0] for r in conn.execute(_SELECT.format("api_authorizers"), (api_id,))]
            return api[0], stage, routes, integrations, authorizers

        return await self._db.run(read)


def _insert_children(conn: sqlite3.Connection, api_id: str, children: Sequence[Child]) -> None:
    for kind, key, child in children:
        conn.execute(
            f"INSERT INTO {kind.table} (api_id, {kind.column}, config) VALUES (?, ?, ?)",
            (api_id, key, child.model_dump_json()),
        )


def not_found(kind: str, key: str) -> NotFound:
    return NotFound(f"Invalid {kind} identifier specified {key}", resourceType=kind)
