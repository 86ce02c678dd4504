"""The HTTP and WebSocket API model (API Gateway v2) and its requests, as `apigatewayv2`
sends them.

    Api ── Route ──(target "integrations/<id>")──> Integration (AWS_PROXY -> function ARN,
     │                                       or an AWS API by IntegrationSubtype; HTTP_PROXY)
     │       └──(AuthorizerId, AuthorizationType JWT|CUSTOM)──> Authorizer (JWT: issuer,
     │                                       audience; REQUEST: a Lambda function)
     └──── Stage ($default or named; stage variables)

A WebSocket API (ProtocolType WEBSOCKET) has the same tree; its routes are keyed `$connect`,
`$disconnect`, `$default` or whatever its RouteSelectionExpression yields, and it has three
parts of its own (websocket.py): RouteResponse (on a route: makes it two-way),
IntegrationResponse (on an integration) and Model (on the API).

Field names are AWS's member names; on the wire botocore uses their jsonName, the same name
with a lower-case first letter (`ApiId` <-> `apiId`), so every shape takes and gives those.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field

from ..shape import Shape, function_of

DEFAULT_STAGE = "$default"
MAX_TIMEOUT_MS = 30_000
_TARGET = re.compile(r"^integrations/([a-z0-9]+)$")


NameText = Annotated[str, Field(min_length=1, max_length=128)]
DescriptionText = Annotated[str, Field(max_length=1024)]
TagMap = dict[
    Annotated[str, Field(min_length=1, max_length=128)], Annotated[str, Field(max_length=256)]
]
StageName = Annotated[
    str, Field(min_length=1, max_length=128, pattern=r"^(\$default|[A-Za-z0-9_\-]+)$")
]
Timeout = Annotated[int, Field(ge=50, le=MAX_TIMEOUT_MS)]
AuthorizerTtl = Annotated[int, Field(ge=0, le=3600)]


class Cors(Shape):
    """An HTTP API's CORS configuration (the gateway answers preflights with it)."""

    AllowCredentials: bool | None = None
    AllowHeaders: list[str] | None = None
    AllowMethods: list[Annotated[str, Field(min_length=1, max_length=64)]] | None = None
    AllowOrigins: list[str] | None = None
    ExposeHeaders: list[str] | None = None
    MaxAge: Annotated[int, Field(ge=-1, le=86400)] | None = None


class AccessLogSettings(Shape):
    """Recorded: Stratus does not write HTTP APIs' access logs (nor REST APIs')."""

    DestinationArn: str | None = None
    Format: str | None = None


class RouteSettings(Shape):
    """Per-route (or a stage's default) settings; the gateway enforces the throttling."""

    DataTraceEnabled: bool | None = None
    DetailedMetricsEnabled: bool | None = None
    LoggingLevel: Literal["ERROR", "INFO", "OFF"] | None = None
    ThrottlingBurstLimit: Annotated[int, Field(ge=0)] | None = None
    ThrottlingRateLimit: Annotated[float, Field(ge=0)] | None = None


# Aliases: inside a shape, a member named RouteSettings would shadow the class.
RouteSettingsShape = RouteSettings
AccessLogSettingsShape = AccessLogSettings
RouteSettingsMap = dict[str, RouteSettings]
AuthorizationKind = Literal["NONE", "JWT", "AWS_IAM", "CUSTOM"]
ScopeText = Annotated[str, Field(min_length=1, max_length=255)]


class CreateApiRequest(Shape):
    Name: NameText
    ProtocolType: Literal["HTTP", "WEBSOCKET"]
    Description: DescriptionText | None = None
    # HTTP APIs: always this; WebSocket APIs: required, e.g. `$request.body.action`.
    RouteSelectionExpression: str | None = None
    ApiKeySelectionExpression: str | None = None
    DisableExecuteApiEndpoint: bool = False
    Version: str | None = None
    Tags: TagMap = Field(default_factory=dict)
    # Quick create: a function ARN; makes a route, an AWS_PROXY integration and a stage.
    Target: Annotated[str, Field(min_length=1, max_length=2048)] | None = None
    RouteKey: str | None = None
    CorsConfiguration: Cors | None = None


