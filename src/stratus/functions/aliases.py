"""Aliases: named pointers to a function version, optionally splitting traffic with a second.

    CreateAlias / GetAlias / UpdateAlias / DeleteAlias / ListAliases

`pick_version` is the weighted routing rule, pure so it can be tested with a table of draws.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from stratus.errors import Conflict, Invalid, NotFound
from stratus.functions.model import stale_revision
from stratus.functions.names import function_arn
from stratus.store.db import Database, transaction

ALIAS_PATTERN = r"^[a-zA-Z0-9\-_]+$"  # and not all digits: those name versions
VERSION_PATTERN = r"^(\$LATEST|[0-9]+)$"
LATEST = "$LATEST"


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class AliasRoutingConfiguration(_Shape):
    AdditionalVersionWeights: dict[
        Annotated[str, Field(pattern=r"^[0-9]+$")], Annotated[float, Field(ge=0.0, le=1.0)]
    ] = Field(default_factory=dict)


def _not_a_version(name: str) -> str:
    if name.isdigit():
        raise ValueError("Member must not be a number: numbers name versions, not aliases")
    return name


class CreateAliasRequest(_Shape):
    Name: Annotated[
        str,
        Field(min_length=1, max_length=128, pattern=ALIAS_PATTERN),
        AfterValidator(_not_a_version),
    ]
    FunctionVersion: Annotated[str, Field(min_length=1, max_length=1024, pattern=VERSION_PATTERN)]
    Description: Annotated[str, Field(max_length=256)] = ""
    RoutingConfig: AliasRoutingConfiguration | None = None


class UpdateAliasRequest(_Shape):
    FunctionVersion: (
        Annotated[str, Field(min_length=1, max_length=1024, pattern=VERSION_PATTERN)] | None
    ) = None
    Description: Annotated[str, Field(max_length=256)] | None = None
    RoutingConfig: AliasRoutingConfiguration | None = None
    RevisionId: str | None = None


class AliasConfiguration(_Shape):
    AliasArn: str
    Name: str
    FunctionVersion: str
    Description: str = ""
    RoutingConfig: AliasRoutingConfiguration | None = None
    RevisionId: str

    def wire(self) -> dict[str, object]:
        return self.model_dump(exclude_none=True)

    def versions(self) -> set[str]:
        extra = self.RoutingConfig.AdditionalVersionWeights if self.RoutingConfig else {}
        return {self.FunctionVersion, *extra}


def pick_version(alias: AliasConfiguration, draw: float) -> str:
    """The version one invocation runs: the additional version with its weight's probability.

    `draw` is uniform in [0, 1)."""
    weights = alias.RoutingConfig.AdditionalVersionWeights if alias.RoutingConfig else {}
    for version, weight in weights.items():
        if draw < weight:
            return version
        draw -= weight
    return alias.FunctionVersion


class Aliases:
    def __init__(
        self, db: Database, region: str, account: str, changed: Callable[[str], None]
    ) -> None:
        self._db = db
        self._region = region
        self._account = account
        self._changed = changed  # drops the function service's caches

    async def create(self, function: str, request: CreateAliasRequest) -> AliasConfiguration:
        alias = AliasConfiguration(
            AliasArn=function_arn(self._region, self._account, function, request.Name),
            Name=request.Name,
            FunctionVersion=request.FunctionVersion,
            Description=request.Description,
            RoutingConfig=request.RoutingConfig,
            RevisionId=str(uuid.uuid4()),
        )

        def insert(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                _check_targets(conn, function, alias)
                if _row(conn, function, request.Name):
                    raise Conflict(f"Alias already exists: {alias.AliasArn}", Type="User")
                conn.execute(
                    "INSERT INTO aliases (function_name, name, config) VALUES (?, ?, ?)",
                    (function, request.Name, alias.model_dump_json()),
                )

        await self._db.run(insert)
        self._changed(function)
        return alias

    async def get(self, function: str, name: str) -> AliasConfiguration:
        def read(conn: sqlite3.Connection) -> AliasConfiguration:
            row = _row(conn, function, name)
            if row is None:
                raise self._not_found(conn, function, name)
            return AliasConfiguration.model_validate_json(row["config"])

        return await self._db.run(read)

    async def list(self, function: str, version: str | None) -> list[AliasConfiguration]:
        def read(conn: sqlite3.Connection) -> list[AliasConfiguration]:
            if not conn.execute("SELECT 1 FROM functions WHERE name = ?", (function,)).fetchone():
                raise NotFound(
                    f"Function not found: {function_arn(self._region, self._account, function)}",
                    Type="User",
                )
            rows = conn.execute(
                "SELECT config FROM aliases WHERE function_name = ? ORDER BY name", (function,)
            )
            return [AliasConfiguration.model_validate_json(r["config"]) for r in rows]

        aliases = await self._db.run(read)
        return [a for a in aliases if version is None or a.FunctionVersion == version]

    async def update(
        self, function: str, name: str, request: UpdateAliasRequest
    ) -> AliasConfiguration:
        def write(conn: sqlite3.Connection) -> AliasConfiguration:
            with transaction(conn):
                row = _row(conn, function, name)
                if row is None:
                    raise self._not_found(conn, function, name)
                current = AliasConfiguration.model_validate_json(row["config"])
                if request.RevisionId and request.RevisionId != current.RevisionId:
                    raise stale_revision()
                changes = request.model_dump(exclude_none=True, exclude={"RevisionId"})
                if request.RoutingConfig is not None:
                    changes["RoutingConfig"] = request.RoutingConfig
                updated = current.model_copy(update=changes | {"RevisionId": str(uuid.uuid4())})
                _check_targets(conn, function, updated)
                conn.execute(
                    "UPDATE aliases SET config = ? WHERE function_name = ? AND name = ?",
                    (updated.model_dump_json(), function, name),
                )
                return updated

        updated = await self._db.run(write)
        self._changed(function)
        return updated

    async def delete(self, function: str, name: str) -> None:
        await self._db.run(
            lambda conn: conn.execute(
                "DELETE FROM aliases WHERE function_name = ? AND name = ?", (function, name)
            )
        )
        self._changed(function)  # AWS answers 204 whether or not the alias existed

    def _not_found(self, conn: sqlite3.Connection, function: str, name: str) -> NotFound:
        if not conn.execute("SELECT 1 FROM functions WHERE name = ?", (function,)).fetchone():
            arn = function_arn(self._region, self._account, function)
            return NotFound(f"Function not found: {arn}", Type="User")
        arn = function_arn(self._region, self._account, function, name)
        return NotFound(f"Cannot find alias arn: {arn}", Type="User")


def alias_row(conn: sqlite3.Connection, function: str, name: str) -> AliasConfiguration | None:
    row = _row(conn, function, name)
    return AliasConfiguration.model_validate_json(row["config"]) if row else None


def _row(conn: sqlite3.Connection, function: str, name: str) -> sqlite3.Row | None:
    return conn.execute(  # type: ignore[no-any-return]
        "SELECT config FROM aliases WHERE function_name = ? AND name = ?", (function, name)
    ).fetchone()


def _check_targets(conn: sqlite3.Connection, function: str, alias: AliasConfiguration) -> None:
    # The alias ARN without the alias: the function's ARN, for error messages.
    function_arn_ = alias.AliasArn.rsplit(":", 1)[0]
    """The versions an alias names must exist; weighted routing is between published ones."""
    weights = alias.RoutingConfig.AdditionalVersionWeights if alias.RoutingConfig else {}
    if len(weights) > 1:
        raise Invalid("Number of items in AdditionalVersionWeights cannot be greater than 1")
    if weights and alias.FunctionVersion == LATEST:
        raise Invalid("$LATEST is not supported for an alias pointing to more than 1 version")
    if alias.FunctionVersion in weights:
        raise Invalid(
            f"Invalid function version {alias.FunctionVersion}. Function version "
            f"{alias.FunctionVersion} is already included in routing configuration."
        )
    for version in alias.versions():
        exists = conn.execute(
            "SELECT 1 FROM versions WHERE function_name = ? AND version = ?", (function, version)
        ).fetchone()
        if not exists:
            exists = conn.execute("SELECT 1 FROM functions WHERE name = ?", (function,))
            missing = f"{function_arn_}:{version}" if exists.fetchone() else function_arn_
            raise NotFound(f"Function not found: {missing}", Type="User")
