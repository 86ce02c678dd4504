"""REST APIs (API Gateway v1): the control plane, and the read side the data plane calls.

`RestApiService` owns the REST APIs themselves (Create/Get/Update/Delete, ImportRestApi and
PutRestApi from OpenAPI) and holds one object per part of them, each in its own module:

    .resources    resources.py    the resource tree
    .methods      methods.py      methods, integrations, method/integration responses
    .authorizers  authorizers.py  TOKEN and REQUEST (Lambda) authorizers
    .models       models.py       models (JSON Schema draft 4); .validators: validators
    .gateway_responses  gateway_responses.py  what the gateway answers by itself
    .tags         tags.py         tags of APIs, stages, keys and plans by ARN
    .usage        usage.py        usage plans' quota counts per key and day (GetUsage)
    .stages       stages.py       deployments (frozen snapshots) and stages
    .keys         keys.py         API keys (the account's, not an API's)
    .plans        plans.py        usage plans and their keys (the account's too)
    .documentation  documentation.py  documentation parts and versions
    .account, .certificates, .vpc_links  account.py  the account's settings, client
                                  certificates and VPC links

Ids look like AWS's: 10 lower-case letters and digits for APIs, resources and API keys, 6 for
the rest. REST and HTTP API ids share one namespace (the gateway finds an id in either),
which the triggers of ../ids.py guarantee; a clash makes CreateRestApi draw again.

The read side, per request of the data plane:

    resolve(api_id, path) -> RestDeployment | None
        None unless `api_id` is a REST API whose execute-api endpoint is on and the path's
        first segment names one of its stages (REST APIs have no `$default` stage). The
        answer holds what that stage serves: the API, the stage (variables, methodSettings),
        the path inside the stage, and the stage's deployment snapshot: resources with their
        methods and integrations, authorizers by id, models by name, validators by id,
        customized gateway responses by type.
        `RestDeployment.match(method)` picks the resource and method (match.py; None is
        API Gateway's 403 "Missing Authentication Token"); `method_setting(path, method)`
        the stage's settings for that method (throttling), else its `*/*` ones, else None.
    find_api_key(value) -> ApiKey | None         x-api-key, or an authorizer's usageIdentifierKey
    usage_plans_for(key_id, api_id, stage)       the plans (at most one) giving that key access
    is_rest_api(api_id) -> bool                  whether the gateway should serve the id as a
                                                 REST API (ids are shared with HTTP APIs)

All four are cached and parsed once: an answer is kept while no other call has touched the
store since (every control-plane call counts, see RestStore.calls), so the gateway pays a
dictionary look-up per request, and any change is seen by the next request.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from stratus.config import Settings
from stratus.errors import Conflict, Invalid
from stratus.store.db import Database, transaction

from ..authorizer_generations import AuthorizerGenerations
from ..ids import CUSTOM_ID_TAG, custom_id, new_id
from ..remembered import Remembered
from ..shape import parse_request
from .account import AccountSettings, ClientCertificates, VpcLinks
from .authorizers import Authorizers
from .documentation import Documentation
from .gateway_responses import GatewayResponses
from .install import install
from .keys import ApiKeys
from .match import ResourceMatch, match_kept
from .methods import Methods
from .model import (
    ApiKey,
    Authorizer,
    EndpointConfiguration,
    GatewayResponse,
    MethodSetting,
    Model,
    RequestValidator,
    Resource,
    RestApi,
    Stage,
    UsagePlan,
)
from .models import Models, RequestValidators, default_models
from .openapi import read_definition
from .patch import SET, apply_patch, boolean, field, member, text
from .plans import UsagePlans
from .requests import CreateRestApiRequest, PatchOperation
from .resources import Resources
from .stages import ALL_METHODS, Snapshot, Stages, setting_key
from .store import (
    AUTHORIZERS,
    GATEWAY_RESPONSES,
    MODELS,
    NO_API,
    RESOURCES,
    STAGES,
    VALIDATORS,
    Parts,
    RestStore,
    not_found,
    page,
)
from .tags import Tags
from .test_invoke import TEST_STAGE
from .usage import Usage

_ID_ATTEMPTS = 5


def _size(value: str) -> int | None:
    """minimumCompressionSize: a number, or empty to turn compression off."""
    return int(value) if value else None


_API_PATCH = (
    field("/name", ops=SET),
    field("/description"),
    field("/version"),
    field("/policy"),
    field("/apiKeySource", ops=SET),
    field("/minimumCompressionSize", _size),
    field("/disableExecuteApiEndpoint", boolean, ops=SET),
    member("/binaryMediaTypes"),
    member("/endpointConfiguration/types", ops=frozenset({"replace"})),
    field("/endpointConfiguration/ipAddressType", text, ops=SET),
)


@dataclass(frozen=True, slots=True)
class RestDeployment:
    """What one stage of a REST API serves, for one request (see the module docstring)."""

    api: RestApi  # as deployed
    stage: Stage
    deployment_id: str
    path: str  # the request's path inside the stage
    resources: tuple[Resource, ...]
    authorizers: Mapping[str, Authorizer]  # by id
    models: Mapping[str, Model]  # by name
    validators: Mapping[str, RequestValidator]  # by id
    gateway_responses: Mapping[str, GatewayResponse]  # the customized ones, by type

    def match(self, method: str) -> ResourceMatch | None:
        return match_kept(self.resources, method, self.path)

    def method_setting(self, resource_path: str, http_method: str) -> MethodSetting | None:
        settings = self.stage.methodSettings
        if not settings:  # most stages: no key to build (every request asks)
            return None
        return settings.get(setting_key(resource_path, http_method)) or settings.get(ALL_METHODS)


class RestApiService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        ids: Callable[[int], str] = new_id,
        wall: Callable[[], float] = time.time,
    ) -> None:
        """`ids(length)` draws new ids (tests pass their own to make ids collide); `wall`
        dates the usage plans' quota counts."""
        self._settings = settings
        self._store = store = RestStore(db)
        self._ids = ids
        self.resources = Resources(store, lambda: ids(10))
        self.methods = Methods(store)
        self.authorizers = Authorizers(store, lambda: ids(6))
        self.models = Models(store, lambda: ids(6))
        self.validators = RequestValidators(store, lambda: ids(6))
        self.gateway_responses = GatewayResponses(store)
        self.tags = Tags(store)
        self.usage = Usage(wall)
        # FlushStageAuthorizersCache gives a stage a new generation; the gateway's cached
        # authorizer answers carry the generation they were made in.
        self.authorizer_generations = AuthorizerGenerations()
        self.stages = Stages(store, lambda: ids(6), self.authorizer_generations.forget)
        self.keys = ApiKeys(store, ids, self.usage.forget_key)
        self.plans = UsagePlans(store, ids, self.usage.forget_plan)
        self.documentation = Documentation(store, lambda: ids(6))
        self.account = AccountSettings(store)
        self.certificates = ClientCertificates(store, lambda: ids(6))
        self.vpc_links = VpcLinks(store, lambda: ids(6))
        self._resolved: Remembered[tuple[str, str], tuple[Any, ...] | None] = Remembered(store)
        self._known: Remembered[str, bool] = Remembered(store)

    # -- REST APIs -----------------------------------------------------------------------------
    async def create_rest_api(self, request: CreateRestApiRequest) -> RestApi:
        """A new REST API with its root resource "/" and the models Empty and Error, or a copy
        of `cloneFrom`'s resources, methods, authorizers, models and validators."""
        fields = request.model_dump(
            exclude_none=True, exclude={"cloneFrom", "tags", "binaryMediaTypes"}
        )
        fields["endpointConfiguration"] = request.endpointConfiguration or EndpointConfiguration(
            types=["EDGE"]
        )
        fields["binaryMediaTypes"] = request.binaryMediaTypes or None
        fields["tags"] = request.tags or None

        def fill(parts: Parts) -> None:
            if request.cloneFrom is not None:
                self._clone(parts, request.cloneFrom)
                return
            for model in default_models(lambda: self._ids(6)):
                parts.put(MODELS, model.name, model)

        return await self._create(fields, fill)

    async def import_rest_api(
        self, body: str | bytes | dict[str, Any], *, fail_on_warnings: bool = False,
        parameters: Mapping[str, str] | None = None,
    ) -> RestApi:  # fmt: skip
        """ImportRestApi: a new REST API from an OpenAPI 3 or Swagger 2 document."""
        parameters = parameters or {}
        definition = read_definition(body, parameters.get("basepath", "ignore"))
        _check_warnings(definition.warnings, fail_on_warnings)
        if not definition.api.get("name"):
            raise Invalid("Invalid OpenAPI input: info.title is required; it names the REST API")
        endpoint = parameters.get("endpointConfigurationTypes", "EDGE")
        fields: dict[str, Any] = {
            "name": definition.api["name"],
            "endpointConfiguration": parse_request(EndpointConfiguration, {"types": [endpoint]}),
        }

        def fill(parts: Parts) -> RestApi:
            return install(parts, definition, overwrite=True, new_id=self._ids)

        return await self._create(fields, fill)

    async def put_rest_api(
        self, api_id: str, body: str | bytes | dict[str, Any], *, mode: str = "merge",
        fail_on_warnings: bool = False, parameters: Mapping[str, str] | None = None,
    ) -> RestApi:  # fmt: skip
        """PutRestApi: the document merged into the API, or replacing its definition."""
        if mode not in ("merge", "overwrite"):
            raise Invalid(f"Invalid mode {mode!r}: use merge or overwrite")
        definition = read_definition(body, (parameters or {}).get("basepath", "ignore"))
        _check_warnings(definition.warnings, fail_on_warnings)

        def work(parts: Parts) -> RestApi:
            return install(parts, definition, overwrite=mode == "overwrite", new_id=self._ids)

        return await self._store.write(api_id, work)

    async def _create(
        self, fields: dict[str, Any], fill: Callable[[Parts], RestApi | None]
    ) -> RestApi:
        """Inserts the API and its root, then runs `fill(parts)` in the same transaction; its
        answer, if a RestApi, is the answer (imports add warnings)."""
        fixed = custom_id(fields.get("tags"))
        for _ in range(1 if fixed else _ID_ATTEMPTS):
            api_id = fixed or self._ids(10)
            root = Resource(id=self._ids(10), path="/")
            api = parse_request(
                RestApi,
                {
                    **fields,
                    "id": api_id,
                    "createdDate": int(time.time()),
                    "rootResourceId": root.id,
                },
            )

            def insert(
                conn: sqlite3.Connection, api: RestApi = api, root: Resource = root
            ) -> RestApi | None:
                with transaction(conn):
                    try:
                        conn.execute(
                            "INSERT INTO rest_apis (id, config) VALUES (?, ?)",
                            (api.id, api.model_dump_json()),
                        )
                    except sqlite3.IntegrityError:
                        return None  # the id is taken, by a REST or an HTTP API: draw again
                    parts = Parts(conn, api.id)
                    parts.put(RESOURCES, root.id, root)
                    return fill(parts) or parts.api

            created = await self._store.run(insert)
            if created is not None:
                return created
        if fixed:
            raise Conflict(f"The API id {fixed} ({CUSTOM_ID_TAG} tag) is taken by another API")
        raise Conflict("Could not find a free REST API id; try again")

    def _clone(self, parts: Parts, source_id: str) -> None:
        source = Parts(parts.conn, source_id)
        authorizers = {a.id: self._ids(6) for a in source.all(AUTHORIZERS)}
        validators = {v.id: self._ids(6) for v in source.all(VALIDATORS)}
        for authorizer in source.all(AUTHORIZERS):
            parts.put(
                AUTHORIZERS,
                authorizers[authorizer.id],
                authorizer.model_copy(update={"id": authorizers[authorizer.id]}),
            )
        for validator in source.all(VALIDATORS):
            parts.put(
                VALIDATORS,
                validators[validator.id],
                validator.model_copy(update={"id": validators[validator.id]}),
            )
        for model in source.all(MODELS):
            parts.put(MODELS, model.name, model.model_copy(update={"id": self._ids(6)}))
        resources = source.all(RESOURCES)
        ids = {r.id: self._ids(10) for r in resources if r.parentId is not None}
        ids |= {r.id: parts.api.rootResourceId for r in resources if r.parentId is None}
        for resource in resources:
            methods = {
                name: m.model_copy(update={
                    "authorizerId": authorizers.get(m.authorizerId or ""),
                    "requestValidatorId": validators.get(m.requestValidatorId or ""),
                    "methodIntegration": m.methodIntegration and m.methodIntegration.model_copy(
                        update={"cacheNamespace": ids[resource.id]}
                    ),
                })
                for name, m in resource.methods.items()
            }  # fmt: skip
            copied = resource.model_copy(
                update={
                    "id": ids[resource.id],
                    "parentId": ids.get(resource.parentId or ""),
                    "resourceMethods": methods or None,
                }
            )
            parts.put(RESOURCES, copied.id, copied)
        api = parts.api.model_copy(
            update={"binaryMediaTypes": parts.api.binaryMediaTypes or source.api.binaryMediaTypes}
        )
        parts.save_api(api)

    async def get_rest_api(self, api_id: str) -> RestApi:
        return await self._store.read(api_id, lambda parts: parts.api)

    async def list_rest_apis(
        self, position: str | None = None, limit: int | None = None
    ) -> tuple[list[RestApi], str | None]:
        def read(conn: sqlite3.Connection) -> list[RestApi]:
            return [
                RestApi.model_validate_json(r[0])
                for r in conn.execute("SELECT config FROM rest_apis")
            ]

        return page(await self._store.run(read), lambda a: a.id, position, limit)

    async def update_rest_api(self, api_id: str, patch: list[PatchOperation]) -> RestApi:
        def work(parts: Parts) -> RestApi:
            doc = apply_patch(parts.api.wire(), patch, _API_PATCH)
            doc["binaryMediaTypes"] = doc.get("binaryMediaTypes") or None
            api = parse_request(RestApi, doc)
            parts.save_api(api)
            return api

        return await self._store.write(api_id, work)

    async def delete_rest_api(self, api_id: str) -> None:
        def remove(conn: sqlite3.Connection) -> None:
            if not conn.execute("DELETE FROM rest_apis WHERE id = ?", (api_id,)).rowcount:
                raise not_found(NO_API, api_id)

        await self._store.run(remove)
        self.authorizer_generations.forget(api_id)

    # -- the data plane's reads ----------------------------------------------------------------
    async def resolve(self, api_id: str, path: str) -> RestDeployment | None:
        """What the stage named by `path`'s first segment serves (see the module docstring)."""
        first, _, rest = path.removeprefix("/").partition("/")
        if not first:
            return None

        def read(conn: sqlite3.Connection) -> tuple[str, str, str] | None:
            stage = conn.execute(
                "SELECT config FROM rest_api_parts WHERE api_id = ? AND kind = ? AND key = ?",
                (api_id, STAGES.tag, first),
            ).fetchone()
            if stage is None:
                return None
            parsed = Stage.model_validate_json(stage[0])
            snapshot = conn.execute(
                "SELECT snapshot FROM rest_deployments WHERE api_id = ? AND id = ?",
                (api_id, parsed.deploymentId),
            ).fetchone()
            return None if snapshot is None else (stage[0], parsed.deploymentId, snapshot[0])

        def parse(conn: sqlite3.Connection) -> tuple[Any, ...] | None:
            found = read(conn)
            if found is None:
                return None
            frozen = Snapshot.model_validate_json(found[2])
            if frozen.api.disableExecuteApiEndpoint:
                return None
            return (
                frozen.api,
                Stage.model_validate_json(found[0]),
                found[1],
                tuple(frozen.resources),
                # read-only: one cached answer serves every request
                MappingProxyType({a.id: a for a in frozen.authorizers}),
                MappingProxyType({m.name: m for m in frozen.models}),
                MappingProxyType({v.id: v for v in frozen.validators}),
                MappingProxyType({r.responseType: r for r in frozen.gatewayResponses}),
            )

        served = await self._resolved.lookup((api_id, first), parse)
        if served is None:
            return None
        api, stage, deployment_id, resources, authorizers, models, validators, responses = served
        return RestDeployment(
            api, stage, deployment_id, f"/{rest}", resources, authorizers, models, validators,
            responses,
        )  # fmt: skip

    async def undeployed(
        self, api_id: str, path: str, variables: Mapping[str, str]
    ) -> RestDeployment:
        """The API as it is now, served by a stage of its own (`test-invoke-stage`, with
        `variables`): what TestInvokeMethod runs, without a deployment."""

        def read(parts: Parts) -> RestDeployment:
            now = int(time.time())
            stage = parse_request(Stage, {
                "deploymentId": "test-invoke", "stageName": TEST_STAGE,
                "variables": dict(variables) or None, "createdDate": now, "lastUpdatedDate": now,
            })  # fmt: skip
            return RestDeployment(
                parts.api, stage, "test-invoke", path, tuple(parts.all(RESOURCES)),
                MappingProxyType({a.id: a for a in parts.all(AUTHORIZERS)}),
                MappingProxyType({m.name: m for m in parts.all(MODELS)}),
                MappingProxyType({v.id: v for v in parts.all(VALIDATORS)}),
                MappingProxyType({r.responseType: r for r in parts.all(GATEWAY_RESPONSES)}),
            )  # fmt: skip

        return await self._store.read(api_id, read)

    def authorizer_generation(self, api_id: str, stage: str) -> int:
        return self.authorizer_generations.of(api_id, stage)

    async def flush_authorizer_cache(self, api_id: str, stage: str) -> None:
        """FlushStageAuthorizersCache: the stage's cached authorizer answers are dropped."""
        await self.stages.get_stage(api_id, stage)
        self.authorizer_generations.flush(api_id, stage)

    async def is_rest_api(self, api_id: str) -> bool:
        """Whether `api_id` names a REST API (of any stage, deployed or not)."""

        def read(conn: sqlite3.Connection) -> bool:
            found = conn.execute("SELECT 1 FROM rest_apis WHERE id = ?", (api_id,)).fetchone()
            return found is not None

        return await self._known.lookup(api_id, read)

    async def find_api_key(self, value: str) -> ApiKey | None:
        return await self.keys.find(value)

    async def usage_plans_for(self, key_id: str, api_id: str, stage: str) -> tuple[UsagePlan, ...]:
        return await self.plans.for_key(key_id, api_id, stage)


def _check_warnings(warnings: list[str], fail: bool) -> None:
    if warnings and fail:
        raise Invalid("Warnings found during import: " + "; ".join(warnings))
