"""Small per-function settings that change nothing Stratus runs, kept so that tools which
set them read back what they set, with Lambda's checks:

    recursion     Put/GetFunctionRecursionConfig (RecursiveLoop: Terminate by default)
    runtime       Put/GetRuntimeManagementConfig (UpdateRuntimeOn: Auto by default)
    scaling       Put/GetFunctionScalingConfig (execution environments on capacity providers)
    code_signing  Put/Get/DeleteFunctionCodeSigningConfig (functions/code_signing.py)

Stratus runs one runtime version per runtime and detects no recursive loops, so recursion
and runtime settings are recorded, not applied (docs/design.md, "Lambda's remaining API").
"""

from __future__ import annotations

import sqlite3
from typing import Any, Literal

import orjson

from stratus.store.db import Database

Kind = Literal["recursion", "runtime", "scaling", "code_signing"]


class FunctionSettings:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, name: str, qualifier: str, kind: Kind) -> Any | None:
        row = await self._db.run(
            lambda conn: conn.execute(
                "SELECT value FROM function_settings WHERE function_name = ? "
                "AND qualifier = ? AND kind = ?",
                (name, qualifier, kind),
            ).fetchone()
        )
        return orjson.loads(row[0]) if row else None

    async def put(self, name: str, qualifier: str, kind: Kind, value: Any) -> None:
        await self._db.run(lambda conn: put_setting(conn, name, qualifier, kind, value))

    async def delete(self, name: str, qualifier: str, kind: Kind) -> bool:
        def remove(conn: sqlite3.Connection) -> bool:
            return bool(
                conn.execute(
                    "DELETE FROM function_settings WHERE function_name = ? AND qualifier = ? "
                    "AND kind = ?",
                    (name, qualifier, kind),
                ).rowcount
            )

        return await self._db.run(remove)

    async def functions_with(self, kind: Kind, value: Any) -> list[str]:
        """The functions whose setting of this kind is `value` (by name)."""
        rows = await self._db.run(
            lambda conn: conn.execute(
                "SELECT function_name FROM function_settings WHERE kind = ? AND value = ? "
                "ORDER BY function_name",
                (kind, orjson.dumps(value).decode()),
            ).fetchall()
        )
        return [row[0] for row in rows]


def put_setting(
    conn: sqlite3.Connection, name: str, qualifier: str, kind: Kind, value: Any
) -> None:
    """Set one setting, inside the caller's transaction (CreateFunction's, for one)."""
    conn.execute(
        "INSERT OR REPLACE INTO function_settings (function_name, qualifier, kind, value) "
        "VALUES (?, ?, ?, ?)",
        (name, qualifier, kind, orjson.dumps(value).decode()),
    )
