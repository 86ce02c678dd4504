"""AWS::ApiGateway::ApiKey / UsagePlan / UsagePlanKey: the account's API keys and usage
plans, over the REST API service.

A UsagePlan changes in place (patches), never by replacement: a key may be in only one plan
per API stage, so a new plan beside the old one could not take the old one's keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from stratus.apis.rest.requests import (
    CreateApiKeyRequest,
    CreateUsagePlanKeyRequest,
    CreateUsagePlanRequest,
    PatchOperation,
)
from stratus.apis.shape import parse_request
from stratus.templates.provider import Context, Created, Provider, required, tag_map

from .apigateway import camel, patch, rest_apis, suppress_gone


def _tags(props: Mapping[str, Any]) -> dict[str, str] | None:
    return tag_map(props.get("Tags")) or None


_KEY_PATHS = {
    "Name": "/name",
    "Description": "/description",
    "Enabled": "/enabled",
    "CustomerId": "/customerId",
}


class ApiKey(Provider):
    type_name = "AWS::ApiGateway::ApiKey"
    updatable: ClassVar[frozenset[str]] = frozenset(
        {"Description", "Enabled", "CustomerId", "Tags"}
    )

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        fields = camel(
            props, ("Description", "Enabled", "Value", "CustomerId", "GenerateDistinctId")
        )
        fields["name"] = props.get("Name") or ctx.physical_name(logical_id, 128)
        fields["stageKeys"] = [
            {"restApiId": k.get("RestApiId"), "stageName": k.get("StageName")}
            for k in props.get("StageKeys") or []
        ]
        fields["tags"] = _tags(props)
        key = await rest_apis(ctx).keys.create(parse_request(CreateApiKeyRequest, fields))
        return Created(key.id, {"APIKeyId": key.id})

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        def paths(props: Mapping[str, Any]) -> dict[str, Any]:
            found = {path: props.get(name) for name, path in _KEY_PATHS.items() if name != "Name"}
            found["/enabled"] = bool(props.get("Enabled", False))
            return found

        await rest_apis(ctx).keys.update(current.physical_id, patch(paths(old), paths(new)))
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with suppress_gone():
            await rest_apis(ctx).keys.delete(physical_id)


def _limits(value: Mapping[str, Any] | None, names: tuple[str, ...]) -> dict[str, Any] | None:
    return camel(value, names) or None if value else None


def _api_stage(stage: Mapping[str, Any]) -> dict[str, Any]:
    throttle = {
        path: _limits(limits, ("BurstLimit", "RateLimit"))
        for path, limits in (stage.get("Throttle") or {}).items()
    }
    return {"apiId": stage.get("ApiId"), "stage": stage.get("Stage"), "throttle": throttle or None}


def _plan_paths(props: Mapping[str, Any]) -> dict[str, Any]:
    paths: dict[str, Any] = {"/description": props.get("Description")}
    for area, names in (("throttle", ("BurstLimit", "RateLimit")),
                        ("quota", ("Limit", "Offset", "Period"))):  # fmt: skip
        for name, value in (props.get(area.capitalize()) or {}).items():
            if name in names:
                paths[f"/{area}/{name[:1].lower()}{name[1:]}"] = value
    return {k: v for k, v in paths.items() if v is not None}


class UsagePlan(Provider):
    type_name = "AWS::ApiGateway::UsagePlan"
    updatable: ClassVar[frozenset[str]] = frozenset(
        {"UsagePlanName", "Description", "ApiStages", "Throttle", "Quota", "Tags"}
    )

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        fields: dict[str, Any] = {
            "name": props.get("UsagePlanName") or ctx.physical_name(logical_id, 128),
            "description": props.get("Description"),
            "apiStages": [_api_stage(s) for s in props.get("ApiStages") or []],
            "throttle": _limits(props.get("Throttle"), ("BurstLimit", "RateLimit")),
            "quota": _limits(props.get("Quota"), ("Limit", "Offset", "Period")),
            "tags": _tags(props),
        }
        plan = await rest_apis(ctx).plans.create(parse_request(CreateUsagePlanRequest, fields))
        return Created(plan.id, {"Id": plan.id})

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        before, after = _plan_paths(old), _plan_paths(new)
        operations = [
            op for op in patch(before, after)
            # a whole area gone is one remove; its members go with it
            if not (op.op == "remove" and op.path.count("/") == 2
                    and not new.get(op.path.split("/")[1].capitalize()))
        ]  # fmt: skip
        for area in ("throttle", "quota"):
            if old.get(area.capitalize()) and not new.get(area.capitalize()):
                operations.append(_op("remove", f"/{area}"))
        if new.get("UsagePlanName") and new.get("UsagePlanName") != old.get("UsagePlanName"):
            operations.append(_op("replace", "/name", new["UsagePlanName"]))
        stages_before = {_stage_key(s) for s in old.get("ApiStages") or []}
        stages_after = {_stage_key(s) for s in new.get("ApiStages") or []}
        operations += [_op("add", "/apiStages", s) for s in sorted(stages_after - stages_before)]
        operations += [_op("remove", "/apiStages", s) for s in sorted(stages_before - stages_after)]
        if operations:
            await rest_apis(ctx).plans.update(current.physical_id, operations)
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with suppress_gone():
            await rest_apis(ctx).plans.delete(physical_id)


def _stage_key(stage: Mapping[str, Any]) -> str:
    return f"{stage.get('ApiId')}:{stage.get('Stage')}"


def _op(op: str, path: str, value: str | None = None) -> PatchOperation:
    return parse_request(PatchOperation, {"op": op, "path": path, "value": value})


class UsagePlanKey(Provider):
    """Ref: the key's id, as CloudFormation answers."""

    type_name = "AWS::ApiGateway::UsagePlanKey"

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        plan_id = required(props, "UsagePlanId", self.type_name)
        request = parse_request(
            CreateUsagePlanKeyRequest,
            {
                "keyId": required(props, "KeyId", self.type_name),
                "keyType": props.get("KeyType", "API_KEY"),
            },
        )
        key = await rest_apis(ctx).plans.add_key(plan_id, request)
        return Created(key.id, {"Id": key.id})

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with suppress_gone():
            await rest_apis(ctx).plans.remove_key(props["UsagePlanId"], physical_id)


PROVIDERS = (ApiKey, UsagePlan, UsagePlanKey)