class UpdateApiRequest(Shape):
    Name: NameText | None = None
    Description: DescriptionText | None = None
    RouteSelectionExpression: str | None = None  # WebSocket APIs'
    ApiKeySelectionExpression: str | None = None
    DisableExecuteApiEndpoint: bool | None = None
    Version: str | None = None
    CorsConfiguration: Cors | None = None


class Api(Shape):
    ApiId: str
    Name: str
    ProtocolType: str = "HTTP"
    ApiEndpoint: str
    ApiKeySelectionExpression: str = "$request.header.x-api-key"
    RouteSelectionExpression: str
    CreatedDate: str
    Description: str | None = None
    DisableExecuteApiEndpoint: bool = False
    Version: str | None = None
    Tags: dict[str, str] = Field(default_factory=dict)
    CorsConfiguration: Cors | None = None
    # What the last ImportApi/ReimportApi ignored (info) or skipped (warnings).
    ImportInfo: list[str] | None = None
    Warnings: list[str] | None = None


class ImportApiRequest(Shape):
    """ImportApi/ReimportApi's body: the OpenAPI document, as JSON or YAML text."""

    Body: Annotated[str, Field(min_length=1)]


class ParameterConstraints(Shape):
    Required: bool | None = None


class CreateRouteRequest(Shape):
    RouteKey: Annotated[str, Field(min_length=1)]
    Target: Annotated[str, Field(max_length=128)] | None = None
    AuthorizationType: AuthorizationKind = "NONE"
    AuthorizerId: str | None = None
    AuthorizationScopes: list[ScopeText] | None = None
    OperationName: str | None = None
    ApiKeyRequired: bool | None = None
    # WebSocket APIs' (websocket.py): `$default` makes the route two-way with a route response.
    RouteResponseSelectionExpression: str | None = None
    ModelSelectionExpression: str | None = None
    RequestModels: dict[str, str] | None = None
    RequestParameters: dict[str, ParameterConstraints] | None = None


class UpdateRouteRequest(Shape):
    RouteKey: Annotated[str, Field(min_length=1)] | None = None
    Target: Annotated[str, Field(max_length=128)] | None = None
    AuthorizationType: AuthorizationKind | None = None
    AuthorizerId: str | None = None
    AuthorizationScopes: list[ScopeText] | None = None
    OperationName: str | None = None
    ApiKeyRequired: bool | None = None
    # WebSocket APIs' (websocket.py): `$default` makes the route two-way with a route response.
    RouteResponseSelectionExpression: str | None = None
    ModelSelectionExpression: str | None = None
    RequestModels: dict[str, str] | None = None
    RequestParameters: dict[str, ParameterConstraints] | None = None


class Route(Shape):
    RouteId: str
    RouteKey: str
    Target: str | None = None
    AuthorizationType: str = "NONE"
    AuthorizerId: str | None = None
    AuthorizationScopes: list[str] | None = None
    ApiKeyRequired: bool = False
    ApiGatewayManaged: bool | None = None
    OperationName: str | None = None
    # WebSocket APIs' (websocket.py): `$default` makes the route two-way with a route response.
    RouteResponseSelectionExpression: str | None = None
    ModelSelectionExpression: str | None = None
    RequestModels: dict[str, str] | None = None
    RequestParameters: dict[str, ParameterConstraints] | None = None

    @property
    def integration_id(self) -> str | None:
        found = _TARGET.match(self.Target or "")
        return found.group(1) if found else None


class JwtSettings(Shape):
    """JwtConfiguration: the issuer and the audiences a JWT authorizer accepts."""

    Audience: list[Annotated[str, Field(min_length=1)]] | None = None
    Issuer: Annotated[str, Field(min_length=1)] | None = None


class CreateAuthorizerRequest(Shape):
    AuthorizerType: Literal["JWT", "REQUEST"]
    IdentitySource: list[Annotated[str, Field(min_length=1)]] | None = None
    Name: NameText
    JwtConfiguration: JwtSettings | None = None
    AuthorizerUri: Annotated[str, Field(min_length=1, max_length=2048)] | None = None
    AuthorizerPayloadFormatVersion: Literal["1.0", "2.0"] | None = None
    AuthorizerResultTtlInSeconds: AuthorizerTtl | None = None
    EnableSimpleResponses: bool | None = None


