"""Deployments freeze a REST API; stages serve a deployment.

CreateDeployment stores, beside the Deployment, a `Snapshot` of the API as it is at that
moment: the RestApi itself (binaryMediaTypes, apiKeySource...), every resource with its
methods and integrations, the authorizers, models and request validators. A stage names one
deployment and serves its snapshot, so later edits reach clients only with a new deployment,
exactly as on AWS. A stage's own settings (variables, methodSettings with throttling...) are
not part of the snapshot: they apply as soon as they change.

Rules, with API Gateway's wording: CreateDeployment refuses an API without methods ("The REST
API doesn't contain any methods") and a method without integration ("No integration defined
for method"); with `stageName` it also creates the stage, or points the existing stage at the
new deployment (merging `variables` into the stage's). A deployment that a stage points at
cannot be deleted ("Active stages pointing to this deployment must be moved or deleted").

Stage patches (UpdateStage) take `/deploymentId`, `/description`, `/variables/<name>`,
`/tracingEnabled`, `/cacheClusterEnabled`, `/cacheClusterSize`, `/accessLogSettings/...`,
and method settings `/<resource path>/<METHOD>/<area>/<setting>`, the path `~1`-escaped
(`/~1pets~1{id}/GET/throttling/rateLimit`) or `*/*` for every method; the settings are stored
under `~1pets~1{id}/GET` or `*/*`. A method's first setting starts from the stage's `*/*`
settings (else AWS's defaults); removing `/<path>/<METHOD>` drops the override.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import Field

from stratus.errors import Conflict, Invalid

from ..shape import Shape, parse_request
from .account import CERTIFICATES
from .documentation import SNAPSHOTS, exported
from .export import export
from .model import (
    HTTP_METHODS,
    Authorizer,
    Deployment,
    GatewayResponse,
    MethodSetting,
    MethodSnapshot,
    Model,
    RequestValidator,
    Resource,
    RestApi,
    Stage,
)
from .patch import (
    SET,
    Rule,
    apply_patch,
    boolean,
    converted,
    entry,
    escape,
    field,
    integer,
    number,
    text,
)
from .requests import (
    CreateDeploymentRequest,
    CreateStageRequest,
    PatchOperation,
)
from .store import (
    AUTHORIZERS,
    GATEWAY_RESPONSES,
    MODELS,
    RESOURCES,
    STAGES,
    VALIDATORS,
    Parts,
    RestStore,
    page,
)

ALL_METHODS = "*/*"
_STAGE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
# Patch path (area, setting) -> MethodSetting member.
_SETTINGS: dict[tuple[str, str], tuple[str, Callable[[str], Any]]] = {
    ("metrics", "enabled"): ("metricsEnabled", boolean),
    ("logging", "loglevel"): ("loggingLevel", text),
    ("logging", "dataTrace"): ("dataTraceEnabled", boolean),
    ("throttling", "burstLimit"): ("throttlingBurstLimit", integer),
    ("throttling", "rateLimit"): ("throttlingRateLimit", number),
    ("caching", "enabled"): ("cachingEnabled", boolean),
    ("caching", "ttlInSeconds"): ("cacheTtlInSeconds", integer),
    ("caching", "dataEncrypted"): ("cacheDataEncrypted", boolean),
    ("caching", "requireAuthorizationForCacheControl"): (
        "requireAuthorizationForCacheControl",
        boolean,
    ),
    ("caching", "unauthorizedCacheControlHeaderStrategy"): (
        "unauthorizedCacheControlHeaderStrategy",
        text,
    ),
}


class Snapshot(Shape):
    """A REST API as one deployment froze it (the `snapshot` column of rest_deployments)."""

    api: RestApi
    resources: list[Resource]
    authorizers: list[Authorizer]
    models: list[Model]
    validators: list[RequestValidator]
    # Only the customized ones; older snapshots have none.
    gatewayResponses: list[GatewayResponse] = Field(default_factory=list)


def setting_key(resource_path: str, http_method: str) -> str:
    """The methodSettings key of one method: `~1pets~1{id}/GET`."""
    return f"{escape(resource_path)}/{http_method}"


def _setting_key(captured: list[str]) -> str:
    path, method = captured
    if (path, method) == ("*", "*"):
        return ALL_METHODS
    if not path.startswith("/") or method not in HTTP_METHODS:
        raise Invalid(
            f"Invalid method setting path {escape(path)}/{method}: write */* or "
            "<resource path, / written ~1>/<HTTP method>, e.g. ~1pets/GET"
        )
    return setting_key(path, method)


def _setting_rule(area: str, name: str, member: str, convert: Callable[[str], Any]) -> Rule:
    def apply(doc: dict[str, Any], operation: PatchOperation, captured: list[str]) -> None:
        key = _setting_key(captured)
        settings = doc.setdefault("methodSettings", {})
        if key not in settings:  # a method's override starts from the stage-wide settings
            settings[key] = dict(settings.get(ALL_METHODS) or MethodSetting().wire())
        if operation.op == "remove":
            settings[key][member] = MethodSetting.model_fields[member].default
        else:
            settings[key][member] = converted(operation, convert)

    return Rule(("*", "*", area, name), frozenset({"add", "replace", "remove"}), apply)


def _drop_override(doc: dict[str, Any], _: PatchOperation, captured: list[str]) -> None:
    key = _setting_key(captured)
    if (doc.get("methodSettings") or {}).pop(key, None) is None:
        raise Invalid(f"Invalid patch path: the stage has no method settings for {key}")


_STAGE_PATCH: tuple[Rule, ...] = (
    field("/deploymentId", ops=SET),
    field("/description"),
    field("/documentationVersion"),
    field("/clientCertificateId"),
    field("/tracingEnabled", boolean, ops=SET),
    field("/cacheClusterEnabled", boolean, ops=SET),
    field("/cacheClusterSize"),
    field("/accessLogSettings", ops=frozenset({"remove"})),
    field("/accessLogSettings/format"),
    field("/accessLogSettings/destinationArn"),
    entry("/variables"),
    *(_setting_rule(area, name, *target) for (area, name), target in _SETTINGS.items()),
    Rule(("*", "*"), frozenset({"remove"}), _drop_override),
)
_DEPLOYMENT_PATCH = (field("/description"),)


def api_summary(resources: Sequence[Resource]) -> dict[str, dict[str, MethodSnapshot]]:
    return {
        r.path: {
            name: MethodSnapshot(
                authorizationType=m.authorizationType, apiKeyRequired=m.apiKeyRequired
            )
            for name, m in r.methods.items()
        }
        for r in resources
        if r.methods
    }


def freeze(parts: Parts) -> Snapshot:
    """The API as it is now, refused as AWS refuses to deploy it."""
    resources = parts.all(RESOURCES)
    methods = [(r, name, m) for r in resources for name, m in r.methods.items()]
    if not methods:
        raise Invalid("The REST API doesn't contain any methods")
    for resource, name, method in methods:
        if method.methodIntegration is None:
            raise Invalid(f"No integration defined for method: {name} {resource.path}")
    return Snapshot(
        api=parts.api,
        resources=resources,
        authorizers=parts.all(AUTHORIZERS),
        models=parts.all(MODELS),
        validators=parts.all(VALIDATORS),
        gatewayResponses=parts.all(GATEWAY_RESPONSES),
    )


def check_stage_name(name: str) -> str:
    if not _STAGE_NAME.match(name):
        raise Invalid(f"Stage name only allows a-zA-Z0-9_- (1 to 128 characters): {name!r}")
    return name


class Stages:
    """Deployments (Create/Get/Update/Delete) and stages (Create/Get/Update/Delete)."""

    def __init__(
        self,
        store: RestStore,
        new_id: Callable[[], str],
        forget: Callable[[str, str], None],
    ) -> None:
        """`forget(API id, stage name)` is told of each deleted stage."""
        self._store = store
        self._new_id = new_id
        self._forget = forget

    # -- deployments ---------------------------------------------------------------------------
    async def create_deployment(self, api_id: str, request: CreateDeploymentRequest) -> Deployment:
        if request.stageName is not None:
            check_stage_name(request.stageName)
        deployment = Deployment(
            id=self._new_id(), description=request.description, createdDate=int(time.time())
        )

        def work(parts: Parts) -> Deployment:
            parts.add_deployment(deployment, freeze(parts).model_dump_json())
            if request.stageName is not None:
                self._point_stage(parts, request, deployment)
            return deployment

        return await self._store.write(api_id, work)

    def _point_stage(
        self, parts: Parts, request: CreateDeploymentRequest, deployment: Deployment
    ) -> None:
        now = int(time.time())
        name = request.stageName or ""
        stage = parts.get(STAGES, name)
        if stage is None:
            stage = Stage(
                deploymentId=deployment.id,
                stageName=name,
                description=request.stageDescription,
                cacheClusterEnabled=bool(request.cacheClusterEnabled),
                cacheClusterSize=request.cacheClusterSize,
                variables=request.variables or None,
                tracingEnabled=bool(request.tracingEnabled),
                createdDate=now,
                lastUpdatedDate=now,
            )
        else:
            variables = (stage.variables or {}) | (request.variables or {})
            stage = stage.model_copy(
                update={
                    "deploymentId": deployment.id,
                    "variables": variables or None,
                    "lastUpdatedDate": now,
                }
            )
        parts.put(STAGES, name, stage)

    async def export(
        self, api_id: str, stage_name: str, export_type: str, extensions: str | None, host: str
    ) -> dict[str, Any]:
        """GetExport: the stage's deployment as a Swagger 2.0 / OpenAPI 3.0 document."""

        def work(parts: Parts) -> dict[str, Any]:
            stage = parts.require(STAGES, stage_name)
            deployment = parts.deployment(stage.deploymentId)
            frozen = Snapshot.model_validate_json(parts.snapshot(stage.deploymentId))
            document = export(
                frozen.api, stage_name, deployment.createdDate, frozen.resources,
                frozen.authorizers, frozen.models, frozen.validators, frozen.gatewayResponses,
                export_type=export_type, extensions=extensions, host=host,
            )  # fmt: skip
            version = stage.documentationVersion
            if "documentation" in (extensions or "") and version:
                found = parts.get(SNAPSHOTS, version)
                parts_of = found.parts if found else []
                document["x-amazon-apigateway-documentation"] = exported(parts_of, version)
            return document

        return await self._store.read(api_id, work)

    async def get_deployment(
        self, api_id: str, deployment_id: str, summary: bool = False
    ) -> Deployment:
        def work(parts: Parts) -> Deployment:
            deployment = parts.deployment(deployment_id)
            if not summary:
                return deployment
            frozen = Snapshot.model_validate_json(parts.snapshot(deployment_id))
            return deployment.model_copy(update={"apiSummary": api_summary(frozen.resources)})

        return await self._store.read(api_id, work)

    async def list_deployments(
        self, api_id: str, position: str | None = None, limit: int | None = None
    ) -> tuple[list[Deployment], str | None]:
        found = await self._store.read(api_id, lambda parts: parts.deployments())
        return page(found, lambda d: d.id, position, limit)

    async def update_deployment(
        self, api_id: str, deployment_id: str, patch: list[PatchOperation]
    ) -> Deployment:
        def work(parts: Parts) -> Deployment:
            found = parts.deployment(deployment_id)
            deployment = parse_request(
                Deployment, apply_patch(found.wire(), patch, _DEPLOYMENT_PATCH)
            )
            parts.save_deployment(deployment)
            return deployment

        return await self._store.write(api_id, work)

    async def delete_deployment(self, api_id: str, deployment_id: str) -> None:
        def work(parts: Parts) -> None:
            parts.deployment(deployment_id)
            if any(s.deploymentId == deployment_id for s in parts.all(STAGES)):
                raise Invalid("Active stages pointing to this deployment must be moved or deleted")
            parts.delete_deployment(deployment_id)

        await self._store.write(api_id, work)

    # -- stages --------------------------------------------------------------------------------
    async def create_stage(self, api_id: str, request: CreateStageRequest) -> Stage:
        check_stage_name(request.stageName)
        now = int(time.time())
        stage = Stage(
            **request.model_dump(exclude_none=True, exclude={"variables", "tags"}),
            variables=request.variables or None,
            tags=request.tags or None,
            createdDate=now,
            lastUpdatedDate=now,
        )

        def work(parts: Parts) -> Stage:
            parts.deployment(request.deploymentId)
            if stage.clientCertificateId:
                CERTIFICATES.require(parts.conn, stage.clientCertificateId)
            if parts.get(STAGES, stage.stageName) is not None:
                raise Conflict("Stage already exists")
            parts.put(STAGES, stage.stageName, stage)
            return stage

        return await self._store.write(api_id, work)

    async def get_stage(self, api_id: str, name: str) -> Stage:
        return await self._store.read(api_id, lambda parts: parts.require(STAGES, name))

    async def list_stages(self, api_id: str, deployment_id: str | None = None) -> list[Stage]:
        found = await self._store.read(api_id, lambda parts: parts.all(STAGES))
        return [s for s in found if deployment_id is None or s.deploymentId == deployment_id]

    async def update_stage(self, api_id: str, name: str, patch: list[PatchOperation]) -> Stage:
        def work(parts: Parts) -> Stage:
            found = parts.require(STAGES, name)
            doc = apply_patch(found.wire(), patch, _STAGE_PATCH)
            doc["variables"] = doc.get("variables") or None
            stage = parse_request(Stage, doc | {"lastUpdatedDate": int(time.time())})
            if stage.deploymentId != found.deploymentId:
                parts.deployment(stage.deploymentId)
            if stage.clientCertificateId and stage.clientCertificateId != found.clientCertificateId:
                CERTIFICATES.require(parts.conn, stage.clientCertificateId)
            parts.put(STAGES, name, stage)
            return stage

        return await self._store.write(api_id, work)

    async def delete_stage(self, api_id: str, name: str) -> None:
        await self._store.write(api_id, lambda parts: parts.delete(STAGES, name))
        self._forget(api_id, name)
