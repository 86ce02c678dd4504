"""HTTP APIs: creating, reading, changing and resolving APIs, routes, integrations, stages.

Rules that hold whatever the caller (the `apigatewayv2` API now, templates later):

- ids look like AWS's: an API id is 10 lower-case letters and digits, the others 7;
- a route key is unique within its API (ConflictException), a stage name too;
- quick create (CreateApi with `Target`) makes an AWS_PROXY integration (payload 2.0), a
  route (`RouteKey`, default `$default`) and an auto-deployed `$default` stage, all marked
  ApiGatewayManaged;
- a WebSocket API (ProtocolType WEBSOCKET) has its own route keys, selection expression,
  integrations and parts (websocket.py);
- ImportApi/ReimportApi (an OpenAPI document, read by openapi.py) create or replace an
  API's routes, integrations and authorizers in one transaction; a reimport keeps the stages.

`resolve` is what the gateway asks per request: which stage a path addresses and what it
serves. The tables and their SQL are store.py's.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from stratus.config import Settings
from stratus.errors import Conflict, Invalid, NotFound, Validation
from stratus.store.db import Database

from ..authorizer_generations import AuthorizerGenerations
from ..ids import CUSTOM_ID_TAG, custom_id, new_id
from ..remembered import Remembered
from ..shape import Shape, function_of, parse_request
from .export import EXPORT_VERSIONS, OUTPUT_TYPES, SPECIFICATIONS, export_document, render
from .model import (
    DEFAULT_STAGE,
    Api,
    ApiDeployment,
    Authorizer,
    CreateApiRequest,
    CreateAuthorizerRequest,
    CreateDeploymentRequest,
    CreateIntegrationRequest,
    CreateRouteRequest,
    CreateStageRequest,
    Integration,
    IntegrationResponse,
    JwtSettings,
    Route,
    RouteSettings,
    Stage,
    UpdateApiRequest,
    UpdateAuthorizerRequest,
    UpdateRouteRequest,
    UpdateStageRequest,
)
from .openapi import Definition, parse_definition
from .routes import RouteKey
from .store import (
    AUTHORIZERS,
    DEPLOYMENTS,
    INTEGRATIONS,
    ROUTES,
    STAGES,
    ApiStore,
    Child,
    Kind,
    Served,
    not_found,
)
from .subtypes import service_integration
from .vpc_links import VpcLinks
from .websocket import (
    INTEGRATION_RESPONSE,
    ROUTE_RESPONSE,
    WEBSOCKET,
    Part,
    Parts,
    check_route_access,
    check_route_key,
    check_route_response_selection,
    check_selection_expression,
    is_websocket,
)

S = TypeVar("S", bound=Shape)


@dataclass(frozen=True, slots=True)
class Deployment:
    """What one stage of an API serves, for one request."""

    api: Api
    stage: Stage
    path: str  # the request's path inside the stage
    routes: tuple[Route, ...]
    integrations: dict[str, Integration]
    authorizers: dict[str, Authorizer] = field(default_factory=dict)
    two_way: frozenset[str] = frozenset()  # WebSocket routes with a route response
    # WebSocket APIs' integration responses by integration id (for MOCK integrations)
    responses: dict[str, tuple[IntegrationResponse, ...]] = field(default_factory=dict)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class ApiService:
    def __init__(self, settings: Settings, db: Database) -> None:
        self._settings = settings
        self._store = ApiStore(db)  # counts its calls: any of them forgets resolved APIs
        self.vpc_links = VpcLinks(self._store)  # the account's (vpc_links.py)
        # resolve's answers per (api id, first path segment), parsed: the gateway's per request.
        self._served: Remembered[tuple[str, str], Served | None] = Remembered(self._store)
        # ResetAuthorizersCache gives a stage a new generation (authorizer_generations.py).
        self.authorizer_generations = AuthorizerGenerations()
        # WebSocket APIs' route responses, integration responses and models (websocket.py).
        self.parts = Parts(self._store, self.get_api, self._check_parent)

    # -- APIs -----------------------------------------------------------------------------
    async def create_api(self, request: CreateApiRequest) -> Api:
        websocket = request.ProtocolType == WEBSOCKET
        if request.RouteKey is not None and request.Target is None:
            raise Invalid("RouteKey is only allowed with Target (quick create)")
        if websocket:
            if request.Target is not None:
                raise Invalid("Quick create (Target) is supported only for HTTP APIs")
            if request.CorsConfiguration is not None:
                raise Invalid("CorsConfiguration is supported only for HTTP APIs")
        fixed = custom_id(request.Tags)
        api_id = fixed or new_id(10)
        api = Api(
            ApiId=api_id,
            Name=request.Name,
            ProtocolType=request.ProtocolType,
            ApiEndpoint=self._endpoint(api_id, websocket),
            RouteSelectionExpression=(
                check_selection_expression(request.RouteSelectionExpression)
                if websocket
                else _HTTP_SELECTION
            ),
            ApiKeySelectionExpression=request.ApiKeySelectionExpression or _API_KEY_SELECTION,
            CreatedDate=_now(),
            Description=request.Description,
            DisableExecuteApiEndpoint=request.DisableExecuteApiEndpoint,
            Version=request.Version,
            Tags=request.Tags,
            CorsConfiguration=request.CorsConfiguration,
        )
        children: list[Child] = []
        if request.Target is not None:
            function_of(request.Target)
            integration = Integration(
                IntegrationId=new_id(7),
                IntegrationUri=request.Target,
                PayloadFormatVersion="2.0",
                ApiGatewayManaged=True,
            )
            route = Route(
                RouteId=new_id(7),
                RouteKey=_route_key(request.RouteKey or DEFAULT_STAGE),
                Target=f"integrations/{integration.IntegrationId}",
                ApiGatewayManaged=True,
            )
            stage = Stage(
                StageName=DEFAULT_STAGE,
                AutoDeploy=True,
                CreatedDate=api.CreatedDate,
                LastUpdatedDate=api.CreatedDate,
                ApiGatewayManaged=True,
            )
            children = [
                (INTEGRATIONS, integration.IntegrationId, integration),
                (ROUTES, route.RouteId, route),
                (STAGES, stage.StageName, stage),
            ]
        try:
            await self._store.insert_api(api, children)
        except sqlite3.IntegrityError:
            if fixed is None:
                raise
            raise Conflict(
                f"The API id {fixed} ({CUSTOM_ID_TAG} tag) is taken by another API"
            ) from None
        return api

    def _endpoint(self, api_id: str, websocket: bool = False) -> str:
        scheme = "ws" if websocket else "http"
        return f"{scheme}://{api_id}.execute-api.localhost:{self._settings.port}"

    async def get_api(self, api_id: str) -> Api:
        found = await self._store.read_api(api_id)
        if found is None:
            raise not_found("API", api_id)
        return found

    async def list_apis(self) -> list[Api]:
        return await self._store.list_apis()

    async def update_api(self, api_id: str, request: UpdateApiRequest) -> Api:
        changes = request.model_dump(exclude_none=True, exclude={"CorsConfiguration"})
        if request.CorsConfiguration is not None:  # replaced whole, as on AWS
            changes["CorsConfiguration"] = request.CorsConfiguration
        found = await self.get_api(api_id)
        if is_websocket(found):
            if "RouteSelectionExpression" in changes:
                check_selection_expression(changes["RouteSelectionExpression"])
            if request.CorsConfiguration is not None:
                raise Invalid("CorsConfiguration is supported only for HTTP APIs")
        else:
            changes.pop("RouteSelectionExpression", None)  # HTTP APIs': always the same
        api = found.model_copy(update=changes)
        if not await self._store.write_api(api):
            raise not_found("API", api_id)
        return api

    async def delete_cors_configuration(self, api_id: str) -> None:
        api = (await self.get_api(api_id)).model_copy(update={"CorsConfiguration": None})
        if not await self._store.write_api(api):
            raise not_found("API", api_id)

    async def delete_api(self, api_id: str) -> None:
        if not await self._store.delete_api(api_id):
            raise not_found("API", api_id)
        self.authorizer_generations.forget(api_id)

    # -- OpenAPI documents (openapi.py reads them, export.py writes them) --------
    async def import_api(
        self,
        body: str | bytes | Mapping[str, Any],
        *,
        fail_on_warnings: bool = False,
        basepath: str | None = "ignore",
    ) -> Api:
        """ImportApi: an API with the routes, integrations and authorizers of an OpenAPI 3.0
        document (a dict, or JSON or YAML text), created in one transaction."""
        definition = await self._definition(body, fail_on_warnings, basepath)
        api_id = new_id(10)
        api = Api(
            ApiId=api_id,
            ApiEndpoint=self._endpoint(api_id),
            RouteSelectionExpression=_HTTP_SELECTION,
            CreatedDate=_now(),
            Tags=dict(definition.Tags),
            **_imported(definition),
        )
        await self._store.insert_api(api, _imported_children(definition))
        return api

    async def reimport_api(
        self,
        api_id: str,
        body: str | bytes | Mapping[str, Any],
        *,
        fail_on_warnings: bool = False,
        basepath: str | None = "ignore",
    ) -> Api:
        """ReimportApi: the document replaces the API's routes, integrations, authorizers and
        settings in one transaction; its tags are added, its stages stay."""
        definition = await self._definition(body, fail_on_warnings, basepath)
        found = await self.get_api(api_id)
        tags = found.Tags | dict(definition.Tags)
        api = found.model_copy(update=_imported(definition) | {"Tags": tags})
        if not await self._store.replace_api(api, _imported_children(definition)):
            raise not_found("API", api_id)
        return api

    async def export_api(
        self,
        api_id: str,
        *,
        specification: str = "OAS30",
        output_type: str = "JSON",
        stage_name: str | None = None,
        include_extensions: bool = True,
        export_version: str | None = None,
    ) -> bytes:
        """ExportApi: the API (as a stage serves it, if named) as an OpenAPI 3.0 document."""
        if specification not in SPECIFICATIONS:
            raise Invalid(f"Invalid specification {specification!r}: OAS30 is the only one")
        if output_type not in OUTPUT_TYPES:
            raise Invalid(f"Invalid outputType {output_type!r}: JSON or YAML")
        if export_version is not None and export_version not in EXPORT_VERSIONS:
            raise Invalid(f"Invalid exportVersion {export_version!r}: 1.0 is the only one")
        api = await self.get_api(api_id)
        stage = None if stage_name is None else await self.get_stage(api_id, stage_name)
        integrations = {i.IntegrationId: i for i in await self.list_integrations(api_id)}
        authorizers = {a.AuthorizerId: a for a in await self.list_authorizers(api_id)}
        routes: Sequence[Route] = await self.list_routes(api_id)
        if stage is not None and not stage.AutoDeploy:
            # What the stage serves: its deployment (nothing deployed: the current routes).
            path = "/" if stage.StageName == DEFAULT_STAGE else f"/{stage.StageName}"
            served = await self.resolve(api_id, path)
            if served is not None and served.stage.StageName == stage.StageName:
                api, routes = served.api, served.routes
                integrations, authorizers = served.integrations, served.authorizers
        document = export_document(
            api, routes, integrations, authorizers, stage=stage,
            include_extensions=include_extensions,
        )  # fmt: skip
        return render(document, output_type)

    async def _definition(
        self, body: str | bytes | Mapping[str, Any], fail_on_warnings: bool, basepath: str | None
    ) -> Definition:
        # Parsing a large document is CPU work: off the event loop.
        definition = await asyncio.to_thread(
            parse_definition, body, basepath=basepath,
            region=self._settings.region, account_id=self._settings.account_id,
        )  # fmt: skip
        if fail_on_warnings and definition.Warnings:
            raise Invalid("Warnings found during import:\n\t" + "\n\t".join(definition.Warnings))
        return definition

    async def _check_parent(self, part: Part, api_id: str, parent: str | None) -> None:
        if part.parent == "RouteId":
            await self.get_route(api_id, parent or "")
        elif part.parent == "IntegrationId":
            await self.get_integration(api_id, parent or "")

    # -- routes ---------------------------------------------------------------------------
    async def create_route(self, api_id: str, request: CreateRouteRequest) -> Route:
        websocket = is_websocket(await self.get_api(api_id))
        route = Route(
            RouteId=new_id(7),
            RouteKey=_route_key(request.RouteKey, websocket),
            Target=_target(request.Target),
            OperationName=request.OperationName,
            AuthorizationType=request.AuthorizationType,
            AuthorizerId=request.AuthorizerId,
            AuthorizationScopes=request.AuthorizationScopes,
            ApiKeyRequired=bool(request.ApiKeyRequired),
            **_websocket_members(request.model_dump(exclude_none=True), websocket),
        )
        await self._check_authorization(api_id, route)
        await self._store.put_child(api_id, ROUTES, route.RouteId, route, new=True)
        return route

    async def get_route(self, api_id: str, route_id: str) -> Route:
        return await self._get(api_id, ROUTES, route_id, Route)

    async def list_routes(self, api_id: str) -> list[Route]:
        return await self._list(api_id, ROUTES, Route)

    async def update_route(self, api_id: str, route_id: str, request: UpdateRouteRequest) -> Route:
        changes = request.model_dump(exclude_none=True)
        websocket = is_websocket(await self.get_api(api_id))
        changes |= _websocket_members(changes, websocket)
        if "RouteKey" in changes:
            changes["RouteKey"] = _route_key(changes["RouteKey"], websocket)
        if "Target" in changes:
            changes["Target"] = _target(changes["Target"])
        if changes.get("AuthorizationType") == "NONE":
            changes |= {"AuthorizerId": None, "AuthorizationScopes": None}
        route = (await self.get_route(api_id, route_id)).model_copy(update=changes)
        await self._check_authorization(api_id, route)
        await self._store.put_child(api_id, ROUTES, route_id, route, new=False)
        return route

    async def delete_route(self, api_id: str, route_id: str) -> None:
        await self._delete(api_id, ROUTES, route_id)
        await self.parts.delete_of(ROUTE_RESPONSE, api_id, route_id)

    async def _check_authorization(self, api_id: str, route: Route) -> None:
        """A route's AuthorizationType, AuthorizerId and scopes must agree, as on AWS."""
        if route.AuthorizationType in ("NONE", "AWS_IAM"):  # AWS_IAM: gateway/iam_auth.py
            if route.AuthorizerId is not None:
                raise Invalid(f"AuthorizationType {route.AuthorizationType} takes no AuthorizerId")
            if route.AuthorizationScopes:
                raise Invalid("AuthorizationScopes require AuthorizationType JWT")
            return
        kind = route.AuthorizationType
        if route.AuthorizerId is None:
            raise Invalid(f"AuthorizationType {kind} requires an AuthorizerId")
        authorizer = await self.get_authorizer(api_id, route.AuthorizerId)
        if kind == "JWT" and authorizer.AuthorizerType != "JWT":
            raise Invalid(f"Authorizer {route.AuthorizerId} is not a JWT authorizer")
        if kind == "CUSTOM":
            if authorizer.AuthorizerType != "REQUEST":
                raise Invalid(f"Authorizer {route.AuthorizerId} is not a REQUEST authorizer")
            if route.AuthorizationScopes:
                raise Invalid("AuthorizationScopes require AuthorizationType JWT")

    # -- authorizers ----------------------------------------------------------------------
    async def create_authorizer(self, api_id: str, request: CreateAuthorizerRequest) -> Authorizer:
        authorizer = _authorizer(new_id(7), request.model_dump(exclude_none=True))
        await self._store.put_child(
            api_id, AUTHORIZERS, authorizer.AuthorizerId, authorizer, new=True
        )
        return authorizer

    async def get_authorizer(self, api_id: str, authorizer_id: str) -> Authorizer:
        return await self._get(api_id, AUTHORIZERS, authorizer_id, Authorizer)

    async def list_authorizers(self, api_id: str) -> list[Authorizer]:
        return await self._list(api_id, AUTHORIZERS, Authorizer)

    async def update_authorizer(
        self, api_id: str, authorizer_id: str, request: UpdateAuthorizerRequest
    ) -> Authorizer:
        found = await self.get_authorizer(api_id, authorizer_id)
        fields = found.model_dump(exclude_none=True)
        changes = request.model_dump(exclude_none=True)
        if "JwtConfiguration" in changes:
            changes["JwtConfiguration"] = fields.get("JwtConfiguration", {}) | changes.pop(
                "JwtConfiguration"
            )
        authorizer = _authorizer(authorizer_id, fields | changes)
        await self._store.put_child(api_id, AUTHORIZERS, authorizer_id, authorizer, new=False)
        return authorizer

    async def delete_authorizer(self, api_id: str, authorizer_id: str) -> None:
        if any(r.AuthorizerId == authorizer_id for r in await self.list_routes(api_id)):
            raise Conflict(
                f"Cannot delete authorizer {authorizer_id}: routes use it; change their "
                "AuthorizationType first"
            )
        await self._delete(api_id, AUTHORIZERS, authorizer_id)

    # -- integrations ---------------------------------------------------------------------
    async def create_integration(
        self, api_id: str, request: CreateIntegrationRequest
    ) -> Integration:
        websocket = is_websocket(await self.get_api(api_id))
        integration = _integration(new_id(7), request, websocket=websocket)
        await self._store.put_child(
            api_id, INTEGRATIONS, integration.IntegrationId, integration, new=True
        )
        return integration

    async def update_integration(
        self, api_id: str, integration_id: str, changes: Mapping[str, Any]
    ) -> Integration:
        """UpdateIntegration: the members given over the integration's, checked as
        CreateIntegration checks them."""
        found = await self.get_integration(api_id, integration_id)
        fields = found.model_dump(include=set(CreateIntegrationRequest.model_fields))
        fields |= {k: v for k, v in changes.items() if v is not None}
        request = parse_request(CreateIntegrationRequest, fields)
        websocket = is_websocket(await self.get_api(api_id))
        integration = _integration(integration_id, request, websocket=websocket)
        await self._store.put_child(api_id, INTEGRATIONS, integration_id, integration, new=False)
        return integration

    async def get_integration(self, api_id: str, integration_id: str) -> Integration:
        return await self._get(api_id, INTEGRATIONS, integration_id, Integration)

    async def list_integrations(self, api_id: str) -> list[Integration]:
        return await self._list(api_id, INTEGRATIONS, Integration)

    async def delete_integration(self, api_id: str, integration_id: str) -> None:
        target = f"integrations/{integration_id}"
        if any(r.Target == target for r in await self.list_routes(api_id)):
            raise Conflict(
                f"Integration {integration_id} is the target of a route; delete the route or "
                "change its target first"
            )
        await self._delete(api_id, INTEGRATIONS, integration_id)
        await self.parts.delete_of(INTEGRATION_RESPONSE, api_id, integration_id)

    # -- tags (by ARN: arn:aws:apigateway:<region>::/apis/<id>[/stages/<name>]) -----------
    async def get_tags(self, arn: str) -> dict[str, str]:
        api_id, stage = _tagged(arn)
        if stage is None:
            return dict((await self.get_api(api_id)).Tags)
        return dict((await self.get_stage(api_id, stage)).Tags)

    async def change_tags(
        self, arn: str, add: Mapping[str, str], remove: Sequence[str] = ()
    ) -> None:
        api_id, stage_name = _tagged(arn)
        if stage_name is None:
            api = await self.get_api(api_id)
            tags = _retagged(api.Tags, add, remove)
            await self._store.write_api(api.model_copy(update={"Tags": tags}))
            return
        stage = await self.get_stage(api_id, stage_name)
        tags = _retagged(stage.Tags, add, remove)
        updated = stage.model_copy(update={"Tags": tags})
        await self._store.put_child(api_id, STAGES, stage_name, updated, new=False)

    # -- stages ---------------------------------------------------------------------------
    async def create_stage(self, api_id: str, request: CreateStageRequest) -> Stage:
        await self._check_deployment(api_id, request.DeploymentId)
        now = _now()
        stage = Stage(
            StageName=request.StageName,
            AutoDeploy=request.AutoDeploy,
            DeploymentId=request.DeploymentId,
            Description=request.Description,
            StageVariables=request.StageVariables,
            Tags=request.Tags,
            CreatedDate=now,
            LastUpdatedDate=now,
            DefaultRouteSettings=request.DefaultRouteSettings,
            RouteSettings=_route_settings(request.RouteSettings),
            AccessLogSettings=request.AccessLogSettings,
        )
        await self._store.put_child(api_id, STAGES, stage.StageName, stage, new=True)
        return stage

    async def update_stage(self, api_id: str, name: str, request: UpdateStageRequest) -> Stage:
        """Changes the members given; a RouteSettings map is merged key by key, as on AWS."""
        stage = await self.get_stage(api_id, name)
        await self._check_deployment(api_id, request.DeploymentId)
        changes = {
            k: getattr(request, k)
            for k in request.model_fields_set
            if getattr(request, k) is not None
        }
        if "RouteSettings" in changes:
            merged = dict(stage.RouteSettings or {})
            merged.update(_route_settings(request.RouteSettings) or {})
            changes["RouteSettings"] = merged
        stage = stage.model_copy(update=changes | {"LastUpdatedDate": _now()})
        await self._store.put_child(api_id, STAGES, name, stage, new=False)
        return stage

    async def get_stage(self, api_id: str, name: str) -> Stage:
        return await self._get(api_id, STAGES, name, Stage)

    async def delete_access_log_settings(self, api_id: str, name: str) -> None:
        stage = await self.get_stage(api_id, name)
        changed = stage.model_copy(update={"AccessLogSettings": None, "LastUpdatedDate": _now()})
        await self._store.put_child(api_id, STAGES, name, changed, new=False)

    async def delete_route_settings(self, api_id: str, name: str, route_key: str) -> None:
        """DeleteRouteSettings: the stage's settings for one route key go (its default
        route settings apply to it again)."""
        stage = await self.get_stage(api_id, name)
        settings = dict(stage.RouteSettings or {})
        if settings.pop(route_key, None) is None:
            raise NotFound(f"Unable to find route settings for RouteKey '{route_key}'")
        changed = stage.model_copy(
            update={"RouteSettings": settings or None, "LastUpdatedDate": _now()}
        )
        await self._store.put_child(api_id, STAGES, name, changed, new=False)

    async def delete_route_request_parameter(self, api_id: str, route_id: str, key: str) -> None:
        """Route request parameters are WebSocket APIs' (AWS: "Supported only for WebSocket
        APIs"): an HTTP API's route has none to delete."""
        await self.get_route(api_id, route_id)
        raise NotFound(
            f"Unable to find request parameter '{key}' on route {route_id}: an HTTP API's "
            "routes have no request parameters (they are WebSocket APIs')"
        )

    async def list_stages(self, api_id: str) -> list[Stage]:
        return await self._list(api_id, STAGES, Stage)

    async def delete_stage(self, api_id: str, name: str) -> None:
        await self._delete(api_id, STAGES, name)
        self.authorizer_generations.forget(api_id, name)

    # -- deployments ----------------------------------------------------------------------
    async def create_deployment(
        self, api_id: str, request: CreateDeploymentRequest
    ) -> ApiDeployment:
        """A frozen copy of the API's routes for stages without AutoDeploy; with StageName,
        that stage serves it at once."""
        if request.StageName is not None:
            stage = await self.get_stage(api_id, request.StageName)
            if stage.AutoDeploy:
                raise Invalid(
                    f"Stage {stage.StageName} has AutoDeploy on: it deploys by itself; "
                    "deploy to a stage without AutoDeploy"
                )
        deployment = ApiDeployment(
            DeploymentId=new_id(6), CreatedDate=_now(), Description=request.Description
        )
        await self._store.insert_deployment(api_id, deployment, request.StageName)
        return deployment

    async def get_deployment(self, api_id: str, deployment_id: str) -> ApiDeployment:
        return await self._get(api_id, DEPLOYMENTS, deployment_id, ApiDeployment)

    async def list_deployments(self, api_id: str) -> list[ApiDeployment]:
        return await self._list(api_id, DEPLOYMENTS, ApiDeployment)

    async def update_deployment(
        self, api_id: str, deployment_id: str, description: str | None
    ) -> ApiDeployment:
        found = await self.get_deployment(api_id, deployment_id)
        updated = found.model_copy(update={"Description": description})
        await self._store.put_child(api_id, DEPLOYMENTS, deployment_id, updated, new=False)
        return updated

    async def delete_deployment(self, api_id: str, deployment_id: str) -> None:
        await self.get_deployment(api_id, deployment_id)
        serving = await self._store.stages_serving(api_id, deployment_id)
        if serving:
            raise Invalid(
                f"Deployment {deployment_id} is served by stage {', '.join(serving)}: point "
                "the stage at another deployment or delete it first"
            )
        await self._delete(api_id, DEPLOYMENTS, deployment_id)

    async def _check_deployment(self, api_id: str, deployment_id: str | None) -> None:
        if deployment_id is not None:
            await self.get_deployment(api_id, deployment_id)

    # -- Lambda authorizers' cached answers ------------------------------------------------
    def authorizer_generation(self, api_id: str, stage: str) -> int:
        return self.authorizer_generations.of(api_id, stage)

    async def reset_authorizers_cache(self, api_id: str, stage: str) -> None:
        """ResetAuthorizersCache: the stage's cached authorizer answers are dropped (the
        gateway's cache keys carry the stage's generation)."""
        await self.get_stage(api_id, stage)
        self.authorizer_generations.flush(api_id, stage)

    # -- serving --------------------------------------------------------------------------
    async def resolve(self, api_id: str, path: str) -> Deployment | None:
        """The stage `path` addresses and what it serves, or None (the gateway's 404).
        A first segment naming a stage selects it; otherwise the `$default` stage, if any,
        serves the whole path."""
        first = path.removeprefix("/").split("/", 1)[0]
        served = await self._served.lookup((api_id, first), self._store.read_served(api_id, first))
        return _deployment(served, first, path)

    # -- children -------------------------------------------------------------------------
    async def _get(self, api_id: str, kind: Kind, key: str, model: type[S]) -> S:
        found = await self._store.get_child(api_id, kind, key, model)
        if found is None:
            await self.get_api(api_id)  # NotFound for the API first
            raise not_found(kind.name, key)
        return found

    async def _list(self, api_id: str, kind: Kind, model: type[S]) -> list[S]:
        await self.get_api(api_id)
        return await self._store.list_children(api_id, kind, model)

    async def _delete(self, api_id: str, kind: Kind, key: str) -> None:
        if not await self._store.delete_child(api_id, kind, key):
            await self.get_api(api_id)
            raise not_found(kind.name, key)


