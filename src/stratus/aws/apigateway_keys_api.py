"""The API Gateway API for API keys (/apikeys; ImportApiKeys reads a CSV file) and usage
plans (/usageplans, their /keys), for boto3's `apigateway` client: the table of handlers
apigateway_api.py serves. The rules live in stratus.apis.rest.keys, .key_import and .plans.
"""

from __future__ import annotations

from typing import Any

from stratus.apis.rest.key_import import import_api_keys
from stratus.apis.rest.requests import (
    CreateApiKeyRequest,
    CreateUsagePlanKeyRequest,
    CreateUsagePlanRequest,
)
from stratus.apis.shape import parse_request
from stratus.errors import Invalid

from .apigateway_members import addressed, listed, one, page_of, patch_of, rest_apis
from .protocols.adapter import Call, Handler, Output


def _keys(call: Call) -> Any:
    return rest_apis(call).keys


def _plans(call: Call) -> Any:
    return rest_apis(call).plans


# -- API keys ----------------------------------------------------------------------------------
async def create_api_key(call: Call, params: dict[str, Any]) -> Output:
    return one(await rest_apis(call).keys.create(parse_request(CreateApiKeyRequest, params)))


async def get_api_key(call: Call, params: dict[str, Any]) -> Output:
    keys = rest_apis(call).keys
    return one(await keys.get(params["apiKey"], params.get("includeValue", False)))


async def get_api_keys(call: Call, params: dict[str, Any]) -> Output:
    found = await rest_apis(call).keys.list(
        *page_of(params),
        name_query=params.get("nameQuery"),
        customer_id=params.get("customerId"),
        include_values=params.get("includeValues", False),
    )
    return listed(found)


async def import_keys(call: Call, params: dict[str, Any]) -> Output:
    if params["format"] != "csv":
        raise Invalid(f"Invalid format {params['format']!r}: API keys import from csv")
    if not params["body"]:
        raise Invalid("Invalid API key file: the request body is empty; send the file")
    service = rest_apis(call)
    ids = await import_api_keys(service.keys, service.plans, params["body"])
    return {"ids": ids, "warnings": []}


# -- usage plans -------------------------------------------------------------------------------
async def create_usage_plan(call: Call, params: dict[str, Any]) -> Output:
    return one(await rest_apis(call).plans.create(parse_request(CreateUsagePlanRequest, params)))


async def get_usage_plans(call: Call, params: dict[str, Any]) -> Output:
    return listed(await rest_apis(call).plans.list(*page_of(params), params.get("keyId")))


async def create_usage_plan_key(call: Call, params: dict[str, Any]) -> Output:
    request = parse_request(CreateUsagePlanKeyRequest, params)
    return one(await rest_apis(call).plans.add_key(params["usagePlanId"], request))


async def get_usage_plan_keys(call: Call, params: dict[str, Any]) -> Output:
    plans = rest_apis(call).plans
    found = await plans.list_keys(params["usagePlanId"], *page_of(params), params.get("nameQuery"))
    return listed(found)


# -- usage ---------------------------------------------------------------------------------------
async def get_usage(call: Call, params: dict[str, Any]) -> Output:
    apis = rest_apis(call)
    plan = await apis.plans.get(params["usagePlanId"])
    if params.get("keyId"):
        await apis.plans.get_key(plan.id, params["keyId"])
        key_ids = [params["keyId"]]
    else:
        keys, _ = await apis.plans.list_keys(plan.id, limit=500)
        key_ids = [k.id for k in keys]
    items = apis.usage.report(plan, key_ids, params["startDate"], params["endDate"])
    return {
        "usagePlanId": plan.id, "startDate": params["startDate"], "endDate": params["endDate"],
        "items": items,
    }  # fmt: skip


async def update_usage(call: Call, params: dict[str, Any]) -> Output:
    apis = rest_apis(call)
    plan = await apis.plans.get(params["usagePlanId"])
    await apis.plans.get_key(plan.id, params["keyId"])
    apis.usage.update(plan, params["keyId"], patch_of(params))
    today = apis.usage.today().isoformat()
    items = apis.usage.report(plan, [params["keyId"]], today, today)
    return {"usagePlanId": plan.id, "startDate": today, "endDate": today, "items": items}


HANDLERS: dict[str, Handler] = {
    "CreateApiKey": create_api_key,
    "GetApiKey": get_api_key,
    "GetApiKeys": get_api_keys,
    **addressed("ApiKey", _keys, ("apiKey",), update="update", delete="delete"),
    "ImportApiKeys": import_keys,
    "CreateUsagePlan": create_usage_plan,
    "GetUsagePlans": get_usage_plans,
    **addressed("UsagePlan", _plans, ("usagePlanId",), get="get", update="update", delete="delete"),
    "GetUsage": get_usage,
    "UpdateUsage": update_usage,
    "CreateUsagePlanKey": create_usage_plan_key,
    "GetUsagePlanKeys": get_usage_plan_keys,
    **addressed(
        "UsagePlanKey", _plans, ("usagePlanId", "keyId"), get="get_key", delete="remove_key"
    ),
}
