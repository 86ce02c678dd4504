"""AWS::ApiGateway::RestApi and ::Account, over the REST API service, and the helpers the
other REST API providers share. Deployments and stages are in apigateway_stages.py; resources,
methods, authorizers, models and validators in apigateway_methods.py; API keys and usage plans
in apigateway_keys.py.

A RestApi with `Body` (what the SAM translator makes of every `AWS::Serverless::Api` and the
implicit ServerlessRestApi) is an OpenAPI import; an update re-imports it over the same id.
Updates in place are the service's Update* patch operations, computed here from the old and
the new properties (`patch`), so every change is checked by the same rules as the API's.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any, ClassVar

from stratus.apis.openapi import titled
from stratus.apis.rest.patch import escape
from stratus.apis.rest.requests import (
    CreateRestApiRequest,
    PatchOperation,
)
from stratus.apis.shape import parse_request
from stratus.errors import NotFound
from stratus.templates.provider import Context, Created, Provider, required, wait_read_document

MAX_BODY_BYTES = 16 * 1024 * 1024  # an OpenAPI document read from object storage


# -- helpers shared by the REST API providers -------------------------------------------------
def camel(props: Mapping[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The properties `names` (CloudFormation's spelling) as the API's members (`Name` ->
    `name`), those absent left out."""
    return {n[:1].lower() + n[1:]: props[n] for n in names if props.get(n) is not None}


def text(value: Any) -> str:
    """A patch value: patches carry strings only."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def patch(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[PatchOperation]:
    """The operations taking `current` to `wanted`, both maps of patch path -> value (None or
    absent in `wanted`: removed)."""
    operations = []
    for path in sorted(current.keys() | wanted.keys()):
        before, after = current.get(path), wanted.get(path)
        if before == after:
            continue
        if after is None:
            operations.append({"op": "remove", "path": path})
        else:
            operations.append({"op": "replace", "path": path, "value": text(after)})
    return [parse_request(PatchOperation, op) for op in operations]


def suppress_gone() -> contextlib.suppress:
    """Deleting what is already gone succeeds, as CloudFormation's deletes do."""
    return contextlib.suppress(NotFound)


def rest_apis(ctx: Context) -> Any:
    return ctx.services.rest_apis


# -- RestApi ----------------------------------------------------------------------------------
_API_SETTINGS = {
    "Name": "/name",
    "Description": "/description",
    "ApiKeySourceType": "/apiKeySource",
    "MinimumCompressionSize": "/minimumCompressionSize",
    "DisableExecuteApiEndpoint": "/disableExecuteApiEndpoint",
    "Policy": "/policy",
}


def _media_types(props: Mapping[str, Any]) -> list[str]:
    """CloudFormation writes `/` in BinaryMediaTypes as `~1` (a JSON Pointer escape)."""
    return [str(t).replace("~1", "/") for t in props.get("BinaryMediaTypes") or []]


def _policy(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, dict) else value


def _api_wanted(props: Mapping[str, Any]) -> dict[str, Any]:
    wanted = {path: props.get(name) for name, path in _API_SETTINGS.items()}
    wanted["/policy"] = _policy(wanted["/policy"])
    return {k: v for k, v in wanted.items() if v is not None}


def _api_current(api: Any) -> dict[str, Any]:
    return {
        "/name": api.name,
        "/description": api.description,
        "/apiKeySource": api.apiKeySource,
        "/minimumCompressionSize": api.minimumCompressionSize,
        "/disableExecuteApiEndpoint": api.disableExecuteApiEndpoint,
        "/policy": api.policy,
    }


def _import_parameters(props: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): text(v) for k, v in (props.get("Parameters") or {}).items()}


async def wait_body_from_s3(ctx: Context, logical_id: str, props: dict[str, Any]) -> bytes:
    """BodyS3Location {Bucket, Key, Version}: the OpenAPI document, where `stratus deploy`
    or `sam deploy` uploaded a DefinitionUri, or any object of this server's (also HTTP APIs'
    BodyS3Location, apigatewayv2.py)."""
    what = f"{logical_id}: BodyS3Location"
    return await wait_read_document(ctx, what, props["BodyS3Location"], MAX_BODY_BYTES)


