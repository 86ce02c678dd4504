"""The REST API model (API Gateway v1): what a REST API is made of, as boto3's `apigateway`
client reads it (the requests that make it are in requests.py).

    RestApi ── Resource (a tree from the root "/"; pathPart "pets", "{id}", "{proxy+}")
       │          └── resourceMethods[GET|POST|...|ANY] ── Method ── methodIntegration
       │                  (authorizationType, authorizerId,          Integration (AWS_PROXY ...)
       │                   apiKeyRequired, requestValidatorId,        └─ integrationResponses
       │                   requestModels, requestParameters)
       │                  └── methodResponses
       ├── Authorizer (TOKEN | REQUEST: a Lambda function)
       ├── Model (a JSON Schema draft 4, by name) · RequestValidator
       ├── Deployment (a frozen snapshot of all of the above) <── Stage (variables, methodSettings)
    ApiKey ── UsagePlanKey ──> UsagePlan (apiStages [{apiId, stage}], throttle, quota)

Unlike apigatewayv2, the wire's member names are the model's own (camelCase: `id`,
`rootResourceId`, `pathPart`, `httpMethod`...), so the Python fields carry them unchanged.
Timestamps are epoch seconds, which botocore reads as datetimes.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import Field

from stratus.errors import Invalid

from ..shape import Shape, function_of

DEFAULT_TIMEOUT_MS = 29_000
AUTHORIZER_TTL = 300  # seconds, API Gateway's default for Lambda authorizers
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
# A path part: a literal, `{name}` or (greedy, last only) `{name+}`.
PATH_PART = re.compile(r"^([A-Za-z0-9._-]+|\{[A-Za-z0-9._-]+\+?\})$")

Text = Annotated[str, Field(min_length=1, max_length=1024)]
Tags = dict[
    Annotated[str, Field(min_length=1, max_length=128)], Annotated[str, Field(max_length=256)]
]
AuthorizationType = Literal["NONE", "CUSTOM", "AWS_IAM", "COGNITO_USER_POOLS"]
IntegrationType = Literal["AWS_PROXY", "AWS", "HTTP", "HTTP_PROXY", "MOCK"]
Passthrough = Literal["WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER"]
ContentHandling = Literal["CONVERT_TO_BINARY", "CONVERT_TO_TEXT"]
StageName = Annotated[str, Field(min_length=1, max_length=128)]
VariableName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_]{1,64}$")]
# AWS: "alphanumeric characters and - . _ ~ : / ? # & = ,"
VariableValue = Annotated[str, Field(pattern=r"^[A-Za-z0-9\-._~:/?#&=,]*$", max_length=512)]
NonNegative = Annotated[int, Field(ge=0)]


class EndpointConfiguration(Shape):
    types: Annotated[
        list[Literal["EDGE", "REGIONAL", "PRIVATE"]], Field(min_length=1, max_length=1)
    ]
    ipAddressType: Literal["ipv4", "dualstack"] | None = None
    vpcEndpointIds: list[str] | None = None


# -- REST APIs ---------------------------------------------------------------------------------
class RestApi(Shape):
    id: str
    name: str
    description: str | None = None
    createdDate: int
    version: str | None = None
    warnings: list[str] | None = None
    binaryMediaTypes: list[str] | None = None
    minimumCompressionSize: Annotated[int, Field(ge=0, le=10_485_760)] | None = None
    apiKeySource: Literal["HEADER", "AUTHORIZER"] = "HEADER"
    endpointConfiguration: EndpointConfiguration
    policy: str | None = None
    tags: dict[str, str] | None = None
    disableExecuteApiEndpoint: bool = False
    rootResourceId: str
    apiStatus: str = "AVAILABLE"


# -- resources, methods, integrations ----------------------------------------------------------
class MethodResponse(Shape):
    statusCode: str
    responseParameters: dict[str, bool] | None = None
    responseModels: dict[str, str] | None = None


class IntegrationResponse(Shape):
    statusCode: str
    selectionPattern: str | None = None
    responseParameters: dict[str, str] | None = None
    responseTemplates: dict[str, str] | None = None
    contentHandling: ContentHandling | None = None


class TlsConfig(Shape):
    insecureSkipVerification: bool | None = None


class Integration(Shape):
    type: IntegrationType
    httpMethod: str | None = None  # the method API Gateway calls the back end with
    uri: str | None = None
    connectionType: Literal["INTERNET", "VPC_LINK"] = "INTERNET"
    connectionId: str | None = None
    credentials: str | None = None
    requestParameters: dict[str, str] | None = None
    requestTemplates: dict[str, str] | None = None
    passthroughBehavior: Passthrough | None = None
    contentHandling: ContentHandling | None = None
    timeoutInMillis: int = DEFAULT_TIMEOUT_MS  # 50..29000, checked with AWS's wording
    cacheNamespace: str | None = None
    cacheKeyParameters: list[str] = Field(default_factory=list)
    integrationResponses: dict[str, IntegrationResponse] | None = None
    tlsConfig: TlsConfig | None = None
    responseTransferMode: Literal["BUFFERED", "STREAM"] | None = None
    integrationTarget: str | None = None  # a VPC link V2's load balancer (ALB) ARN

    @property
    def function(self) -> str:
        """An AWS_PROXY (or AWS Lambda) integration's function, as an ARN or name."""
        return function_of(self.uri or "")


