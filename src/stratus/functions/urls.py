"""Function URLs (AWS's FunctionUrlConfig): a dedicated HTTP endpoint per function or alias.

    CreateFunctionUrlConfig   201; Conflict when the qualifier already has one
    Get / Update / Delete / ListFunctionUrlConfigs

A configuration belongs to the function itself (no qualifier), `$LATEST` or an alias, never a
version number (AWS's FunctionUrlQualifier pattern). Each gets a url-id of 32 lowercase
letters and digits, as AWS's do, fixed for its life; the endpoint is
`http://{url-id}.lambda-url.localhost:{port}/` (built from the settings when answering, so a
restart on another port still gives the right address). Rows go away with their function
(foreign key) or alias (trigger in store/db.py).

AuthType AWS_IAM is refused until Stratus checks SigV4 signatures: accepting it would serve
unauthenticated requests to a URL the user believes protected. The gateway serves the URLs
(gateway/function_urls.py) through `resolve(url_id)`, which keeps its answers (every request
asks; writes are rare): every write to a URL calls `forget`, and so does FunctionService for
every write to a function or alias, whose deletion takes the URL with it.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import sqlite3
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from stratus.config import Settings
from stratus.errors import Conflict, Invalid, NotFound, Validation
from stratus.functions.names import FunctionRef, function_arn
from stratus.store.db import Database, transaction

LATEST = "$LATEST"
LIST_PAGE_LIMIT = 50
URL_ID_LENGTH = 32
_URL_ID_ALPHABET = string.ascii_lowercase + string.digits
_TARGETS_LIMIT = 4096  # url-ids whose resolved target is kept
# AWS's FunctionUrlQualifier: an alias name, never a version number; $LATEST also accepted.
QUALIFIER_PATTERN = r"((?!^\d+$)^[0-9a-zA-Z-_]+$)"
_QUALIFIER = re.compile(rf"\$LATEST|{QUALIFIER_PATTERN}")

AuthTypeValue = Literal["NONE", "AWS_IAM"]
InvokeModeValue = Literal["BUFFERED", "RESPONSE_STREAM"]
Header = Annotated[str, Field(max_length=1024)]


class UrlCors(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    AllowCredentials: bool | None = None
    AllowHeaders: Annotated[list[Header], Field(max_length=100)] | None = None
    AllowMethods: (
        Annotated[list[Annotated[str, Field(max_length=6)]], Field(max_length=6)] | None
    ) = None
    AllowOrigins: (
        Annotated[list[Annotated[str, Field(min_length=1, max_length=253)]], Field(max_length=100)]
        | None
    ) = None
    ExposeHeaders: Annotated[list[Header], Field(max_length=100)] | None = None
    MaxAge: Annotated[int, Field(ge=0, le=86400)] | None = None


class FunctionUrlRequest(BaseModel):
    """The body of CreateFunctionUrlConfig (AuthType required) and UpdateFunctionUrlConfig."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    AuthType: AuthTypeValue | None = None
    Cors: UrlCors | None = None
    InvokeMode: InvokeModeValue | None = None


class FunctionUrlConfig(BaseModel):
    """What we store (the url-id, not the URL) and, through `wire`, what the API answers."""

    model_config = ConfigDict(frozen=True)

    url_id: str
    FunctionArn: str
    AuthType: AuthTypeValue
    Cors: UrlCors | None = None
    InvokeMode: InvokeModeValue = "BUFFERED"
    CreationTime: str
    LastModifiedTime: str

    def wire(self, port: int) -> dict[str, object]:
        body = self.model_dump(exclude={"url_id"}, exclude_none=True)
        if self.Cors is not None:
            body["Cors"] = self.Cors.model_dump(exclude_none=True)
        return {"FunctionUrl": url_of(self.url_id, port)} | body


@dataclass(frozen=True, slots=True)
class UrlTarget:
    """What the gateway needs to serve a URL: where it goes and how."""

    ref: FunctionRef
    config: FunctionUrlConfig


