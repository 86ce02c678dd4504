"""The API Gateway v2 API (HTTP APIs) for boto3's `apigatewayv2` client: botocore's model
served by the rest-json protocol (protocols/rest_json.py), with a table of handlers.

Members arrive and leave under their model names (`ApiId`, `RouteKey`, ...; jsonName on the
wire is the protocol's business); lists go back as `Items`. ImportApi/ReimportApi take the
OpenAPI document as the `Body` member; ExportApi answers the document itself. Each handler
makes one ApiService call; the rules live in stratus.apis.http.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import Response

from stratus.apis.domains import Domain, Mapping
from stratus.apis.http.model import (
    CreateApiRequest,
    CreateAuthorizerRequest,
    CreateDeploymentRequest,
    CreateIntegrationRequest,
    CreateRouteRequest,
    CreateStageRequest,
    ImportApiRequest,
    UpdateApiRequest,
    UpdateAuthorizerRequest,
    UpdateRouteRequest,
    UpdateStageRequest,
)
from stratus.apis.http.service import ApiService
from stratus.apis.shape import Shape, parse_request
from stratus.errors import Malformed, Validation

from . import apigateway_api, apigatewayv2_parts_api
from .apigateway_domains_api import HOSTED_ZONE, domains
from .protocols.adapter import Api, Call, Handler, Output
from .protocols.errors import ErrorTable, WireError
from .protocols.rest_json import RestJson
from .wire import CONTROL_BODY_LIMIT

# API Gateway's table; a request the model refuses, or whose JSON cannot be read, is a bad
# request too (not rest-json's ValidationException / SerializationException).
ERRORS: ErrorTable = {
    **apigateway_api.ERRORS,
    Validation: WireError("BadRequestException", 400),
    Malformed: WireError("BadRequestException", 400),
}


def apis(call: Call) -> ApiService:
    return call.services.apis


def members(shape: Shape) -> dict[str, Any]:
    """A shape's output members, under their model names."""
    return shape.model_dump(exclude_none=True, mode="json")


def items(found: Sequence[Shape]) -> dict[str, Any]:
    return {"Items": [members(item) for item in found]}


# -- APIs --------------------------------------------------------------------------------------
async def create_api(call: Call, params: dict[str, Any]) -> Output:
    return members(await apis(call).create_api(parse_request(CreateApiRequest, params)))


async def get_api(call: Call, params: dict[str, Any]) -> Output:
    return members(await apis(call).get_api(params["ApiId"]))


async def get_apis(call: Call, params: dict[str, Any]) -> Output:
    return items(await apis(call).list_apis())


async def update_api(call: Call, params: dict[str, Any]) -> Output:
    request = parse_request(UpdateApiRequest, params)
    return members(await apis(call).update_api(params["ApiId"], request))


async def delete_api(call: Call, params: dict[str, Any]) -> Output:
    await apis(call).delete_api(params["ApiId"])
    return None


async def delete_cors_configuration(call: Call, params: dict[str, Any]) -> Output:
    await apis(call).delete_cors_configuration(params["ApiId"])
    return None


# -- OpenAPI documents -------------------------------------------------------------------------
async def import_api(call: Call, params: dict[str, Any]) -> Output:
    body = parse_request(ImportApiRequest, params).Body
    found = await apis(call).import_api(body, **_import_options(params))
    return members(found)


async def reimport_api(call: Call, params: dict[str, Any]) -> Output:
    body = parse_request(ImportApiRequest, params).Body
    found = await apis(call).reimport_api(params["ApiId"], body, **_import_options(params))
    return members(found)


def _import_options(params: dict[str, Any]) -> dict[str, Any]:
    """ImportApi/ReimportApi's query members, with API Gateway's defaults."""
    return {
        "fail_on_warnings": params.get("FailOnWarnings", False),
        "basepath": params.get("Basepath", "ignore"),
    }


