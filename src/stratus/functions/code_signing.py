"""Code signing configurations: Create/Get/Update/Delete/ListCodeSigningConfigs and their
use by functions (Put/Get/DeleteFunctionCodeSigningConfig, ListFunctionsByCodeSigningConfig).

Stored and checked as Lambda checks them (1 to 20 signing profile version ARNs, Warn or
Enforce, a config in use cannot be deleted, a function names one that exists). Signatures
are not verified: Stratus has no signer, so an Enforce policy does not refuse unsigned code
(docs/design.md, "Lambda's remaining API").
"""

from __future__ import annotations

import secrets
import sqlite3
from typing import Annotated, Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from stratus.config import Settings
from stratus.errors import Conflict, NotFound
from stratus.functions.inputs import decode_marker, encode_marker, timestamp
from stratus.store.db import Database, transaction

LIST_PAGE_LIMIT = 50


class CodeSigningConfigNotFound(NotFound):
    """Lambda answers CodeSigningConfigNotFoundException (404) when a function names a
    configuration that does not exist."""


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Publishers(_Shape):
    SigningProfileVersionArns: Annotated[list[str], Field(min_length=1, max_length=20)]


class SigningPolicies(_Shape):
    UntrustedArtifactOnDeployment: Literal["Warn", "Enforce"] = "Warn"


class CodeSigningConfigRequest(_Shape):
    Description: Annotated[str, Field(max_length=256)] = ""
    AllowedPublishers: Publishers
    CodeSigningPolicies: SigningPolicies = Field(default_factory=SigningPolicies)
    Tags: dict[str, str] = Field(default_factory=dict)


class CodeSigningConfigUpdate(_Shape):
    Description: Annotated[str, Field(max_length=256)] | None = None
    AllowedPublishers: Publishers | None = None
    CodeSigningPolicies: SigningPolicies | None = None


class CodeSigningConfigs:
    def __init__(self, settings: Settings, db: Database) -> None:
        self._db = db
        self._prefix = (
            f"arn:aws:lambda:{settings.region}:{settings.account_id}:code-signing-config:"
        )

    def arn(self, config_id: str) -> str:
        return self._prefix + config_id

    def id_of(self, arn: str) -> str:
        """The id an ARN names; a malformed or foreign ARN names nothing here."""
        if not arn.startswith(self._prefix):
            raise CodeSigningConfigNotFound(f"The code signing configuration {arn} does not exist.")
        return arn.removeprefix(self._prefix)

    async def create(self, request: CodeSigningConfigRequest) -> dict[str, Any]:
        config_id = "csc-" + secrets.token_hex(9)[:17]
        config = {
            "CodeSigningConfigId": config_id,
            "CodeSigningConfigArn": self.arn(config_id),
            "Description": request.Description,
            "AllowedPublishers": request.AllowedPublishers.model_dump(),
            "CodeSigningPolicies": request.CodeSigningPolicies.model_dump(),
            "LastModified": timestamp(),
        }
        await self._db.run(
            lambda conn: conn.execute(
                "INSERT INTO code_signing_configs (id, config, tags) VALUES (?, ?, ?)",
                (config_id, orjson.dumps(config).decode(), orjson.dumps(request.Tags).decode()),
            )
        )
        return config

    async def get(self, arn: str) -> dict[str, Any]:
        config_id = self.id_of(arn)
        row = await self._db.run(
            lambda conn: conn.execute(
                "SELECT config FROM code_signing_configs WHERE id = ?", (config_id,)
            ).fetchone()
        )
        if row is None:
            raise CodeSigningConfigNotFound(f"The code signing configuration {arn} does not exist.")
        config: dict[str, Any] = orjson.loads(row[0])
        return config

    async def update(self, arn: str, update: CodeSigningConfigUpdate) -> dict[str, Any]:
        current = await self.get(arn)
        changes = update.model_dump(exclude_none=True)
        config = {**current, **changes, "LastModified": timestamp()}
        await self._db.run(
            lambda conn: conn.execute(
                "UPDATE code_signing_configs SET config = ? WHERE id = ?",
                (orjson.dumps(config).decode(), current["CodeSigningConfigId"]),
            )
        )
        return config

    async def delete(self, arn: str) -> None:
        config_id = self.id_of(arn)

        def remove(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                used = conn.execute(
                    "SELECT 1 FROM function_settings WHERE kind = 'code_signing' AND value = ?",
                    (orjson.dumps(arn).decode(),),
                ).fetchone()
                if used:
                    raise Conflict(
                        "The code signing configuration cannot be deleted because it is used "
                        "by one or more functions."
                    )
                if not conn.execute(
                    "DELETE FROM code_signing_configs WHERE id = ?", (config_id,)
                ).rowcount:
                    raise CodeSigningConfigNotFound(
                        f"The code signing configuration {arn} does not exist."
                    )

        await self._db.run(remove)

    async def list(
        self, marker: str | None, max_items: int | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        limit = min(max_items or LIST_PAGE_LIMIT, LIST_PAGE_LIMIT)
        offset = int(decode_marker(marker) or 0) if marker else 0
        rows = await self._db.run(
            lambda conn: conn.execute(
                "SELECT config FROM code_signing_configs ORDER BY rowid LIMIT ? OFFSET ?",
                (limit + 1, offset),
            ).fetchall()
        )
        page = [orjson.loads(row[0]) for row in rows[:limit]]
        return page, encode_marker(str(offset + limit)) if len(rows) > limit else None

    async def tags(self, arn: str) -> dict[str, str]:
        await self.get(arn)
        row = await self._db.run(
            lambda conn: conn.execute(
                "SELECT tags FROM code_signing_configs WHERE id = ?", (self.id_of(arn),)
            ).fetchone()
        )
        tags: dict[str, str] = orjson.loads(row[0])
        return tags

    async def retag(self, arn: str, tags: dict[str, str]) -> None:
        await self.get(arn)
        await self._db.run(
            lambda conn: conn.execute(
                "UPDATE code_signing_configs SET tags = ? WHERE id = ?",
                (orjson.dumps(tags).decode(), self.id_of(arn)),
            )
        )
