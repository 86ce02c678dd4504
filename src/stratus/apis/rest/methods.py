"""Methods of resources, their integrations, and the method and integration responses.

They live inside their resource's row (`resourceMethods`), as GetResource embeds them, so
each call is a read-change-write of one resource in one transaction.

What Stratus's gateway will serve: methods with authorizationType NONE or CUSTOM (a TOKEN or
REQUEST authorizer of the same API) and AWS_PROXY integrations calling a Lambda function.
AWS_IAM and COGNITO_USER_POOLS methods, and AWS, HTTP, HTTP_PROXY and MOCK integrations,
are accepted and recorded (so templates and imports keep them), and the data plane refuses
them. Method and integration responses are recorded for the same reason.

Checks, with API Gateway's wording where it has one: CUSTOM needs an authorizer of the API,
requestValidatorId and requestModels must name the API's validator and models, integration
timeouts are 50..29000 ms (default 29000), a Lambda integration's uri names a function.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from stratus.errors import Conflict, Invalid, NotFound

from ..shape import function_of, parse_request
from .model import (
    DEFAULT_TIMEOUT_MS,
    Integration,
    IntegrationResponse,
    Method,
    MethodResponse,
    Resource,
    check_http_method,
)
from .patch import SET, apply_patch, boolean, entry, field, integer, item, member
from .requests import (
    PatchOperation,
    PutIntegrationRequest,
    PutIntegrationResponseRequest,
    PutMethodRequest,
    PutMethodResponseRequest,
)
from .store import AUTHORIZERS, MODELS, RESOURCES, VALIDATORS, Parts, RestStore

R = TypeVar("R")
NO_METHOD = "Invalid Method identifier specified"
NO_INTEGRATION = "Invalid Integration identifier specified"
NO_RESPONSE = "Invalid Response status code specified"
_REQUEST_PARAMETER = re.compile(
    r"^method\.request\.(path|querystring|multivaluequerystring|header|multivalueheader)\.[^\s]+$"
)
_STATUS_CODE = re.compile(r"^[1-5]\d\d$")
_HTTP_URI = re.compile(r"^https?://[^\s]+$")

_METHOD_PATCH = (
    field("/authorizationType", ops=SET),
    field("/authorizerId"),
    field("/apiKeyRequired", boolean, ops=SET),
    field("/requestValidatorId"),
    field("/operationName"),
    entry("/requestParameters", boolean),
    entry("/requestModels"),
    item("/authorizationScopes"),
)
_INTEGRATION_PATCH = (
    field("/type", ops=SET),
    field("/uri"),
    field("/httpMethod"),
    field("/timeoutInMillis", integer),
    field("/passthroughBehavior"),
    field("/contentHandling"),
    field("/credentials"),
    field("/connectionType", ops=SET),
    field("/connectionId"),
    field("/integrationTarget"),
    field("/cacheNamespace"),
    field("/tlsConfig/insecureSkipVerification", boolean),
    entry("/requestParameters"),
    entry("/requestTemplates"),
    member("/cacheKeyParameters", ops=frozenset({"add", "remove"})),
)
_METHOD_RESPONSE_PATCH = (entry("/responseParameters", boolean), entry("/responseModels"))
_INTEGRATION_RESPONSE_PATCH = (
    field("/selectionPattern"),
    field("/contentHandling"),
    entry("/responseParameters"),
    entry("/responseTemplates"),
)


def method_of(resource: Resource, http_method: str) -> Method:
    found = resource.methods.get(http_method)
    if found is None:
        raise NotFound(f"{NO_METHOD}: {http_method} {resource.path}")
    return found


def integration_of(method: Method) -> Integration:
    if method.methodIntegration is None:
        raise NotFound(NO_INTEGRATION)
    return method.methodIntegration


def check_method(parts: Parts, method: Method) -> Method:
    """A method's references and parameters, checked against its API."""
    kind = method.authorizationType
    if kind in ("CUSTOM", "COGNITO_USER_POOLS"):
        authorizer = parts.get(AUTHORIZERS, method.authorizerId or "")
        wanted = ("TOKEN", "REQUEST") if kind == "CUSTOM" else ("COGNITO_USER_POOLS",)
        if authorizer is None or authorizer.type not in wanted:
            raise Invalid(
                "Invalid authorizer ID specified. Setting the authorization type to CUSTOM or "
                "COGNITO_USER_POOLS requires a valid authorizer."
            )
    elif method.authorizerId is not None:
        method = method.model_copy(update={"authorizerId": None})
    if method.requestValidatorId and parts.get(VALIDATORS, method.requestValidatorId) is None:
        raise Invalid(f"Invalid Request Validator identifier specified {method.requestValidatorId}")
    for model in (method.requestModels or {}).values():
        if parts.get(MODELS, model) is None:
            raise Invalid(f"Invalid model name specified: {model}")
    for name in method.requestParameters or {}:
        if not _REQUEST_PARAMETER.match(name):
            raise Invalid(
                f"Invalid mapping expression specified: {name}: write "
                "method.request.{path|querystring|header}.<name>"
            )
    return method


