"""Reading one operation of an OpenAPI document: the method API Gateway makes of it.

    operationId                                    operationName
    parameters (path, query, header; body)         requestParameters; requestModels
    requestBody.content.<type>.schema.$ref (3)     requestModels
    responses.<code> (headers, schema / content)   methodResponses
    security (the operation's, else the document's; [] means none)
                                                   authorizationType, authorizer (by name),
                                                   apiKeyRequired, authorizationScopes
    x-amazon-apigateway-auth                       authorizationType AWS_IAM or NONE
    x-amazon-apigateway-integration                methodIntegration (enums upper-cased,
                                                   `responses` keyed by selection pattern)
    x-amazon-apigateway-request-validator          the validator (by name)

`Document` is what every part of the reading shares: the document, its version, its security
schemes, `$ref` resolution inside it, and the warnings so far (rest_openapi.py reads the rest).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stratus.errors import Invalid

_IN = {"path": "path", "query": "querystring", "header": "header"}
_INTEGRATION_FIELDS = (
    "uri", "httpMethod", "credentials", "requestParameters", "requestTemplates", "cacheNamespace",
    "cacheKeyParameters", "connectionId", "tlsConfig", "timeoutInMillis",
)  # fmt: skip
_UPPER_FIELDS = ("type", "passthroughBehavior", "contentHandling", "connectionType")


class InvalidDocument(Invalid):
    def __init__(self, message: str) -> None:
        super().__init__(f"Invalid OpenAPI input: {message}")


@dataclass
class Operation:
    """One method as the document defines it; authorizer and validator by name."""

    method: dict[str, Any]  # Method members, less authorizerId and requestValidatorId
    authorizer: str | None = None
    validator: str | None = None


class Document:
    """A Swagger 2 or OpenAPI 3 document being read."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        if str(doc.get("swagger", "")).startswith("2"):
            self.v3 = False
        elif str(doc.get("openapi", "")).startswith("3"):
            self.v3 = True
        else:
            raise InvalidDocument(
                "give a Swagger 2.0 (swagger: '2.0') or OpenAPI 3 (openapi: 3.0.1) document"
            )
        self.warnings: list[str] = []
        self.schemes = self.mapping(
            self.at("components", "securitySchemes") if self.v3 else doc.get("securityDefinitions"),
            "securitySchemes" if self.v3 else "securityDefinitions",
        )

    def at(self, *keys: str) -> Any:
        found: Any = self.doc
        for key in keys:
            found = found.get(key) if isinstance(found, dict) else None
        return found

    @staticmethod
    def mapping(value: Any, where: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise InvalidDocument(f"{where} must be an object")
        return value

    def resolve(self, value: Any, where: str) -> Any:
        """`{"$ref": "#/..."}` replaced by what it points at, inside this document."""
        seen = 0
        while isinstance(value, dict) and isinstance(value.get("$ref"), str):
            ref = value["$ref"]
            if not ref.startswith("#/") or seen > 32:
                raise InvalidDocument(
                    f"{where}: cannot follow $ref {ref!r} (only #/... inside the document)"
                )
            value = self.at(*(p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")))
            if value is None:
                raise InvalidDocument(f"{where}: $ref {ref!r} points at nothing")
            seen += 1
        return value


def read_operation(
    document: Document,
    operation: dict[str, Any],
    shared: list[Any],
    where: str,
    default_validator: str | None,
) -> Operation:
    method: dict[str, Any] = {}
    if operation.get("operationId") is not None:
        method["operationName"] = str(operation["operationId"])
    parameters, models = _parameters(
        document, [*shared, *(operation.get("parameters") or [])], operation, where
    )
    if parameters:
        method["requestParameters"] = parameters
    if models:
        method["requestModels"] = models
    responses = _responses(document, operation, where)
    if responses:
        method["methodResponses"] = responses
    authorizer = _security(document, operation, method, where)
    auth = operation.get("x-amazon-apigateway-auth")
    if isinstance(auth, dict) and str(auth.get("type", "")).upper() in ("AWS_IAM", "NONE"):
        method["authorizationType"] = str(auth["type"]).upper()
    integration = operation.get("x-amazon-apigateway-integration")
    if integration is None:
        document.warnings.append(
            f"{where} has no x-amazon-apigateway-integration: it cannot be deployed"
        )
    else:
        method["methodIntegration"] = _integration(
            document, document.mapping(integration, where), where
        )
    validator = operation.get("x-amazon-apigateway-request-validator", default_validator)
    return Operation(method, authorizer, validator)


def _parameters(
    document: Document, parameters: list[Any], operation: dict[str, Any], where: str
) -> tuple[dict[str, bool], dict[str, str]]:
    request: dict[str, bool] = {}
    models: dict[str, str] = {}
    if not isinstance(parameters, list):
        raise InvalidDocument(f"{where}.parameters must be a list")
    for parameter in parameters:
        parameter = document.mapping(
            document.resolve(parameter, f"{where}.parameters"), f"{where}.parameters"
        )
        place, name = parameter.get("in"), parameter.get("name")
        if place in _IN and name:
            required = place == "path" or bool(parameter.get("required", False))
            request[f"method.request.{_IN[place]}.{name}"] = required
        elif place == "body":
            types = (
                operation.get("consumes") or document.doc.get("consumes") or ["application/json"]
            )
            model = _model_name(document, parameter.get("schema"), f"{where}.parameters.{name}")
            if model:
                models.update(dict.fromkeys(types, model))
    body = operation.get("requestBody")
    if body is not None:
        body = document.mapping(
            document.resolve(body, f"{where}.requestBody"), f"{where}.requestBody"
        )
        for media, content in document.mapping(
            body.get("content"), f"{where}.requestBody.content"
        ).items():
            model = _model_name(document, (content or {}).get("schema"), f"{where}.requestBody")
            if model:
                models[media] = model
    return request, models


def _model_name(document: Document, schema: Any, where: str) -> str | None:
    """The model a schema names by `$ref`; an inline schema is not kept (a warning)."""
    if not isinstance(schema, dict):
        return None
    ref = schema.get("$ref")
    prefix = "#/components/schemas/" if document.v3 else "#/definitions/"
    if isinstance(ref, str) and ref.startswith(prefix):
        return ref[len(prefix) :]
    document.warnings.append(
        f"{where}: only a $ref to {prefix}<name> becomes a request model; ignored"
    )
    return None


def _responses(
    document: Document, operation: dict[str, Any], where: str
) -> dict[str, dict[str, Any]]:
    found = {}
    responses = document.mapping(operation.get("responses"), f"{where}.responses")
    for code, response in responses.items():
        if not str(code).isdigit():
            continue
        response = document.mapping(
            document.resolve(response, f"{where}.responses.{code}"), f"{where}.responses"
        )
        entry: dict[str, Any] = {"statusCode": str(code)}
        headers = document.mapping(response.get("headers"), f"{where}.responses.{code}.headers")
        if headers:
            entry["responseParameters"] = {f"method.response.header.{h}": False for h in headers}
        models: dict[str, str] = {}
        if document.v3:
            for media, content in document.mapping(
                response.get("content"), f"{where}.responses"
            ).items():
                ref = ((content or {}).get("schema") or {}).get("$ref", "")
                if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                    models[media] = ref.rsplit("/", 1)[1]
        else:
            ref = (response.get("schema") or {}).get("$ref", "")
            if isinstance(ref, str) and ref.startswith("#/definitions/"):
                for media in (
                    operation.get("produces")
                    or document.doc.get("produces")
                    or ["application/json"]
                ):
                    models[media] = ref.rsplit("/", 1)[1]
        if models:
            entry["responseModels"] = models
        found[str(code)] = entry
    return found


def _security(
    document: Document, operation: dict[str, Any], method: dict[str, Any], where: str
) -> str | None:
    """Sets authorizationType, apiKeyRequired and scopes; returns the authorizer's name."""
    requirements = operation.get("security", document.doc.get("security")) or []
    if not isinstance(requirements, list):
        raise InvalidDocument(f"{where}.security must be a list")
    method["authorizationType"] = "NONE"
    authorizer = None
    for requirement in requirements:
        for name, scopes in document.mapping(requirement, f"{where}.security").items():
            scheme = document.schemes.get(name)
            if name == "NONE" and scheme is None:
                continue
            if not isinstance(scheme, dict):
                document.warnings.append(
                    f"{where}: security scheme {name!r} is not defined; ignored"
                )
                continue
            scheme = document.resolve(scheme, name)
            extension = scheme.get("x-amazon-apigateway-authorizer")
            kind = (
                str((extension or {}).get("type", "")).upper()
                if isinstance(extension, dict)
                else ""
            )
            if kind in ("TOKEN", "REQUEST") and authorizer is None:
                method["authorizationType"], authorizer = "CUSTOM", name
            elif kind == "COGNITO_USER_POOLS" and authorizer is None:
                method["authorizationType"], authorizer = "COGNITO_USER_POOLS", name
                if scopes:
                    method["authorizationScopes"] = list(scopes)
            elif str(scheme.get("x-amazon-apigateway-authtype", "")).lower() == "awssigv4":
                method["authorizationType"] = "AWS_IAM"
            elif (
                scheme.get("type") == "apiKey"
                and str(scheme.get("name", "")).lower() == "x-api-key"
            ):
                method["apiKeyRequired"] = True
            elif extension is None:
                document.warnings.append(
                    f"{where}: security scheme {name!r} is not one API Gateway uses; ignored"
                )
    return authorizer


def _integration(document: Document, integration: dict[str, Any], where: str) -> dict[str, Any]:
    found: dict[str, Any] = {
        k: integration[k] for k in _INTEGRATION_FIELDS if integration.get(k) is not None
    }
    for key in _UPPER_FIELDS:
        if integration.get(key) is not None:
            found[key] = str(integration[key]).upper()
    if "type" not in found:
        raise InvalidDocument(
            f"{where}.x-amazon-apigateway-integration needs a type (e.g. aws_proxy)"
        )
    if "httpMethod" in found:
        found["httpMethod"] = str(found["httpMethod"]).upper()
    responses = {}
    for pattern, response in document.mapping(
        integration.get("responses"), f"{where} integration responses"
    ).items():
        response = document.mapping(response, f"{where} integration response {pattern}")
        code = str(response.get("statusCode", ""))
        entry: dict[str, Any] = {"statusCode": code}
        if pattern != "default":
            entry["selectionPattern"] = pattern
        for key in ("responseParameters", "responseTemplates"):
            if response.get(key) is not None:
                entry[key] = response[key]
        if response.get("contentHandling") is not None:
            entry["contentHandling"] = str(response["contentHandling"]).upper()
        responses[code] = entry
    if responses:
        found["integrationResponses"] = responses
    return found
