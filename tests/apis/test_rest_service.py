"""RestApiService's read side, as the data plane will call it (resolve, find_api_key,
usage_plans_for), against a real database: deployments are snapshots, stages' own settings
apply at once, answers are cached until something changes, ids never clash."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from stratus.apis.http.model import CreateApiRequest
from stratus.apis.http.service import ApiService
from stratus.apis.ids import new_id
from stratus.apis.rest.requests import (
    CreateApiKeyRequest,
    CreateDeploymentRequest,
    CreateResourceRequest,
    CreateRestApiRequest,
    CreateUsagePlanKeyRequest,
    CreateUsagePlanRequest,
    PatchOperation,
    PutIntegrationRequest,
    PutMethodRequest,
)
from stratus.apis.rest.service import RestApiService
from stratus.config import Settings
from stratus.services import SCHEMAS
from stratus.store.db import Database

FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:fn"
URI = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{FUNCTION}/invocations"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "stratus.db", SCHEMAS)
    yield database
    database.close()


def run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(scenario())  # type: ignore[arg-type]


def patch(op: str, path: str, value: str | None = None) -> PatchOperation:
    return PatchOperation(op=op, path=path, value=value)  # type: ignore[arg-type]


async def deployed(service: RestApiService, path_part: str = "{id}") -> tuple[str, str]:
    """A REST API with GET /pets/<path_part>, deployed to stage prod: (api id, resource id)."""
    api = await service.create_rest_api(
        CreateRestApiRequest(name="pets", binaryMediaTypes=["image/png"])
    )
    pets = await service.resources.create(
        api.id, api.rootResourceId, CreateResourceRequest(pathPart="pets")
    )
    pet = await service.resources.create(api.id, pets.id, CreateResourceRequest(pathPart=path_part))
    await add_method(service, api.id, pet.id, "GET")
    await service.stages.create_deployment(api.id, CreateDeploymentRequest(stageName="prod"))
    return api.id, pet.id


async def add_method(service: RestApiService, api_id: str, resource_id: str, method: str) -> None:
    await service.methods.put_method(
        api_id, resource_id, method, PutMethodRequest(authorizationType="NONE")
    )
    await service.methods.put_integration(
        api_id,
        resource_id,
        method,
        PutIntegrationRequest(type="AWS_PROXY", httpMethod="POST", uri=URI),
    )


def test_resolve_serves_the_stage(db):
    """The first segment names the stage; the rest is matched against its snapshot."""
    service = RestApiService(Settings(), db)

    async def scenario() -> Any:
        api_id, pet_id = await deployed(service)
        return api_id, pet_id, await service.resolve(api_id, "/prod/pets/7")

    api_id, pet_id, found = run(scenario)
    match = found.match("GET")

    assert (found.api.id, found.stage.stageName, found.path) == (api_id, "prod", "/pets/7")
    assert found.api.binaryMediaTypes == ["image/png"]
    assert match is not None
    assert (match.resource.id, match.method.httpMethod, dict(match.path_parameters)) == (
        pet_id,
        "GET",
        {"id": "7"},
    )
    assert match.method.methodIntegration is not None
    assert match.method.methodIntegration.function.endswith(":function:fn")
    assert found.match("POST") is None
    assert sorted(found.models) == ["Empty", "Error"]


@pytest.mark.parametrize("where", ["other-api", "", "/", "/dev/pets/1", "/PROD/pets/1", "/pets/1"])
def test_resolve_none(db, where):
    """Not a REST API, no stage segment, no such stage: None (REST APIs have no $default)."""
    service = RestApiService(Settings(), db)

    async def scenario() -> Any:
        api_id, _ = await deployed(service)
        if where == "other-api":
            return await service.resolve("nothere123", "/prod/pets/1")
        return await service.resolve(api_id, where)

    assert run(scenario) is None


def test_stage_root(db):
    """/prod alone is the root resource's path."""
    service = RestApiService(Settings(), db)

    async def scenario() -> Any:
        api_id, _ = await deployed(service)
        return await service.resolve(api_id, "/prod"), await service.resolve(api_id, "/prod/")

    bare, slash = run(scenario)

    assert bare.path == "/"
    assert slash.path == "/"


def test_disabled_endpoint_after_redeploy(db):
    """disableExecuteApiEndpoint, like every API member, applies once deployed."""
    service = RestApiService(Settings(), db)

    async def scenario() -> Any:
        api_id, _ = await deployed(service)
        await service.update_rest_api(
            api_id, [patch("replace", "/disableExecuteApiEndpoint", "true")]
        )
        before = await service.resolve(api_id, "/prod/pets/1")
        await service.stages.create_deployment(api_id, CreateDeploymentRequest(stageName="prod"))
        return before, await service.resolve(api_id, "/prod/pets/1")

    before, after = run(scenario)

    assert before is not None
    assert after is None


def test_deployments_are_snapshots(db):
    """Edits reach a stage only with a new deployment; stage settings apply at once."""
    service = RestApiService(Settings(), db)

    async def scenario() -> Any:
        api_id, pet_id = await deployed(service)
        await add_method(service, api_id, pet_id, "DELETE")
        await service.methods.update_integration(
            api_id, pet_id, "GET", [patch("replace", "/timeoutInMillis", "100")]
        )
        await service.stages.update_stage(
            api_id,
            "prod",
            [
                patch("replace", "/variables/color", "red"),
                patch("replace", "/*/*/throttling/rateLimit", "10"),
                patch("replace", "/~1pets~1{id}/GET/throttling/burstLimit", "2"),
            ],
        )
        old = await service.resolve(api_id, "/prod/pets/1")
        await service.stages.create_deployment(api_id, CreateDeploymentRequest(stageName="prod"))
        new = await service.resolve(api_id, "/prod/pets/1")
        return old, new

    old, new = run(scenario)

    assert old.match("DELETE") is None
    assert old.match("GET").method.methodIntegration.timeoutInMillis == 29000
    assert old.stage.variables == {"color": "red"}
    assert old.method_setting("/pets/{id}", "GET").throttlingBurstLimit == 2
    assert old.method_setting("/pets/{id}", "DELETE").throttlingRateLimit == 10.0
    assert new.match("DELETE") is not None
    assert new.match("GET").method.methodIntegration.timeoutInMillis == 100
    assert new.deployment_id != old.deployment_id


