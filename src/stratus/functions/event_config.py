"""How asynchronous invocations of a function, version or alias are handled (AWS's
FunctionEventInvokeConfig): retries, maximum event age, and where outcomes go.

    PutFunctionEventInvokeConfig      replace the whole configuration
    UpdateFunctionEventInvokeConfig   change the settings given, keep the others
    Get / Delete / ListFunctionEventInvokeConfigs

A configuration belongs to exactly the qualifier it was put on ($LATEST for none): invoking
alias `prod` uses `prod`'s configuration, never its version's. It goes away with its
function, version or alias (triggers in store/db.py). Destination ARNs are checked when they
are set (functions/destinations.py); the settings take effect in functions/async_queue.py.
"""

from __future__ import annotations

import base64
import binascii
import sqlite3
import time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from stratus.errors import Invalid, NotFound
from stratus.functions.destinations import Destinations
from stratus.functions.names import FunctionRef, function_arn
from stratus.store.db import Database, transaction
from stratus.validation import aws_pattern

LATEST = "$LATEST"
LIST_PAGE_LIMIT = 50
# AWS's DestinationArn constraint (botocore's lambda service-2.json); "" means none.
DESTINATION_PATTERN = (
    r"$|kafka://([^.]([a-zA-Z0-9\-_.]{0,248}))|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\-])+:"
    r"([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1})?:(\d{12})?:(.*)"
)

DestinationArn = Annotated[str, Field(max_length=350), aws_pattern(DESTINATION_PATTERN)]


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class OnOutcome(_Shape):
    """AWS's OnSuccess and OnFailure: one destination, or none."""

    Destination: DestinationArn | None = None


class DestinationSettings(_Shape):
    OnSuccess: OnOutcome = Field(default_factory=OnOutcome)
    OnFailure: OnOutcome = Field(default_factory=OnOutcome)


class DestinationRequest(_Shape):
    OnSuccess: OnOutcome | None = None
    OnFailure: OnOutcome | None = None


class EventInvokeConfigRequest(_Shape):
    """The body of PutFunctionEventInvokeConfig and UpdateFunctionEventInvokeConfig."""

    MaximumRetryAttempts: Annotated[int, Field(ge=0, le=2)] | None = None
    MaximumEventAgeInSeconds: Annotated[int, Field(ge=60, le=21600)] | None = None
    DestinationConfig: DestinationRequest | None = None

    def destinations(self) -> list[str]:
        given = self.DestinationConfig or DestinationRequest()
        return [o.Destination for o in (given.OnSuccess, given.OnFailure) if o and o.Destination]

    def is_empty(self) -> bool:
        given = self.DestinationConfig
        return (
            self.MaximumRetryAttempts is None
            and self.MaximumEventAgeInSeconds is None
            and (given is None or (given.OnSuccess is None and given.OnFailure is None))
        )


class FunctionEventInvokeConfig(_Shape):
    """What we store, and what Get/Put/Update answer."""

    LastModified: float  # epoch seconds
    FunctionArn: str  # qualified, $LATEST included
    MaximumRetryAttempts: int | None = None  # None: AWS's default, 2
    MaximumEventAgeInSeconds: int | None = None  # None: AWS's default, 6 hours
    DestinationConfig: DestinationSettings = Field(default_factory=DestinationSettings)

    def wire(self) -> dict[str, object]:
        return self.model_dump(exclude_none=True)

    def destination(self, success: bool) -> str | None:
        chosen = self.DestinationConfig.OnSuccess if success else self.DestinationConfig.OnFailure
        return chosen.Destination

    def changed(self, request: EventInvokeConfigRequest, now: float) -> FunctionEventInvokeConfig:
        """This configuration with the settings `request` gives (Update's merge): a given
        OnSuccess or OnFailure replaces that side, and an empty Destination removes it."""
        changes: dict[str, object] = {"LastModified": now}
        if request.MaximumRetryAttempts is not None:
            changes["MaximumRetryAttempts"] = request.MaximumRetryAttempts
        if request.MaximumEventAgeInSeconds is not None:
            changes["MaximumEventAgeInSeconds"] = request.MaximumEventAgeInSeconds
        given = request.DestinationConfig
        if given is not None:
            current = self.DestinationConfig
            changes["DestinationConfig"] = DestinationSettings(
                OnSuccess=_outcome(given.OnSuccess) if given.OnSuccess else current.OnSuccess,
                OnFailure=_outcome(given.OnFailure) if given.OnFailure else current.OnFailure,
            )
        return self.model_copy(update=changes)


def _outcome(given: OnOutcome) -> OnOutcome:
    return OnOutcome(Destination=given.Destination or None)