def check_integration(integration: Integration, resource_id: str) -> Integration:
    """An integration as API Gateway accepts it, its defaults filled in."""
    kind = integration.type
    if not DEFAULT_TIMEOUT_MS >= integration.timeoutInMillis >= 50:
        raise Invalid("Timeout should be between 50 ms and 29000 ms")
    if kind != "MOCK":
        if not integration.httpMethod:
            raise Invalid("Enumeration value for HttpMethod must be non-empty")
        check_http_method(integration.httpMethod)
        if not integration.uri:
            raise Invalid(f"Invalid Integration URI specified: {kind} integrations need a uri")
    if kind == "AWS_PROXY" or (kind == "AWS" and ":lambda:path/" in (integration.uri or "")):
        function_of(integration.uri or "")  # Invalid unless it names a function
    if kind in ("HTTP", "HTTP_PROXY") and not _HTTP_URI.match(integration.uri or ""):
        raise Invalid(f"Invalid HTTP endpoint specified for URI {integration.uri!r}")
    return integration.model_copy(
        update={
            "passthroughBehavior": integration.passthroughBehavior or "WHEN_NO_MATCH",
            "cacheNamespace": integration.cacheNamespace or resource_id,
        }
    )


def _status(code: str) -> str:
    if not _STATUS_CODE.match(code):
        raise Invalid(f"Invalid status code {code!r}: give an HTTP status code, 100 to 599")
    return code


