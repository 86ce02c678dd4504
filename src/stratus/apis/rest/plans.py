"""Usage plans: which API keys may call which REST API stages, how fast and how much.

    UsagePlan (apiStages [{apiId, stage, throttle {"/pets/GET": {burstLimit, rateLimit}}}],
               throttle {burstLimit, rateLimit}, quota {limit, offset, period})
      └── UsagePlanKey (an API key, keyType API_KEY)

Rules, with API Gateway's wording where it has one: a plan's API stages name existing REST
API stages; a quota needs a limit and a period (DAY, WEEK or MONTH); a key cannot be in two
plans that share an API stage ("... cannot reference multiple Usage Plans with the same API
Stage"), so the data plane finds at most one plan per key and stage:
`usage_plans_for(key id, api id, stage)`, cached while nothing else has touched the store.

UpdateUsagePlan's paths: `/name`, `/description`, `/productCode`, `/throttle/burstLimit`,
`/throttle/rateLimit`, `/quota/limit|offset|period` (remove `/throttle` or `/quota` to drop
them), `/apiStages` (add or remove the value "apiId:stage") and one method's throttling in one
API stage, `/apiStages/<apiId>:<stage>/throttle/<path, ~1-escaped>/<METHOD>/rateLimit`.
"""

from __future__ import annotations

import builtins
import sqlite3
from collections.abc import Callable
from typing import Any

from stratus.errors import Conflict, Invalid, NotFound

from ..remembered import Remembered
from ..shape import parse_request
from .keys import key_of, require_stage
from .model import ApiKey, UsagePlan, UsagePlanKey
from .patch import SET, Rule, apply_patch, converted, field, integer, item, number
from .requests import CreateUsagePlanKeyRequest, CreateUsagePlanRequest, Patch, PatchOperation
from .store import RestStore, page

NO_PLAN = "Invalid Usage Plan ID specified"
NO_PLAN_KEY = "Invalid Usage Plan Key identifier specified"


def _method_throttle(member: str, convert: Callable[[str], Any]) -> Rule:
    """`/apiStages/<api>:<stage>/throttle/<path>/<METHOD>/<member>`, stored under "/pets/GET"."""

    def apply(doc: dict[str, Any], operation: PatchOperation, captured: list[str]) -> None:
        api_stage, path, method = captured
        stages = [
            s for s in doc.get("apiStages") or [] if f"{s['apiId']}:{s['stage']}" == api_stage
        ]
        if not stages:
            raise Invalid(
                f"Invalid patch path {operation.path}: the plan has no API stage {api_stage}"
            )
        throttle = dict(stages[0].get("throttle") or {})
        settings = dict(throttle.get(f"{path}/{method}") or {})
        if operation.op == "remove":
            settings.pop(member, None)
        else:
            settings[member] = converted(operation, convert)
        throttle[f"{path}/{method}"] = settings
        stages[0]["throttle"] = {k: v for k, v in throttle.items() if v} or None

    template = ("apiStages", "*", "throttle", "*", "*", member)
    return Rule(template, frozenset({"add", "replace", "remove"}), apply)


def _api_stage(value: str) -> dict[str, Any]:
    api_id, _, stage = value.partition(":")
    if not api_id or not stage:
        raise ValueError("write <restApiId>:<stageName>")
    return {"apiId": api_id, "stage": stage}


_PATCH = (
    field("/name", ops=SET),
    field("/description"),
    field("/productCode"),
    field("/throttle", ops=frozenset({"remove"})),
    field("/throttle/burstLimit", integer),
    field("/throttle/rateLimit", number),
    field("/quota", ops=frozenset({"remove"})),
    field("/quota/limit", integer),
    field("/quota/offset", integer),
    field("/quota/period"),
    item("/apiStages", _api_stage, key=lambda s: (s["apiId"], s["stage"])),
    _method_throttle("rateLimit", number),
    _method_throttle("burstLimit", integer),
)