def _deployment(parsed: Served | None, first: str, path: str) -> Deployment | None:
    if parsed is None:
        return None
    api, stage, routes, integrations, authorizers, two_way, responses = parsed
    if api.DisableExecuteApiEndpoint:
        return None
    if stage.StageName != DEFAULT_STAGE:
        path = path.removeprefix("/")[len(first) :] or "/"
    path = path if path.startswith("/") else f"/{path}"
    return Deployment(api, stage, path, routes, integrations, authorizers, two_way, responses)


def _route_key(key: str, websocket: bool = False) -> str:
    """Parsed the way requests will be matched, so a key accepted here always matches."""
    if websocket:
        return check_route_key(key)
    try:
        RouteKey.parse(key)
    except Validation as exc:
        raise Invalid(exc.message) from exc
    return key


def _target(target: str | None) -> str | None:
    if target is not None and not re.fullmatch(r"integrations/[a-z0-9]+", target):
        raise Invalid(f"Invalid target {target!r}: write 'integrations/<IntegrationId>'")
    return target


def _route_settings(settings: dict[str, RouteSettings] | None) -> dict[str, RouteSettings] | None:
    """Keys of a stage's RouteSettings are route keys, checked like a route's."""
    for key in settings or {}:
        _route_key(key)
    return settings


