"""OpenAPI 3 and Swagger 2 documents with API Gateway's extensions -> a REST API definition.

ImportRestApi and PutRestApi take such a document, and so does CloudFormation's
`AWS::ApiGateway::RestApi` `Body`, which is what the SAM translator makes of every
`AWS::Serverless::Api` (and the implicit ServerlessRestApi); HTTP APIs read theirs in
http/openapi.py. What is read:

    info.title / description / version            the API's name, description, version
    paths./p.<get|post|...>                         resources (ancestors made as needed)
    x-amazon-apigateway-any-method                  the ANY method
    x-amazon-apigateway-integration                 the method's integration (type aws_proxy
        uri, httpMethod, timeoutInMillis,             -> AWS_PROXY, passthroughBehavior
        passthroughBehavior, responses ...            when_no_match -> WHEN_NO_MATCH, ...)
    parameters (path, query, header; body)          requestParameters; requestModels
    requestBody.content.<type>.schema.$ref (3)      requestModels
    responses.<code> (headers, schema / content)    methodResponses
    security + securityDefinitions (2) or           CUSTOM + authorizerId, AWS_IAM,
      components.securitySchemes (3):                 COGNITO_USER_POOLS + scopes,
      x-amazon-apigateway-authorizer (token,          apiKeyRequired (an apiKey scheme for
      request, cognito_user_pools),                   the x-api-key header), NONE
      x-amazon-apigateway-authtype
    definitions (2) / components.schemas (3)        models (application/json)
    x-amazon-apigateway-request-validators          request validators, by name; the
    x-amazon-apigateway-request-validator           default one (top level) or the method's
    x-amazon-apigateway-binary-media-types          binaryMediaTypes
    x-amazon-apigateway-api-key-source              apiKeySource (HEADER | AUTHORIZER)
    x-amazon-apigateway-minimum-compression-size    minimumCompressionSize
    x-amazon-apigateway-policy                      policy
    x-amazon-apigateway-endpoint-configuration      disableExecuteApiEndpoint

Security follows OpenAPI: a method's `security` replaces the document's, `[]` means none. A
scheme named in `security` but not defined is ignored with a warning, except `NONE`, which
SAM writes for `Authorizer: NONE` and means exactly that. Other things API Gateway would read
but Stratus does not keep (gateway responses, documentation) are warnings too; with
failOnWarnings they fail the import.

The document is loaded, its `$ref`s followed and its base path found as ../openapi.py does
for both kinds of API (Swagger 2's `basePath`, OpenAPI 3's servers).

`read_definition` is pure: names only, no ids (install.py installs a Definition into an
API); each operation is read by openapi_operations.py. Errors are BadRequestException
"Invalid OpenAPI input: ..." naming the place.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..openapi import InvalidDocument, check_basepath, load_document, mapping
from .documentation import DOCUMENTATION, documentation_parts
from .openapi_operations import Operation, RestDocument, read_operation

OPERATIONS = {
    "get": "GET", "post": "POST", "put": "PUT", "patch": "PATCH", "delete": "DELETE",
    "head": "HEAD", "options": "OPTIONS", "x-amazon-apigateway-any-method": "ANY",
}  # fmt: skip
_AUTHORIZER_FIELDS = (
    "authorizerUri", "authorizerCredentials", "identitySource", "identityValidationExpression",
    "authorizerResultTtlInSeconds", "providerARNs",
)  # fmt: skip


@dataclass
class Definition:
    api: dict[str, Any]  # RestApi members the document sets
    paths: dict[str, dict[str, Operation]]  # "/pets/{id}" -> "GET" -> Operation
    authorizers: dict[str, dict[str, Any]] = field(default_factory=dict)  # members, no id
    models: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> JSON Schema
    validators: dict[str, dict[str, Any]] = field(default_factory=dict)
    gateway_responses: dict[str, dict[str, Any]] = field(default_factory=dict)  # by type
    # x-amazon-apigateway-documentation's parts (location, properties as JSON text); None
    # when the document has no such section (the API's parts are then left alone)
    documentation: list[tuple[Any, str]] | None = None
    warnings: list[str] = field(default_factory=list)


def read_definition(
    body: str | bytes | Mapping[str, Any], basepath: str | None = "ignore"
) -> Definition:
    mode = check_basepath(basepath)
    document = load_document(body, expected="a Swagger 2.0 or OpenAPI 3 document")
    return _Reader(document, mode).read()


class _Reader(RestDocument):
    def __init__(self, doc: dict[str, Any], basepath: str) -> None:
        super().__init__(doc)
        self.basepath = basepath

    def read(self) -> Definition:
        definition = Definition(api=self._api(), paths={})
        definition.authorizers = self._authorizers()
        definition.models = self._models()
        definition.validators = self._validators()
        if isinstance(self.doc.get(DOCUMENTATION), dict):
            found, warnings = documentation_parts(self.doc[DOCUMENTATION])
            definition.documentation = found
            definition.warnings += warnings
        default_validator = self.doc.get("x-amazon-apigateway-request-validator")
        if default_validator is not None and default_validator not in definition.validators:
            raise InvalidDocument(
                f"x-amazon-apigateway-request-validator names no validator: {default_validator!r}"
            )
        prefix = self.path_prefix(self.basepath)
        for path, item in mapping(self.doc.get("paths"), "paths").items():
            if not isinstance(path, str) or not path.startswith("/"):
                raise InvalidDocument(f"path {path!r} must start with /")
            item = self.resolve(item, f"paths.{path}")
            if not isinstance(item, dict):
                raise InvalidDocument(f"paths.{path} must be an object")
            full = (prefix + path).rstrip("/") or "/"
            operations = definition.paths.setdefault(full, {})
            for key, operation in item.items():
                if key in OPERATIONS:
                    where = f"paths.{path}.{key}"
                    operations[OPERATIONS[key]] = read_operation(
                        self,
                        mapping(operation, where),
                        item.get("parameters") or [],
                        where,
                        default_validator,
                    )
                    if operations[OPERATIONS[key]].validator not in (None, *definition.validators):
                        raise InvalidDocument(
                            f"{where}: x-amazon-apigateway-request-validator names no validator"
                        )
        where = "x-amazon-apigateway-gateway-responses"
        for response_type, response in mapping(self.doc.get(where), where).items():
            response = mapping(response, f"{where}.{response_type}")
            fields = {
                k: response[k]
                for k in ("statusCode", "responseParameters", "responseTemplates")
                if response.get(k) is not None
            }
            if "statusCode" in fields:  # documents write it as a number or a string
                fields["statusCode"] = str(fields["statusCode"])
            definition.gateway_responses[response_type] = fields
        if "x-amazon-apigateway-documentation" in self.doc:
            self.warnings.append(
                "x-amazon-apigateway-documentation is not supported by Stratus yet and was ignored"
            )
        definition.warnings = self.warnings
        return definition

    # -- the API -------------------------------------------------------------------------------
    def _api(self) -> dict[str, Any]:
        info = mapping(self.doc.get("info"), "info")
        api: dict[str, Any] = {}
        for source, target in (
            ("title", "name"),
            ("description", "description"),
            ("version", "version"),
        ):
            if info.get(source) is not None:
                api[target] = str(info[source])
        media = self.doc.get("x-amazon-apigateway-binary-media-types")
        if media is not None:
            if not isinstance(media, list) or not all(isinstance(m, str) for m in media):
                raise InvalidDocument(
                    "x-amazon-apigateway-binary-media-types must be a list of media types"
                )
            api["binaryMediaTypes"] = media
        key_source = self.doc.get("x-amazon-apigateway-api-key-source")
        if key_source is not None:
            if str(key_source).upper() not in ("HEADER", "AUTHORIZER"):
                raise InvalidDocument(
                    "x-amazon-apigateway-api-key-source must be HEADER or AUTHORIZER"
                )
            api["apiKeySource"] = str(key_source).upper()
        size = self.doc.get("x-amazon-apigateway-minimum-compression-size")
        if size is not None:
            api["minimumCompressionSize"] = size
        policy = self.doc.get("x-amazon-apigateway-policy")
        if policy is not None:
            api["policy"] = policy if isinstance(policy, str) else json.dumps(policy)
        endpoint = mapping(
            self.doc.get("x-amazon-apigateway-endpoint-configuration"),
            "x-amazon-apigateway-endpoint-configuration",
        )
        if "disableExecuteApiEndpoint" in endpoint:
            api["disableExecuteApiEndpoint"] = bool(endpoint["disableExecuteApiEndpoint"])
        return api

    def _authorizers(self) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for name, scheme in self.schemes.items():
            scheme = mapping(
                self.resolve(scheme, f"securitySchemes.{name}"), f"securitySchemes.{name}"
            )
            extension = scheme.get("x-amazon-apigateway-authorizer")
            if extension is None:
                continue
            extension = mapping(extension, f"{name}.x-amazon-apigateway-authorizer")
            kind = str(extension.get("type", "")).upper()
            if kind not in ("TOKEN", "REQUEST", "COGNITO_USER_POOLS"):
                self.warnings.append(
                    f"Authorizer {name}: type {extension.get('type')!r} is not one of token, "
                    "request, cognito_user_pools; ignored"
                )
                continue
            authorizer: dict[str, Any] = {"name": name, "type": kind}
            for key in _AUTHORIZER_FIELDS:
                if extension.get(key) is not None:
                    authorizer[key] = extension[key]
            if (
                kind == "TOKEN"
                and "identitySource" not in authorizer
                and scheme.get("in") == "header"
            ):
                authorizer["identitySource"] = f"method.request.header.{scheme.get('name')}"
            if scheme.get("x-amazon-apigateway-authtype") is not None:
                authorizer["authType"] = str(scheme["x-amazon-apigateway-authtype"])
            found[name] = authorizer
        return found

    def _models(self) -> dict[str, dict[str, Any]]:
        schemas = self.at("components", "schemas") if self.v3 else self.doc.get("definitions")
        where = "components.schemas" if self.v3 else "definitions"
        return {
            name: mapping(schema, f"{where}.{name}")
            for name, schema in mapping(schemas, where).items()
        }

    def _validators(self) -> dict[str, dict[str, Any]]:
        where = "x-amazon-apigateway-request-validators"
        found = {}
        for name, validator in mapping(self.doc.get(where), where).items():
            validator = mapping(validator, f"{where}.{name}")
            found[name] = {
                "name": name,
                "validateRequestBody": bool(validator.get("validateRequestBody", False)),
                "validateRequestParameters": bool(
                    validator.get("validateRequestParameters", False)
                ),
            }
        return found
