"""Saved Logs Insights queries (Put/Describe/DeleteQueryDefinition): a name, a query string and
optional log groups, kept as written (the query is not checked: AWS's language is larger than
the part stratus.observe.insights runs)."""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

import orjson

from stratus.errors import NotFound
from stratus.store.db import Database, transaction

_MISSING = "The specified query definition does not exist."


class QueryDefinitions:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, definition_id: str | None, config: dict[str, Any], now_ms: int) -> str:
        """Create (no id) or replace the definition; its id."""
        chosen = definition_id or str(uuid.uuid4())
        item = {**config, "queryDefinitionId": chosen, "lastModified": now_ms}

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if (
                    definition_id
                    and not conn.execute(
                        "SELECT 1 FROM log_query_definitions WHERE id = ?", (definition_id,)
                    ).fetchone()
                ):
                    raise NotFound(_MISSING)
                conn.execute(
                    "INSERT OR REPLACE INTO log_query_definitions (id, config) VALUES (?, ?)",
                    (chosen, orjson.dumps(item).decode()),
                )

        await self._db.run(write)
        return chosen

    async def list(self, prefix: str = "") -> list[dict[str, Any]]:
        rows = await self._db.run(
            lambda conn: conn.execute(
                "SELECT config FROM log_query_definitions ORDER BY rowid"
            ).fetchall()
        )
        found = [orjson.loads(row[0]) for row in rows]
        return sorted(
            (f for f in found if str(f["name"]).startswith(prefix)), key=lambda f: f["name"]
        )

    async def delete(self, definition_id: str) -> None:
        def remove(conn: sqlite3.Connection) -> None:
            if not conn.execute(
                "DELETE FROM log_query_definitions WHERE id = ?", (definition_id,)
            ).rowcount:
                raise NotFound(_MISSING)

        await self._db.run(remove)