def _authorizer(authorizer_id: str, fields: dict[str, Any]) -> Authorizer:
    """An authorizer from its members, checked as API Gateway checks it."""
    if fields.get("AuthorizerType") == "REQUEST":
        return _request_authorizer(authorizer_id, fields)
    identity_source = fields.get("IdentitySource")
    if not identity_source:
        raise Invalid("IdentitySource is required for JWT authorizers")
    if len(identity_source) != 1 or not re.fullmatch(
        r"\$request\.(header|querystring)\.[^\s]+", identity_source[0]
    ):
        raise Invalid(
            "A JWT authorizer takes exactly one identity source, e.g. $request.header.Authorization"
        )
    jwt = JwtSettings.model_validate(fields.get("JwtConfiguration") or {})
    if not jwt.Issuer or not jwt.Audience:
        raise Invalid("JWT authorizers require JwtConfiguration with Issuer and Audience")
    if not re.match(r"^(https?|file)://", jwt.Issuer):
        raise Invalid(
            f"Invalid Issuer {jwt.Issuer!r}: give an https:// URL (or a file:// JWKS path)"
        )
    return Authorizer(
        AuthorizerId=authorizer_id,
        AuthorizerType="JWT",
        IdentitySource=identity_source,
        Name=fields["Name"],
        JwtConfiguration=jwt,
    )


