"""A REST API stage as Swagger 2.0 or OpenAPI 3.0 (GetExport), from the deployment the stage
serves, in the shape ImportRestApi reads, so an export imports back:

    info {title, description, version: the deployment's date}, host/servers with basePath
    the stage; paths with each method's parameters (from requestParameters), responses
    (methodResponses: headers and models), security (authorizers, api_key) and, with the
    `integrations` or `apigateway` extensions, x-amazon-apigateway-integration;
    definitions / components.schemas: the models; securityDefinitions / securitySchemes:
    authorizers (x-amazon-apigateway-authorizer) and api_key; with `apigateway`, request
    validators, gateway responses, binary media types and the policy too; with
    `documentation`, x-amazon-apigateway-documentation: the parts of the stage's
    documentation version (added by the caller, stages.py).

Pure: the caller reads the snapshot.
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

from stratus.errors import Invalid

from .model import Authorizer, GatewayResponse, Method, Model, RequestValidator, Resource, RestApi

EXPORT_TYPES = ("swagger", "oas30")
EXTENSIONS = ("integrations", "apigateway", "authorizers", "postman", "documentation")
_PARAMETER_KINDS = {"path": "path", "querystring": "query", "header": "header"}


def export(
    api: RestApi,
    stage: str,
    created: float,
    resources: list[Resource],
    authorizers: list[Authorizer],
    models: list[Model],
    validators: list[RequestValidator],
    gateway_responses: list[GatewayResponse],
    *,
    export_type: str,
    extensions: str | None,
    host: str,
) -> dict[str, Any]:
    if export_type not in EXPORT_TYPES:
        raise Invalid(f"Invalid export type {export_type!r}: swagger or oas30")
    wanted = {e.strip() for e in (extensions or "").split(",") if e.strip()}
    if not wanted <= set(EXTENSIONS):
        raise Invalid(f"Invalid extensions {extensions!r}: any of {', '.join(EXTENSIONS)}")
    with_integrations = bool(wanted & {"integrations", "apigateway"})
    oas3 = export_type == "oas30"
    ref = "#/components/schemas/" if oas3 else "#/definitions/"
    by_id = {a.id: a for a in authorizers}
    validator_names = {v.id: v.name for v in validators}
    paths: dict[str, Any] = {}
    for resource in sorted(resources, key=lambda r: r.path):
        operations = {}
        for name, method in sorted(resource.methods.items()):
            operation = _operation(method, by_id, validator_names, ref, oas3, with_integrations)
            key = "x-amazon-apigateway-any-method" if name == "ANY" else name.lower()
            operations[key] = operation
        if operations:
            paths[resource.path] = operations
    version = datetime.fromtimestamp(created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    document: dict[str, Any] = {
        "info": {"title": api.name, "version": version}
        | ({"description": api.description} if api.description else {}),
        "paths": paths,
    }
    schemas = {m.name: json.loads(m.schema_ or "{}") for m in models}
    security = _security(authorizers, resources)
    if oas3:
        document = {
            "openapi": "3.0.1",
            **document,
            "servers": [
                {"url": f"http://{host}/{{basePath}}",
                 "variables": {"basePath": {"default": stage}}}
            ],
            "components": {k: v for k, v in
                           (("schemas", schemas), ("securitySchemes", security)) if v},
        }  # fmt: skip
    else:
        document = {
            "swagger": "2.0",
            **document,
            "host": host,
            "basePath": f"/{stage}",
            "schemes": ["http"],
        }
        if schemas:
            document["definitions"] = schemas
        if security:
            document["securityDefinitions"] = security
    if "apigateway" in wanted:
        document |= _api_extensions(api, validators, gateway_responses)
    return document


def _operation(
    method: Method,
    authorizers: dict[str, Authorizer],
    validator_names: dict[str, str],
    ref: str,
    oas3: bool,
    with_integration: bool,
) -> dict[str, Any]:
    operation: dict[str, Any] = {}
    if method.operationName:
        operation["operationId"] = method.operationName
    parameters = []
    for source, required in sorted((method.requestParameters or {}).items()):
        parts = source.split(".", 3)
        kind, name = (parts[2], parts[3]) if len(parts) == 4 else ("", "")
        if kind in _PARAMETER_KINDS:
            parameter = {"name": name, "in": _PARAMETER_KINDS[kind], "required": bool(required)}
            parameter |= {"schema": {"type": "string"}} if oas3 else {"type": "string"}
            parameters.append(parameter)
    if parameters:
        operation["parameters"] = parameters
    models = method.requestModels or {}
    if models:
        if oas3:
            operation["requestBody"] = {
                "content": {t: {"schema": {"$ref": ref + m}} for t, m in models.items()},
                "required": True,
            }
        else:
            operation["consumes"] = sorted(models)
            body = {"in": "body", "name": next(iter(models.values())), "required": True}
            body["schema"] = {"$ref": ref + next(iter(models.values()))}
            operation.setdefault("parameters", []).append(body)
    operation["responses"] = {
        code: _response(response.responseParameters, response.responseModels, ref, oas3)
        for code, response in sorted((method.methodResponses or {}).items())
    } or {"200": {"description": "200 response"}}
    security: list[dict[str, list[str]]] = []
    authorizer = authorizers.get(method.authorizerId or "")
    if method.authorizationType == "AWS_IAM":
        security.append({"sigv4": []})
    elif authorizer is not None:
        security.append({authorizer.name: list(method.authorizationScopes or [])})
    if method.apiKeyRequired:
        security.append({"api_key": []})
    if security:
        operation["security"] = security
    if method.requestValidatorId in validator_names:
        operation["x-amazon-apigateway-request-validator"] = validator_names[
            method.requestValidatorId or ""
        ]
    integration = method.methodIntegration
    if with_integration and integration is not None:
        found = integration.wire()
        found["type"] = integration.type.lower()
        if "integrationResponses" in found:
            found["responses"] = {
                (r.get("selectionPattern") or "default"): {
                    k: v for k, v in r.items() if k != "selectionPattern"
                }
                for r in found.pop("integrationResponses").values()
            }
        operation["x-amazon-apigateway-integration"] = found
    return operation


def _response(
    parameters: dict[str, bool] | None, models: dict[str, str] | None, ref: str, oas3: bool
) -> dict[str, Any]:
    response: dict[str, Any] = {"description": "response"}
    headers = {
        name.removeprefix("method.response.header."): (
            {"schema": {"type": "string"}} if oas3 else {"type": "string"}
        )
        for name in parameters or {}
        if name.startswith("method.response.header.")
    }
    if headers:
        response["headers"] = headers
    if models:
        if oas3:
            response["content"] = {t: {"schema": {"$ref": ref + m}} for t, m in models.items()}
        else:
            response["schema"] = {"$ref": ref + next(iter(models.values()))}
    return response


def _security(authorizers: list[Authorizer], resources: list[Resource]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    methods = [m for r in resources for m in r.methods.values()]
    if any(m.apiKeyRequired for m in methods):
        found["api_key"] = {"type": "apiKey", "name": "x-api-key", "in": "header"}
    if any(m.authorizationType == "AWS_IAM" for m in methods):
        found["sigv4"] = {
            "type": "apiKey", "name": "Authorization", "in": "header",
            "x-amazon-apigateway-authtype": "awsSigv4",
        }  # fmt: skip
    for authorizer in authorizers:
        source = authorizer.identitySource or ""
        header = source.removeprefix("method.request.header.") if authorizer.type == "TOKEN" else (
            "Unused"
        )  # fmt: skip
        settings: dict[str, Any] = {"type": authorizer.type.lower()}
        for member in ("authorizerUri", "authorizerCredentials", "identityValidationExpression",
                       "authorizerResultTtlInSeconds", "providerARNs"):  # fmt: skip
            value = getattr(authorizer, member)
            if value is not None:
                settings[member] = value
        if authorizer.type == "REQUEST":
            settings["identitySource"] = source
        found[authorizer.name] = {
            "type": "apiKey", "name": header, "in": "header",
            "x-amazon-apigateway-authtype": "cognito_user_pools"
            if authorizer.type == "COGNITO_USER_POOLS" else "custom",
            "x-amazon-apigateway-authorizer": settings,
        }  # fmt: skip
    return found


def _api_extensions(
    api: RestApi, validators: list[RequestValidator], responses: list[GatewayResponse]
) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if validators:
        found["x-amazon-apigateway-request-validators"] = {
            v.name: {
                "validateRequestBody": v.validateRequestBody,
                "validateRequestParameters": v.validateRequestParameters,
            }
            for v in validators
        }
    if responses:
        found["x-amazon-apigateway-gateway-responses"] = {
            r.responseType: {
                k: v for k, v in r.wire().items() if k not in ("responseType", "defaultResponse")
            }
            for r in responses
        }
    if api.binaryMediaTypes:
        found["x-amazon-apigateway-binary-media-types"] = list(api.binaryMediaTypes)
    if api.policy:
        with contextlib.suppress(ValueError):  # a policy that is not JSON is left out
            found["x-amazon-apigateway-policy"] = json.loads(api.policy)
    return found