def test_method_setting_without_settings(db):
    service = RestApiService(Settings(), db)

    async def scenario() -> Any:
        api_id, _ = await deployed(service)
        return await service.resolve(api_id, "/prod/pets/1")

    assert run(scenario).method_setting("/pets/{id}", "GET") is None


def test_resolve_is_cached_until_something_changes(db):
    """Repeated resolves reuse one parsed snapshot; any control-plane call drops it."""
    service = RestApiService(Settings(), db)

    async def scenario() -> Any:
        api_id, _ = await deployed(service)
        first = await service.resolve(api_id, "/prod/pets/1")
        second = await service.resolve(api_id, "/prod/other/path")
        await service.stages.update_stage(api_id, "prod", [patch("replace", "/variables/v", "1")])
        third = await service.resolve(api_id, "/prod/pets/1")
        return first, second, third

    first, second, third = run(scenario)

    assert second.resources is first.resources
    assert second.path == "/other/path"
    assert third.resources is not first.resources
    assert third.stage.variables == {"v": "1"}


def test_api_keys_and_usage_plans(db):
    """find_api_key by value (enabled or not: the data plane checks), usage_plans_for by key,
    API and stage; both see changes at once."""
    service = RestApiService(Settings(), db)

    async def scenario() -> Any:
        api_id, _ = await deployed(service)
        key = await service.keys.create(CreateApiKeyRequest(name="k", value="k" * 20, enabled=True))
        plan = await service.plans.create(
            CreateUsagePlanRequest.model_validate(
                {
                    "name": "p",
                    "apiStages": [{"apiId": api_id, "stage": "prod"}],
                    "throttle": {"rateLimit": 1},
                }
            )
        )
        before_plan = await service.usage_plans_for(key.id, api_id, "prod")
        await service.plans.add_key(
            plan.id, CreateUsagePlanKeyRequest(keyId=key.id, keyType="API_KEY")
        )
        found = await service.find_api_key("k" * 20)
        plans = await service.usage_plans_for(key.id, api_id, "prod")
        other_stage = await service.usage_plans_for(key.id, api_id, "dev")
        await service.keys.update(key.id, [patch("replace", "/enabled", "false")])
        disabled = await service.find_api_key("k" * 20)
        return (
            key,
            plan,
            found,
            before_plan,
            plans,
            other_stage,
            disabled,
            await service.find_api_key("x" * 20),
        )

    key, plan, found, before_plan, plans, other_stage, disabled, unknown = run(scenario)

    assert found.id == key.id
    assert found.enabled is True
    assert before_plan == ()
    assert [p.id for p in plans] == [plan.id]
    assert plans[0].throttle.rateLimit == 1
    assert other_stage == ()
    assert disabled.enabled is False
    assert unknown is None


def test_deleting_a_key_or_a_plan_forgets_its_quota_counts(db):
    """DeleteApiKey and DeleteUsagePlan drop their quota counts: a server that goes on
    serving does not keep the usage of keys and plans that are gone."""
    service = RestApiService(Settings(), db)

    async def scenario() -> Any:
        keys = [
            await service.keys.create(CreateApiKeyRequest(name=n, value=n * 20, enabled=True))
            for n in "ab"
        ]
        quota = {"name": "p", "quota": {"limit": 5, "period": "DAY"}}
        plans = [
            await service.plans.create(CreateUsagePlanRequest.model_validate(quota))
            for _ in range(2)
        ]
        for plan in plans:
            for key in keys:
                service.usage.take(plan, key.id)
        await service.keys.delete(keys[0].id)
        await service.plans.delete(plans[0].id)
        today = service.usage.today().isoformat()
        ids = [k.id for k in keys]
        return [service.usage.report(p, ids, today, today) for p in plans], ids

    (deleted_plan, kept_plan), (deleted_key, kept_key) = run(scenario)

    assert deleted_plan == {deleted_key: [[0, 5]], kept_key: [[0, 5]]}
    assert kept_plan == {deleted_key: [[0, 5]], kept_key: [[1, 4]]}


def test_rest_and_http_api_ids_never_clash(db):
    """An id an HTTP API holds is drawn again for a REST API (and the database refuses the
    reverse), so the gateway finds each id in one service only."""

    async def scenario() -> Any:
        http = await ApiService(Settings(), db).create_api(
            CreateApiRequest(Name="h", ProtocolType="HTTP")
        )
        draws = itertools.chain([http.ApiId], iter(lambda: new_id(10), None))
        drawn: list[str] = []

        def ids(length: int) -> str:
            drawn.append(next(draws) if length == 10 else new_id(length))
            return drawn[-1]

        service = RestApiService(Settings(), db, ids=ids)
        return http, await service.create_rest_api(CreateRestApiRequest(name="r")), drawn

    http, rest, drawn = run(scenario)

    assert drawn[0] == http.ApiId  # the first draw clashed...
    assert rest.id == drawn[2] != http.ApiId  # ...so the API got the next one (after its root's)
    with pytest.raises(sqlite3.IntegrityError):
        db.run_blocking(
            lambda c: c.execute("INSERT INTO apis (id, config) VALUES (?, '{}')", (rest.id,))
        )