class Method(Shape):
    """A method of a resource. Stratus's gateway serves authorizationType NONE and CUSTOM;
    AWS_IAM and COGNITO_USER_POOLS are recorded as given, and the data plane refuses them."""

    httpMethod: str
    authorizationType: AuthorizationType = "NONE"
    authorizerId: str | None = None
    apiKeyRequired: bool = False
    requestValidatorId: str | None = None
    operationName: str | None = None
    requestParameters: dict[str, bool] | None = None
    requestModels: dict[str, str] | None = None
    methodResponses: dict[str, MethodResponse] | None = None
    methodIntegration: Integration | None = None
    authorizationScopes: list[str] | None = None


class Resource(Shape):
    id: str
    parentId: str | None = None
    pathPart: str | None = None
    path: str
    resourceMethods: dict[str, Method] | None = None

    @property
    def methods(self) -> dict[str, Method]:
        return self.resourceMethods or {}

    def with_method(self, method: Method) -> Resource:
        return self.model_copy(
            update={"resourceMethods": self.methods | {method.httpMethod: method}}
        )

    def without_method(self, http_method: str) -> Resource:
        rest = {k: v for k, v in self.methods.items() if k != http_method}
        return self.model_copy(update={"resourceMethods": rest or None})

    def wire_embedded(self, embed: bool) -> dict[str, Any]:
        found = self.wire()
        if not embed and self.resourceMethods:
            found["resourceMethods"] = {name: {} for name in self.resourceMethods}
        return found


# -- authorizers, models, validators -----------------------------------------------------------
class Authorizer(Shape):
    id: str
    name: str
    type: Literal["TOKEN", "REQUEST", "COGNITO_USER_POOLS"]
    providerARNs: list[str] | None = None
    authType: str | None = None
    authorizerUri: str | None = None
    authorizerCredentials: str | None = None
    identitySource: str | None = None
    identityValidationExpression: str | None = None
    authorizerResultTtlInSeconds: Annotated[int, Field(ge=0, le=3600)] | None = None

    @property
    def function(self) -> str:
        """The Lambda function a TOKEN or REQUEST authorizer calls, as an ARN or name."""
        return function_of(self.authorizerUri or "")


class Model(Shape):
    id: str
    name: str
    description: str | None = None
    schema_: str | None = Field(default=None, alias="schema")
    contentType: str


class RequestValidator(Shape):
    id: str
    name: str
    validateRequestBody: bool = False
    validateRequestParameters: bool = False


GatewayResponseType = Literal[
    "DEFAULT_4XX", "DEFAULT_5XX", "RESOURCE_NOT_FOUND", "UNAUTHORIZED", "INVALID_API_KEY",
    "ACCESS_DENIED", "AUTHORIZER_FAILURE", "AUTHORIZER_CONFIGURATION_ERROR", "INVALID_SIGNATURE",
    "EXPIRED_TOKEN", "MISSING_AUTHENTICATION_TOKEN", "INTEGRATION_FAILURE", "INTEGRATION_TIMEOUT",
    "API_CONFIGURATION_ERROR", "UNSUPPORTED_MEDIA_TYPE", "BAD_REQUEST_PARAMETERS",
    "BAD_REQUEST_BODY", "REQUEST_TOO_LARGE", "THROTTLED", "QUOTA_EXCEEDED", "WAF_FILTERED",
]  # fmt: skip


