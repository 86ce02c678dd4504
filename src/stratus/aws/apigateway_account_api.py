"""The API Gateway API for documentation parts and versions, the account's settings, client
certificates, VPC links, model templates and SDK types, for boto3's `apigateway` client: the
table of handlers apigateway_api.py serves. The rules live in stratus.apis.rest.documentation,
.account and .model_template.

GetSdkTypes answers AWS's list of SDK types as it stands, for tools that read it; GetSdk
generates the javascript one (stratus.apis.rest.sdk) and refuses the others.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from stratus.apis.rest.model_template import model_template
from stratus.apis.rest.sdk import sdk_zip
from stratus.apis.rest.store import page
from stratus.errors import NotFound

from .apigateway_members import addressed, listed, one, page_of, patch_of, rest_apis
from .protocols.adapter import Call, Handler, Output


def _documentation(call: Call) -> Any:
    return rest_apis(call).documentation


def _certificates(call: Call) -> Any:
    return rest_apis(call).certificates


def _links(call: Call) -> Any:
    return rest_apis(call).vpc_links


# -- documentation parts and versions ------------------------------------------------------------
async def create_documentation_part(call: Call, params: dict[str, Any]) -> Output:
    made = await _documentation(call).create_part(
        params["restApiId"], params["location"], params["properties"]
    )
    return one(made)


async def get_documentation_parts(call: Call, params: dict[str, Any]) -> Output:
    found = await _documentation(call).list_parts(
        params["restApiId"], *page_of(params), type_=params.get("type"),
        name_query=params.get("nameQuery"), path=params.get("path"),
        location_status=params.get("locationStatus"),
    )  # fmt: skip
    return listed(found)


async def import_documentation_parts(call: Call, params: dict[str, Any]) -> Output:
    ids, warnings = await _documentation(call).import_parts(
        params["restApiId"], params["body"], mode=params.get("mode", "merge"),
        fail_on_warnings=params.get("failOnWarnings", False),
    )  # fmt: skip
    return {"ids": ids, "warnings": warnings}


async def create_documentation_version(call: Call, params: dict[str, Any]) -> Output:
    made = await _documentation(call).create_version(
        params["restApiId"], params["documentationVersion"], params.get("stageName"),
        params.get("description"),
    )  # fmt: skip
    return one(made)


async def get_documentation_versions(call: Call, params: dict[str, Any]) -> Output:
    return listed(await _documentation(call).list_versions(params["restApiId"], *page_of(params)))


# -- the account ---------------------------------------------------------------------------------
async def get_account(call: Call, params: dict[str, Any]) -> Output:
    return one(await rest_apis(call).account.get())


async def update_account(call: Call, params: dict[str, Any]) -> Output:
    return one(await rest_apis(call).account.update(patch_of(params)))


# -- client certificates -------------------------------------------------------------------------
async def generate_client_certificate(call: Call, params: dict[str, Any]) -> Output:
    made = await _certificates(call).generate(params.get("description"), params.get("tags"))
    return one(made)


async def get_client_certificates(call: Call, params: dict[str, Any]) -> Output:
    return listed(await _certificates(call).list(*page_of(params)))


# -- VPC links -----------------------------------------------------------------------------------
async def create_vpc_link(call: Call, params: dict[str, Any]) -> Output:
    made = await _links(call).create(
        params["name"], params.get("targetArns") or [], params.get("description"),
        params.get("tags"),
    )  # fmt: skip
    return one(made)


async def get_vpc_links(call: Call, params: dict[str, Any]) -> Output:
    return listed(await _links(call).list(*page_of(params)))


# -- model templates and SDK types ---------------------------------------------------------------
async def get_model_template(call: Call, params: dict[str, Any]) -> Output:
    models = rest_apis(call).models
    found = await models.get(params["restApiId"], params["modelName"])
    every, _ = await models.list(params["restApiId"], limit=500)
    schemas = {m.name: m.schema_ or "{}" for m in every}
    return {"value": model_template(found.schema_ or "{}", schemas)}


def _property(name: str, friendly: str, description: str, required: bool) -> dict[str, Any]:
    return {
        "name": name, "friendlyName": friendly, "description": description,
        "required": required,
    }  # fmt: skip


# AWS's SDK types and their configuration properties (GetSdkTypes on AWS).
SDK_TYPES: list[dict[str, Any]] = [
    {"id": "android", "friendlyName": "Android SDK", "description": "Android SDK",
     "configurationProperties": [
         _property("groupId", "Group ID", "", True),
         _property("invokerPackage", "Invoker package", "", True),
         _property("artifactId", "Artifact ID", "", True),
         _property("artifactVersion", "Artifact version", "", True),
     ]},
    {"id": "java", "friendlyName": "Java SDK", "description": "Java SDK",
     "configurationProperties": [
         _property("service.name", "Service name", "", True),
         _property("java.package-name", "Java package name", "", True),
         _property("java.build-system", "Build system", "maven or gradle", False),
         _property("java.group-id", "Group ID", "", False),
         _property("java.artifact-id", "Artifact ID", "", False),
         _property("java.artifact-version", "Artifact version", "", False),
         _property("java.license-text", "License text", "", False),
     ]},
    {"id": "javascript", "friendlyName": "JavaScript", "description": "JavaScript SDK",
     "configurationProperties": []},
    {"id": "objectivec", "friendlyName": "iOS (Objective-C)", "description": "iOS SDK",
     "configurationProperties": [_property("classPrefix", "Prefix", "", True)]},
    {"id": "ruby", "friendlyName": "Ruby", "description": "Ruby SDK",
     "configurationProperties": [
         _property("service.name", "Service name", "", True),
         _property("ruby.gem-name", "Ruby gem name", "", False),
         _property("ruby.gem-version", "Ruby gem version", "", False),
     ]},
    {"id": "swift", "friendlyName": "iOS (Swift)", "description": "iOS SDK",
     "configurationProperties": [_property("classPrefix", "Prefix", "", True)]},
]  # fmt: skip


async def get_sdk_types(call: Call, params: dict[str, Any]) -> Output:
    items, position = page(SDK_TYPES, lambda t: t["id"], *page_of(params))
    return {"items": items} | ({"position": position} if position else {})


async def get_sdk(call: Call, params: dict[str, Any]) -> Output:
    api_id, stage = params["restApiId"], params["stageName"]
    host = f"{api_id}.execute-api.localhost:{call.services.settings.port}"
    document = await rest_apis(call).stages.export(api_id, stage, "oas30", None, host)
    invoke_url = f"{call.base_url}/_aws/execute-api/{api_id}/{stage}"
    archive = sdk_zip(params["sdkType"], document, invoke_url, stage)
    disposition = f'attachment; filename="{api_id}-{stage}-{params["sdkType"]}.zip"'
    return Response(
        archive, media_type="application/octet-stream",
        headers={"x-amzn-RequestId": call.request_id, "Content-Disposition": disposition},
    )  # fmt: skip


async def get_sdk_type(call: Call, params: dict[str, Any]) -> Output:
    for found in SDK_TYPES:
        if found["id"] == params["id"]:
            return found
    raise NotFound(f"Invalid SDK type specified: {params['id']}")


HANDLERS: dict[str, Handler] = {
    "CreateDocumentationPart": create_documentation_part,
    "GetDocumentationParts": get_documentation_parts,
    "ImportDocumentationParts": import_documentation_parts,
    **addressed(
        "DocumentationPart", _documentation, ("restApiId", "documentationPartId"),
        get="get_part", update="update_part", delete="delete_part",
    ),
    "CreateDocumentationVersion": create_documentation_version,
    "GetDocumentationVersions": get_documentation_versions,
    **addressed(
        "DocumentationVersion", _documentation, ("restApiId", "documentationVersion"),
        get="get_version", update="update_version", delete="delete_version",
    ),
    "GetAccount": get_account,
    "UpdateAccount": update_account,
    "GenerateClientCertificate": generate_client_certificate,
    "GetClientCertificates": get_client_certificates,
    **addressed(
        "ClientCertificate", _certificates, ("clientCertificateId",),
        get="get", update="update", delete="delete",
    ),
    "CreateVpcLink": create_vpc_link,
    "GetVpcLinks": get_vpc_links,
    **addressed("VpcLink", _links, ("vpcLinkId",), get="get", update="update", delete="delete"),
    "GetModelTemplate": get_model_template,
    "GetSdkTypes": get_sdk_types,
    "GetSdkType": get_sdk_type,
    "GetSdk": get_sdk,
}  # fmt: skip