def plan_of(conn: sqlite3.Connection, plan_id: str) -> UsagePlan:
    row = conn.execute("SELECT config FROM rest_usage_plans WHERE id = ?", (plan_id,)).fetchone()
    if row is None:
        raise NotFound(f"{NO_PLAN} {plan_id}")
    return UsagePlan.model_validate_json(row[0])


def _plans_of_key(conn: sqlite3.Connection, key_id: str) -> list[UsagePlan]:
    rows = conn.execute(
        "SELECT p.config FROM rest_usage_plans p JOIN rest_usage_plan_keys k ON k.plan_id = p.id "
        "WHERE k.key_id = ?",
        (key_id,),
    )
    return [UsagePlan.model_validate_json(r[0]) for r in rows]


def _check(conn: sqlite3.Connection, plan: UsagePlan) -> UsagePlan:
    quota = plan.quota
    if quota is not None and (quota.limit is None or quota.period is None):
        raise Invalid("A usage plan's quota needs a limit and a period (DAY, WEEK or MONTH)")
    for api_stage in plan.apiStages:
        require_stage(conn, api_stage.apiId, api_stage.stage)
        for key in api_stage.throttle or {}:
            path, _, method = key.rpartition("/")
            if not path.startswith("/") or not method:
                raise Invalid(
                    f"Invalid throttle key {key!r}: write /<resource path>/<METHOD>, e.g. /pets/GET"
                )
    return plan


def _check_shared_stages(conn: sqlite3.Connection, plan: UsagePlan, key_ids: list[str]) -> None:
    """A key is in at most one plan per API stage."""
    mine = {(s.apiId, s.stage) for s in plan.apiStages}
    for key_id in key_ids:
        for other in _plans_of_key(conn, key_id):
            shared = mine & {(s.apiId, s.stage) for s in other.apiStages}
            if other.id != plan.id and shared:
                api_id, stage = sorted(shared)[0]
                raise Conflict(
                    f"Usage Plan {plan.id} cannot be added because API Key {key_id} cannot "
                    f"reference multiple Usage Plans with the same API Stage: {api_id}:{stage}"
                )


def _plan_key(key: ApiKey) -> UsagePlanKey:
    return UsagePlanKey(id=key.id, value=key.value, name=key.name)