class Methods:
    """Put/Get/Update/Delete Method, Integration, MethodResponse, IntegrationResponse."""

    def __init__(self, store: RestStore) -> None:
        self._store = store

    async def _change(
        self,
        api_id: str,
        resource_id: str,
        http_method: str,
        change: Callable[[Parts, Resource, Method], tuple[Method, R]],
    ) -> R:
        """Runs `change(parts, resource, method)` -> (the new method, the answer) in one
        transaction, and stores the new method."""

        def work(parts: Parts) -> R:
            resource = parts.require(RESOURCES, resource_id)
            method, answer = change(parts, resource, method_of(resource, http_method))
            parts.put(RESOURCES, resource_id, resource.with_method(method))
            return answer

        return await self._store.write(api_id, work)

    async def _read(self, api_id: str, resource_id: str, http_method: str) -> Method:
        def work(parts: Parts) -> Method:
            return method_of(parts.require(RESOURCES, resource_id), http_method)

        return await self._store.read(api_id, work)

    # -- methods -------------------------------------------------------------------------------
    async def put_method(
        self, api_id: str, resource_id: str, http_method: str, request: PutMethodRequest
    ) -> Method:
        check_http_method(http_method)

        def work(parts: Parts) -> Method:
            resource = parts.require(RESOURCES, resource_id)
            if http_method in resource.methods:
                raise Conflict("Method already exists for this resource")
            method = check_method(parts, Method(httpMethod=http_method, **request.model_dump()))
            parts.put(RESOURCES, resource_id, resource.with_method(method))
            return method

        return await self._store.write(api_id, work)

    async def get_method(self, api_id: str, resource_id: str, http_method: str) -> Method:
        return await self._read(api_id, resource_id, http_method)

    async def update_method(
        self, api_id: str, resource_id: str, http_method: str, patch: list[PatchOperation]
    ) -> Method:
        def change(parts: Parts, _: Resource, method: Method) -> tuple[Method, Method]:
            updated = check_method(
                parts, parse_request(Method, apply_patch(method.wire(), patch, _METHOD_PATCH))
            )
            return updated, updated

        return await self._change(api_id, resource_id, http_method, change)

    async def delete_method(self, api_id: str, resource_id: str, http_method: str) -> None:
        def work(parts: Parts) -> None:
            resource = parts.require(RESOURCES, resource_id)
            method_of(resource, http_method)
            parts.put(RESOURCES, resource_id, resource.without_method(http_method))

        await self._store.write(api_id, work)

    # -- integrations --------------------------------------------------------------------------
    async def put_integration(
        self, api_id: str, resource_id: str, http_method: str, request: PutIntegrationRequest
    ) -> Integration:
        def change(_: Parts, resource: Resource, method: Method) -> tuple[Method, Integration]:
            fields = request.model_dump(exclude_none=True)
            fields.setdefault("timeoutInMillis", DEFAULT_TIMEOUT_MS)
            integration = check_integration(parse_request(Integration, fields), resource.id)
            return method.model_copy(update={"methodIntegration": integration}), integration

        return await self._change(api_id, resource_id, http_method, change)

    async def get_integration(self, api_id: str, resource_id: str, http_method: str) -> Integration:
        return integration_of(await self._read(api_id, resource_id, http_method))

    async def update_integration(
        self, api_id: str, resource_id: str, http_method: str, patch: list[PatchOperation]
    ) -> Integration:
        def change(_: Parts, resource: Resource, method: Method) -> tuple[Method, Integration]:
            doc = apply_patch(integration_of(method).wire(), patch, _INTEGRATION_PATCH)
            integration = check_integration(parse_request(Integration, doc), resource.id)
            return method.model_copy(update={"methodIntegration": integration}), integration

        return await self._change(api_id, resource_id, http_method, change)

    async def delete_integration(self, api_id: str, resource_id: str, http_method: str) -> None:
        def change(_: Parts, __: Resource, method: Method) -> tuple[Method, None]:
            integration_of(method)
            return method.model_copy(update={"methodIntegration": None}), None

        await self._change(api_id, resource_id, http_method, change)

    # -- method responses ----------------------------------------------------------------------
    async def put_method_response(
        self, api_id: str, resource_id: str, http_method: str, status_code: str,
        request: PutMethodResponseRequest,
    ) -> MethodResponse:  # fmt: skip
        response = MethodResponse(statusCode=_status(status_code), **request.model_dump())

        def change(parts: Parts, _: Resource, method: Method) -> tuple[Method, MethodResponse]:
            for model in (response.responseModels or {}).values():
                if parts.get(MODELS, model) is None:
                    raise Invalid(f"Invalid model name specified: {model}")
            responses = (method.methodResponses or {}) | {status_code: response}
            return method.model_copy(update={"methodResponses": responses}), response

        return await self._change(api_id, resource_id, http_method, change)

    async def get_method_response(
        self, api_id: str, resource_id: str, http_method: str, status_code: str
    ) -> MethodResponse:
        method = await self._read(api_id, resource_id, http_method)
        found = (method.methodResponses or {}).get(status_code)
        if found is None:
            raise NotFound(NO_RESPONSE)
        return found

    async def update_method_response(
        self, api_id: str, resource_id: str, http_method: str, status_code: str,
        patch: list[PatchOperation],
    ) -> MethodResponse:  # fmt: skip
        def change(_: Parts, __: Resource, method: Method) -> tuple[Method, MethodResponse]:
            responses = dict(method.methodResponses or {})
            if status_code not in responses:
                raise NotFound(NO_RESPONSE)
            doc = apply_patch(responses[status_code].wire(), patch, _METHOD_RESPONSE_PATCH)
            responses[status_code] = parse_request(MethodResponse, doc)
            return method.model_copy(update={"methodResponses": responses}), responses[status_code]

        return await self._change(api_id, resource_id, http_method, change)

    async def delete_method_response(
        self, api_id: str, resource_id: str, http_method: str, status_code: str
    ) -> None:
        def change(_: Parts, __: Resource, method: Method) -> tuple[Method, None]:
            responses = dict(method.methodResponses or {})
            if responses.pop(status_code, None) is None:
                raise NotFound(NO_RESPONSE)
            return method.model_copy(update={"methodResponses": responses or None}), None

        await self._change(api_id, resource_id, http_method, change)

    # -- integration responses -----------------------------------------------------------------
    async def put_integration_response(
        self, api_id: str, resource_id: str, http_method: str, status_code: str,
        request: PutIntegrationResponseRequest,
    ) -> IntegrationResponse:  # fmt: skip
        response = IntegrationResponse(statusCode=_status(status_code), **request.model_dump())

        def change(_: Parts, __: Resource, method: Method) -> tuple[Method, IntegrationResponse]:
            integration = integration_of(method)
            responses = (integration.integrationResponses or {}) | {status_code: response}
            integration = integration.model_copy(update={"integrationResponses": responses})
            return method.model_copy(update={"methodIntegration": integration}), response

        return await self._change(api_id, resource_id, http_method, change)

    async def get_integration_response(
        self, api_id: str, resource_id: str, http_method: str, status_code: str
    ) -> IntegrationResponse:
        integration = integration_of(await self._read(api_id, resource_id, http_method))
        found = (integration.integrationResponses or {}).get(status_code)
        if found is None:
            raise NotFound(NO_RESPONSE)
        return found

    async def update_integration_response(
        self, api_id: str, resource_id: str, http_method: str, status_code: str,
        patch: list[PatchOperation],
    ) -> IntegrationResponse:  # fmt: skip
        def change(_: Parts, __: Resource, method: Method) -> tuple[Method, IntegrationResponse]:
            integration = integration_of(method)
            responses = dict(integration.integrationResponses or {})
            if status_code not in responses:
                raise NotFound(NO_RESPONSE)
            doc = apply_patch(responses[status_code].wire(), patch, _INTEGRATION_RESPONSE_PATCH)
            responses[status_code] = parse_request(IntegrationResponse, doc)
            integration = integration.model_copy(update={"integrationResponses": responses})
            return method.model_copy(update={"methodIntegration": integration}), responses[
                status_code
            ]

        return await self._change(api_id, resource_id, http_method, change)

    async def delete_integration_response(
        self, api_id: str, resource_id: str, http_method: str, status_code: str
    ) -> None:
        def change(_: Parts, __: Resource, method: Method) -> tuple[Method, None]:
            integration = integration_of(method)
            responses = dict(integration.integrationResponses or {})
            if responses.pop(status_code, None) is None:
                raise NotFound(NO_RESPONSE)
            integration = integration.model_copy(update={"integrationResponses": responses or None})
            return method.model_copy(update={"methodIntegration": integration}), None

        await self._change(api_id, resource_id, http_method, change)