class EventInvokeConfigs:
    def __init__(self, db: Database, region: str, account: str, destinations: Destinations) -> None:
        self._db = db
        self._region = region
        self._account = account
        self._destinations = destinations

    async def put(
        self, ref: FunctionRef, request: EventInvokeConfigRequest
    ) -> FunctionEventInvokeConfig:
        return await self._write(ref, request, replace=True)

    async def update(
        self, ref: FunctionRef, request: EventInvokeConfigRequest
    ) -> FunctionEventInvokeConfig:
        return await self._write(ref, request, replace=False)

    async def _write(
        self, ref: FunctionRef, request: EventInvokeConfigRequest, replace: bool
    ) -> FunctionEventInvokeConfig:
        if request.is_empty():
            raise Invalid("You must specify at least one of error handling or destination setting.")
        qualifier = ref.qualifier or LATEST
        await self._db.run(lambda conn: self._check_exists(conn, ref.name, qualifier))
        for arn in request.destinations():
            await self._destinations.wait_check(arn, ref.name)
        arn = function_arn(self._region, self._account, ref.name, qualifier)

        def write(conn: sqlite3.Connection) -> FunctionEventInvokeConfig:
            with transaction(conn):
                self._check_exists(conn, ref.name, qualifier)
                current = _row(conn, ref.name, qualifier)
                if current is None and not replace:
                    raise _no_config(arn)
                base = FunctionEventInvokeConfig(LastModified=0, FunctionArn=arn)
                config = (base if replace else current or base).changed(request, time.time())
                conn.execute(
                    "INSERT OR REPLACE INTO event_invoke_configs "
                    "(function_name, qualifier, config) VALUES (?, ?, ?)",
                    (ref.name, qualifier, config.model_dump_json()),
                )
                return config

        return await self._db.run(write)

    async def get(self, ref: FunctionRef) -> FunctionEventInvokeConfig:
        config = await self.lookup(ref)
        if config is None:
            raise _no_config(self._arn(ref))
        return config

    async def lookup(self, ref: FunctionRef) -> FunctionEventInvokeConfig | None:
        """The configuration of exactly this qualifier, if it has one."""
        return await self._db.run(lambda conn: _row(conn, ref.name, ref.qualifier or LATEST))

    async def delete(self, ref: FunctionRef) -> None:
        deleted = await self._db.run(
            lambda conn: (
                conn.execute(
                    "DELETE FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?",
                    (ref.name, ref.qualifier or LATEST),
                ).rowcount
            )
        )
        if not deleted:
            raise _no_config(self._arn(ref))

    async def list(
        self, name: str, marker: str | None, max_items: int | None
    ) -> tuple[list[FunctionEventInvokeConfig], str | None]:
        def read(conn: sqlite3.Connection) -> list[FunctionEventInvokeConfig]:
            if not conn.execute("SELECT 1 FROM functions WHERE name = ?", (name,)).fetchone():
                raise NotFound("The function doesn't exist.", Type="User")
            rows = conn.execute(
                "SELECT config FROM event_invoke_configs WHERE function_name = ? "
                "ORDER BY qualifier != ?, qualifier GLOB '[0-9]*' = 0, "
                "CAST(qualifier AS INTEGER), qualifier",
                (name, LATEST),
            )
            return [FunctionEventInvokeConfig.model_validate_json(r["config"]) for r in rows]

        found = await self._db.run(read)
        limit = min(max_items or LIST_PAGE_LIMIT, LIST_PAGE_LIMIT)
        start = _decode_marker(marker)
        more = start + limit < len(found)
        next_marker = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
        return found[start : start + limit], next_marker if more else None

    def _arn(self, ref: FunctionRef) -> str:
        return function_arn(self._region, self._account, ref.name, ref.qualifier or LATEST)

    @staticmethod
    def _check_exists(conn: sqlite3.Connection, name: str, qualifier: str) -> None:
        found = conn.execute(
            "SELECT 1 FROM versions WHERE function_name = ? AND version = ? "
            "UNION ALL SELECT 1 FROM aliases WHERE function_name = ? AND name = ?",
            (name, qualifier, name, qualifier),
        ).fetchone()
        if found is None:
            raise NotFound("The function doesn't exist.", Type="User")


def _row(conn: sqlite3.Connection, name: str, qualifier: str) -> FunctionEventInvokeConfig | None:
    row = conn.execute(
        "SELECT config FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?",
        (name, qualifier),
    ).fetchone()
    return FunctionEventInvokeConfig.model_validate_json(row["config"]) if row else None


def _no_config(arn: str) -> NotFound:
    return NotFound(f"The function {arn} doesn't have an EventInvokeConfig", Type="User")


def _decode_marker(marker: str | None) -> int:
    if not marker:
        return 0
    try:
        return int(base64.urlsafe_b64decode(marker.encode()).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Invalid(f"Invalid Marker: {marker!r}") from exc
