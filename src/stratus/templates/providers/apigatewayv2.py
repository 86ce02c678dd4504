"""AWS::ApiGatewayV2::* resources (HTTP and WebSocket APIs), over the API service.

An Api with `Body` (what the SAM translator makes of every HttpApi) is an OpenAPI import; an
update re-imports it, keeping the API's id and stages, as CloudFormation does. `BodyS3Location`
(what `sam deploy` and `aws cloudformation package` make of an HttpApi's DefinitionUri) is the
same document read from the object storage. WebSocket APIs' own parts (RouteResponse,
IntegrationResponse, Model) go through the service's `parts` (apis/http/websocket.py); a
Model's `Schema` is JSON in a template and text in the API.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, ClassVar

from stratus.apis.http.model import (
    CreateApiRequest,
    CreateAuthorizerRequest,
    CreateDeploymentRequest,
    CreateIntegrationRequest,
    CreateRouteRequest,
    CreateStageRequest,
    UpdateApiRequest,
    UpdateAuthorizerRequest,
    UpdateRouteRequest,
    UpdateStageRequest,
)
from stratus.apis.http.websocket import INTEGRATION_RESPONSE, MODEL, ROUTE_RESPONSE, Part
from stratus.apis.openapi import titled
from stratus.apis.shape import parse_request
from stratus.errors import NotFound
from stratus.templates.provider import Context, Created, Provider, required
from stratus.templates.providers.apigateway import wait_body_from_s3

_API_MEMBERS = (
    "Name", "ProtocolType", "Description", "CorsConfiguration", "Target", "RouteKey",
    "DisableExecuteApiEndpoint", "Version", "RouteSelectionExpression",
    "ApiKeySelectionExpression",
)  # fmt: skip
_UPDATED = (
    "Name", "Description", "CorsConfiguration", "DisableExecuteApiEndpoint",
    "RouteSelectionExpression", "ApiKeySelectionExpression",
)  # fmt: skip


def _pick(props: dict[str, Any], names: tuple[str, ...] | frozenset[str]) -> dict[str, Any]:
    return {k: props[k] for k in names if k in props}


class Api(Provider):
    type_name = "AWS::ApiGatewayV2::Api"
    updatable: ClassVar[frozenset[str]] = frozenset(
        {
            "Name",
            "Description",
            "CorsConfiguration",
            "DisableExecuteApiEndpoint",
            "Version",
            "RouteSelectionExpression",
            "ApiKeySelectionExpression",
            "Body",
            "BodyS3Location",
            "FailOnWarnings",
            "BasePath",
            "Tags",
        }
    )

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        apis = ctx.services.apis
        if props.get("BodyS3Location"):
            props = {**props, "Body": await wait_body_from_s3(ctx, logical_id, props)}
        if "Body" in props:
            api = await apis.import_api(
                titled(props["Body"], props.get("Name")),
                fail_on_warnings=bool(props.get("FailOnWarnings", False)),
                basepath=props.get("BasePath"),
            )
            overrides = _pick(props, ("Name", "Description", "CorsConfiguration"))
            if overrides:
                api = await apis.update_api(api.ApiId, parse_request(UpdateApiRequest, overrides))
        else:
            fields = _pick(props, _API_MEMBERS) | {"Tags": props.get("Tags") or {}}
            api = await apis.create_api(parse_request(CreateApiRequest, fields))
        return Created(api.ApiId, self._attributes(api))

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        apis = ctx.services.apis
        api_id = current.physical_id
        if new.get("BodyS3Location") and new["BodyS3Location"] != old.get("BodyS3Location"):
            new = {**new, "Body": await wait_body_from_s3(ctx, logical_id, new)}
        if "Body" in new and new["Body"] != old.get("Body"):
            await apis.reimport_api(
                api_id,
                titled(new["Body"], new.get("Name")),
                fail_on_warnings=bool(new.get("FailOnWarnings", False)),
                basepath=new.get("BasePath"),
            )
        fields = _pick(new, _UPDATED)
        if "CorsConfiguration" in old and "CorsConfiguration" not in new:
            await apis.delete_cors_configuration(api_id)
        api = await apis.update_api(api_id, parse_request(UpdateApiRequest, fields))
        return Created(api_id, self._attributes(api))

    def _attributes(self, api: Any) -> dict[str, Any]:
        return {"ApiId": api.ApiId, "ApiEndpoint": api.ApiEndpoint}

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await ctx.services.apis.delete_api(physical_id)


class _Child(Provider):
    """A part of an API (Stage, Route, Integration, Authorizer): ApiId never changes in
    place; the rest goes through the service's create/update/delete for that kind."""

    kind: ClassVar[str]
    create_model: ClassVar[Any]
    update_model: ClassVar[Any]
    id_member: ClassVar[str]

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        api_id = required(props, "ApiId", self.type_name)
        fields = {k: v for k, v in props.items() if k != "ApiId"}
        create = getattr(ctx.services.apis, f"create_{self.kind}")
        made = await create(api_id, parse_request(self.create_model, fields))
        return Created(str(getattr(made, self.id_member)))

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        fields = {k: v for k, v in new.items() if k not in ("ApiId", "StageName")}
        update = getattr(ctx.services.apis, f"update_{self.kind}")
        await update(new["ApiId"], current.physical_id, parse_request(self.update_model, fields))
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        delete = getattr(ctx.services.apis, f"delete_{self.kind}")
        with contextlib.suppress(NotFound):
            await delete(props["ApiId"], physical_id)

    def needs_replacement(self, old: dict[str, Any], new: dict[str, Any]) -> bool:
        return old.get("ApiId") != new.get("ApiId") or (
            self.kind == "stage" and old.get("StageName") != new.get("StageName")
        )


