"""Reserved and provisioned concurrency: the rules, the stored configuration, and the
reconciler that keeps provisioned environments warm.

Provisioned concurrency is desired state in the database; `Provisioner.wait_run_forever`
compares it with the pool's provisioned environments every second (or when poked) and starts
or stops environments until they match, moving each config IN_PROGRESS -> READY (or FAILED).
Because the desired state is stored, a restarted server provisions again by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from dataclasses import dataclass
from typing import Annotated

import orjson
from pydantic import BaseModel, ConfigDict, Field

from stratus.errors import Conflict, Invalid, NotFound
from stratus.functions.inputs import timestamp
from stratus.functions.names import FunctionRef
from stratus.functions.service import LATEST, FunctionService
from stratus.runtime.concurrency import UNRESERVED_MINIMUM
from stratus.store.db import Database, transaction

log = logging.getLogger("stratus.functions")

RECONCILE_EVERY_S = 1.0


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class PutFunctionConcurrencyRequest(_Shape):
    ReservedConcurrentExecutions: Annotated[int, Field(ge=0)]


class PutProvisionedConcurrencyRequest(_Shape):
    ProvisionedConcurrentExecutions: Annotated[int, Field(ge=1)]


class ProvisionedConcurrencyNotFound(NotFound):
    """The function has no provisioned concurrency config for that qualifier."""


@dataclass(frozen=True, slots=True)
class ProvisionedConfig:
    function_name: str
    qualifier: str
    requested: int
    status: str
    status_reason: str | None
    last_modified: str

    def wire(self, available: int, arn: str | None = None) -> dict[str, object]:
        body: dict[str, object] = {
            "RequestedProvisionedConcurrentExecutions": self.requested,
            "AvailableProvisionedConcurrentExecutions": available,
            "AllocatedProvisionedConcurrentExecutions": available,
            "Status": self.status,
            "LastModified": self.last_modified,
        }
        if self.status_reason:
            body["StatusReason"] = self.status_reason
        if arn:
            body["FunctionArn"] = arn
        return body


class Concurrency:
    def __init__(self, db: Database, functions: FunctionService) -> None:
        self._db = db
        self._functions = functions
        self._limits = functions.invoker.concurrency
        self._pool = functions.invoker.pool
        self._poke = asyncio.Event()

    # -- reserved -----------------------------------------------------------------------
    async def wait_load(self) -> None:
        """Give the invoker every stored reservation (at start-up)."""
        rows = await self._db.run(
            lambda c: c.execute(
                "SELECT name, reserved_concurrency FROM functions "
                "WHERE reserved_concurrency IS NOT NULL"
            ).fetchall()
        )
        for name, count in rows:
            self._limits.set_reserved(name, count)

    async def put_reserved(self, name: str, count: int) -> int:
        limit = self._limits.account_limit - UNRESERVED_MINIMUM

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                self._require_function(conn, name)
                others = conn.execute(
                    "SELECT COALESCE(SUM(reserved_concurrency), 0) FROM functions WHERE name != ?",
                    (name,),
                ).fetchone()[0]
                if others + count > limit:
                    raise Invalid(
                        "Specified ReservedConcurrentExecutions for function decreases "
                        "account's UnreservedConcurrentExecution below its minimum value of "
                        f"[{UNRESERVED_MINIMUM}]."
                    )
                provisioned = _provisioned_total(conn, name)
                if provisioned > count:
                    raise Invalid(
                        f"ReservedConcurrentExecutions {count} is less than the function's "
                        f"provisioned concurrency ({provisioned}); lower that first."
                    )
                conn.execute(
                    "UPDATE functions SET reserved_concurrency = ? WHERE name = ?", (count, name)
                )

        await self._db.run(write)
        self._limits.set_reserved(name, count)
        return count

    async def get_reserved(self, name: str) -> int | None:
        def read(conn: sqlite3.Connection) -> int | None:
            self._require_function(conn, name)
            return conn.execute(  # type: ignore[no-any-return]
                "SELECT reserved_concurrency FROM functions WHERE name = ?", (name,)
            ).fetchone()[0]

        return await self._db.run(read)

    async def delete_reserved(self, name: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            self._require_function(conn, name)
            conn.execute("UPDATE functions SET reserved_concurrency = NULL WHERE name = ?", (name,))

        await self._db.run(write)
        self._limits.set_reserved(name, None)

    # -- provisioned --------------------------------------------------------------------
    async def put_provisioned(self, ref: FunctionRef, count: int) -> ProvisionedConfig:
        qualifier = ref.qualifier
        if not qualifier or qualifier == LATEST:
            raise Invalid(
                "Provisioned Concurrency Configs cannot be applied to unpublished function "
                "versions."
            )
        target = (await self._functions.get(ref)).configuration  # must exist
        version = target.Version
        if target.SnapStart.OptimizationStatus == "On":
            log.warning(
                "%s:%s uses SnapStart; AWS does not allow provisioned concurrency with it "
                "(Stratus starts the provisioned environments from the snapshot)",
                ref.name,
                qualifier,
            )
        names = await self._functions.aliases.list(ref.name, None)
        alias_versions = {a.Name: a.FunctionVersion for a in names}
        reserved = self._limits.reserved(ref.name)
        unreserved = self._limits.unreserved_limit - UNRESERVED_MINIMUM

        def write(conn: sqlite3.Connection) -> ProvisionedConfig:
            with transaction(conn):
                for (other,) in conn.execute(
                    "SELECT qualifier FROM provisioned_concurrency WHERE function_name = ? "
                    "AND qualifier != ?",
                    (ref.name, qualifier),
                ).fetchall():
                    if alias_versions.get(other, other) == version:
                        raise Conflict(
                            f"Provisioned Concurrency for version {version} is already "
                            f"configured through {other}; configure it once.",
                            Type="User",
                        )
                total = _provisioned_total(conn, ref.name, excluding=qualifier) + count
                if reserved is not None and total > reserved:
                    raise Invalid(
                        "Requested Provisioned Concurrency should not be greater than the "
                        f"reservedConcurrentExecution for function ({reserved})."
                    )
                if reserved is None and total > unreserved:
                    raise Invalid(
                        "Specified ConcurrentExecutions for function is greater than account's "
                        f"unreserved concurrency [{unreserved}]."
                    )
                config = ProvisionedConfig(
                    ref.name, qualifier, count, "IN_PROGRESS", None, timestamp()
                )
                conn.execute(
                    "INSERT OR REPLACE INTO provisioned_concurrency VALUES (?, ?, ?, ?, ?, ?)",
                    (ref.name, qualifier, count, config.status, None, config.last_modified),
                )
                return config

        config = await self._db.run(write)
        self._poke.set()
        return config

    async def get_provisioned(self, ref: FunctionRef) -> tuple[ProvisionedConfig, int]:
        """The config and how many environments are ready for it now."""
        await self._functions.get(FunctionRef(ref.name))  # the function must exist
        config = await self._db.run(lambda c: _config(c, ref.name, ref.qualifier or ""))
        if config is None:
            raise ProvisionedConcurrencyNotFound(
                f"No Provisioned Concurrency Config found for this function: "
                f"{self._functions.arn(ref.name, ref.qualifier)}",
                Type="User",
            )
        return config, await self._available(config)

    async def list_provisioned(self, name: str) -> list[tuple[ProvisionedConfig, int]]:
        await self._functions.get(FunctionRef(name))
        rows = await self._db.run(
            lambda c: c.execute(
                "SELECT * FROM provisioned_concurrency WHERE function_name = ? ORDER BY qualifier",
                (name,),
            ).fetchall()
        )
        configs = [ProvisionedConfig(*row) for row in rows]
        return [(config, await self._available(config)) for config in configs]

    async def delete_provisioned(self, ref: FunctionRef) -> None:
        await self._functions.get(FunctionRef(ref.name))
        await self._db.run(
            lambda c: c.execute(
                "DELETE FROM provisioned_concurrency WHERE function_name = ? AND qualifier = ?",
                (ref.name, ref.qualifier or ""),
            )
        )
        self._poke.set()

    async def _available(self, config: ProvisionedConfig) -> int:
        try:
            spec = await self._functions.spec(FunctionRef(config.function_name, config.qualifier))
        except NotFound:
            return 0
        return self._pool.provisioned(spec.pool_key)

    # -- the reconciler -----------------------------------------------------------------
    async def wait_run_forever(self) -> None:
        while True:
            await self.wait_reconcile()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(RECONCILE_EVERY_S):
                    await self._poke.wait()
            self._poke.clear()

    async def wait_reconcile(self) -> None:
        configs = await self._db.run(
            lambda c: [
                ProvisionedConfig(*r) for r in c.execute("SELECT * FROM provisioned_concurrency")
            ]
        )
        wanted: set[tuple[str, str, str]] = set()
        for config in configs:
            try:
                spec = await self._functions.spec(
                    FunctionRef(config.function_name, config.qualifier)
                )
            except NotFound:
                continue  # the version or alias went away; the config goes with it
            wanted.add(spec.pool_key)
            failures = await self._pool.wait_provision(spec, config.requested)
            await self._wait_record(config, failures[0].payload if failures else None)
        for key in self._pool.provisioned_keys() - wanted:
            await self._pool.wait_unprovision(key, keep=0)

    async def _wait_record(self, config: ProvisionedConfig, failure: bytes | None) -> None:
        status, reason = ("READY", None) if failure is None else ("FAILED", _reason(failure))
        if (status, reason) == (config.status, config.status_reason):
            return
        if status == "FAILED":
            log.warning(
                "provisioned concurrency for %s:%s failed: %s",
                config.function_name,
                config.qualifier,
                reason,
            )
        await self._db.run(
            lambda c: c.execute(
                "UPDATE provisioned_concurrency SET status = ?, status_reason = ? "
                "WHERE function_name = ? AND qualifier = ?",
                (status, reason, config.function_name, config.qualifier),
            )
        )

    def _require_function(self, conn: sqlite3.Connection, name: str) -> None:
        if not conn.execute("SELECT 1 FROM functions WHERE name = ?", (name,)).fetchone():
            raise NotFound(f"Function not found: {self._functions.arn(name)}", Type="User")


def _config(conn: sqlite3.Connection, name: str, qualifier: str) -> ProvisionedConfig | None:
    row = conn.execute(
        "SELECT * FROM provisioned_concurrency WHERE function_name = ? AND qualifier = ?",
        (name, qualifier),
    ).fetchone()
    return ProvisionedConfig(*row) if row else None


def _provisioned_total(conn: sqlite3.Connection, name: str, excluding: str = "") -> int:
    return conn.execute(  # type: ignore[no-any-return]
        "SELECT COALESCE(SUM(requested), 0) FROM provisioned_concurrency "
        "WHERE function_name = ? AND qualifier != ?",
        (name, excluding),
    ).fetchone()[0]


def _reason(payload: bytes) -> str:
    try:
        error = orjson.loads(payload)
        return f"{error.get('errorType')}: {error.get('errorMessage')}"
    except orjson.JSONDecodeError:
        return payload.decode(errors="replace")