def url_of(url_id: str, port: int) -> str:
    return f"http://{url_id}.lambda-url.localhost:{port}/"


def new_url_id() -> str:
    return "".join(secrets.choice(_URL_ID_ALPHABET) for _ in range(URL_ID_LENGTH))


def now() -> str:
    """AWS's timestamp for these, e.g. `2024-03-02T19:04:43.573212Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def check_qualifier(qualifier: str | None) -> None:
    if qualifier is not None and not _QUALIFIER.fullmatch(qualifier):
        raise Validation(
            f"1 validation error detected: Value '{qualifier}' at 'qualifier' failed to "
            "satisfy constraint: Member must satisfy regular expression pattern: "
            f"{QUALIFIER_PATTERN}"
        )


class FunctionUrls:
    def __init__(self, db: Database, settings: Settings) -> None:
        self._db = db
        self._settings = settings
        self._targets: dict[str, UrlTarget | None] = {}  # resolve's answers, by url-id
        self._generation = 0  # moved on by every write: a read that raced one is not kept

    def forget(self) -> None:
        """Drop resolve's kept answers (a URL, its function or its alias was written)."""
        self._generation += 1
        self._targets.clear()

    @property
    def port(self) -> int:
        return self._settings.port

    async def create(self, ref: FunctionRef, request: FunctionUrlRequest) -> FunctionUrlConfig:
        check_qualifier(ref.qualifier)
        if request.AuthType is None:
            raise Validation(
                "1 validation error detected: Value null at 'authType' failed to satisfy "
                "constraint: Member must not be null"
            )
        arn = self._arn(ref)
        stamp = now()
        config = FunctionUrlConfig(
            url_id=new_url_id(),
            FunctionArn=arn,
            AuthType=request.AuthType,
            Cors=_cors(request.Cors),
            InvokeMode=request.InvokeMode or "BUFFERED",
            CreationTime=stamp,
            LastModifiedTime=stamp,
        )

        def insert(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                self._check_exists(conn, ref)
                if _row(conn, ref) is not None:
                    raise Conflict(
                        f"Failed to create function url config for [functionArn = {arn}]. "
                        "Error message:  FunctionUrlConfig exists for this Lambda function",
                        Type="User",
                    )
                conn.execute(
                    "INSERT INTO function_urls (function_name, qualifier, url_id, config) "
                    "VALUES (?, ?, ?, ?)",
                    (ref.name, ref.qualifier or "", config.url_id, config.model_dump_json()),
                )

        try:
            await self._db.run(insert)
        finally:
            self.forget()
        return config

    async def get(self, ref: FunctionRef) -> FunctionUrlConfig:
        check_qualifier(ref.qualifier)

        def read(conn: sqlite3.Connection) -> FunctionUrlConfig:
            self._check_exists(conn, ref)
            found = _row(conn, ref)
            if found is None:
                raise _not_found()
            return found

        return await self._db.run(read)

    async def update(self, ref: FunctionRef, request: FunctionUrlRequest) -> FunctionUrlConfig:
        check_qualifier(ref.qualifier)

        def write(conn: sqlite3.Connection) -> FunctionUrlConfig:
            with transaction(conn):
                self._check_exists(conn, ref)
                current = _row(conn, ref)
                if current is None:
                    raise _not_found()
                changes: dict[str, object] = {"LastModifiedTime": now()}
                if request.AuthType is not None:
                    changes["AuthType"] = request.AuthType
                if request.Cors is not None:
                    changes["Cors"] = _cors(request.Cors)
                if request.InvokeMode is not None:
                    changes["InvokeMode"] = request.InvokeMode
                updated = current.model_copy(update=changes)
                conn.execute(
                    "UPDATE function_urls SET config = ? WHERE function_name = ? AND qualifier = ?",
                    (updated.model_dump_json(), ref.name, ref.qualifier or ""),
                )
                return updated

        try:
            return await self._db.run(write)
        finally:
            self.forget()

    async def delete(self, ref: FunctionRef) -> None:
        check_qualifier(ref.qualifier)

        def remove(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                self._check_exists(conn, ref)
                deleted = conn.execute(
                    "DELETE FROM function_urls WHERE function_name = ? AND qualifier = ?",
                    (ref.name, ref.qualifier or ""),
                ).rowcount
                if not deleted:
                    raise _not_found()

        try:
            await self._db.run(remove)
        finally:
            self.forget()

    async def list(
        self, name: str, marker: str | None, max_items: int | None
    ) -> tuple[list[FunctionUrlConfig], str | None]:
        def read(conn: sqlite3.Connection) -> list[FunctionUrlConfig]:
            self._check_exists(conn, FunctionRef(name))
            rows = conn.execute(
                "SELECT config FROM function_urls WHERE function_name = ? ORDER BY qualifier",
                (name,),
            )
            return [FunctionUrlConfig.model_validate_json(r["config"]) for r in rows]

        found = await self._db.run(read)
        limit = min(max_items or LIST_PAGE_LIMIT, LIST_PAGE_LIMIT)
        start = _decode_marker(marker)
        more = start + limit < len(found)
        next_marker = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
        return found[start : start + limit], next_marker if more else None

    async def resolve(self, url_id: str) -> UrlTarget | None:
        """The function (and qualifier) a URL invokes, or None for an unknown url-id; kept
        until the next write (a database round trip and a model parse per request, else)."""
        if url_id in self._targets:
            return self._targets[url_id]
        generation = self._generation

        def read(conn: sqlite3.Connection) -> UrlTarget | None:
            row = conn.execute(
                "SELECT function_name, qualifier, config FROM function_urls WHERE url_id = ?",
                (url_id,),
            ).fetchone()
            if row is None:
                return None
            ref = FunctionRef(row["function_name"], row["qualifier"] or None)
            return UrlTarget(ref, FunctionUrlConfig.model_validate_json(row["config"]))

        target = await self._db.run(read)
        if generation == self._generation:  # no write raced with the read
            if len(self._targets) >= _TARGETS_LIMIT:  # clients choose the url-ids
                self._targets.clear()
            self._targets[url_id] = target
        return target

    def _arn(self, ref: FunctionRef) -> str:
        return function_arn(
            self._settings.region, self._settings.account_id, ref.name, ref.qualifier
        )

    def _check_exists(self, conn: sqlite3.Connection, ref: FunctionRef) -> None:
        if ref.qualifier in (None, LATEST):
            found = conn.execute("SELECT 1 FROM functions WHERE name = ?", (ref.name,)).fetchone()
        else:
            found = conn.execute(
                "SELECT 1 FROM aliases WHERE function_name = ? AND name = ?",
                (ref.name, ref.qualifier),
            ).fetchone()
        if found is None:
            raise NotFound(f"Function not found: {self._arn(ref)}", Type="User")


def _row(conn: sqlite3.Connection, ref: FunctionRef) -> FunctionUrlConfig | None:
    row = conn.execute(
        "SELECT config FROM function_urls WHERE function_name = ? AND qualifier = ?",
        (ref.name, ref.qualifier or ""),
    ).fetchone()
    return FunctionUrlConfig.model_validate_json(row["config"]) if row else None


def _cors(given: UrlCors | None) -> UrlCors | None:
    """An empty Cors ({}, as Update sends to clear it) means none."""
    return given if given is not None and given.model_dump(exclude_none=True) else None


def _not_found() -> NotFound:
    return NotFound("The resource you requested does not exist.", Type="User")


def _decode_marker(marker: str | None) -> int:
    if not marker:
        return 0
    try:
        return int(base64.urlsafe_b64decode(marker.encode()).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise Invalid(f"Invalid Marker: {marker!r}") from exc
