"""The requests of the REST API calls (Create*, Put*, and the patches of Update*), as boto3's
`apigateway` client sends them: AWS's members and limits, checked by pydantic at the edge
(a failure is AWS's "1 validation error detected" BadRequestException, see model.parse_request).
The things they make are in model.py.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ..shape import Shape
from .model import (
    ApiStage,
    AuthorizationType,
    ContentHandling,
    EndpointConfiguration,
    IntegrationType,
    Passthrough,
    QuotaSettings,
    StageName,
    Tags,
    Text,
    ThrottleSettings,
    TlsConfig,
    VariableName,
    VariableValue,
)


class CreateRestApiRequest(Shape):
    name: Text
    description: Text | None = None
    version: Text | None = None
    cloneFrom: str | None = None
    binaryMediaTypes: list[Annotated[str, Field(min_length=1)]] | None = None
    minimumCompressionSize: Annotated[int, Field(ge=0, le=10_485_760)] | None = None
    apiKeySource: Literal["HEADER", "AUTHORIZER"] = "HEADER"
    endpointConfiguration: EndpointConfiguration | None = None
    policy: str | None = None
    tags: Tags = Field(default_factory=dict)
    disableExecuteApiEndpoint: bool = False


class CreateResourceRequest(Shape):
    pathPart: Annotated[str, Field(min_length=1)]


class PutMethodRequest(Shape):
    authorizationType: AuthorizationType
    authorizerId: str | None = None
    apiKeyRequired: bool = False
    operationName: str | None = None
    requestParameters: dict[str, bool] | None = None
    requestModels: dict[str, str] | None = None
    requestValidatorId: str | None = None
    authorizationScopes: list[str] | None = None


class PutIntegrationRequest(Shape):
    type: IntegrationType
    httpMethod: str | None = None  # integrationHttpMethod on the wire's "httpMethod"
    uri: Annotated[str, Field(max_length=2048)] | None = None
    connectionType: Literal["INTERNET", "VPC_LINK"] = "INTERNET"
    connectionId: str | None = None
    credentials: str | None = None
    requestParameters: dict[str, str] | None = None
    requestTemplates: dict[str, str] | None = None
    passthroughBehavior: Passthrough | None = None
    cacheNamespace: str | None = None
    cacheKeyParameters: list[str] | None = None
    contentHandling: ContentHandling | None = None
    timeoutInMillis: int | None = None
    tlsConfig: TlsConfig | None = None
    responseTransferMode: Literal["BUFFERED", "STREAM"] | None = None
    integrationTarget: str | None = None  # a VPC link V2's load balancer (ALB) ARN


class PutMethodResponseRequest(Shape):
    responseParameters: dict[str, bool] | None = None
    responseModels: dict[str, str] | None = None


class PutIntegrationResponseRequest(Shape):
    selectionPattern: str | None = None
    responseParameters: dict[str, str] | None = None
    responseTemplates: dict[str, str] | None = None
    contentHandling: ContentHandling | None = None


class CreateAuthorizerRequest(Shape):
    name: Text
    type: Literal["TOKEN", "REQUEST", "COGNITO_USER_POOLS"]
    providerARNs: list[str] | None = None
    authType: str | None = None
    authorizerUri: Annotated[str, Field(min_length=1, max_length=2048)] | None = None
    authorizerCredentials: str | None = None
    identitySource: str | None = None
    identityValidationExpression: str | None = None
    authorizerResultTtlInSeconds: Annotated[int, Field(ge=0, le=3600)] | None = None


class CreateModelRequest(Shape):
    name: Annotated[str, Field(min_length=1, max_length=128)]
    description: Text | None = None
    schema_: str | None = Field(default=None, alias="schema")
    contentType: Annotated[str, Field(min_length=1)]


class CreateRequestValidatorRequest(Shape):
    name: Text | None = None
    validateRequestBody: bool = False
    validateRequestParameters: bool = False


class CreateDeploymentRequest(Shape):
    stageName: StageName | None = None
    stageDescription: Text | None = None
    description: Text | None = None
    cacheClusterEnabled: bool | None = None
    cacheClusterSize: str | None = None
    variables: dict[VariableName, VariableValue] | None = None
    tracingEnabled: bool | None = None


class CreateStageRequest(Shape):
    stageName: StageName
    deploymentId: Annotated[str, Field(min_length=1)]
    description: Text | None = None
    cacheClusterEnabled: bool = False
    cacheClusterSize: str | None = None
    variables: dict[VariableName, VariableValue] | None = None
    documentationVersion: str | None = None
    clientCertificateId: str | None = None
    tracingEnabled: bool = False
    tags: Tags | None = None


class StageKey(Shape):
    restApiId: str | None = None
    stageName: str | None = None


class CreateApiKeyRequest(Shape):
    name: Text | None = None
    description: Text | None = None
    enabled: bool = False
    generateDistinctId: bool | None = None
    value: Annotated[str, Field(min_length=20, max_length=128)] | None = None
    stageKeys: list[StageKey] | None = None
    customerId: str | None = None
    tags: Tags | None = None


class CreateUsagePlanRequest(Shape):
    name: Text
    description: Text | None = None
    apiStages: list[ApiStage] | None = None
    throttle: ThrottleSettings | None = None
    quota: QuotaSettings | None = None
    tags: Tags | None = None


class CreateUsagePlanKeyRequest(Shape):
    keyId: Annotated[str, Field(min_length=1)]
    keyType: Literal["API_KEY"]


class PatchOperation(Shape):
    op: Literal["add", "remove", "replace", "move", "copy", "test"]
    path: Annotated[str, Field(min_length=1)]
    value: str | None = None
    from_: str | None = Field(default=None, alias="from")


# A list of them, named: inside a class with a `list` method, `list[...]` is not a type.
Patch = list[PatchOperation]


class PatchRequest(Shape):
    patchOperations: list[PatchOperation] = Field(default_factory=list)