def _request_authorizer(authorizer_id: str, fields: dict[str, Any]) -> Authorizer:
    """A REQUEST (Lambda) authorizer of an HTTP API ("Control access to HTTP APIs with AWS
    Lambda authorizers"): a function URI, a payload format version, identity sources
    (required when results are cached), simple responses with 2.0 only."""
    uri = fields.get("AuthorizerUri")
    if not uri:
        raise Invalid("AuthorizerUri is required for REQUEST authorizers")
    try:  # a Lambda ARN, or the apigateway ...:lambda:path/.../invocations form
        function_of(uri)
    except Invalid:
        raise Invalid(
            f"Invalid AuthorizerUri {uri!r}: give a Lambda function ARN or "
            "arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/{arn}/invocations"
        ) from None
    version = fields.get("AuthorizerPayloadFormatVersion")
    if version not in ("1.0", "2.0"):
        raise Invalid(
            "AuthorizerPayloadFormatVersion is required for REQUEST authorizers: 1.0 or 2.0"
        )
    simple = fields.get("EnableSimpleResponses")
    if simple and version != "2.0":
        raise Invalid("EnableSimpleResponses requires AuthorizerPayloadFormatVersion 2.0")
    ttl = fields.get("AuthorizerResultTtlInSeconds", 0)
    sources = fields.get("IdentitySource") or []
    if ttl and not sources:
        raise Invalid("IdentitySource is required when AuthorizerResultTtlInSeconds is over 0")
    for source in sources:
        if not re.fullmatch(
            r"\$(request\.(header|querystring)|context|stageVariables)\.[^\s,]+", source
        ):
            raise Invalid(
                f"Invalid identity source {source!r}: write $request.header.<name>, "
                "$request.querystring.<name>, $context.<variable> or $stageVariables.<name>"
            )
    return Authorizer(
        AuthorizerId=authorizer_id,
        AuthorizerType="REQUEST",
        IdentitySource=sources,
        Name=fields["Name"],
        AuthorizerUri=uri,
        AuthorizerPayloadFormatVersion=version,
        AuthorizerResultTtlInSeconds=ttl,
        EnableSimpleResponses=bool(simple),
    )