class RestApi(Provider):
    type_name = "AWS::ApiGateway::RestApi"
    updatable: ClassVar[frozenset[str]] = frozenset(
        {
            "Name", "Description", "Body", "BinaryMediaTypes", "MinimumCompressionSize",
            "ApiKeySourceType", "Policy", "DisableExecuteApiEndpoint", "EndpointConfiguration",
            "FailOnWarnings", "Parameters", "Mode", "Tags",
        }
    )  # fmt: skip

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        service = rest_apis(ctx)
        if props.get("BodyS3Location"):
            props = {**props, "Body": await wait_body_from_s3(ctx, logical_id, props)}
        if "Body" in props:
            api = await service.import_rest_api(
                titled(props["Body"], props.get("Name")),
                fail_on_warnings=bool(props.get("FailOnWarnings", False)),
                parameters=_import_parameters(props),
            )
            api = await self._settle(ctx, api, {}, props)
        else:
            fields = camel(
                props,
                ("Name", "Description", "CloneFrom", "MinimumCompressionSize", "Policy",
                 "DisableExecuteApiEndpoint"),
            )  # fmt: skip
            required(props, "Name", self.type_name)
            fields["policy"] = _policy(fields.get("policy"))
            fields["binaryMediaTypes"] = _media_types(props) or None
            if props.get("ApiKeySourceType"):
                fields["apiKeySource"] = props["ApiKeySourceType"]
            endpoint = props.get("EndpointConfiguration") or {}
            if endpoint.get("Types"):
                fields["endpointConfiguration"] = {"types": endpoint["Types"]}
            request = parse_request(
                CreateRestApiRequest, {k: v for k, v in fields.items() if v is not None}
            )
            api = await service.create_rest_api(request)
        return Created(api.id, self._attributes(api))

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        service = rest_apis(ctx)
        api_id = current.physical_id
        if "Body" in new and new["Body"] != old.get("Body"):
            api = await service.put_rest_api(
                api_id,
                titled(new["Body"], new.get("Name")),
                mode=str(new.get("Mode", "overwrite")),
                fail_on_warnings=bool(new.get("FailOnWarnings", False)),
                parameters=_import_parameters(new),
            )
        else:
            api = await service.get_rest_api(api_id)
        api = await self._settle(ctx, api, old, new)
        return Created(api_id, self._attributes(api))

    async def _settle(
        self, ctx: Context, api: Any, old: Mapping[str, Any], new: Mapping[str, Any]
    ) -> Any:
        """Patches the API's settings to what `new` says; what `old` set and `new` no longer
        does is removed. Settings neither mentions are left as the import made them."""
        wanted = _api_wanted(new)
        current = _api_current(api)
        current = {k: v for k, v in current.items() if k in wanted or k in _api_wanted(old)}
        operations = patch(current, wanted)
        types = (new.get("EndpointConfiguration") or {}).get("Types") or []
        now = api.endpointConfiguration.types[0]
        if types and types[0] != now:  # the member path names the type being replaced
            operations.append(parse_request(PatchOperation, {
                "op": "replace", "path": f"/endpointConfiguration/types/{now}", "value": types[0]
            }))  # fmt: skip
        have = set(api.binaryMediaTypes or [])
        dropped = set(_media_types(old)) - set(_media_types(new))
        for media in sorted(set(_media_types(new)) - have):
            operations.append(
                parse_request(
                    PatchOperation, {"op": "add", "path": f"/binaryMediaTypes/{escape(media)}"}
                )
            )
        for media in sorted(dropped & have):
            operations.append(
                parse_request(
                    PatchOperation, {"op": "remove", "path": f"/binaryMediaTypes/{escape(media)}"}
                )
            )
        if not operations:
            return api
        return await rest_apis(ctx).update_rest_api(api.id, operations)

    def _attributes(self, api: Any) -> dict[str, Any]:
        return {"RestApiId": api.id, "RootResourceId": api.rootResourceId}

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with suppress_gone():
            await rest_apis(ctx).delete_rest_api(physical_id)


class Account(Provider):
    """The account's settings: CloudWatchRoleArn is set (UpdateAccount) and recorded, as
    stratus.apis.rest.account says; deleting the resource leaves the account as it is, as
    CloudFormation does."""

    type_name = "AWS::ApiGateway::Account"
    updatable: ClassVar[frozenset[str]] = frozenset({"CloudWatchRoleArn"})

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        await self._set_role(ctx, {}, props)
        return Created(ctx.physical_name(logical_id))

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        await self._set_role(ctx, old, new)
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        return None

    async def _set_role(self, ctx: Context, old: dict[str, Any], new: dict[str, Any]) -> None:
        operations = patch(
            {"/cloudwatchRoleArn": old.get("CloudWatchRoleArn")},
            {"/cloudwatchRoleArn": new.get("CloudWatchRoleArn")},
        )
        if operations:
            await rest_apis(ctx).account.update(operations)


PROVIDERS = (RestApi, Account)