class UpdateAuthorizerRequest(Shape):
    AuthorizerType: Literal["JWT", "REQUEST"] | None = None
    IdentitySource: list[Annotated[str, Field(min_length=1)]] | None = None
    Name: NameText | None = None
    JwtConfiguration: JwtSettings | None = None
    AuthorizerUri: Annotated[str, Field(min_length=1, max_length=2048)] | None = None
    AuthorizerPayloadFormatVersion: Literal["1.0", "2.0"] | None = None
    AuthorizerResultTtlInSeconds: AuthorizerTtl | None = None
    EnableSimpleResponses: bool | None = None


class Authorizer(Shape):
    """A JWT authorizer (JwtConfiguration) or a REQUEST (Lambda) one (AuthorizerUri...)."""

    AuthorizerId: str
    AuthorizerType: str = "JWT"
    IdentitySource: list[str] = Field(default_factory=list)
    Name: str
    JwtConfiguration: JwtSettings | None = None
    AuthorizerUri: str | None = None
    AuthorizerPayloadFormatVersion: str | None = None
    AuthorizerResultTtlInSeconds: int | None = None
    EnableSimpleResponses: bool | None = None

    @property
    def function(self) -> str:
        """A REQUEST authorizer's function, as an ARN (see `function_of`)."""
        return function_of(self.AuthorizerUri or "")


class CreateIntegrationRequest(Shape):
    IntegrationType: Literal["AWS_PROXY", "HTTP_PROXY", "AWS", "HTTP", "MOCK"]
    IntegrationUri: Annotated[str, Field(min_length=1, max_length=2048)] | None = None
    PayloadFormatVersion: Literal["1.0", "2.0"] | None = None
    TimeoutInMillis: Timeout = MAX_TIMEOUT_MS
    Description: DescriptionText | None = None
    IntegrationMethod: str | None = None
    ConnectionType: Literal["INTERNET", "VPC_LINK"] = "INTERNET"
    ConnectionId: str | None = None
    # AWS service integrations (subtypes.py): the API called and its mapped parameters.
    IntegrationSubtype: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    RequestParameters: dict[str, str] | None = None
    CredentialsArn: str | None = None
    # WebSocket APIs' (MOCK, AWS, HTTP integrations; recorded for AWS_PROXY).
    TemplateSelectionExpression: str | None = None
    RequestTemplates: dict[str, str] | None = None
    PassthroughBehavior: Literal["WHEN_NO_MATCH", "NEVER", "WHEN_NO_TEMPLATES"] | None = None
    ContentHandlingStrategy: Literal["CONVERT_TO_BINARY", "CONVERT_TO_TEXT"] | None = None


class Integration(Shape):
    IntegrationId: str
    IntegrationType: str = "AWS_PROXY"
    IntegrationUri: str | None = None  # none for an AWS service integration
    IntegrationSubtype: str | None = None
    RequestParameters: dict[str, str] | None = None
    CredentialsArn: str | None = None  # recorded, not assumed
    IntegrationMethod: str | None = "POST"  # none for an AWS service integration
    ConnectionType: str = "INTERNET"
    ConnectionId: str | None = None  # a VPC link's id (ConnectionType VPC_LINK)
    PayloadFormatVersion: str
    TimeoutInMillis: int = MAX_TIMEOUT_MS
    Description: str | None = None
    ApiGatewayManaged: bool | None = None
    # WebSocket APIs' (MOCK, AWS, HTTP integrations; recorded for AWS_PROXY).
    TemplateSelectionExpression: str | None = None
    RequestTemplates: dict[str, str] | None = None
    PassthroughBehavior: Literal["WHEN_NO_MATCH", "NEVER", "WHEN_NO_TEMPLATES"] | None = None
    ContentHandlingStrategy: Literal["CONVERT_TO_BINARY", "CONVERT_TO_TEXT"] | None = None
    IntegrationResponseSelectionExpression: str | None = None

    @property
    def function(self) -> str:
        """The function this integration calls, as an ARN (see `function_of`)."""
        return function_of(self.IntegrationUri or "")