class GatewayResponse(Shape):
    """What the gateway answers by itself for one kind of refusal (PutGatewayResponse)."""

    responseType: GatewayResponseType
    statusCode: str | None = None
    responseParameters: dict[str, str] | None = None
    responseTemplates: dict[str, str] | None = None
    defaultResponse: bool = False


# -- deployments and stages --------------------------------------------------------------------
class MethodSnapshot(Shape):
    authorizationType: str
    apiKeyRequired: bool


class Deployment(Shape):
    id: str
    description: str | None = None
    createdDate: int
    apiSummary: dict[str, dict[str, MethodSnapshot]] | None = None


class MethodSetting(Shape):
    """A stage's settings for all methods (key `*/*`) or one (`~1pets~1{id}/GET`). The
    members not set take AWS's defaults; the throttling ones are the account's limits."""

    metricsEnabled: bool = False
    loggingLevel: Literal["OFF", "ERROR", "INFO"] = "OFF"
    dataTraceEnabled: bool = False
    throttlingBurstLimit: NonNegative = 5000
    throttlingRateLimit: Annotated[float, Field(ge=0)] = 10000.0
    cachingEnabled: bool = False
    cacheTtlInSeconds: Annotated[int, Field(ge=0, le=3600)] = 300
    cacheDataEncrypted: bool = False
    requireAuthorizationForCacheControl: bool = True
    unauthorizedCacheControlHeaderStrategy: Literal[
        "FAIL_WITH_403", "SUCCEED_WITH_RESPONSE_HEADER", "SUCCEED_WITHOUT_RESPONSE_HEADER"
    ] = "SUCCEED_WITH_RESPONSE_HEADER"


class AccessLogSettings(Shape):
    format: str | None = None
    destinationArn: str | None = None


class Stage(Shape):
    deploymentId: str
    stageName: str
    description: str | None = None
    cacheClusterEnabled: bool = False
    cacheClusterSize: str | None = None
    cacheClusterStatus: str = "NOT_AVAILABLE"
    methodSettings: dict[str, MethodSetting] = Field(default_factory=dict)
    variables: dict[VariableName, VariableValue] | None = None
    documentationVersion: str | None = None
    clientCertificateId: str | None = None
    accessLogSettings: AccessLogSettings | None = None
    tracingEnabled: bool = False
    tags: dict[str, str] | None = None
    createdDate: int
    lastUpdatedDate: int


# -- API keys and usage plans ------------------------------------------------------------------
class ApiKey(Shape):
    id: str
    value: str | None = None
    name: str | None = None
    customerId: str | None = None
    description: str | None = None
    enabled: bool = False
    createdDate: int
    lastUpdatedDate: int
    stageKeys: list[str] = Field(default_factory=list)  # "restApiId/stageName"
    tags: dict[str, str] | None = None


class ThrottleSettings(Shape):
    burstLimit: NonNegative | None = None
    rateLimit: Annotated[float, Field(ge=0)] | None = None


class QuotaSettings(Shape):
    limit: NonNegative | None = None
    offset: NonNegative | None = None
    period: Literal["DAY", "WEEK", "MONTH"] | None = None


class ApiStage(Shape):
    apiId: Annotated[str, Field(min_length=1)]
    stage: Annotated[str, Field(min_length=1)]
    throttle: dict[str, ThrottleSettings] | None = None  # "/pets/GET" -> settings


class UsagePlan(Shape):
    id: str
    name: str
    description: str | None = None
    apiStages: list[ApiStage] = Field(default_factory=list)
    throttle: ThrottleSettings | None = None
    quota: QuotaSettings | None = None
    productCode: str | None = None
    tags: dict[str, str] | None = None

    def serves(self, api_id: str, stage: str) -> bool:
        return any(s.apiId == api_id and s.stage == stage for s in self.apiStages)


class UsagePlanKey(Shape):
    id: str
    type: str = "API_KEY"
    value: str | None = None
    name: str | None = None


# -- checks ------------------------------------------------------------------------------------
def check_path_part(part: str) -> str:
    if not PATH_PART.match(part):
        raise Invalid(
            "Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning "
            f"and the end and an optional plus sign before the closing brace; got {part!r}"
        )
    return part


def check_http_method(http_method: str) -> str:
    if http_method not in HTTP_METHODS:
        raise Invalid(
            f"Invalid HttpMethod specified {http_method!r}. Valid options are "
            + ",".join(HTTP_METHODS)
        )
    return http_method
