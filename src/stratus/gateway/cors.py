"""CORS for HTTP APIs, as API Gateway applies an API's `CorsConfiguration` ("Configure CORS
for HTTP APIs"):

- a preflight (OPTIONS with `Origin` and `Access-Control-Request-Method`) is answered by the
  gateway itself, 204 with the configured Access-Control-Allow-* headers, whatever the
  routes (the function is not invoked);
- any other request with an allowed `Origin` gets Access-Control-Allow-Origin, -Expose-Headers
  and -Allow-Credentials added to its response;
- the function's own `Access-Control-*` headers are dropped: the API's configuration wins.

An origin is allowed when AllowOrigins lists it exactly or lists `*`; with `*` the answer
is `*`, else the request's origin. An origin that is not allowed gets no CORS headers (the
browser then blocks the response). Pure logic over `HttpResponse`; function URLs use the same
rules with their own configuration (same members) and a 200 preflight.
"""

from __future__ import annotations

from typing import Protocol

from stratus.gateway.responses import HttpResponse


class Cors(Protocol):
    """An HTTP API's CorsConfiguration or a function URL's Cors: the same members."""

    @property
    def AllowCredentials(self) -> bool | None: ...
    @property
    def AllowHeaders(self) -> list[str] | None: ...
    @property
    def AllowMethods(self) -> list[str] | None: ...
    @property
    def AllowOrigins(self) -> list[str] | None: ...
    @property
    def ExposeHeaders(self) -> list[str] | None: ...
    @property
    def MaxAge(self) -> int | None: ...


_PREFIX = "access-control-"


def origin_of(headers: tuple[tuple[str, str], ...]) -> str | None:
    return next((v for k, v in headers if k.lower() == "origin"), None)


def is_preflight(method: str, headers: tuple[tuple[str, str], ...]) -> bool:
    names = {k.lower() for k, _ in headers}
    return method == "OPTIONS" and "origin" in names and "access-control-request-method" in names


def allowed_origin(cors: Cors, origin: str | None) -> str | None:
    """The Access-Control-Allow-Origin value for `origin`, or None when it is not allowed."""
    origins = cors.AllowOrigins or []
    if origin is None:
        return None
    if "*" in origins:
        return "*"
    return origin if origin in origins else None


def preflight(cors: Cors, origin: str | None, status: int = 204) -> HttpResponse:
    """The gateway's own answer to a preflight request (HTTP APIs 204, function URLs 200)."""
    allow = allowed_origin(cors, origin)
    if allow is None:
        return HttpResponse(status, (), b"")
    headers = [("access-control-allow-origin", allow)]
    if cors.AllowMethods:
        headers.append(("access-control-allow-methods", ",".join(cors.AllowMethods)))
    if cors.AllowHeaders:
        headers.append(("access-control-allow-headers", ",".join(cors.AllowHeaders)))
    if cors.AllowCredentials:
        headers.append(("access-control-allow-credentials", "true"))
    if cors.MaxAge is not None:
        headers.append(("access-control-max-age", str(cors.MaxAge)))
    return HttpResponse(status, tuple(headers), b"")


def response_headers(cors: Cors, origin: str | None) -> tuple[tuple[str, str], ...]:
    """The CORS headers of an actual (non-preflight) response to `origin`."""
    allow = allowed_origin(cors, origin)
    if allow is None:
        return ()
    headers = [("access-control-allow-origin", allow)]
    if cors.ExposeHeaders:
        headers.append(("access-control-expose-headers", ",".join(cors.ExposeHeaders)))
    if cors.AllowCredentials:
        headers.append(("access-control-allow-credentials", "true"))
    return tuple(headers)


def replace_headers(response: HttpResponse, added: tuple[tuple[str, str], ...]) -> HttpResponse:
    """`response` with its own CORS headers replaced by `added`."""
    kept = tuple((k, v) for k, v in response.headers if not k.lower().startswith(_PREFIX))
    return HttpResponse(response.status, kept + added, response.body)


def with_cors(cors: Cors, origin: str | None, response: HttpResponse) -> HttpResponse:
    """`response` with the function's CORS headers replaced by the API's."""
    return replace_headers(response, response_headers(cors, origin))
