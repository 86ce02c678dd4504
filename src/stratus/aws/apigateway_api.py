"""The API Gateway API for REST APIs, for boto3's `apigateway` client: botocore's model served
by the rest-json protocol (protocols/rest_json.py), with a table of handlers per part:

    apigateway_api          REST APIs (ImportRestApi, PutRestApi), resources, authorizers,
                            models, request validators, deployments, stages
    apigateway_methods_api  methods, integrations and their responses
    apigateway_keys_api     API keys, usage plans and their keys
    apigateway_account_api  documentation, the account, client certificates, VPC links,
                            model templates, SDK types
    apigateway_test_invoke_api  TestInvokeMethod, TestInvokeAuthorizer (run by the gateway)

Members travel under their own camelCase names; lists come back as `items` (`item` on the
wire) and a `position`, and page with `position` and `limit` (apigateway_members.py).
ImportRestApi (`POST /restapis?mode=import`) and PutRestApi take the OpenAPI document as the
raw body, their other query keys as `parameters`. Each handler makes one RestApiService call;
the rules live in stratus.apis.rest.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from starlette.datastructures import Headers
from starlette.responses import Response

from stratus.apis.rest.requests import (
    CreateAuthorizerRequest,
    CreateDeploymentRequest,
    CreateModelRequest,
    CreateRequestValidatorRequest,
    CreateResourceRequest,
    CreateRestApiRequest,
    CreateStageRequest,
)
from stratus.apis.shape import Shape, parse_request
from stratus.errors import Conflict, Invalid, Malformed, NotFound, Throttled, Validation

from . import (
    apigateway_account_api,
    apigateway_domains_api,
    apigateway_keys_api,
    apigateway_methods_api,
    apigateway_test_invoke_api,
)
from .apigateway_members import addressed, embeds, listed, one, page_of, patch_of, rest_apis
from .protocols.adapter import Api, Call, Handler, Output
from .protocols.errors import ErrorTable, WireError
from .protocols.rest_json import RestJson
from .wire import CONTROL_BODY_LIMIT

# API Gateway's names for Stratus's errors, the same for REST APIs (v1) and HTTP APIs (v2).
ERRORS: ErrorTable = {
    Invalid: WireError("BadRequestException", 400),
    NotFound: WireError("NotFoundException", 404),
    Conflict: WireError("ConflictException", 409),
    Throttled: WireError("TooManyRequestsException", 429),
}
# API Gateway calls a body or query it cannot read, or that breaks the model, a bad request.
REST_ERRORS: ErrorTable = {
    **ERRORS,
    Validation: WireError("BadRequestException", 400),
    Malformed: WireError("BadRequestException", 400),
}

# ImportRestApi's own query keys, not `parameters` entries (its `mode=import` is a literal).
_OWN_QUERY = frozenset({"mode", "failonwarnings"})


def _resources(call: Call) -> Any:
    return rest_apis(call).resources


def _stages(call: Call) -> Any:
    return rest_apis(call).stages


# -- REST APIs ---------------------------------------------------------------------------------
async def create_rest_api(call: Call, params: dict[str, Any]) -> Output:
    return one(await rest_apis(call).create_rest_api(parse_request(CreateRestApiRequest, params)))


def _document(params: dict[str, Any]) -> bytes:
    body: bytes = params["body"]
    if not body:
        raise Invalid("Invalid OpenAPI input: the request body is empty; send the document")
    return body


def _parameters(params: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = params.get("parameters") or {}
    return {k: v for k, v in found.items() if k not in _OWN_QUERY}


async def import_rest_api(call: Call, params: dict[str, Any]) -> Output:
    found = await rest_apis(call).import_rest_api(
        _document(params),
        fail_on_warnings=params.get("failOnWarnings", False),
        parameters=_parameters(params),
    )
    return one(found)


async def put_rest_api(call: Call, params: dict[str, Any]) -> Output:
    found = await rest_apis(call).put_rest_api(
        params["restApiId"],
        _document(params),
        mode=params.get("mode", "merge"),
        fail_on_warnings=params.get("failOnWarnings", False),
        parameters=_parameters(params),
    )
    return one(found)


async def get_rest_apis(call: Call, params: dict[str, Any]) -> Output:
    return listed(await rest_apis(call).list_rest_apis(*page_of(params)))


# -- resources ---------------------------------------------------------------------------------
async def get_resources(call: Call, params: dict[str, Any]) -> Output:
    embed = embeds(params, "methods")
    found = await rest_apis(call).resources.list(params["restApiId"], *page_of(params))
    return listed(found, lambda r: r.wire_embedded(embed))


async def get_resource(call: Call, params: dict[str, Any]) -> Output:
    found = await rest_apis(call).resources.get(params["restApiId"], params["resourceId"])
    return found.wire_embedded(embeds(params, "methods"))


async def create_resource(call: Call, params: dict[str, Any]) -> Output:
    request = parse_request(CreateResourceRequest, params)
    resources = rest_apis(call).resources
    return one(await resources.create(params["restApiId"], params["parentId"], request))


async def update_resource(call: Call, params: dict[str, Any]) -> Output:
    resources = rest_apis(call).resources
    found = await resources.update(params["restApiId"], params["resourceId"], patch_of(params))
    return found.wire_embedded(True)


# -- authorizers, models, request validators (one shape of calls each) -------------------------
def _collection(part: str, noun: str, key: str, create_model: type[Shape]) -> dict[str, Handler]:
    """Create, Get, Get…s, Update and Delete for one kind of part of an API: `part` is the
    RestApiService attribute, `noun` the operations' noun, `key` the member naming one."""

    def of(call: Call) -> Any:
        return getattr(rest_apis(call), part)

    async def create(call: Call, params: dict[str, Any]) -> Output:
        request = parse_request(create_model, params)
        return one(await of(call).create(params["restApiId"], request))

    async def get_all(call: Call, params: dict[str, Any]) -> Output:
        return listed(await of(call).list(params["restApiId"], *page_of(params)))

    return {
        f"Create{noun}": create,
        f"Get{noun}s": get_all,
        **addressed(noun, of, ("restApiId", key), get="get", update="update", delete="delete"),
    }