async def export_api(call: Call, params: dict[str, Any]) -> Output:
    output_type = params["OutputType"]
    document = await apis(call).export_api(
        params["ApiId"],
        specification=params["Specification"],
        output_type=output_type,
        stage_name=params.get("StageName"),
        include_extensions=params.get("IncludeExtensions", True),
        export_version=params.get("ExportVersion"),
    )
    # The payload is the document, typed by its format (the model only says "blob").
    media_type = "application/yaml" if output_type == "YAML" else "application/json"
    return Response(document, media_type=media_type, headers={"x-amzn-RequestId": call.request_id})


# -- routes, integrations, authorizers, stages -------------------------------------------------
async def create_route(call: Call, params: dict[str, Any]) -> Output:
    request = parse_request(CreateRouteRequest, params)
    return members(await apis(call).create_route(params["ApiId"], request))


async def get_route(call: Call, params: dict[str, Any]) -> Output:
    return members(await apis(call).get_route(params["ApiId"], params["RouteId"]))


async def get_routes(call: Call, params: dict[str, Any]) -> Output:
    return items(await apis(call).list_routes(params["ApiId"]))


async def update_route(call: Call, params: dict[str, Any]) -> Output:
    request = parse_request(UpdateRouteRequest, params)
    return members(await apis(call).update_route(params["ApiId"], params["RouteId"], request))


async def delete_route(call: Call, params: dict[str, Any]) -> Output:
    await apis(call).delete_route(params["ApiId"], params["RouteId"])
    return None


async def create_integration(call: Call, params: dict[str, Any]) -> Output:
    request = parse_request(CreateIntegrationRequest, params)
    return members(await apis(call).create_integration(params["ApiId"], request))


async def get_integration(call: Call, params: dict[str, Any]) -> Output:
    found = await apis(call).get_integration(params["ApiId"], params["IntegrationId"])
    return members(found)


async def get_integrations(call: Call, params: dict[str, Any]) -> Output:
    return items(await apis(call).list_integrations(params["ApiId"]))


async def update_integration(call: Call, params: dict[str, Any]) -> Output:
    changes = {k: v for k, v in params.items() if k not in ("ApiId", "IntegrationId")}
    found = await apis(call).update_integration(params["ApiId"], params["IntegrationId"], changes)
    return members(found)


async def reset_authorizers_cache(call: Call, params: dict[str, Any]) -> Output:
    await apis(call).reset_authorizers_cache(params["ApiId"], params["StageName"])
    return None


async def tag_resource(call: Call, params: dict[str, Any]) -> Output:
    await apis(call).change_tags(params["ResourceArn"], params.get("Tags") or {})
    return None


async def untag_resource(call: Call, params: dict[str, Any]) -> Output:
    await apis(call).change_tags(params["ResourceArn"], {}, params.get("TagKeys") or [])
    return None


async def get_tags(call: Call, params: dict[str, Any]) -> Output:
    return {"Tags": await apis(call).get_tags(params["ResourceArn"])}


async def delete_integration(call: Call, params: dict[str, Any]) -> Output:
    await apis(call).delete_integration(params["ApiId"], params["IntegrationId"])
    return None


async def create_authorizer(call: Call, params: dict[str, Any]) -> Output:
    request = parse_request(CreateAuthorizerRequest, params)
    return members(await apis(call).create_authorizer(params["ApiId"], request))


async def get_authorizer(call: Call, params: dict[str, Any]) -> Output:
    found = await apis(call).get_authorizer(params["ApiId"], params["AuthorizerId"])
    return members(found)


async def get_authorizers(call: Call, params: dict[str, Any]) -> Output:
    return items(await apis(call).list_authorizers(params["ApiId"]))


async def update_authorizer(call: Call, params: dict[str, Any]) -> Output:
    request = parse_request(UpdateAuthorizerRequest, params)
    found = await apis(call).update_authorizer(params["ApiId"], params["AuthorizerId"], request)
    return members(found)


