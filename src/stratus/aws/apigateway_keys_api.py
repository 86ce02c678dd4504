"""The API Gateway API for API keys (/apikeys) and usage plans (/usageplans, their /keys),
for boto3's `apigateway` client. Same wire as apigateway_api.py, whose helpers it uses; the
rules live in stratus.apis.rest.keys and stratus.apis.rest.plans.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from stratus.apis.rest.requests import (
    CreateApiKeyRequest,
    CreateUsagePlanKeyRequest,
    CreateUsagePlanRequest,
)

from .apigateway_api import (
    body_of,
    done,
    flag,
    listed,
    one,
    page_of,
    patch_of,
    path_param,
    service_of,
    verbs,
)


# -- API keys ----------------------------------------------------------------------------------
async def create_api_key(request: Request) -> Response:
    body = await body_of(request, CreateApiKeyRequest)
    return one(await service_of(request).keys.create(body), 201)


async def get_api_key(request: Request) -> Response:
    keys = service_of(request).keys
    return one(await keys.get(path_param(request, "key"), flag(request, "includeValue")))


async def get_api_keys(request: Request) -> Response:
    query = request.query_params
    found = await service_of(request).keys.list(
        *page_of(request),
        name_query=query.get("name"),
        customer_id=query.get("customerId"),
        include_values=flag(request, "includeValues"),
    )
    return listed(found)


async def update_api_key(request: Request) -> Response:
    patch = await patch_of(request)
    return one(await service_of(request).keys.update(path_param(request, "key"), patch))


async def delete_api_key(request: Request) -> Response:
    await service_of(request).keys.delete(path_param(request, "key"))
    return done()


# -- usage plans -------------------------------------------------------------------------------
async def create_usage_plan(request: Request) -> Response:
    body = await body_of(request, CreateUsagePlanRequest)
    return one(await service_of(request).plans.create(body), 201)


async def get_usage_plan(request: Request) -> Response:
    return one(await service_of(request).plans.get(path_param(request, "plan")))


async def get_usage_plans(request: Request) -> Response:
    key_id = request.query_params.get("keyId")
    return listed(await service_of(request).plans.list(*page_of(request), key_id))


async def update_usage_plan(request: Request) -> Response:
    patch = await patch_of(request)
    return one(await service_of(request).plans.update(path_param(request, "plan"), patch))


async def delete_usage_plan(request: Request) -> Response:
    await service_of(request).plans.delete(path_param(request, "plan"))
    return done()


async def create_usage_plan_key(request: Request) -> Response:
    body = await body_of(request, CreateUsagePlanKeyRequest)
    return one(await service_of(request).plans.add_key(path_param(request, "plan"), body), 201)


async def get_usage_plan_key(request: Request) -> Response:
    plans = service_of(request).plans
    return one(await plans.get_key(path_param(request, "plan"), path_param(request, "key")))


async def get_usage_plan_keys(request: Request) -> Response:
    plans = service_of(request).plans
    name = request.query_params.get("name")
    return listed(await plans.list_keys(path_param(request, "plan"), *page_of(request), name))


async def delete_usage_plan_key(request: Request) -> Response:
    plans = service_of(request).plans
    await plans.remove_key(path_param(request, "plan"), path_param(request, "key"))
    return done()


_PLAN = "/usageplans/{plan}"
routes = [
    *verbs("/apikeys", ("POST", create_api_key), ("GET", get_api_keys)),
    *verbs(
        "/apikeys/{key}",
        ("GET", get_api_key),
        ("PATCH", update_api_key),
        ("DELETE", delete_api_key),
    ),
    *verbs("/usageplans", ("POST", create_usage_plan), ("GET", get_usage_plans)),
    *verbs(
        _PLAN,
        ("GET", get_usage_plan),
        ("PATCH", update_usage_plan),
        ("DELETE", delete_usage_plan),
    ),
    *verbs(f"{_PLAN}/keys", ("POST", create_usage_plan_key), ("GET", get_usage_plan_keys)),
    *verbs(f"{_PLAN}/keys/{{key}}", ("GET", get_usage_plan_key), ("DELETE", delete_usage_plan_key)),
]