class CreateStageRequest(Shape):
    StageName: StageName
    AutoDeploy: bool = False
    DeploymentId: str | None = None
    Description: DescriptionText | None = None
    StageVariables: dict[
        Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,64}$")],
        Annotated[str, Field(max_length=2048)],
    ] = Field(default_factory=dict)
    Tags: TagMap = Field(default_factory=dict)
    DefaultRouteSettings: RouteSettingsShape | None = None
    RouteSettings: RouteSettingsMap | None = None
    AccessLogSettings: AccessLogSettingsShape | None = None


class UpdateStageRequest(Shape):
    AutoDeploy: bool | None = None
    DeploymentId: str | None = None
    Description: DescriptionText | None = None
    StageVariables: (
        dict[
            Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,64}$")],
            Annotated[str, Field(max_length=2048)],
        ]
        | None
    ) = None
    DefaultRouteSettings: RouteSettingsShape | None = None
    RouteSettings: RouteSettingsMap | None = None
    AccessLogSettings: AccessLogSettingsShape | None = None


class Stage(Shape):
    StageName: str
    AutoDeploy: bool = False
    DeploymentId: str | None = None  # what a stage without AutoDeploy serves
    Description: str | None = None
    StageVariables: dict[str, str] = Field(default_factory=dict)
    Tags: dict[str, str] = Field(default_factory=dict)
    CreatedDate: str
    LastUpdatedDate: str
    ApiGatewayManaged: bool | None = None
    DefaultRouteSettings: RouteSettingsShape | None = None
    RouteSettings: RouteSettingsMap | None = None
    AccessLogSettings: AccessLogSettingsShape | None = None


class CreateDeploymentRequest(Shape):
    StageName: str | None = None  # an existing stage
    Description: DescriptionText | None = None


class ApiDeployment(Shape):
    """A deployment: a frozen copy of the API's routes, integrations and authorizers that
    stages without AutoDeploy serve."""

    DeploymentId: str
    DeploymentStatus: Literal["PENDING", "FAILED", "DEPLOYED"] = "DEPLOYED"
    CreatedDate: str
    AutoDeployed: bool = False
    Description: str | None = None


# -- WebSocket APIs' own parts (websocket.py) ----------------------------------------------------
PARENTS = frozenset({"RouteId", "IntegrationId"})  # stored with a part, never answered


class RouteResponseRequest(Shape):
    """CreateRouteResponse / UpdateRouteResponse."""

    RouteResponseKey: Annotated[str, Field(min_length=1)] | None = None
    ModelSelectionExpression: str | None = None
    ResponseModels: dict[str, str] | None = None
    ResponseParameters: dict[str, ParameterConstraints] | None = None


class RouteResponse(Shape):
    """Makes its route two-way: the integration's answer goes back to the client."""

    RouteResponseId: str
    RouteResponseKey: str
    ModelSelectionExpression: str | None = None
    ResponseModels: dict[str, str] | None = None
    ResponseParameters: dict[str, ParameterConstraints] | None = None
    RouteId: str  # its route (kept in the row; not an output member: PARENTS)


class IntegrationResponseRequest(Shape):
    """CreateIntegrationResponse / UpdateIntegrationResponse."""

    IntegrationResponseKey: Annotated[str, Field(min_length=1)] | None = None
    ContentHandlingStrategy: Literal["CONVERT_TO_BINARY", "CONVERT_TO_TEXT"] | None = None
    ResponseParameters: dict[str, str] | None = None
    ResponseTemplates: dict[str, str] | None = None
    TemplateSelectionExpression: str | None = None


class IntegrationResponse(Shape):
    IntegrationResponseId: str
    IntegrationResponseKey: str
    ContentHandlingStrategy: str | None = None
    ResponseParameters: dict[str, str] | None = None
    ResponseTemplates: dict[str, str] | None = None
    TemplateSelectionExpression: str | None = None
    IntegrationId: str  # its integration, as above


class ModelRequest(Shape):
    """CreateModel / UpdateModel."""

    Name: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9]+$")] | None = (
        None
    )
    ContentType: Annotated[str, Field(max_length=256)] | None = None
    Description: DescriptionText | None = None
    Schema: Annotated[str, Field(max_length=32768)] | None = None


class ApiModel(Shape):
    """A WebSocket API's model (a JSON schema); recorded, not checked against messages."""

    ModelId: str
    Name: str
    ContentType: str | None = None
    Description: str | None = None
    Schema: str | None = None
