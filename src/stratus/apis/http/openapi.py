"""HTTP APIs from OpenAPI 3.0 documents, as ImportApi and ReimportApi read them.

What AWS reads ("Working with OpenAPI definitions for HTTP APIs" and the extensions' pages):

    openapi: 3.0.x                                 Swagger 2.0, or no `openapi`, is an error
    x-amazon-apigateway-importexport-version       "1.0" only
    info.title / .description / .version           the API's Name, Description, Version
    paths./p.get|put|post|delete|patch|head|options    route "GET /p", ...
    paths./p.x-amazon-apigateway-any-method            route "ANY /p"
    paths./$default.x-amazon-apigateway-any-method     the $default route (or isDefaultRoute)
        x-amazon-apigateway-integration     inline, or {$ref: #/components/x-amazon-apigateway-
                                            integrations/<name>} (shared by its routes); with
                                            integrationSubtype, an AWS service integration
                                            (requestParameters, credentials: subtypes.py)
        security: [{<scheme>: [scopes]}]    one requirement at most; [] or {NONE: []}: none
        operationId                         the route's OperationName
    security                                the default of operations without their own
    components.securitySchemes.<name>.x-amazon-apigateway-authorizer   authorizer <name>
    x-amazon-apigateway-cors                the CorsConfiguration
    tags[].name / x-amazon-apigateway-tag-value    the API's tags
    servers[].x-amazon-apigateway-endpoint-configuration.disableExecuteApiEndpoint

Findings come in AWS's three kinds:
- errors (Invalid; nothing is created): a malformed document, or one Stratus cannot honour
  (AWS service integrations of services it lacks, IAM authorization, REST's `token` authorizers,
  several security requirements on one operation, a dangling $ref);
- warnings (the import goes on without that part; with failOnWarnings it fails): integration
  types HTTP APIs lack (AWS, HTTP, MOCK), REST-only extensions, TRACE operations, a security
  scheme without an authorizer (that route is imported unprotected, and the warning says so);
- info (ImportInfo): properties valid in OpenAPI that HTTP APIs ignore (request bodies).

`${AWS::Region}`, `${AWS::AccountId}` and `${AWS::Partition}` in URIs are replaced ("AWS
variables for OpenAPI import"). The base path, the `basePath` server variable or else the first
server URL's path, is ignored, prepended to every path, or prepended without its first segment
(`basepath` ignore | prepend | split; "Set the OpenAPI basePath property"). Loading, `$ref`s,
the base path and the variables are ../openapi.py's, shared with REST APIs.

Where AWS does not say, Stratus chooses: an integration without payloadFormatVersion gets 1.0
(what REST API exports, migrated as AWS suggests, expect) with a warning; an operation without
an integration is a route without a target, as CreateRoute allows (404 when called).

Pure: no I/O. `ApiService.import_api` gives ids to the result and stores it. One module past
400 lines on purpose: every part reads the same document through the same `$ref` resolution
into the same lists of findings (`_Reader`); split, they would pass all of that around.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pydantic

from stratus.errors import Invalid, Validation
from stratus.validation import describe

from ..openapi import Document, check_basepath, load_document, mapping, substitute
from ..shape import function_of
from .model import Cors, CreateAuthorizerRequest, CreateIntegrationRequest, TagMap
from .routes import DEFAULT, RouteKey

EXTENSION = "x-amazon-apigateway-"
ANY_METHOD = "x-amazon-apigateway-any-method"
INTEGRATION = "x-amazon-apigateway-integration"
AUTHORIZER = "x-amazon-apigateway-authorizer"
CORS = "x-amazon-apigateway-cors"
IMPORTEXPORT_VERSION = "x-amazon-apigateway-importexport-version"
ENDPOINT_CONFIGURATION = "x-amazon-apigateway-endpoint-configuration"
TAG_VALUE = "x-amazon-apigateway-tag-value"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
_OPENID_CONFIGURATION = "/.well-known/openid-configuration"
# What an aws_proxy integration object may say that Stratus reads; the rest is ImportInfo.
_INTEGRATION_READ = frozenset(
    {"type", "uri", "httpMethod", "payloadFormatVersion", "timeoutInMillis", "description",
     "integrationSubtype", "requestParameters", "credentials"}
)  # fmt: skip
M = TypeVar("M", bound=pydantic.BaseModel)
_TAGS: pydantic.TypeAdapter[dict[str, str]] = pydantic.TypeAdapter(TagMap)


@dataclass(frozen=True, slots=True)
class ImportedRoute:
    """A route to create; it names its integration and authorizer by their document keys."""

    RouteKey: str
    Integration: str | None = None  # a key of Definition.Integrations
    Authorizer: str | None = None  # a key of Definition.Authorizers (its security scheme)
    AuthorizationType: str = "NONE"  # NONE | JWT | CUSTOM | AWS_IAM
    AuthorizationScopes: tuple[str, ...] = ()
    OperationName: str | None = None


@dataclass(frozen=True, slots=True)
class Definition:
    """Everything an OpenAPI document says about an HTTP API, checked."""

    Name: str
    Description: str | None = None
    Version: str | None = None
    Tags: Mapping[str, str] = field(default_factory=dict)
    CorsConfiguration: Cors | None = None
    DisableExecuteApiEndpoint: bool = False
    Routes: tuple[ImportedRoute, ...] = ()
    Integrations: Mapping[str, CreateIntegrationRequest] = field(default_factory=dict)
    Authorizers: Mapping[str, CreateAuthorizerRequest] = field(default_factory=dict)
    Warnings: tuple[str, ...] = ()
    ImportInfo: tuple[str, ...] = ()


def parse_definition(
    body: str | bytes | Mapping[str, Any],
    *,
    basepath: str | None = "ignore",
    region: str,
    account_id: str,
    partition: str = "aws",
) -> Definition:
    """The HTTP API an OpenAPI 3.0 document (a dict, or JSON or YAML text) defines; basepath
    None is the default, ignore."""
    mode = check_basepath(basepath)
    document = load_document(body, expected="an OpenAPI 3.0 document")
    _check_version(document)
    variables = {"AWS::Region": region, "AWS::AccountId": account_id, "AWS::Partition": partition}
    return _Reader(document, variables).read(mode)


def _check_version(document: dict[str, Any]) -> None:
    if "swagger" in document:
        raise Invalid(
            f"HTTP APIs support only OpenAPI 3.0 definitions, not Swagger {document['swagger']}: "
            "convert the document to OpenAPI 3.0 (openapi: 3.0.1)"
        )
    version = document.get("openapi")
    if not isinstance(version, str | float) or not re.fullmatch(r"3\.0(\.\d+)?", str(version)):
        raise Invalid(
            f"Invalid OpenAPI version {version!r}: HTTP APIs import OpenAPI 3.0 definitions "
            "(openapi: 3.0.1)"
        )
    export_version = document.get(IMPORTEXPORT_VERSION)
    if export_version is not None and str(export_version) != "1.0":
        raise Invalid(f"Invalid {IMPORTEXPORT_VERSION} {export_version!r}: the only version is 1.0")


class _Reader(Document):
    """Reads one document, collecting warnings and info as it goes."""

    def __init__(self, document: dict[str, Any], variables: dict[str, str]) -> None:
        super().__init__(document)
        self.variables = variables
        self.warnings: list[str] = []
        self.info: list[str] = []
        self.integrations: dict[str, CreateIntegrationRequest] = {}
        self.authorizers: dict[str, CreateAuthorizerRequest] = {}
        # security scheme -> "jwt" | "request" | "iam" | None (no authorizer: not enforceable)
        self.schemes: dict[str, str | None] = {}

    def read(self, basepath: str) -> Definition:
        info = _object(self.doc.get("info"), "info")
        name = info.get("title")
        if not isinstance(name, str) or not 1 <= len(name) <= 128:
            raise Invalid("info.title is required (1 to 128 characters): it names the API")
        description = info.get("description")
        if description is not None and (
            not isinstance(description, str) or len(description) > 1024
        ):
            raise Invalid("info.description must be text of at most 1024 characters")
        version = info.get("version")
        for key in self.doc:
            if str(key).startswith(EXTENSION) and key not in (CORS, IMPORTEXPORT_VERSION):
                self._unsupported(str(key), "the document")
        self._security_schemes()
        prefix = self.path_prefix(basepath)
        routes: dict[str, ImportedRoute] = {}
        default_security = self.doc.get("security")
        for path, item in _object(self.doc.get("paths"), "paths").items():
            for route in self._path(str(path), item, prefix, default_security):
                if route.RouteKey in routes:
                    raise Invalid(f"The document defines route {route.RouteKey} twice")
                routes[route.RouteKey] = route
        return Definition(
            Name=name,
            Description=description,
            Version=None if version is None else str(version),
            Tags=self._tags(),
            CorsConfiguration=self._cors(),
            DisableExecuteApiEndpoint=self._endpoint_disabled(),
            Routes=tuple(routes.values()),
            Integrations=self.integrations,
            Authorizers=self.authorizers,
            Warnings=tuple(self.warnings),
            ImportInfo=tuple(self.info),
        )

    # -- routes ---------------------------------------------------------------------------
    def _path(
        self, path: str, item: object, prefix: str, default_security: object
    ) -> list[ImportedRoute]:
        item = _object(self.resolve(item, f"paths.{path}"), f"paths.{path}")
        default_path = path in (DEFAULT, f"/{DEFAULT}")
        routes = []
        for key, operation in item.items():
            key = str(key)
            if key == ANY_METHOD:
                operation = self.resolve(operation, f"{ANY_METHOD} of {path}")
                is_default = default_path or (
                    isinstance(operation, dict) and operation.get("isDefaultRoute") is True
                )
                route_key = DEFAULT if is_default else f"ANY {_full_path(path, prefix)}"
            elif key in _METHODS:
                if default_path:
                    raise Invalid(
                        f"Invalid operation {key} under {path}: the $default route takes only "
                        f"{ANY_METHOD}"
                    )
                route_key = f"{key.upper()} {_full_path(path, prefix)}"
            elif key == "trace":
                self.warnings.append(f"TRACE {path} skipped: HTTP APIs do not route TRACE")
                continue
            elif key.startswith(EXTENSION):
                self._unsupported(key, f"paths.{path}")
                continue
            else:  # parameters, summary, description, servers: not operations
                continue
            routes.append(self._route(route_key, operation, default_security))
        return routes

    def _route(self, route_key: str, operation: object, default_security: object) -> ImportedRoute:
        operation = _object(self.resolve(operation, route_key), f"the operation of {route_key}")
        try:
            RouteKey.parse(route_key)
        except Validation as exc:
            raise Invalid(exc.message) from exc
        if "requestBody" in operation:
            self.info.append(
                f"{route_key}: requestBody ignored; HTTP APIs do not validate requests"
            )
        for key in operation:
            if str(key).startswith(EXTENSION) and key != INTEGRATION:
                self._unsupported(str(key), route_key)
        kind, authorizer, scopes = self._authorization(
            route_key, operation.get("security", default_security)
        )
        name = operation.get("operationId")
        return ImportedRoute(
            RouteKey=route_key,
            Integration=self._integration(route_key, operation.get(INTEGRATION)),
            Authorizer=authorizer,
            AuthorizationType=kind,
            AuthorizationScopes=scopes,
            OperationName=None if name is None else str(name),
        )

    # -- integrations ---------------------------------------------------------------------
    def _integration(self, route_key: str, raw: object) -> str | None:
        if raw is None:
            return None
        # Routes naming the same component share one integration; inline ones get their own.
        key = (
            raw["$ref"] if isinstance(raw, dict) and isinstance(raw.get("$ref"), str) else route_key
        )
        if key in self.integrations:
            return key
        where = f"the integration of {route_key}"
        found = _object(self.resolve(raw, where), where)
        kind = str(found.get("type", "")).upper()
        if kind in ("AWS", "HTTP", "MOCK"):
            self.warnings.append(
                f"Unable to create {where}: HTTP APIs support only AWS_PROXY and HTTP_PROXY "
                f"integrations, not {kind}; the route has no integration"
            )
            return None
        if kind == "HTTP_PROXY":
            return self._http_proxy(key, where, found)
        if kind != "AWS_PROXY":
            raise Invalid(
                f"Invalid integration type {found.get('type')!r} in {where}: write aws_proxy "
                "or http_proxy"
            )
        if "integrationSubtype" in found:
            return self._service(key, where, found)
        uri = found.get("uri")
        if not isinstance(uri, str):
            raise Invalid(
                f"{where} needs a uri: the function's ARN, or arn:aws:apigateway:{{region}}:"
                "lambda:path/2015-03-31/functions/{arn}/invocations"
            )
        uri = self._aws(uri)
        function_of(uri)
        version = _format_version(found.get("payloadFormatVersion"), where)
        if version is None:
            self.warnings.append(f"{where} has no payloadFormatVersion; it uses 1.0")
        fields = {
            "IntegrationType": "AWS_PROXY",
            "IntegrationUri": uri,
            "PayloadFormatVersion": version or "1.0",
            "TimeoutInMillis": found.get("timeoutInMillis"),
            "Description": found.get("description"),
        }
        return self._add_integration(key, fields, found, where)

    def _http_proxy(self, key: str, where: str, found: dict[str, Any]) -> str:
        """An http_proxy integration: `uri` (an http(s) URL) and `httpMethod` (ANY by
        default); CreateIntegration's checks apply when the API is created."""
        uri = found.get("uri")
        if not isinstance(uri, str):
            raise Invalid(f"{where} needs a uri: the http(s) URL of the endpoint")
        version = _format_version(found.get("payloadFormatVersion"), where)
        fields = {
            "IntegrationType": "HTTP_PROXY",
            "IntegrationUri": self._aws(uri),
            "IntegrationMethod": str(found.get("httpMethod") or "ANY"),
            "PayloadFormatVersion": version or "1.0",
            "TimeoutInMillis": found.get("timeoutInMillis"),
            "Description": found.get("description"),
        }
        return self._add_integration(key, fields, found, where)

    def _service(self, key: str, where: str, found: dict[str, Any]) -> str:
        """An AWS service integration (subtypes.py): integrationSubtype, requestParameters
        and credentials; CreateIntegration's checks apply when the API is created."""
        parameters = found.get("requestParameters") or {}
        if not isinstance(parameters, dict):
            raise Invalid(f"The requestParameters of {where} must be an object")
        version = _format_version(found.get("payloadFormatVersion"), where)
        if version is None:
            self.warnings.append(f"{where} has no payloadFormatVersion; it uses 1.0")
        fields = {
            "IntegrationType": "AWS_PROXY",
            "IntegrationSubtype": found.get("integrationSubtype"),
            "RequestParameters": {str(k): self._aws(str(v)) for k, v in parameters.items()},
            "CredentialsArn": found.get("credentials"),
            "PayloadFormatVersion": version or "1.0",
            "TimeoutInMillis": found.get("timeoutInMillis"),
            "Description": found.get("description"),
        }
        return self._add_integration(key, fields, found, where)

    def _add_integration(
        self, key: str, fields: dict[str, Any], found: dict[str, Any], where: str
    ) -> str:
        self.integrations[key] = _shape(CreateIntegrationRequest, fields, where)
        ignored = sorted(str(k) for k in found if k not in _INTEGRATION_READ and k != "$ref")
        if ignored:
            self.info.append(f"{where}: {', '.join(ignored)} ignored")
        return key

    # -- authorization --------------------------------------------------------------------
    def _authorization(
        self, route_key: str, security: object
    ) -> tuple[str, str | None, tuple[str, ...]]:
        none: tuple[str, str | None, tuple[str, ...]] = ("NONE", None, ())
        if security is None:
            return none
        if not isinstance(security, list) or not all(isinstance(r, dict) for r in security):
            raise Invalid(f"The security of {route_key} must be a list of requirement objects")
        if len(security) > 1 or any(len(r) > 1 for r in security):
            raise Invalid(
                f"{route_key} has several security requirements: each operation can have only "
                "one of IAM authorization, a Lambda authorizer, or a JWT authorizer"
            )
        if not security or not security[0]:
            return none
        name, scopes = next(iter(security[0].items()))
        if name == "NONE":  # SAM's way of opting a route out of the default authorizer
            return none
        if name not in self.schemes and name != "AWS_IAM":
            raise Invalid(
                f"{route_key} uses security scheme {name!r}, which components.securitySchemes "
                "does not define"
            )
        kind = self.schemes.get(name, "iam")
        if kind == "iam":  # SigV4, checked by the gateway (gateway/iam_auth.py)
            if scopes:
                raise Invalid(
                    f"{route_key} gives scopes to IAM authorization (AWS_IAM): authorization "
                    "scopes are for JWT authorizers only"
                )
            return ("AWS_IAM", None, ())
        if kind is None:
            self.warnings.append(
                f"Security scheme {name!r} of {route_key} has no {AUTHORIZER}: HTTP APIs cannot "
                "enforce it, and the route is imported without authorization"
            )
            return none
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise Invalid(f"The scopes of {name!r} in {route_key} must be a list of strings")
        if kind == "request" and scopes:
            raise Invalid(
                f"{route_key} gives scopes to Lambda authorizer {name!r}: authorization scopes "
                "are for JWT authorizers only"
            )
        return ("JWT" if kind == "jwt" else "CUSTOM"), str(name), tuple(scopes)

    def _security_schemes(self) -> None:
        components = _object(self.doc.get("components") or {}, "components")
        schemes = _object(components.get("securitySchemes") or {}, "components.securitySchemes")
        for name, raw in schemes.items():
            name = str(name)
            where = f"security scheme {name!r}"
            scheme = _object(self.resolve(raw, where), where)
            settings = scheme.get(AUTHORIZER)
            if settings is None:
                sigv4 = str(scheme.get("x-amazon-apigateway-authtype", "")).lower() == "awssigv4"
                self.schemes[name] = "iam" if sigv4 else None
                continue
            settings = _object(settings, f"the {AUTHORIZER} of {where}")
            kind = str(settings.get("type", "")).lower()
            if kind == "jwt":
                self.authorizers[name] = self._jwt(name, scheme, settings)
            elif kind == "request":
                self.authorizers[name] = self._lambda(name, settings)
            elif kind == "token":
                raise Invalid(
                    f"Authorizer {name!r} is of type token, which only REST APIs have: HTTP APIs "
                    "take request (Lambda) or jwt authorizers"
                )
            else:
                raise Invalid(
                    f"Invalid authorizer type {settings.get('type')!r} for {name!r}: write "
                    "request or jwt"
                )
            self.schemes[name] = kind

    def _jwt(
        self, name: str, scheme: dict[str, Any], settings: dict[str, Any]
    ) -> CreateAuthorizerRequest:
        config = _object(settings.get("jwtConfiguration", {}), f"the jwtConfiguration of {name!r}")
        issuer = config.get("issuer")
        url = scheme.get("openIdConnectUrl")
        if issuer is None and isinstance(url, str):  # AWS finds the issuer from the URL
            issuer = url.removesuffix(_OPENID_CONFIGURATION)
        fields = {
            "AuthorizerType": "JWT",
            "Name": name,
            "IdentitySource": _identity_sources(settings.get("identitySource")),
            "JwtConfiguration": {"Issuer": issuer, "Audience": config.get("audience")},
        }
        return _shape(CreateAuthorizerRequest, fields, f"Authorizer {name!r}")

    def _lambda(self, name: str, settings: dict[str, Any]) -> CreateAuthorizerRequest:
        uri = settings.get("authorizerUri")
        ttl = settings.get("authorizerResultTtlInSeconds")
        where = f"Authorizer {name!r}"
        fields = {
            "AuthorizerType": "REQUEST",
            "Name": name,
            "AuthorizerUri": self._aws(uri) if isinstance(uri, str) else uri,
            "AuthorizerPayloadFormatVersion": _format_version(
                settings.get("authorizerPayloadFormatVersion"), where
            ),
            "EnableSimpleResponses": settings.get("enableSimpleResponses"),
            "IdentitySource": _identity_sources(settings.get("identitySource")),
            # the extension's table types it as a string; SAM writes a number
            "AuthorizerResultTtlInSeconds": int(ttl)
            if isinstance(ttl, str) and ttl.isdigit()
            else ttl,
        }
        if "authorizerCredentials" in settings:
            self.info.append(f"{where}: authorizerCredentials ignored")
        return _shape(CreateAuthorizerRequest, fields, where)

    # -- the API's own settings -----------------------------------------------------------
    def _cors(self) -> Cors | None:
        raw = self.doc.get(CORS)
        return None if raw is None else _shape(Cors, _object(raw, CORS), CORS)

    def _tags(self) -> dict[str, str]:
        tags = self.doc.get("tags") or []
        if not isinstance(tags, list):
            raise Invalid("tags must be a list of tag objects")
        found = {
            str(t["name"]): str(t.get(TAG_VALUE, ""))  # no value: an empty one, as on AWS
            for t in tags
            if isinstance(t, dict) and "name" in t
        }
        try:
            return _TAGS.validate_python(found)
        except pydantic.ValidationError as exc:
            raise Invalid(f"tags: {describe(exc)}") from exc

    def _endpoint_disabled(self) -> bool:
        servers = self.doc.get("servers") or []
        return any(
            isinstance(s, dict)
            and isinstance(s.get(ENDPOINT_CONFIGURATION), dict)
            and s[ENDPOINT_CONFIGURATION].get("disableExecuteApiEndpoint") is True
            for s in (servers if isinstance(servers, list) else [])
        )

    # -- helpers --------------------------------------------------------------------------
    def _unsupported(self, extension: str, where: str) -> None:
        self.warnings.append(f"{extension} in {where} is not supported for HTTP APIs; ignored")

    def _aws(self, text: str) -> str:
        return substitute(text, self.variables)


def _object(value: object, where: str) -> dict[str, Any]:
    return mapping(value, where, required=True)


def _shape(model: type[M], fields: dict[str, Any], where: str) -> M:
    try:
        return model.model_validate({k: v for k, v in fields.items() if v is not None})
    except pydantic.ValidationError as exc:
        raise Invalid(f"{where}: {describe(exc)}") from exc


def _format_version(value: object, where: str) -> str | None:
    """payloadFormatVersion as text: AWS's own examples write the number 1.0."""
    if value is None:
        return None
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except ValueError:
            number = 0.0
        if number in (1.0, 2.0):
            return f"{number:.1f}"
    raise Invalid(f"Invalid payload format version {value!r} in {where}: write 1.0 or 2.0")


def _identity_sources(value: object) -> object:
    """The extension writes a comma-separated string; SAM writes a list for Lambda ones."""
    if isinstance(value, str):
        return [s.strip() for s in value.split(",") if s.strip()]
    return value


def _full_path(path: str, prefix: str) -> str:
    if not path.startswith("/"):
        raise Invalid(f"Invalid path {path!r}: paths start with '/'")
    if path == "/":
        return prefix or "/"
    return prefix + path