# -- gateway responses --------------------------------------------------------------------------
def _gateway_responses(call: Call) -> Any:
    return rest_apis(call).gateway_responses


_RESPONSE_FIELDS = ("responseType", "statusCode", "responseParameters", "responseTemplates")


async def put_gateway_response(call: Call, params: dict[str, Any]) -> Output:
    fields = {k: params[k] for k in _RESPONSE_FIELDS if params.get(k) is not None}
    return one(await _gateway_responses(call).put(params["restApiId"], fields))


async def get_gateway_responses(call: Call, params: dict[str, Any]) -> Output:
    found = await _gateway_responses(call).list(params["restApiId"], *page_of(params))
    return listed(found)


# -- export -------------------------------------------------------------------------------------
async def get_export(call: Call, params: dict[str, Any]) -> Output:
    settings = call.services.settings
    api_id = params["restApiId"]
    document = await rest_apis(call).stages.export(
        api_id, params["stageName"], params["exportType"],
        (params.get("parameters") or {}).get("extensions"),
        f"{api_id}.execute-api.localhost:{settings.port}",
    )  # fmt: skip
    yaml_wanted = "yaml" in (params.get("accepts") or "")
    body = (
        yaml.safe_dump(document, sort_keys=False) if yaml_wanted else json.dumps(document, indent=2)
    )
    media_type = "application/yaml" if yaml_wanted else "application/json"
    disposition = (
        f'attachment; filename="{api_id}-{params["stageName"]}.{"yaml" if yaml_wanted else "json"}"'
    )
    return Response(
        body, media_type=media_type,
        headers={"x-amzn-RequestId": call.request_id, "Content-Disposition": disposition},
    )  # fmt: skip


# -- caches -------------------------------------------------------------------------------------
async def flush_stage_authorizers_cache(call: Call, params: dict[str, Any]) -> Output:
    await rest_apis(call).flush_authorizer_cache(params["restApiId"], params["stageName"])
    return None


async def flush_stage_cache(call: Call, params: dict[str, Any]) -> Output:
    # Stratus keeps no stage (integration) cache: cacheClusterEnabled is recorded only, so
    # there is nothing to flush once the stage is known to exist.
    await rest_apis(call).stages.get_stage(params["restApiId"], params["stageName"])
    return None