def _imported(definition: Definition) -> dict[str, Any]:
    """The API members an imported document sets (tags aside: ReimportApi adds to them)."""
    return {
        "Name": definition.Name,
        "Description": definition.Description,
        "Version": definition.Version,
        "CorsConfiguration": definition.CorsConfiguration,
        "DisableExecuteApiEndpoint": definition.DisableExecuteApiEndpoint,
        "ImportInfo": list(definition.ImportInfo) or None,
        "Warnings": list(definition.Warnings) or None,
    }


def _imported_children(definition: Definition) -> list[Child]:
    """An imported document's integrations, authorizers and routes, with new ids; authorizers
    checked as CreateAuthorizer checks them (the parser checked the rest)."""
    integrations = {
        key: _integration(new_id(7), request) for key, request in definition.Integrations.items()
    }
    authorizers = {}
    for name, request in definition.Authorizers.items():
        try:
            authorizers[name] = _authorizer(new_id(7), request.model_dump(exclude_none=True))
        except Invalid as exc:
            raise Invalid(f"Authorizer {name!r}: {exc.message}") from exc
    routes = [
        Route(
            RouteId=new_id(7),
            RouteKey=r.RouteKey,
            Target=f"integrations/{integrations[r.Integration].IntegrationId}"
            if r.Integration
            else None,
            AuthorizationType=r.AuthorizationType,
            AuthorizerId=authorizers[r.Authorizer].AuthorizerId if r.Authorizer else None,
            AuthorizationScopes=list(r.AuthorizationScopes) or None,
            OperationName=r.OperationName,
        )
        for r in definition.Routes
    ]
    return [
        *((INTEGRATIONS, i.IntegrationId, i) for i in integrations.values()),
        *((AUTHORIZERS, a.AuthorizerId, a) for a in authorizers.values()),
        *((ROUTES, r.RouteId, r) for r in routes),
    ]


