"""The Lambda API's resource-based policies: AddPermission / RemovePermission / GetPolicy on
a function (or a version or alias: each has a policy of its own), the whole-document
Put/Get/DeleteResourcePolicy on the same policies, and the permissions of layer versions.
The rules live in stratus.functions.policies."""

from __future__ import annotations

from typing import Any

import orjson

from stratus.errors import Invalid
from stratus.functions.names import FunctionRef, parse_reference
from stratus.functions.policies import Owner, invoke_statement, layer_owner, layer_statement

from .lambda_members import ref
from .protocols.adapter import Call, Handler, Output


async def _function_owner(call: Call, target: FunctionRef) -> Owner:
    return await call.services.functions.policy_owner(target)


async def add_permission(call: Call, params: dict[str, Any]) -> Output:
    owner = await _function_owner(call, ref(params))
    statement = invoke_statement(owner.resource, params)
    policies = call.services.functions.policies
    await policies.add(owner, statement, params.get("RevisionId"))
    return {"Statement": _json(statement)}


async def remove_permission(call: Call, params: dict[str, Any]) -> Output:
    owner = await _function_owner(call, ref(params))
    policies = call.services.functions.policies
    await policies.remove(owner, params["StatementId"], params.get("RevisionId"))
    return None


async def get_policy(call: Call, params: dict[str, Any]) -> Output:
    owner = await _function_owner(call, ref(params))
    policy = await call.services.functions.policies.get(owner)
    return {"Policy": policy.text, "RevisionId": policy.revision_id}


async def put_resource_policy(call: Call, params: dict[str, Any]) -> Output:
    owner = await _function_owner(call, _arn_ref(params["ResourceArn"]))
    policies = call.services.functions.policies
    policy = await policies.replace(owner, params["Policy"], params.get("RevisionId"))
    return {"Policy": policy.text, "RevisionId": policy.revision_id}


async def get_resource_policy(call: Call, params: dict[str, Any]) -> Output:
    owner = await _function_owner(call, _arn_ref(params["ResourceArn"]))
    policy = await call.services.functions.policies.get(owner)
    return {"Policy": policy.text, "RevisionId": policy.revision_id}


async def delete_resource_policy(call: Call, params: dict[str, Any]) -> Output:
    owner = await _function_owner(call, _arn_ref(params["ResourceArn"]))
    await call.services.functions.policies.delete(owner, params.get("RevisionId"))
    return None


def _arn_ref(arn: str) -> FunctionRef:
    if not arn.startswith("arn:") or ":function:" not in arn:
        raise Invalid(f"Stratus keeps resource policies of functions only, not {arn}")
    return parse_reference(arn)


async def _layer_owner(call: Call, params: dict[str, Any]) -> Owner:
    version = await call.services.functions.layers.get(params["LayerName"], params["VersionNumber"])
    return layer_owner(version.LayerVersionArn)


async def add_layer_version_permission(call: Call, params: dict[str, Any]) -> Output:
    owner = await _layer_owner(call, params)
    statement = layer_statement(owner.resource, params)
    policies = call.services.functions.policies
    policy = await policies.add(owner, statement, params.get("RevisionId"))
    return {"Statement": _json(statement), "RevisionId": policy.revision_id}


async def remove_layer_version_permission(call: Call, params: dict[str, Any]) -> Output:
    owner = await _layer_owner(call, params)
    policies = call.services.functions.policies
    await policies.remove(owner, params["StatementId"], params.get("RevisionId"))
    return None


async def get_layer_version_policy(call: Call, params: dict[str, Any]) -> Output:
    policy = await call.services.functions.policies.get(await _layer_owner(call, params))
    return {"Policy": policy.text, "RevisionId": policy.revision_id}


def _json(statement: dict[str, Any]) -> str:
    return orjson.dumps(statement).decode()


HANDLERS: dict[str, Handler] = {
    "AddPermission": add_permission,
    "RemovePermission": remove_permission,
    "GetPolicy": get_policy,
    "PutResourcePolicy": put_resource_policy,
    "GetResourcePolicy": get_resource_policy,
    "DeleteResourcePolicy": delete_resource_policy,
    "AddLayerVersionPermission": add_layer_version_permission,
    "RemoveLayerVersionPermission": remove_layer_version_permission,
    "GetLayerVersionPolicy": get_layer_version_policy,
}