class UsagePlans:
    """Create/Get/Update/Delete UsagePlan(s) and UsagePlanKey(s); the data plane's look-up."""

    def __init__(
        self,
        store: RestStore,
        new_id: Callable[[int], str],
        forget: Callable[[str], None],
    ) -> None:
        """`forget(plan id)` is told of each deleted plan (its quota counts go with it)."""
        self._store = store
        self._new_id = new_id
        self._forget = forget
        self._for_key: Remembered[tuple[str, str, str], tuple[UsagePlan, ...]] = Remembered(store)

    async def create(self, request: CreateUsagePlanRequest) -> UsagePlan:
        plan = UsagePlan(
            id=self._new_id(6),
            **request.model_dump(exclude_none=True, exclude={"apiStages", "tags"}),
            apiStages=request.apiStages or [],
            tags=request.tags or None,
        )

        def work(conn: sqlite3.Connection) -> UsagePlan:
            _check(conn, plan)
            conn.execute(
                "INSERT INTO rest_usage_plans (id, config) VALUES (?, ?)",
                (plan.id, plan.model_dump_json()),
            )
            return plan

        return await self._store.transact(work)

    async def get(self, plan_id: str) -> UsagePlan:
        return await self._store.run(lambda conn: plan_of(conn, plan_id))

    async def list(
        self, position: str | None = None, limit: int | None = None, key_id: str | None = None
    ) -> tuple[list[UsagePlan], str | None]:
        """One page of the plans (of one key, if given)."""

        def read(conn: sqlite3.Connection) -> list[UsagePlan]:
            if key_id is not None:
                return _plans_of_key(conn, key_id)
            rows = conn.execute("SELECT config FROM rest_usage_plans")
            return [UsagePlan.model_validate_json(r[0]) for r in rows]

        return page(await self._store.run(read), lambda p: p.id, position, limit)

    async def update(self, plan_id: str, patch: Patch) -> UsagePlan:
        def work(conn: sqlite3.Connection) -> UsagePlan:
            found = plan_of(conn, plan_id)
            plan = _check(conn, parse_request(UsagePlan, apply_patch(found.wire(), patch, _PATCH)))
            rows = conn.execute(
                "SELECT key_id FROM rest_usage_plan_keys WHERE plan_id = ?", (plan_id,)
            )
            _check_shared_stages(conn, plan, [r[0] for r in rows])
            conn.execute(
                "UPDATE rest_usage_plans SET config = ? WHERE id = ?",
                (plan.model_dump_json(), plan_id),
            )
            return plan

        return await self._store.transact(work)

    async def delete(self, plan_id: str) -> None:
        def work(conn: sqlite3.Connection) -> None:
            if not conn.execute("DELETE FROM rest_usage_plans WHERE id = ?", (plan_id,)).rowcount:
                raise NotFound(f"{NO_PLAN} {plan_id}")

        await self._store.transact(work)
        self._forget(plan_id)

    # -- a plan's keys -------------------------------------------------------------------------
    async def add_key(self, plan_id: str, request: CreateUsagePlanKeyRequest) -> UsagePlanKey:
        def work(conn: sqlite3.Connection) -> UsagePlanKey:
            plan = plan_of(conn, plan_id)
            key = key_of(conn, request.keyId)
            _check_shared_stages(conn, plan, [key.id])
            try:
                conn.execute(
                    "INSERT INTO rest_usage_plan_keys (plan_id, key_id) VALUES (?, ?)",
                    (plan_id, key.id),
                )
            except sqlite3.IntegrityError:
                raise Conflict(f"Usage Plan {plan_id} already contains API Key {key.id}") from None
            return _plan_key(key)

        return await self._store.transact(work)

    async def get_key(self, plan_id: str, key_id: str) -> UsagePlanKey:
        def read(conn: sqlite3.Connection) -> UsagePlanKey:
            plan_of(conn, plan_id)
            row = conn.execute(
                "SELECT 1 FROM rest_usage_plan_keys WHERE plan_id = ? AND key_id = ?",
                (plan_id, key_id),
            ).fetchone()
            if row is None:
                raise NotFound(f"{NO_PLAN_KEY} {key_id}")
            return _plan_key(key_of(conn, key_id))

        return await self._store.run(read)

    async def list_keys(
        self,
        plan_id: str,
        position: str | None = None,
        limit: int | None = None,
        name_query: str | None = None,
    ) -> tuple[builtins.list[UsagePlanKey], str | None]:
        def read(conn: sqlite3.Connection) -> list[UsagePlanKey]:
            plan_of(conn, plan_id)
            rows = conn.execute(
                "SELECT k.config FROM rest_api_keys k "
                "JOIN rest_usage_plan_keys p ON p.key_id = k.id WHERE p.plan_id = ?",
                (plan_id,),
            )
            keys = [ApiKey.model_validate_json(r[0]) for r in rows]
            wanted = [k for k in keys if not name_query or (k.name or "").startswith(name_query)]
            return [_plan_key(k) for k in wanted]

        return page(await self._store.run(read), lambda k: k.id, position, limit)

    async def remove_key(self, plan_id: str, key_id: str) -> None:
        def work(conn: sqlite3.Connection) -> None:
            plan_of(conn, plan_id)
            cursor = conn.execute(
                "DELETE FROM rest_usage_plan_keys WHERE plan_id = ? AND key_id = ?",
                (plan_id, key_id),
            )
            if not cursor.rowcount:
                raise NotFound(f"{NO_PLAN_KEY} {key_id}")

        await self._store.transact(work)

    async def for_key(self, key_id: str, api_id: str, stage: str) -> tuple[UsagePlan, ...]:
        """The plans giving the key access to the API stage: none or one (cached)."""

        def read(conn: sqlite3.Connection) -> tuple[UsagePlan, ...]:
            return tuple(p for p in _plans_of_key(conn, key_id) if p.serves(api_id, stage))

        return await self._for_key.lookup((key_id, api_id, stage), read)
