"""Reserved and provisioned concurrency, and account settings, over the Lambda API."""

from __future__ import annotations

from typing import Any

from stratus.errors import Validation
from stratus.functions.concurrency import (
    Concurrency,
    PutFunctionConcurrencyRequest,
    PutProvisionedConcurrencyRequest,
)
from stratus.validation import parse

from .lambda_members import ref
from .protocols.adapter import Call, Handler, Output


def _concurrency(call: Call) -> Concurrency:
    return call.services.concurrency


def _unqualified(params: dict[str, Any]) -> str:
    """Reserved concurrency belongs to the function, not to a version or alias."""
    function = ref(params)
    if function.qualifier:
        raise Validation(
            f"1 validation error detected: Value '{params['FunctionName']}' at "
            "'functionName' failed to satisfy constraint: Member must satisfy regular "
            "expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?"
            "(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)"
        )
    return function.name


async def put_reserved(call: Call, params: dict[str, Any]) -> Output:
    request = parse(PutFunctionConcurrencyRequest, params)
    count = await _concurrency(call).put_reserved(
        _unqualified(params), request.ReservedConcurrentExecutions
    )
    return {"ReservedConcurrentExecutions": count}


async def get_reserved(call: Call, params: dict[str, Any]) -> Output:
    count = await _concurrency(call).get_reserved(_unqualified(params))
    return {} if count is None else {"ReservedConcurrentExecutions": count}


async def delete_reserved(call: Call, params: dict[str, Any]) -> Output:
    await _concurrency(call).delete_reserved(_unqualified(params))
    return None


async def get_provisioned(call: Call, params: dict[str, Any]) -> Output:
    config, available = await _concurrency(call).get_provisioned(ref(params))
    return config.wire(available)


async def list_provisioned(call: Call, params: dict[str, Any]) -> Output:
    name = ref(params).name
    configs = await _concurrency(call).list_provisioned(name)
    service = call.services.functions
    items = [
        config.wire(available, service.arn(name, config.qualifier)) for config, available in configs
    ]
    return {"ProvisionedConcurrencyConfigs": items}


async def put_provisioned(call: Call, params: dict[str, Any]) -> Output:
    request = parse(PutProvisionedConcurrencyRequest, params)
    config = await _concurrency(call).put_provisioned(
        ref(params), request.ProvisionedConcurrentExecutions
    )
    return config.wire(0)


async def delete_provisioned(call: Call, params: dict[str, Any]) -> Output:
    await _concurrency(call).delete_provisioned(ref(params))
    return None


async def account_settings(call: Call, params: dict[str, Any]) -> Output:
    functions = call.services.functions
    limits = functions.account_concurrency()
    count, code_size = await functions.usage()
    return {
        "AccountLimit": {
            "TotalCodeSize": 80 * 1024**3,
            "CodeSizeUnzipped": 250 * 1024**2,
            "CodeSizeZipped": 50 * 1024**2,
            "ConcurrentExecutions": limits.limit,
            "UnreservedConcurrentExecutions": limits.unreserved,
        },
        "AccountUsage": {"TotalCodeSize": code_size, "FunctionCount": count},
    }


HANDLERS: dict[str, Handler] = {
    "PutFunctionConcurrency": put_reserved,
    "GetFunctionConcurrency": get_reserved,
    "DeleteFunctionConcurrency": delete_reserved,
    "GetProvisionedConcurrencyConfig": get_provisioned,
    "ListProvisionedConcurrencyConfigs": list_provisioned,
    "PutProvisionedConcurrencyConfig": put_provisioned,
    "DeleteProvisionedConcurrencyConfig": delete_provisioned,
    "GetAccountSettings": account_settings,
}