async def delete_authorizer(call: Call, params: dict[str, Any]) -> Output:
    await apis(call).delete_authorizer(params["ApiId"], params["AuthorizerId"])
    return None


async def create_stage(call: Call, params: dict[str, Any]) -> Output:
    request = parse_request(CreateStageRequest, params)
    return members(await apis(call).create_stage(params["ApiId"], request))


async def get_stage(call: Call, params: dict[str, Any]) -> Output:
    return members(await apis(call).get_stage(params["ApiId"], params["StageName"]))


async def get_stages(call: Call, params: dict[str, Any]) -> Output:
    return items(await apis(call).list_stages(params["ApiId"]))


async def update_stage(call: Call, params: dict[str, Any]) -> Output:
    request = parse_request(UpdateStageRequest, params)
    return members(await apis(call).update_stage(params["ApiId"], params["StageName"], request))


async def create_deployment(call: Call, params: dict[str, Any]) -> Output:
    request = parse_request(CreateDeploymentRequest, params)
    return members(await apis(call).create_deployment(params["ApiId"], request))


async def get_deployment(call: Call, params: dict[str, Any]) -> Output:
    return members(await apis(call).get_deployment(params["ApiId"], params["DeploymentId"]))


async def get_deployments(call: Call, params: dict[str, Any]) -> Output:
    return items(await apis(call).list_deployments(params["ApiId"]))


async def update_deployment(call: Call, params: dict[str, Any]) -> Output:
    found = await apis(call).update_deployment(
        params["ApiId"], params["DeploymentId"], params.get("Description")
    )
    return members(found)


async def delete_deployment(call: Call, params: dict[str, Any]) -> Output:
    await apis(call).delete_deployment(params["ApiId"], params["DeploymentId"])
    return None


async def delete_stage(call: Call, params: dict[str, Any]) -> Output:
    await apis(call).delete_stage(params["ApiId"], params["StageName"])
    return None


# -- custom domain names and API mappings (shared with REST APIs: apis/domains.py) --------------
def _domain(domain: Domain) -> dict[str, Any]:
    configuration = {
        "ApiGatewayDomainName": domain.target,
        "CertificateArn": domain.certificate_arn,
        "DomainNameStatus": "AVAILABLE",
        "EndpointType": domain.endpoint_type,
        "HostedZoneId": HOSTED_ZONE,
        "SecurityPolicy": domain.security_policy,
    }
    return {
        "DomainName": domain.name,
        "ApiMappingSelectionExpression": "$request.basepath",
        "DomainNameConfigurations": [{k: v for k, v in configuration.items() if v is not None}],
        "RoutingMode": domain.routing_mode,
        "Tags": domain.tags,
    }


def _api_mapping(mapping: Mapping) -> dict[str, Any]:
    return {
        "ApiId": mapping.api_id,
        "ApiMappingId": mapping.id,
        "ApiMappingKey": mapping.key,
        "Stage": mapping.stage,
    }


async def create_domain_name(call: Call, params: dict[str, Any]) -> Output:
    [configuration] = params.get("DomainNameConfigurations") or [{}]
    made = await domains(call).create(
        params["DomainName"],
        certificate_arn=configuration.get("CertificateArn"),
        endpoint_type=configuration.get("EndpointType") or "REGIONAL",
        security_policy=configuration.get("SecurityPolicy"),
        tags=params.get("Tags"),
        routing_mode=params.get("RoutingMode"),
    )
    return _domain(made)


async def get_domain_name(call: Call, params: dict[str, Any]) -> Output:
    return _domain(await domains(call).get(params["DomainName"]))


async def get_domain_names(call: Call, params: dict[str, Any]) -> Output:
    return {"Items": [_domain(d) for d in await domains(call).every()]}


async def update_domain_name(call: Call, params: dict[str, Any]) -> Output:
    [configuration] = params.get("DomainNameConfigurations") or [{}]
    found = await domains(call).update(
        params["DomainName"],
        certificate_arn=configuration.get("CertificateArn"),
        security_policy=configuration.get("SecurityPolicy"),
        routing_mode=params.get("RoutingMode"),
    )
    return _domain(found)


