"""CloudWatch dashboards: a name and its JSON body, kept as written. Stratus draws no
dashboard; it keeps them so that templates and tools that define one (PutDashboard,
AWS::CloudWatch::Dashboard) work, and answers them back. The body is checked as AWS checks
it first: a JSON object whose `widgets` is a list (else InvalidParameterInput, with
AWS's dashboardValidationMessages)."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from stratus.errors import Invalid, NotFound
from stratus.store.db import Database, transaction

NAME = re.compile(r"[A-Za-z0-9_\-]{1,255}")


class InvalidDashboard(Invalid):
    """InvalidParameterInput, with the problems as dashboardValidationMessages."""


class DashboardNotFound(NotFound):
    """ResourceNotFound (DashboardNotFoundError)."""


@dataclass(frozen=True, slots=True)
class Dashboard:
    name: str
    body: str
    modified: int  # epoch milliseconds


class Dashboards:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, name: str, body: str) -> None:
        if not NAME.fullmatch(name):
            raise InvalidDashboard(
                "The dashboard name may hold only letters, digits, - and _ (1-255).",
                dashboardValidationMessages=[{"DataPath": "/", "Message": "Invalid name"}],
            )
        _check_body(body)
        now = int(time.time() * 1000)
        await self._db.run(
            lambda conn: _in_transaction(
                conn,
                "INSERT OR REPLACE INTO dashboards (name, body, modified) VALUES (?, ?, ?)",
                (name, body, now),
            )
        )

    async def get(self, name: str) -> Dashboard:
        found = await self.all([name])
        if not found:
            raise DashboardNotFound(f"Dashboard {name} does not exist")
        return found[0]

    async def all(self, names: Sequence[str] | None = None) -> list[Dashboard]:
        def read(conn: sqlite3.Connection) -> list[Dashboard]:
            rows = conn.execute("SELECT name, body, modified FROM dashboards ORDER BY name")
            wanted = None if names is None else set(names)
            return [Dashboard(*r) for r in rows.fetchall() if wanted is None or r[0] in wanted]

        return await self._db.run(read)

    async def delete(self, names: Sequence[str]) -> None:
        def remove(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                for name in names:
                    found = conn.execute("SELECT 1 FROM dashboards WHERE name = ?", (name,))
                    if found.fetchone() is None:
                        raise DashboardNotFound(f"Dashboard {name} does not exist")
                conn.executemany("DELETE FROM dashboards WHERE name = ?", [(n,) for n in names])

        await self._db.run(remove)


def _check_body(body: str) -> None:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidDashboard(
            f"The dashboard body is invalid, there are 1 validation errors: it should be valid "
            f"JSON ({exc})",
            dashboardValidationMessages=[{"DataPath": "", "Message": "Should be valid JSON"}],
        ) from None
    widgets = document.get("widgets") if isinstance(document, dict) else None
    if not isinstance(widgets, list):
        raise InvalidDashboard(
            "The dashboard body is invalid, there are 1 validation errors: it should have "
            "the required property 'widgets' (a list).",
            dashboardValidationMessages=[
                {"DataPath": "", "Message": "Should have required property 'widgets'"}
            ],
        )


def _in_transaction(conn: sqlite3.Connection, sql: str, values: tuple[object, ...]) -> None:
    with transaction(conn):
        conn.execute(sql, values)
