"""An HTTP API as an OpenAPI 3.0 document (ExportApi: specification OAS30, export version 1.0).

The document is the one `openapi` reads, so an export imports back into the same API:

    openapi: 3.0.1
    info: {title: Name, description, version: Version (else the API's or stage's date)}
    servers: [{url: <ApiEndpoint>/{basePath}, variables: {basePath: {default: <stage>}}}]
    paths:
      /pets/{id}:
        parameters: [{name: id, in: path, required: true, ...}]    one per path variable
        get:                                        (ANY: x-amazon-apigateway-any-method)
          operationId, responses: {default: {description: "Default response for GET /pets/{id}"}}
          security: [{<authorizer name>: [scopes]}]
          x-amazon-apigateway-integration: {type: aws_proxy, uri, payloadFormatVersion, ...}
                                       (an AWS service integration: integrationSubtype,
                                       requestParameters, credentials instead of the uri)
      /$default: {x-amazon-apigateway-any-method: {isDefaultRoute: true, ...}}
    components.securitySchemes.<authorizer name>   oauth2 (JWT) or apiKey (Lambda), with
                                                   x-amazon-apigateway-authorizer
    x-amazon-apigateway-cors, tags (x-amazon-apigateway-tag-value),
    x-amazon-apigateway-importexport-version: "1.0"

Without extensions, every `x-amazon-apigateway-*` member is left out (and the API's tags,
which only that extension carries). A stage adds its name as the base path; the service
passes the routes that stage serves (its deployment, without AutoDeploy). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import orjson
import yaml

from .model import DEFAULT_STAGE, Api, Authorizer, Integration, Route, Stage
from .openapi import (
    ANY_METHOD,
    AUTHORIZER,
    CORS,
    ENDPOINT_CONFIGURATION,
    EXTENSION,
    IMPORTEXPORT_VERSION,
    INTEGRATION,
    TAG_VALUE,
)
from .routes import RouteKey

SPECIFICATIONS = ("OAS30",)
OUTPUT_TYPES = ("JSON", "YAML")
EXPORT_VERSIONS = ("1.0",)


def export_document(
    api: Api,
    routes: Iterable[Route],
    integrations: Mapping[str, Integration],
    authorizers: Mapping[str, Authorizer],
    *,
    stage: Stage | None = None,
    include_extensions: bool = True,
) -> dict[str, Any]:
    """The API's OpenAPI 3.0 document, as a dict (see `render`)."""
    names = _scheme_names(authorizers.values())
    info: dict[str, Any] = {"title": api.Name}
    if api.Description:
        info["description"] = api.Description
    info["version"] = api.Version or _stamp(stage.LastUpdatedDate if stage else api.CreatedDate)
    server: dict[str, Any] = {
        "url": f"{api.ApiEndpoint}/{{basePath}}",
        "variables": {"basePath": {"default": _base_path(stage)}},
    }
    if api.DisableExecuteApiEndpoint:
        server[ENDPOINT_CONFIGURATION] = {"disableExecuteApiEndpoint": True}
    paths: dict[str, dict[str, Any]] = {}
    for route in sorted(routes, key=lambda r: r.RouteKey):
        parsed = RouteKey.parse(route.RouteKey)
        path = f"/{DEFAULT_STAGE}" if parsed.is_default else parsed.path
        item = paths.setdefault(path, {})
        variables = [s.text + "+" * s.greedy for s in parsed.segments if s.variable]
        if variables:
            item["parameters"] = [_path_parameter(name) for name in variables]
        operation = _operation(route, integrations, authorizers, names)
        if parsed.is_default:
            item[ANY_METHOD] = {"isDefaultRoute": True, **operation}
        else:
            item[ANY_METHOD if parsed.method == "ANY" else parsed.method.lower()] = operation
    document: dict[str, Any] = {
        "openapi": "3.0.1",
        "info": info,
        "servers": [server],
        "paths": paths,
    }
    if authorizers:
        schemes = {names[a.AuthorizerId]: _scheme(a) for a in authorizers.values()}
        document["components"] = {"securitySchemes": schemes}
    if api.CorsConfiguration is not None:
        document[CORS] = api.CorsConfiguration.wire()
    if api.Tags:
        document["tags"] = [{"name": k, TAG_VALUE: v} for k, v in api.Tags.items()]
    document[IMPORTEXPORT_VERSION] = "1.0"
    if not include_extensions:
        document.pop("tags", None)
        return {
            k: _without_extensions(v) for k, v in document.items() if not k.startswith(EXTENSION)
        }
    return document