# -- tags -----------------------------------------------------------------------------------------
async def tag_resource(call: Call, params: dict[str, Any]) -> Output:
    await rest_apis(call).tags.change(params["resourceArn"], params.get("tags") or {})
    return None


async def untag_resource(call: Call, params: dict[str, Any]) -> Output:
    keys = params.get("tagKeys") or []
    await rest_apis(call).tags.change(params["resourceArn"], {}, keys)
    return None


async def get_tags(call: Call, params: dict[str, Any]) -> Output:
    return {"tags": await rest_apis(call).tags.get(params["resourceArn"])}


# -- deployments and stages --------------------------------------------------------------------
async def create_deployment(call: Call, params: dict[str, Any]) -> Output:
    request = parse_request(CreateDeploymentRequest, params)
    return one(await rest_apis(call).stages.create_deployment(params["restApiId"], request))


async def get_deployment(call: Call, params: dict[str, Any]) -> Output:
    stages = rest_apis(call).stages
    summary = embeds(params, "apisummary")
    return one(await stages.get_deployment(params["restApiId"], params["deploymentId"], summary))


async def get_deployments(call: Call, params: dict[str, Any]) -> Output:
    return listed(
        await rest_apis(call).stages.list_deployments(params["restApiId"], *page_of(params))
    )


async def create_stage(call: Call, params: dict[str, Any]) -> Output:
    request = parse_request(CreateStageRequest, params)
    return one(await rest_apis(call).stages.create_stage(params["restApiId"], request))


async def get_stages(call: Call, params: dict[str, Any]) -> Output:
    stages = rest_apis(call).stages
    found = await stages.list_stages(params["restApiId"], params.get("deploymentId"))
    return {"item": [s.wire() for s in found]}  # GetStages's list is `item`, and never pages


HANDLERS: dict[str, Handler] = {
    "CreateRestApi": create_rest_api,
    "ImportRestApi": import_rest_api,
    "PutRestApi": put_rest_api,
    "GetRestApis": get_rest_apis,
    **addressed(
        "RestApi",
        rest_apis,
        ("restApiId",),
        get="get_rest_api",
        update="update_rest_api",
        delete="delete_rest_api",
    ),
    "GetResources": get_resources,
    "GetResource": get_resource,
    "CreateResource": create_resource,
    "UpdateResource": update_resource,
    **addressed("Resource", _resources, ("restApiId", "resourceId"), delete="delete"),
    **_collection("authorizers", "Authorizer", "authorizerId", CreateAuthorizerRequest),
    **_collection("models", "Model", "modelName", CreateModelRequest),
    **_collection(
        "validators", "RequestValidator", "requestValidatorId", CreateRequestValidatorRequest
    ),
    "GetExport": get_export,
    "FlushStageAuthorizersCache": flush_stage_authorizers_cache,
    "FlushStageCache": flush_stage_cache,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "GetTags": get_tags,
    "PutGatewayResponse": put_gateway_response,
    "GetGatewayResponses": get_gateway_responses,
    **addressed(
        "GatewayResponse",
        _gateway_responses,
        ("restApiId", "responseType"),
        get="get",
        update="update",
        delete="delete",
    ),
    "CreateDeployment": create_deployment,
    "GetDeployment": get_deployment,
    "GetDeployments": get_deployments,
    **addressed(
        "Deployment",
        _stages,
        ("restApiId", "deploymentId"),
        update="update_deployment",
        delete="delete_deployment",
    ),
    "CreateStage": create_stage,
    "GetStages": get_stages,
    **addressed(
        "Stage",
        _stages,
        ("restApiId", "stageName"),
        get="get_stage",
        update="update_stage",
        delete="delete_stage",
    ),
}


def body_limit(operation: str, headers: Headers) -> tuple[int, str]:
    return CONTROL_BODY_LIMIT, "this operation"


def api() -> RestJson:
    """The REST API Gateway API: every table above, served from botocore's model of it."""
    handlers = {
        **HANDLERS,
        **apigateway_methods_api.HANDLERS,
        **apigateway_keys_api.HANDLERS,
        **apigateway_domains_api.HANDLERS,
        **apigateway_account_api.HANDLERS,
        **apigateway_test_invoke_api.HANDLERS,
    }
    return RestJson(Api("apigateway", handlers, REST_ERRORS), body_limit)
