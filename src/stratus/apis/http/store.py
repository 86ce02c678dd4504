"""The HTTP APIs' tables, and every SQL statement that reads or writes them.

One row per API (`apis`) and one table per kind of child (routes, integrations, stages,
authorizers), each row the JSON of its shape, deleted with its API. Every call but
`read_served` is counted (../remembered.py): ApiService.resolve keeps what the gateway
reads until the count moves.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from typing import NamedTuple, TypeVar

import orjson

from stratus.errors import Conflict, Invalid, NotFound
from stratus.store.db import Schema, transaction

from ..remembered import Counted
from ..shape import Shape
from .model import (
    DEFAULT_STAGE,
    Api,
    ApiDeployment,
    Authorizer,
    Integration,
    IntegrationResponse,
    Route,
    Stage,
)

S = TypeVar("S", bound=Shape)

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
CREATE TABLE IF NOT EXISTS api_route_responses (   -- WebSocket APIs' (websocket.py)
    api_id TEXT NOT NULL REFERENCES apis(id) ON DELETE CASCADE,
    id     TEXT NOT NULL,
    config TEXT NOT NULL,                          -- with its RouteId
    PRIMARY KEY (api_id, id)
);
CREATE TABLE IF NOT EXISTS api_integration_responses (
    api_id TEXT NOT NULL REFERENCES apis(id) ON DELETE CASCADE,
    id     TEXT NOT NULL,
    config TEXT NOT NULL,                          -- with its IntegrationId
    PRIMARY KEY (api_id, id)
);
CREATE TABLE IF NOT EXISTS api_models (
    api_id TEXT NOT NULL REFERENCES apis(id) ON DELETE CASCADE,
    id     TEXT NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (api_id, id)
);
CREATE TABLE IF NOT EXISTS api_vpc_links (     -- the account's VPC links (vpc_links.py)
    id     TEXT PRIMARY KEY,
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_deployments (    -- frozen copies stages without AutoDeploy serve
    api_id   TEXT NOT NULL REFERENCES apis(id) ON DELETE CASCADE,
    id       TEXT NOT NULL,
    config   TEXT NOT NULL,
    snapshot TEXT NOT NULL,  -- {"api", "routes", "integrations", "authorizers", ...: _FROZEN}
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
DEPLOYMENTS = Kind("Deployment", "api_deployments", "id")
ROUTE_RESPONSES = Kind("RouteResponse", "api_route_responses", "id")
INTEGRATION_RESPONSES = Kind("IntegrationResponse", "api_integration_responses", "id")
MODELS = Kind("Model", "api_models", "id")
Child = tuple[Kind, str, Shape]  # (kind, key, shape) to insert with its API


class Served(NamedTuple):
    """An API as the gateway reads it."""

    api: Api
    stage: Stage
    routes: tuple[Route, ...]
    integrations: dict[str, Integration]
    authorizers: dict[str, Authorizer]
    two_way: frozenset[str]  # ids of the routes with a route response (WebSocket APIs)
    # WebSocket APIs' integration responses, by integration id (MOCK integrations use them).
    responses: dict[str, tuple[IntegrationResponse, ...]]


# What a deployment freezes, by its name in the snapshot.
_FROZEN = (
    ("routes", "api_routes"),
    ("integrations", "api_integrations"),
    ("authorizers", "api_authorizers"),
    ("route_responses", "api_route_responses"),
    ("integration_responses", "api_integration_responses"),
)
_SELECT = "SELECT config FROM {} WHERE api_id = ? ORDER BY rowid"


class ApiStore(Counted):
    # -- APIs -----------------------------------------------------------------------------
    async def insert_api(self, api: Api, children: Sequence[Child] = ()) -> None:
        def insert(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO apis (id, config) VALUES (?, ?)",
                    (api.ApiId, api.model_dump_json()),
                )
                _insert_children(conn, api.ApiId, children)

        await self.run(insert)

    async def read_api(self, api_id: str) -> Api | None:
        def read(conn: sqlite3.Connection) -> str | None:
            row = conn.execute("SELECT config FROM apis WHERE id = ?", (api_id,)).fetchone()
            return None if row is None else str(row[0])

        found = await self.run(read)
        return None if found is None else Api.model_validate_json(found)

    async def list_apis(self) -> list[Api]:
        def read(conn: sqlite3.Connection) -> list[str]:
            return [r[0] for r in conn.execute("SELECT config FROM apis ORDER BY id")]

        return [Api.model_validate_json(c) for c in await self.run(read)]

    async def write_api(self, api: Api) -> bool:
        def write(conn: sqlite3.Connection) -> int:
            cursor = conn.execute(
                "UPDATE apis SET config = ? WHERE id = ?", (api.model_dump_json(), api.ApiId)
            )
            return cursor.rowcount

        return bool(await self.run(write))

    async def delete_api(self, api_id: str) -> bool:
        def remove(conn: sqlite3.Connection) -> int:
            return conn.execute("DELETE FROM apis WHERE id = ?", (api_id,)).rowcount

        return bool(await self.run(remove))

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

        return bool(await self.run(replace))

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

        problem = await self.run(write)
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

        found = await self.run(read)
        return None if found is None else model.model_validate_json(found)

    async def list_children(self, api_id: str, kind: Kind, model: type[S]) -> list[S]:
        def read(conn: sqlite3.Connection) -> list[str]:
            return [r[0] for r in conn.execute(_SELECT.format(kind.table), (api_id,))]

        return [model.model_validate_json(c) for c in await self.run(read)]

    async def delete_child(self, api_id: str, kind: Kind, key: str) -> bool:
        def remove(conn: sqlite3.Connection) -> int:
            return conn.execute(
                f"DELETE FROM {kind.table} WHERE api_id = ? AND {kind.column} = ?", (api_id, key)
            ).rowcount

        return bool(await self.run(remove))

    # -- deployments ---------------------------------------------------------------------
    async def insert_deployment(
        self, api_id: str, deployment: ApiDeployment, stage: str | None
    ) -> None:
        """Freezes the API's routes, integrations and authorizers as `deployment`; points
        `stage` (which must exist) at it."""

        def write(conn: sqlite3.Connection) -> str | None:
            with transaction(conn):
                api = conn.execute("SELECT config FROM apis WHERE id = ?", (api_id,)).fetchone()
                if api is None:
                    return "api"
                snapshot = {"api": api[0]} | _frozen(conn, api_id)
                if not snapshot["routes"]:
                    return "routes"
                conn.execute(
                    "INSERT INTO api_deployments (api_id, id, config, snapshot) "
                    "VALUES (?, ?, ?, ?)",
                    (api_id, deployment.DeploymentId, deployment.model_dump_json(),
                     orjson.dumps(snapshot).decode()),
                )  # fmt: skip
                if stage is not None:
                    updated = conn.execute(
                        "UPDATE api_stages SET config = json_set(config, '$.DeploymentId', ?) "
                        "WHERE api_id = ? AND name = ?",
                        (deployment.DeploymentId, api_id, stage),
                    )
                    if not updated.rowcount:
                        raise not_found("Stage", stage)
                return None

        problem = await self.run(write)
        if problem == "api":
            raise not_found("API", api_id)
        if problem == "routes":
            raise Invalid("Unable to deploy API because no routes exist in this API")

    async def stages_serving(self, api_id: str, deployment_id: str) -> list[str]:
        def read(conn: sqlite3.Connection) -> list[str]:
            rows = conn.execute(
                "SELECT name FROM api_stages WHERE api_id = ? "
                "AND json_extract(config, '$.DeploymentId') = ?",
                (api_id, deployment_id),
            )
            return [r[0] for r in rows]

        return await self.run(read)

    # -- serving -------------------------------------------------------------------------
    def read_served(self, api_id: str, first: str) -> Callable[[sqlite3.Connection], Served | None]:
        """A read (for Remembered.lookup, on the database thread, not counted) of what the
        gateway needs of an API: the API, the stage a path's first segment names (else
        `$default`), and all its routes, integrations and authorizers."""

        def read(conn: sqlite3.Connection) -> Served | None:
            api = conn.execute("SELECT config FROM apis WHERE id = ?", (api_id,)).fetchone()
            if api is None:
                return None
            found = {
                r[0]: r[1]
                for r in conn.execute(
                    "SELECT name, config FROM api_stages WHERE api_id = ? AND name IN (?, ?)",
                    (api_id, first, DEFAULT_STAGE),
                )
            }
            stage_config = (found.get(first) if first != DEFAULT_STAGE else None) or found.get(
                DEFAULT_STAGE
            )
            if stage_config is None:
                return None
            stage = Stage.model_validate_json(stage_config)
            if stage.AutoDeploy:
                snapshot = {"api": api[0]} | _frozen(conn, api_id)
            else:
                row = conn.execute(
                    "SELECT snapshot FROM api_deployments WHERE api_id = ? AND id = ?",
                    (api_id, stage.DeploymentId),
                ).fetchone()
                if row is None:
                    return None  # never deployed: nothing to serve
                snapshot = orjson.loads(row[0])
            return Served(
                Api.model_validate_json(snapshot["api"]),
                stage,
                tuple(Route.model_validate_json(c) for c in snapshot["routes"]),
                {
                    i.IntegrationId: i
                    for i in map(Integration.model_validate_json, snapshot["integrations"])
                },
                {
                    a.AuthorizerId: a
                    for a in map(Authorizer.model_validate_json, snapshot["authorizers"])
                },
                frozenset(  # (deployments made before route responses existed have none)
                    orjson.loads(c)["RouteId"] for c in snapshot.get("route_responses", ())
                ),
                _by_integration(snapshot.get("integration_responses", ())),
            )

        return read


def _by_integration(rows: Sequence[str]) -> dict[str, tuple[IntegrationResponse, ...]]:
    found: dict[str, list[IntegrationResponse]] = {}
    for row in rows:
        response = IntegrationResponse.model_validate_json(row)
        found.setdefault(response.IntegrationId, []).append(response)
    return {k: tuple(v) for k, v in found.items()}


def _frozen(conn: sqlite3.Connection, api_id: str) -> dict[str, list[str]]:
    """What a deployment freezes (and an AutoDeploy stage serves): each kind's JSON rows."""
    return {
        name: [r[0] for r in conn.execute(_SELECT.format(table), (api_id,))]
        for name, table in _FROZEN
    }


def _insert_children(conn: sqlite3.Connection, api_id: str, children: Sequence[Child]) -> None:
    for kind, key, child in children:
        conn.execute(
            f"INSERT INTO {kind.table} (api_id, {kind.column}, config) VALUES (?, ?, ?)",
            (api_id, key, child.model_dump_json()),
        )


def not_found(kind: str, key: str) -> NotFound:
    return NotFound(f"Invalid {kind} identifier specified {key}", resourceType=kind)