def render(document: dict[str, Any], output_type: str) -> bytes:
    if output_type == "YAML":
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True).encode()
    return orjson.dumps(document, option=orjson.OPT_INDENT_2)


def _operation(
    route: Route,
    integrations: Mapping[str, Integration],
    authorizers: Mapping[str, Authorizer],
    names: Mapping[str, str],
) -> dict[str, Any]:
    operation: dict[str, Any] = {}
    if route.OperationName:
        operation["operationId"] = route.OperationName
    operation["responses"] = {"default": {"description": f"Default response for {route.RouteKey}"}}
    if route.AuthorizerId is not None and route.AuthorizerId in authorizers:
        operation["security"] = [{names[route.AuthorizerId]: list(route.AuthorizationScopes or [])}]
    integration = integrations.get(route.integration_id or "")
    if integration is not None:
        found: dict[str, Any] = {
            "payloadFormatVersion": integration.PayloadFormatVersion,
            "type": integration.IntegrationType.lower(),
        }
        if integration.IntegrationSubtype is not None:  # an AWS service integration
            found["integrationSubtype"] = integration.IntegrationSubtype
            found["requestParameters"] = dict(integration.RequestParameters or {})
            if integration.CredentialsArn:
                found["credentials"] = integration.CredentialsArn
        else:
            found["httpMethod"] = integration.IntegrationMethod
            found["uri"] = integration.IntegrationUri
        found |= {
            "connectionType": integration.ConnectionType,
            "timeoutInMillis": integration.TimeoutInMillis,
        }
        operation[INTEGRATION] = found
        if integration.Description:
            operation[INTEGRATION]["description"] = integration.Description
    return operation


def _scheme(authorizer: Authorizer) -> dict[str, Any]:
    sources = ",".join(authorizer.IdentitySource)
    if authorizer.AuthorizerType == "JWT":
        jwt = authorizer.JwtConfiguration
        settings: dict[str, Any] = {
            "identitySource": sources,
            "jwtConfiguration": {
                "audience": list(jwt.Audience or []) if jwt else [],
                "issuer": jwt.Issuer if jwt else None,
            },
            "type": "jwt",
        }
        return {"type": "oauth2", "flows": {}, AUTHORIZER: settings}
    settings = {
        "identitySource": sources,
        "authorizerUri": authorizer.AuthorizerUri,
        "authorizerPayloadFormatVersion": authorizer.AuthorizerPayloadFormatVersion,
        "authorizerResultTtlInSeconds": authorizer.AuthorizerResultTtlInSeconds or 0,
        "type": "request",
        "enableSimpleResponses": bool(authorizer.EnableSimpleResponses),
    }
    # OpenAPI's apiKey names one header; several sources (or none) are "Unused", as AWS writes
    header = "Unused"
    if len(authorizer.IdentitySource) == 1 and authorizer.IdentitySource[0].startswith(
        "$request.header."
    ):
        header = authorizer.IdentitySource[0].removeprefix("$request.header.")
    return {"type": "apiKey", "name": header, "in": "header", AUTHORIZER: settings}


def _scheme_names(authorizers: Iterable[Authorizer]) -> dict[str, str]:
    """Authorizer id -> security scheme name: its Name, made unique (names need not be)."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for authorizer in authorizers:
        name = authorizer.Name
        if name in taken:
            name = f"{name}-{authorizer.AuthorizerId}"
        taken.add(name)
        names[authorizer.AuthorizerId] = name
    return names


def _path_parameter(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "description": f"Generated path parameter for {name}",
        "required": True,
        "schema": {"type": "string"},
    }


def _base_path(stage: Stage | None) -> str:
    return "" if stage is None or stage.StageName == DEFAULT_STAGE else stage.StageName


def _stamp(iso: str) -> str:
    """`2024-05-01T10:00:00Z` as AWS writes an export's version: `2024-05-01 10:00:00UTC`."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return moment.strftime("%Y-%m-%d %H:%M:%S") + "UTC"


def _without_extensions(node: object) -> object:
    if isinstance(node, dict):
        return {
            k: _without_extensions(v) for k, v in node.items() if not str(k).startswith(EXTENSION)
        }
    if isinstance(node, list):
        return [_without_extensions(v) for v in node]
    return node
