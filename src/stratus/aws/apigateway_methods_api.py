"""The API Gateway API for the methods of REST API resources, their integrations, and the
method and integration responses (under /restapis/{api}/resources/{resource}/methods), for
boto3's `apigateway` client. Same wire as apigateway_api.py, whose helpers it uses; the rules
live in stratus.apis.rest.methods.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from stratus.apis.rest.requests import (
    PutIntegrationRequest,
    PutIntegrationResponseRequest,
    PutMethodRequest,
    PutMethodResponseRequest,
)

from .apigateway_api import body_of, done, one, patch_of, path_param, service_of, verbs


# -- methods, integrations and their responses -------------------------------------------------
def _method(request: Request) -> tuple[str, str, str]:
    return (
        path_param(request, "api"),
        path_param(request, "resource"),
        path_param(request, "method"),
    )


def _response(request: Request) -> tuple[str, str, str, str]:
    return (*_method(request), path_param(request, "status"))


async def put_method(request: Request) -> Response:
    body = await body_of(request, PutMethodRequest)
    return one(await service_of(request).methods.put_method(*_method(request), body), 201)


async def get_method(request: Request) -> Response:
    return one(await service_of(request).methods.get_method(*_method(request)))


async def update_method(request: Request) -> Response:
    return one(
        await service_of(request).methods.update_method(*_method(request), await patch_of(request))
    )


async def delete_method(request: Request) -> Response:
    await service_of(request).methods.delete_method(*_method(request))
    return done(204)


async def put_integration(request: Request) -> Response:
    body = await body_of(request, PutIntegrationRequest)
    return one(await service_of(request).methods.put_integration(*_method(request), body), 201)


async def get_integration(request: Request) -> Response:
    return one(await service_of(request).methods.get_integration(*_method(request)))


async def update_integration(request: Request) -> Response:
    patch = await patch_of(request)
    return one(await service_of(request).methods.update_integration(*_method(request), patch))


async def delete_integration(request: Request) -> Response:
    await service_of(request).methods.delete_integration(*_method(request))
    return done(204)


async def put_method_response(request: Request) -> Response:
    body = await body_of(request, PutMethodResponseRequest)
    return one(
        await service_of(request).methods.put_method_response(*_response(request), body), 201
    )


async def get_method_response(request: Request) -> Response:
    return one(await service_of(request).methods.get_method_response(*_response(request)))


async def update_method_response(request: Request) -> Response:
    patch = await patch_of(request)
    return one(
        await service_of(request).methods.update_method_response(*_response(request), patch), 201
    )


async def delete_method_response(request: Request) -> Response:
    await service_of(request).methods.delete_method_response(*_response(request))
    return done(204)


async def put_integration_response(request: Request) -> Response:
    body = await body_of(request, PutIntegrationResponseRequest)
    found = await service_of(request).methods.put_integration_response(*_response(request), body)
    return one(found, 201)


async def get_integration_response(request: Request) -> Response:
    return one(await service_of(request).methods.get_integration_response(*_response(request)))


async def update_integration_response(request: Request) -> Response:
    patch = await patch_of(request)
    return one(
        await service_of(request).methods.update_integration_response(*_response(request), patch)
    )


async def delete_integration_response(request: Request) -> Response:
    await service_of(request).methods.delete_integration_response(*_response(request))
    return done(204)


_METHOD = "/restapis/{api}/resources/{resource}/methods/{method}"
_INTEGRATION = f"{_METHOD}/integration"
routes = [
    *verbs(
        _METHOD,
        ("PUT", put_method),
        ("GET", get_method),
        ("PATCH", update_method),
        ("DELETE", delete_method),
    ),
    *verbs(
        f"{_METHOD}/responses/{{status}}",
        ("PUT", put_method_response),
        ("GET", get_method_response),
        ("PATCH", update_method_response),
        ("DELETE", delete_method_response),
    ),
    *verbs(
        _INTEGRATION,
        ("PUT", put_integration),
        ("GET", get_integration),
        ("PATCH", update_integration),
        ("DELETE", delete_integration),
    ),
    *verbs(
        f"{_INTEGRATION}/responses/{{status}}",
        ("PUT", put_integration_response),
        ("GET", get_integration_response),
        ("PATCH", update_integration_response),
        ("DELETE", delete_integration_response),
    ),
]