async def delete_domain_name(call: Call, params: dict[str, Any]) -> Output:
    await domains(call).delete(params["DomainName"])
    return None


async def create_api_mapping(call: Call, params: dict[str, Any]) -> Output:
    made = await domains(call).map(
        params["DomainName"], params.get("ApiMappingKey") or "", params["ApiId"], params["Stage"]
    )
    return _api_mapping(made)


async def get_api_mapping(call: Call, params: dict[str, Any]) -> Output:
    found = await domains(call).mapping(params["DomainName"], mapping_id=params["ApiMappingId"])
    return _api_mapping(found)


async def get_api_mappings(call: Call, params: dict[str, Any]) -> Output:
    return {"Items": [_api_mapping(m) for m in await domains(call).mappings(params["DomainName"])]}


async def update_api_mapping(call: Call, params: dict[str, Any]) -> Output:
    found = await domains(call).mapping(params["DomainName"], mapping_id=params["ApiMappingId"])
    changed = await domains(call).remap(
        found, api_id=params.get("ApiId"), stage=params.get("Stage"),
        key=params.get("ApiMappingKey"),
    )  # fmt: skip
    return _api_mapping(changed)


async def delete_api_mapping(call: Call, params: dict[str, Any]) -> Output:
    found = await domains(call).mapping(params["DomainName"], mapping_id=params["ApiMappingId"])
    await domains(call).unmap(found)
    return None


HANDLERS: dict[str, Handler] = {
    "CreateApi": create_api,
    "GetApi": get_api,
    "GetApis": get_apis,
    "UpdateApi": update_api,
    "DeleteApi": delete_api,
    "DeleteCorsConfiguration": delete_cors_configuration,
    "ImportApi": import_api,
    "ReimportApi": reimport_api,
    "ExportApi": export_api,
    "CreateRoute": create_route,
    "GetRoute": get_route,
    "GetRoutes": get_routes,
    "UpdateRoute": update_route,
    "DeleteRoute": delete_route,
    "CreateIntegration": create_integration,
    "GetIntegration": get_integration,
    "GetIntegrations": get_integrations,
    "UpdateIntegration": update_integration,
    "DeleteIntegration": delete_integration,
    "ResetAuthorizersCache": reset_authorizers_cache,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "GetTags": get_tags,
    "CreateAuthorizer": create_authorizer,
    "GetAuthorizer": get_authorizer,
    "GetAuthorizers": get_authorizers,
    "UpdateAuthorizer": update_authorizer,
    "DeleteAuthorizer": delete_authorizer,
    "CreateStage": create_stage,
    "GetStage": get_stage,
    "GetStages": get_stages,
    "UpdateStage": update_stage,
    "DeleteStage": delete_stage,
    "CreateDomainName": create_domain_name,
    "GetDomainName": get_domain_name,
    "GetDomainNames": get_domain_names,
    "UpdateDomainName": update_domain_name,
    "DeleteDomainName": delete_domain_name,
    "CreateApiMapping": create_api_mapping,
    "GetApiMapping": get_api_mapping,
    "GetApiMappings": get_api_mappings,
    "UpdateApiMapping": update_api_mapping,
    "DeleteApiMapping": delete_api_mapping,
    "CreateDeployment": create_deployment,
    "GetDeployment": get_deployment,
    "GetDeployments": get_deployments,
    "UpdateDeployment": update_deployment,
    "DeleteDeployment": delete_deployment,
}


def body_limit(operation: str, headers: Headers) -> tuple[int, str]:
    return CONTROL_BODY_LIMIT, "this operation"


def api() -> RestJson:
    """HTTP APIs: the table above, served from botocore's model of `apigatewayv2`."""
    handlers = {**HANDLERS, **apigatewayv2_parts_api.HANDLERS}
    return RestJson(Api("apigatewayv2", handlers, ERRORS), body_limit)
