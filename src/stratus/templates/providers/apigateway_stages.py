"""AWS::ApiGateway::Deployment and ::Stage, over the REST API service.

Deployments are immutable snapshots: any change replaces one (SAM renames its Deployment
whenever the API changes, and the Stage moves to the new one in place). A Deployment's
`StageName` creates that stage, or moves it (SAM's `StageName: Stage` makes a "Stage" stage
beside Prod, as on AWS).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stratus.apis.rest.patch import escape
from stratus.apis.rest.requests import (
    CreateDeploymentRequest,
    CreateStageRequest,
    PatchOperation,
)
from stratus.apis.shape import parse_request
from stratus.templates.provider import Context, Created, Provider, required, tag_map

from .apigateway import camel, patch, rest_apis, suppress_gone

# -- stage settings, shared by Stage and Deployment's StageDescription -------------------------
_SETTING_PATHS = {
    "MetricsEnabled": "metrics/enabled",
    "LoggingLevel": "logging/loglevel",
    "DataTraceEnabled": "logging/dataTrace",
    "ThrottlingBurstLimit": "throttling/burstLimit",
    "ThrottlingRateLimit": "throttling/rateLimit",
    "CachingEnabled": "caching/enabled",
    "CacheTtlInSeconds": "caching/ttlInSeconds",
    "CacheDataEncrypted": "caching/dataEncrypted",
}


def _setting_key(setting: Mapping[str, Any]) -> str:
    """`ResourcePath`/`HttpMethod` as a patch path's first segments. CloudFormation writes
    `/~1pets~1{id}` (already escaped), `/` for the root and `/*` with `*` for all methods."""
    path = str(setting.get("ResourcePath", "/*"))
    method = str(setting.get("HttpMethod", "*"))
    if path == "/*":
        return f"*/{method}"
    if path == "/":
        return f"~1/{method}"
    inner = path.removeprefix("/")
    return f"{inner if '~1' in inner else escape('/' + inner)}/{method}"


def method_settings(settings: list[Mapping[str, Any]] | None) -> dict[str, Any]:
    """A stage's MethodSettings as patch paths -> values."""
    wanted: dict[str, Any] = {}
    for setting in settings or []:
        key = _setting_key(setting)
        for name, area in _SETTING_PATHS.items():
            if setting.get(name) is not None:
                wanted[f"/{key}/{area}"] = setting[name]
    return wanted


def _stage_wanted(props: Mapping[str, Any]) -> dict[str, Any]:
    wanted = {
        "/deploymentId": props.get("DeploymentId"),
        "/description": props.get("Description"),
        "/tracingEnabled": props.get("TracingEnabled"),
        "/cacheClusterEnabled": props.get("CacheClusterEnabled"),
        "/cacheClusterSize": props.get("CacheClusterSize"),
        "/documentationVersion": props.get("DocumentationVersion"),
        "/clientCertificateId": props.get("ClientCertificateId"),
    }
    access = props.get("AccessLogSetting") or {}
    wanted["/accessLogSettings/format"] = access.get("Format")
    wanted["/accessLogSettings/destinationArn"] = access.get("DestinationArn")
    for name, value in (props.get("Variables") or {}).items():
        wanted[f"/variables/{escape(name)}"] = value
    wanted |= method_settings(props.get("MethodSettings"))
    return {k: v for k, v in wanted.items() if v is not None}


