"""AWS::ApiGateway::Resource / Method / Authorizer / Model / RequestValidator /
GatewayResponse: the parts of a REST API, over the REST API service (see apigateway.py for
the API itself).

A Method carries its Integration and responses; an update puts the whole method again
(deleted, then put with the new properties), as it has no single Update call for all of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from stratus.apis.rest.requests import (
    CreateAuthorizerRequest,
    CreateModelRequest,
    CreateRequestValidatorRequest,
    CreateResourceRequest,
    PutIntegrationRequest,
    PutIntegrationResponseRequest,
    PutMethodRequest,
    PutMethodResponseRequest,
)
from stratus.apis.shape import parse_request
from stratus.templates.provider import Context, Created, Provider, required

from .apigateway import camel, patch, rest_apis, suppress_gone


class _Part(Provider):
    """A part of one REST API: moving it to another API means a new one."""

    def needs_replacement(self, old: dict[str, Any], new: dict[str, Any]) -> bool:
        changed = {k for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
        return "RestApiId" in changed or not changed <= self.updatable


class Resource(_Part):
    type_name = "AWS::ApiGateway::Resource"
    updatable: ClassVar[frozenset[str]] = frozenset({"PathPart", "ParentId"})

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        api_id = required(props, "RestApiId", self.type_name)
        parent = required(props, "ParentId", self.type_name)
        request = parse_request(
            CreateResourceRequest, {"pathPart": required(props, "PathPart", self.type_name)}
        )
        resource = await rest_apis(ctx).resources.create(api_id, parent, request)
        return Created(resource.id, {"ResourceId": resource.id})

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        operations = patch(
            {"/pathPart": old["PathPart"], "/parentId": old["ParentId"]},
            {"/pathPart": new["PathPart"], "/parentId": new["ParentId"]},
        )
        await rest_apis(ctx).resources.update(new["RestApiId"], current.physical_id, operations)
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with suppress_gone():
            await rest_apis(ctx).resources.delete(props["RestApiId"], physical_id)


_METHOD = (
    "AuthorizationType", "AuthorizerId", "ApiKeyRequired", "OperationName", "RequestParameters",
    "RequestModels", "RequestValidatorId", "AuthorizationScopes",
)  # fmt: skip
_INTEGRATION = (
    "Type", "Uri", "Credentials", "RequestParameters", "RequestTemplates", "PassthroughBehavior",
    "ContentHandling", "TimeoutInMillis", "CacheKeyParameters", "CacheNamespace",
    "ConnectionType", "ConnectionId",
)  # fmt: skip

_INTEGRATION_RESPONSE = (
    "SelectionPattern", "ResponseParameters", "ResponseTemplates", "ContentHandling",
)  # fmt: skip


def _integration(props: Mapping[str, Any]) -> dict[str, Any]:
    fields = camel(props, _INTEGRATION)
    if props.get("IntegrationHttpMethod"):
        fields["httpMethod"] = props["IntegrationHttpMethod"]
    tls = props.get("TlsConfig") or {}
    if tls.get("InsecureSkipVerification") is not None:
        fields["tlsConfig"] = {"insecureSkipVerification": tls["InsecureSkipVerification"]}
    return fields


class Method(_Part):
    """Physical id: a generated name (CloudFormation's Ref of a Method is not an API id);
    the method is found again by RestApiId, ResourceId and HttpMethod."""

    type_name = "AWS::ApiGateway::Method"
    updatable: ClassVar[frozenset[str]] = frozenset({*_METHOD, "Integration", "MethodResponses"})

    def needs_replacement(self, old: dict[str, Any], new: dict[str, Any]) -> bool:
        keys = ("ResourceId", "HttpMethod")
        return super().needs_replacement(old, new) or any(old.get(k) != new.get(k) for k in keys)

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        await self._put(ctx, props)
        return Created(ctx.physical_name(logical_id))

    async def _put(self, ctx: Context, props: dict[str, Any]) -> None:
        api_id = required(props, "RestApiId", self.type_name)
        resource_id = required(props, "ResourceId", self.type_name)
        http_method = str(required(props, "HttpMethod", self.type_name)).upper()
        methods = rest_apis(ctx).methods
        fields = camel(props, _METHOD)
        fields.setdefault("authorizationType", "NONE")
        await methods.put_method(
            api_id, resource_id, http_method, parse_request(PutMethodRequest, fields)
        )
        try:
            for response in props.get("MethodResponses") or []:
                request = parse_request(
                    PutMethodResponseRequest,
                    camel(response, ("ResponseParameters", "ResponseModels")),
                )
                await methods.put_method_response(
                    api_id, resource_id, http_method, str(response["StatusCode"]), request
                )
            integration = props.get("Integration")
            if integration:
                await methods.put_integration(
                    api_id,
                    resource_id,
                    http_method,
                    parse_request(PutIntegrationRequest, _integration(integration)),
                )
                for response in integration.get("IntegrationResponses") or []:
                    integration_response = parse_request(
                        PutIntegrationResponseRequest,
                        camel(response, _INTEGRATION_RESPONSE),
                    )
                    await methods.put_integration_response(
                        api_id,
                        resource_id,
                        http_method,
                        str(response["StatusCode"]),
                        integration_response,
                    )
        except BaseException:
            with suppress_gone():  # no half-made method left behind
                await methods.delete_method(api_id, resource_id, http_method)
            raise

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        await self.wait_delete(ctx, current.physical_id, old)
        await self._put(ctx, new)
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with suppress_gone():
            await rest_apis(ctx).methods.delete_method(
                props["RestApiId"], props["ResourceId"], str(props["HttpMethod"]).upper()
            )


_AUTHORIZER_PATHS = {
    "Name": "/name",
    "Type": "/type",
    "AuthType": "/authType",
    "AuthorizerUri": "/authorizerUri",
    "AuthorizerCredentials": "/authorizerCredentials",
    "IdentitySource": "/identitySource",
    "IdentityValidationExpression": "/identityValidationExpression",
    "AuthorizerResultTtlInSeconds": "/authorizerResultTtlInSeconds",
}


def _paths(props: Mapping[str, Any], paths: Mapping[str, str]) -> dict[str, Any]:
    return {path: props[name] for name, path in paths.items() if props.get(name) is not None}


class Authorizer(_Part):
    type_name = "AWS::ApiGateway::Authorizer"
    updatable: ClassVar[frozenset[str]] = frozenset(_AUTHORIZER_PATHS)

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        api_id = required(props, "RestApiId", self.type_name)
        fields = camel(props, (*_AUTHORIZER_PATHS, "ProviderARNs"))
        fields.setdefault("name", ctx.physical_name(logical_id, 128))
        authorizer = await rest_apis(ctx).authorizers.create(
            api_id, parse_request(CreateAuthorizerRequest, fields)
        )
        return Created(authorizer.id, {"AuthorizerId": authorizer.id})

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        before, after = _paths(old, _AUTHORIZER_PATHS), _paths(new, _AUTHORIZER_PATHS)
        after.setdefault("/name", before.get("/name"))  # a generated name stays
        await rest_apis(ctx).authorizers.update(
            new["RestApiId"], current.physical_id, patch(before, after)
        )
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with suppress_gone():
            await rest_apis(ctx).authorizers.delete(props["RestApiId"], physical_id)


def _schema(value: Any) -> str | None:
    return json.dumps(value) if isinstance(value, dict) else value


class Model(_Part):
    """Ref: the model's name (generated from the logical id, letters and digits only, if the
    template gives none)."""

    type_name = "AWS::ApiGateway::Model"
    updatable: ClassVar[frozenset[str]] = frozenset({"Schema", "Description"})

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        api_id = required(props, "RestApiId", self.type_name)
        name = props.get("Name") or re.sub(r"[^A-Za-z0-9]", "", ctx.physical_name(logical_id))
        fields = camel(props, ("Description", "ContentType")) | {"name": name}
        fields.setdefault("contentType", "application/json")
        if props.get("Schema") is not None:
            fields["schema"] = _schema(props["Schema"])
        model = await rest_apis(ctx).models.create(
            api_id, parse_request(CreateModelRequest, fields)
        )
        return Created(model.name)

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        def paths(props: Mapping[str, Any]) -> dict[str, Any]:
            return {
                "/schema": _schema(props.get("Schema")),
                "/description": props.get("Description"),
            }

        await rest_apis(ctx).models.update(
            new["RestApiId"], current.physical_id, patch(paths(old), paths(new))
        )
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with suppress_gone():
            await rest_apis(ctx).models.delete(props["RestApiId"], physical_id)


_VALIDATOR_PATHS = {
    "Name": "/name",
    "ValidateRequestBody": "/validateRequestBody",
    "ValidateRequestParameters": "/validateRequestParameters",
}


class RequestValidator(_Part):
    type_name = "AWS::ApiGateway::RequestValidator"
    updatable: ClassVar[frozenset[str]] = frozenset(
        {"ValidateRequestBody", "ValidateRequestParameters"}
    )

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        api_id = required(props, "RestApiId", self.type_name)
        fields = camel(props, tuple(_VALIDATOR_PATHS))
        validator = await rest_apis(ctx).validators.create(
            api_id, parse_request(CreateRequestValidatorRequest, fields)
        )
        return Created(validator.id, {"RequestValidatorId": validator.id})

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        def paths(props: Mapping[str, Any]) -> dict[str, Any]:
            return {
                path: bool(props.get(name, False))
                for name, path in _VALIDATOR_PATHS.items()
                if name != "Name"
            }

        await rest_apis(ctx).validators.update(
            new["RestApiId"], current.physical_id, patch(paths(old), paths(new))
        )
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with suppress_gone():
            await rest_apis(ctx).validators.delete(props["RestApiId"], physical_id)


class GatewayResponse(_Part):
    """Put again on update (PutGatewayResponse replaces); its type names it in the API."""

    type_name = "AWS::ApiGateway::GatewayResponse"
    updatable: ClassVar[frozenset[str]] = frozenset(
        {"StatusCode", "ResponseParameters", "ResponseTemplates"}
    )

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        api_id = required(props, "RestApiId", self.type_name)
        fields = camel(props, ("ResponseType", "StatusCode", "ResponseParameters",
                               "ResponseTemplates"))  # fmt: skip
        required(props, "ResponseType", self.type_name)
        response = await rest_apis(ctx).gateway_responses.put(api_id, fields)
        return Created(f"{api_id}-{response.responseType}", {})

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        await self.wait_create(ctx, logical_id, new)
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with suppress_gone():
            await rest_apis(ctx).gateway_responses.delete(props["RestApiId"], props["ResponseType"])


PROVIDERS = (Resource, Method, Authorizer, Model, RequestValidator, GatewayResponse)