_HTTP_SELECTION = "${request.method} ${request.path}"  # HTTP APIs': always this one
_API_KEY_SELECTION = "$request.header.x-api-key"
_HTTP_METHODS = frozenset({"ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})


_TAGGED = re.compile(r"^arn:aws[\w-]*:apigateway:[\w-]*::/apis/([^/]+)(?:/stages/([^/]+))?$")


def _tagged(arn: str) -> tuple[str, str | None]:
    found = _TAGGED.match(arn)
    if found is None:
        raise NotFound(f"Invalid resource ARN specified {arn}", resourceType="Tags")
    return found.group(1), found.group(2)


def _retagged(
    tags: Mapping[str, str], add: Mapping[str, str], remove: Sequence[str]
) -> dict[str, str]:
    """The tags after a change, with AWS's limits (50 tags; keys 1-128 characters, values
    up to 256; the aws: prefix reserved)."""
    changed = {k: v for k, v in tags.items() if k not in remove} | dict(add)
    if len(changed) > 50:
        raise Invalid("A resource can have at most 50 tags")
    for key, value in changed.items():
        if not 1 <= len(key) <= 128 or len(value) > 256 or key.lower().startswith("aws:"):
            raise Invalid(
                f"Invalid tag {key!r}: keys are 1 to 128 characters not starting with aws:, "
                "values up to 256"
            )
    return changed


def _websocket_members(fields: Mapping[str, Any], websocket: bool) -> dict[str, Any]:
    """A route's WebSocket-only members, checked (refused on an HTTP API, as on AWS)."""
    names = ("RouteResponseSelectionExpression", "ModelSelectionExpression", "RequestModels",
             "RequestParameters")  # fmt: skip
    given = {name: fields[name] for name in names if fields.get(name) is not None}
    if given and not websocket:
        raise Invalid(f"{', '.join(given)}: supported only for WebSocket APIs")
    if websocket:
        check_route_access(fields.get("AuthorizationType"), fields.get("ApiKeyRequired"))
    check_route_response_selection(given.get("RouteResponseSelectionExpression"))
    return given


def _integration(
    integration_id: str, request: CreateIntegrationRequest, *, websocket: bool = False
) -> Integration:
    """The integration a CreateIntegration request makes, or its refusal."""
    if websocket:
        return _websocket_integration(integration_id, request)
    if request.IntegrationSubtype is not None:
        return service_integration(integration_id, request)
    if request.IntegrationType == "HTTP_PROXY":
        return _http_proxy(integration_id, request)
    if request.ConnectionType == "VPC_LINK":
        raise Invalid(
            "ConnectionType VPC_LINK is for HTTP_PROXY integrations (private integrations)"
        )
    if request.IntegrationType != "AWS_PROXY":
        raise Invalid(
            f"Stratus supports AWS_PROXY (Lambda proxy) and HTTP_PROXY integrations only, "
            f"not {request.IntegrationType} yet"
        )
    if request.IntegrationUri is None:
        raise Invalid(
            "IntegrationUri is required for AWS_PROXY integrations: give the function's ARN "
            "(or an IntegrationSubtype and RequestParameters to call an AWS service)"
        )
    if request.PayloadFormatVersion is None:
        raise Invalid("PayloadFormatVersion is required for HTTP APIs: set it to 2.0 or 1.0")
    function_of(request.IntegrationUri)
    return Integration(
        IntegrationId=integration_id,
        IntegrationUri=request.IntegrationUri,
        PayloadFormatVersion=request.PayloadFormatVersion,
        TimeoutInMillis=request.TimeoutInMillis,
        Description=request.Description,
    )


def _websocket_integration(integration_id: str, request: CreateIntegrationRequest) -> Integration:
    """A WebSocket API's integration: Lambda proxy (AWS_PROXY) or MOCK, payload format 1.0."""
    if request.PayloadFormatVersion not in (None, "1.0"):
        raise Invalid("WebSocket APIs support PayloadFormatVersion 1.0 only")
    names = ("TemplateSelectionExpression", "RequestTemplates", "PassthroughBehavior")
    websocket_only = {
        n: v for n in (*names, "ContentHandlingStrategy") if (v := getattr(request, n)) is not None
    }
    common: dict[str, Any] = {
        "IntegrationId": integration_id, "IntegrationType": request.IntegrationType,
        "PayloadFormatVersion": "1.0", "TimeoutInMillis": request.TimeoutInMillis,
        "Description": request.Description, "CredentialsArn": request.CredentialsArn,
        "RequestParameters": request.RequestParameters,
    }  # fmt: skip
    if request.IntegrationType == "MOCK":
        return Integration(IntegrationMethod=None, **common, **websocket_only)
    if request.IntegrationType != "AWS_PROXY":
        raise Invalid(
            "Stratus's WebSocket APIs support AWS_PROXY (Lambda proxy) and MOCK integrations, "
            f"not {request.IntegrationType} yet"
        )
    if request.IntegrationUri is None:
        raise Invalid("IntegrationUri is required for AWS_PROXY integrations: give the "
                      "function's ARN")  # fmt: skip
    function_of(request.IntegrationUri)
    return Integration(IntegrationUri=request.IntegrationUri, **common, **websocket_only)


def _http_proxy(integration_id: str, request: CreateIntegrationRequest) -> Integration:
    """An HTTP_PROXY integration: an http(s) URL, a method (ANY: the request's), payload
    format 1.0 (the only one AWS accepts for HTTP_PROXY). A private integration
    (ConnectionType VPC_LINK) names its VPC link and, as its URI, a listener or service ARN
    (vpc_links.py says where its requests go)."""
    uri = request.IntegrationUri
    parsed = urlsplit(uri or "")
    private = request.ConnectionType == "VPC_LINK"
    if private and not request.ConnectionId:
        raise Invalid("ConnectionId is required for a VPC_LINK integration: give the VPC link's id")
    if private and not uri:
        raise Invalid("IntegrationUri is required: give the load balancer listener's ARN")
    if not private and (parsed.scheme not in ("http", "https") or not parsed.hostname):
        raise Invalid(
            f"Invalid IntegrationUri {uri!r} for HTTP_PROXY: give an http or https URL, "
            "e.g. https://example.com/{proxy}"
        )
    version = request.PayloadFormatVersion or "1.0"
    if version != "1.0":
        raise Invalid("HTTP_PROXY integrations support PayloadFormatVersion 1.0 only")
    method = (request.IntegrationMethod or "ANY").upper()
    if method not in _HTTP_METHODS:
        raise Invalid(
            f"Invalid IntegrationMethod {request.IntegrationMethod!r}: write one of "
            f"{', '.join(sorted(_HTTP_METHODS))}"
        )
    return Integration(
        IntegrationId=integration_id,
        IntegrationType="HTTP_PROXY",
        IntegrationUri=uri or "",
        ConnectionType=request.ConnectionType,
        ConnectionId=request.ConnectionId if private else None,
        IntegrationMethod=method,
        PayloadFormatVersion=version,
        TimeoutInMillis=request.TimeoutInMillis,
        Description=request.Description,
    )
