"""API keys: the account's, shared by its REST APIs (usage plans are in plans.py).

A key's value is 20 to 128 characters, generated (40 letters and digits) when not given, and
unique ("API Key already exists"); a key is disabled unless created or updated `enabled`, as
on AWS; its stage keys ("restApiId/stageName") name existing REST API stages. Get calls show
the value only when asked (includeValue / includeValues).

The data plane reads `find_api_key(value)`, for a request's x-api-key header or the
usageIdentifierKey a Lambda authorizer returned (apiKeySource AUTHORIZER), and checks
`enabled` itself; the answer is cached while nothing else has touched the store.
"""

from __future__ import annotations

import secrets
import sqlite3
import string
import time
from collections.abc import Callable

from stratus.errors import Conflict, NotFound

from ..remembered import Remembered
from ..shape import parse_request
from .model import ApiKey
from .patch import SET, apply_patch, boolean, field, item, text
from .requests import CreateApiKeyRequest, Patch
from .store import STAGES, RestStore, page

NO_KEY = "Invalid API Key identifier specified"
_ALPHABET = string.ascii_letters + string.digits
_PATCH = (
    field("/name"),
    field("/description"),
    field("/enabled", boolean, ops=SET),
    field("/customerId"),
    item("/stages", text, key=str, member="stageKeys"),
)


def new_key_value() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(40))


def require_stage(conn: sqlite3.Connection, api_id: str, stage: str) -> None:
    row = conn.execute(
        "SELECT 1 FROM rest_api_parts WHERE api_id = ? AND kind = ? AND key = ?",
        (api_id, STAGES.tag, stage),
    ).fetchone()
    if row is None:
        raise NotFound(f"Invalid stage identifier specified: {api_id}/{stage}")


def key_of(conn: sqlite3.Connection, key_id: str) -> ApiKey:
    row = conn.execute("SELECT config FROM rest_api_keys WHERE id = ?", (key_id,)).fetchone()
    if row is None:
        raise NotFound(f"{NO_KEY} {key_id}")
    return ApiKey.model_validate_json(row[0])


def _check_stage_keys(conn: sqlite3.Connection, stage_keys: list[str]) -> None:
    for stage_key in stage_keys:
        api_id, _, stage = stage_key.partition("/")
        require_stage(conn, api_id, stage)


def _shown(key: ApiKey, include_value: bool) -> ApiKey:
    return key if include_value else key.model_copy(update={"value": None})


class ApiKeys:
    """Create/Get/Update/Delete ApiKey(s), and the data plane's look-up by value."""

    def __init__(
        self,
        store: RestStore,
        new_id: Callable[[int], str],
        forget: Callable[[str], None],
    ) -> None:
        """`forget(key id)` is told of each deleted key (its quota counts go with it)."""
        self._store = store
        self._new_id = new_id
        self._forget = forget
        self._by_value: Remembered[str, ApiKey | None] = Remembered(store)

    async def create(self, request: CreateApiKeyRequest) -> ApiKey:
        now = int(time.time())
        key = ApiKey(
            id=self._new_id(10),
            value=request.value or new_key_value(),
            name=request.name,
            customerId=request.customerId,
            description=request.description,
            enabled=request.enabled,
            createdDate=now,
            lastUpdatedDate=now,
            stageKeys=[f"{k.restApiId}/{k.stageName}" for k in request.stageKeys or []],
            tags=request.tags or None,
        )

        def work(conn: sqlite3.Connection) -> ApiKey:
            _check_stage_keys(conn, key.stageKeys)
            try:
                conn.execute(
                    "INSERT INTO rest_api_keys (id, value, config) VALUES (?, ?, ?)",
                    (key.id, key.value, key.model_dump_json()),
                )
            except sqlite3.IntegrityError:
                raise Conflict("API Key already exists") from None
            return key

        return await self._store.transact(work)

    async def get(self, key_id: str, include_value: bool = False) -> ApiKey:
        return _shown(await self._store.run(lambda conn: key_of(conn, key_id)), include_value)

    async def list(
        self,
        position: str | None = None,
        limit: int | None = None,
        *,
        name_query: str | None = None,
        customer_id: str | None = None,
        include_values: bool = False,
    ) -> tuple[list[ApiKey], str | None]:
        """One page of the keys whose name starts with `name_query`, of `customer_id`."""

        def read(conn: sqlite3.Connection) -> list[ApiKey]:
            rows = conn.execute("SELECT config FROM rest_api_keys")
            return [ApiKey.model_validate_json(r[0]) for r in rows]

        keys = [
            _shown(k, include_values)
            for k in await self._store.run(read)
            if (not name_query or (k.name or "").startswith(name_query))
            and (customer_id is None or k.customerId == customer_id)
        ]
        return page(keys, lambda k: k.id, position, limit)

    async def update(self, key_id: str, patch: Patch) -> ApiKey:
        def work(conn: sqlite3.Connection) -> ApiKey:
            found = key_of(conn, key_id)
            doc = apply_patch(found.wire(), patch, _PATCH)
            key = parse_request(ApiKey, doc | {"lastUpdatedDate": int(time.time())})
            _check_stage_keys(conn, [s for s in key.stageKeys if s not in found.stageKeys])
            conn.execute(
                "UPDATE rest_api_keys SET config = ? WHERE id = ?", (key.model_dump_json(), key_id)
            )
            return key

        return _shown(await self._store.transact(work), False)

    async def delete(self, key_id: str) -> None:
        def work(conn: sqlite3.Connection) -> None:
            if not conn.execute("DELETE FROM rest_api_keys WHERE id = ?", (key_id,)).rowcount:
                raise NotFound(f"{NO_KEY} {key_id}")

        await self._store.transact(work)
        self._forget(key_id)

    async def find(self, value: str) -> ApiKey | None:
        """The key with this value, enabled or not (for the data plane; cached)."""

        def read(conn: sqlite3.Connection) -> ApiKey | None:
            row = conn.execute(
                "SELECT config FROM rest_api_keys WHERE value = ?", (value,)
            ).fetchone()
            return None if row is None else ApiKey.model_validate_json(row[0])

        return await self._by_value.lookup(value, read)