class Stage(Provider):
    type_name = "AWS::ApiGateway::Stage"

    def needs_replacement(self, old: dict[str, Any], new: dict[str, Any]) -> bool:
        return any(old.get(k) != new.get(k) for k in ("RestApiId", "StageName"))

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        api_id = required(props, "RestApiId", self.type_name)
        name = str(required(props, "StageName", self.type_name))
        fields = camel(
            props,
            ("DeploymentId", "Description", "CacheClusterEnabled", "CacheClusterSize",
             "Variables", "DocumentationVersion", "TracingEnabled", "ClientCertificateId"),
        )  # fmt: skip
        fields["stageName"] = name
        fields["deploymentId"] = required(props, "DeploymentId", self.type_name)
        if props.get("Tags"):
            fields["tags"] = tag_map(props["Tags"])
        stages = rest_apis(ctx).stages
        stage = await stages.create_stage(api_id, parse_request(CreateStageRequest, fields))
        extra = {
            k: v
            for k, v in _stage_wanted(props).items()
            if k.startswith(("/accessLogSettings", "/*", "/~"))
        }
        if extra:
            try:
                await stages.update_stage(api_id, name, patch({}, extra))
            except BaseException:
                with suppress_gone():
                    await stages.delete_stage(api_id, name)
                raise
        return Created(stage.stageName)

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        before, after = _stage_wanted(old), _stage_wanted(new)
        operations = patch(before, after)
        # a method's override goes as a whole: its members fall back to the stage-wide ones
        dropped = {_setting_key(s) for s in old.get("MethodSettings") or []} - {
            _setting_key(s) for s in new.get("MethodSettings") or []
        }
        operations = [op for op in operations if not op.path.startswith(tuple(
            f"/{key}/" for key in dropped
        ))]  # fmt: skip
        operations += [parse_request(PatchOperation, {"op": "remove", "path": f"/{key}"})
                       for key in sorted(dropped)]  # fmt: skip
        if operations:
            await rest_apis(ctx).stages.update_stage(
                new["RestApiId"], current.physical_id, operations
            )
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with suppress_gone():
            await rest_apis(ctx).stages.delete_stage(props["RestApiId"], physical_id)


# -- Deployment -------------------------------------------------------------------------------
class Deployment(Provider):
    """Immutable: any change replaces it. `StageName` creates (or moves) that stage, with
    `StageDescription`'s settings; deleting the deployment deletes the stage it made, if the
    stage still serves it."""

    type_name = "AWS::ApiGateway::Deployment"

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        api_id = required(props, "RestApiId", self.type_name)
        described = props.get("StageDescription") or {}
        fields = camel(props, ("Description", "StageName"))
        fields |= {
            k: v
            for k, v in {
                "stageDescription": described.get("Description"),
                "variables": described.get("Variables"),
                "tracingEnabled": described.get("TracingEnabled"),
                "cacheClusterEnabled": described.get("CacheClusterEnabled"),
                "cacheClusterSize": described.get("CacheClusterSize"),
            }.items()
            if v is not None
        }
        stages = rest_apis(ctx).stages
        deployment = await stages.create_deployment(
            api_id, parse_request(CreateDeploymentRequest, fields)
        )
        settings = _described_settings(described)
        if settings and props.get("StageName"):
            await stages.update_stage(api_id, props["StageName"], patch({}, settings))
        return Created(deployment.id, {"DeploymentId": deployment.id})

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        api_id = props["RestApiId"]
        stages = rest_apis(ctx).stages
        name = props.get("StageName")
        with suppress_gone():
            if name and (await stages.get_stage(api_id, name)).deploymentId == physical_id:
                await stages.delete_stage(api_id, name)
        with suppress_gone():
            await stages.delete_deployment(api_id, physical_id)


def _described_settings(described: Mapping[str, Any]) -> dict[str, Any]:
    """StageDescription's stage-wide method settings and its MethodSettings, as patch paths."""
    wanted = method_settings([{**described, "ResourcePath": "/*", "HttpMethod": "*"}])
    wanted |= method_settings(described.get("MethodSettings"))
    access = described.get("AccessLogSetting") or {}
    if access.get("Format"):
        wanted["/accessLogSettings/format"] = access["Format"]
    if access.get("DestinationArn"):
        wanted["/accessLogSettings/destinationArn"] = access["DestinationArn"]
    return wanted


PROVIDERS = (Stage, Deployment)