class Stage(_Child):
    type_name = "AWS::ApiGatewayV2::Stage"
    kind, id_member = "stage", "StageName"
    create_model, update_model = CreateStageRequest, UpdateStageRequest


class Route(_Child):
    type_name = "AWS::ApiGatewayV2::Route"
    kind, id_member = "route", "RouteId"
    create_model, update_model = CreateRouteRequest, UpdateRouteRequest


class Integration(_Child):
    type_name = "AWS::ApiGatewayV2::Integration"
    kind, id_member = "integration", "IntegrationId"
    create_model, update_model = CreateIntegrationRequest, CreateIntegrationRequest

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        fields = {k: v for k, v in new.items() if k != "ApiId"}
        await ctx.services.apis.update_integration(new["ApiId"], current.physical_id, fields)
        return current


class Authorizer(_Child):
    type_name = "AWS::ApiGatewayV2::Authorizer"
    kind, id_member = "authorizer", "AuthorizerId"
    create_model, update_model = CreateAuthorizerRequest, UpdateAuthorizerRequest


class Deployment(Provider):
    """A frozen copy of the API's routes (CreateDeployment); a change makes a new one."""

    type_name = "AWS::ApiGatewayV2::Deployment"

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        api_id = required(props, "ApiId", self.type_name)
        fields = {k: props[k] for k in ("StageName", "Description") if props.get(k) is not None}
        made = await ctx.services.apis.create_deployment(
            api_id, parse_request(CreateDeploymentRequest, fields)
        )
        return Created(made.DeploymentId, {"DeploymentId": made.DeploymentId})

    def needs_replacement(self, old: dict[str, Any], new: dict[str, Any]) -> bool:
        return old != new

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await ctx.services.apis.delete_deployment(props["ApiId"], physical_id)


class _Part(Provider):
    """A WebSocket API's route response, integration response or model."""

    part: ClassVar[Part]

    def _parent(self, props: dict[str, Any]) -> str | None:
        return required(props, self.part.parent, self.type_name) if self.part.parent else None

    def _request(self, ctx: Context, props: dict[str, Any]) -> Any:
        fields = {k: v for k, v in props.items() if k not in ("ApiId", self.part.parent)}
        if isinstance(fields.get("Schema"), dict):  # Json in templates, text in the API
            fields["Schema"] = json.dumps(fields["Schema"])
        return ctx.services.apis.parts.request(self.part, fields)

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        api_id = required(props, "ApiId", self.type_name)
        parts = ctx.services.apis.parts
        made = await parts.create(self.part, api_id, self._parent(props), self._request(ctx, props))
        return Created(str(getattr(made, f"{self.part.kind.name}Id")))

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        await ctx.services.apis.parts.update(
            self.part, new["ApiId"], self._parent(new), current.physical_id,
            self._request(ctx, new),
        )  # fmt: skip
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await ctx.services.apis.parts.delete(
                self.part, props["ApiId"], self._parent(props), physical_id
            )

    def needs_replacement(self, old: dict[str, Any], new: dict[str, Any]) -> bool:
        names = ("ApiId", self.part.parent) if self.part.parent else ("ApiId",)
        return any(old.get(n) != new.get(n) for n in names)


class RouteResponse(_Part):
    type_name = "AWS::ApiGatewayV2::RouteResponse"
    part = ROUTE_RESPONSE


class IntegrationResponse(_Part):
    type_name = "AWS::ApiGatewayV2::IntegrationResponse"
    part = INTEGRATION_RESPONSE


class Model(_Part):
    type_name = "AWS::ApiGatewayV2::Model"
    part = MODEL


PROVIDERS = (
    Api, Stage, Route, Integration, Authorizer, Deployment, RouteResponse, IntegrationResponse,
    Model,
)  # fmt: skip
