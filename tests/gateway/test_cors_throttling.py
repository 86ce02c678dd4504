"""CORS and throttling for HTTP APIs: the pure logic (cors.py, throttle.py) with tables of
cases and an injected clock, then end to end through boto3's apigatewayv2 and real HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from stratus.apis.http.model import Cors, RouteSettings, Stage
from stratus.gateway.cors import is_preflight, preflight, with_cors
from stratus.gateway.responses import HttpResponse
from stratus.gateway.throttle import (
    ACCOUNT_BURST,
    ACCOUNT_RATE,
    SWEEP_AFTER,
    Limit,
    Throttles,
    ThrottleStatistics,
    limit_for,
)

HELLO = """
def handler(event, context):
    return {
        "statusCode": 200,
        "headers": {"access-control-allow-origin": "https://evil.example", "x-own": "1"},
        "body": "hello",
    }
"""
ORIGIN = "https://app.example.com"


def stage(default: dict[str, Any] | None = None, **routes: dict[str, Any]) -> Stage:
    return Stage(
        StageName="$default",
        CreatedDate="2026-01-01T00:00:00Z",
        LastUpdatedDate="2026-01-01T00:00:00Z",
        DefaultRouteSettings=RouteSettings(**default) if default is not None else None,
        RouteSettings={k: RouteSettings(**v) for k, v in routes.items()} or None,
    )


# -- throttle.py --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("settings", "route", "expected"),
    [
        (stage(), "GET /a", None),
        (stage({"ThrottlingRateLimit": 5, "ThrottlingBurstLimit": 2}), "GET /a", Limit(5, 2)),
        (stage({"ThrottlingRateLimit": 5}), "GET /a", Limit(5, ACCOUNT_BURST)),
        (stage({"ThrottlingBurstLimit": 3}), "GET /a", Limit(ACCOUNT_RATE, 3)),
        (
            stage(
                {"ThrottlingRateLimit": 5, "ThrottlingBurstLimit": 2},
                **{"GET /a": {"ThrottlingBurstLimit": 9}},
            ),
            "GET /a",
            Limit(5, 9),
        ),
        (
            stage(None, **{"GET /a": {"ThrottlingRateLimit": 1, "ThrottlingBurstLimit": 1}}),
            "GET /b",
            None,
        ),
        (stage({"LoggingLevel": "INFO"}), "GET /a", None),
    ],
)
def test_limit_for_merges_route_over_stage_default(settings, route, expected):
    assert limit_for(settings, route) == expected


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("rate", "burst", "steps", "expected"),
    [
        # (seconds to advance before each request) -> admitted?
        (1, 2, [0, 0, 0], [True, True, False]),  # the bucket starts full: burst then refusal
        (1, 2, [0, 0, 0, 1.0], [True, True, False, True]),  # one token per second
        (1, 2, [0, 0, 0.5, 0.5], [True, True, False, True]),  # fractions accumulate
        (10, 1, [0, 0, 0.1, 0], [True, False, True, False]),  # rate 10/s: a token every 0.1 s
        (1, 2, [0, 0, 100, 0, 0, 0], [True, True, True, True, False, False]),  # capped at burst
        (5, 0, [0, 1, 10], [False, False, False]),  # burst 0 refuses everything
        (0, 1, [0, 0, 1000], [True, False, False]),  # rate 0: the burst, then nothing
    ],
)
def test_token_bucket(rate, burst, steps, expected):
    clock = Clock()
    throttles = Throttles(clock)
    settings = stage({"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst})
    admitted = []
    for step in steps:
        clock.now += step
        admitted.append(throttles.admit("api", settings, "GET /a"))
    assert admitted == expected


def test_buckets_are_per_route_and_stage_and_reset_when_the_limit_changes():
    clock = Clock()
    throttles = Throttles(clock)
    tight = stage({"ThrottlingRateLimit": 0, "ThrottlingBurstLimit": 1})
    assert throttles.admit("api", tight, "GET /a")
    assert not throttles.admit("api", tight, "GET /a")
    assert throttles.admit("api", tight, "GET /b")  # another route, another bucket
    assert throttles.admit("other", tight, "GET /a")  # another API
    assert throttles.admit("api", tight.model_copy(update={"StageName": "prod"}), "GET /a")
    looser = stage({"ThrottlingRateLimit": 0, "ThrottlingBurstLimit": 2})
    assert throttles.admit("api", looser, "GET /a")  # a new limit starts a full bucket
    assert throttles.admit("api", stage(), "GET /a")  # no limit: always admitted


def test_refilled_buckets_are_dropped_and_the_others_kept():
    """Buckets of keys no longer asked for (deleted APIs, stages, keys) do not pile up: once
    there are SWEEP_AFTER, those refilled to their burst go (a new one would answer the
    same); a bucket still short of tokens stays and keeps refusing."""
    clock = Clock()
    throttles = Throttles(clock)
    limit = Limit(rate=1.0, burst=2)
    empty = Limit(rate=0.001, burst=1)
    assert throttles.take(("short",), empty)
    for n in range(SWEEP_AFTER - 1):
        throttles.take(("gone", str(n)), limit)
    clock.now += 2.0  # the "gone" buckets have refilled; "short" has not
    throttles.take(("new",), limit)

    assert throttles.statistics() == ThrottleStatistics(buckets=2)
    assert not throttles.take(("short",), empty)


# -- cors.py ------------------------------------------------------------------------------------
CORS = Cors(
    AllowOrigins=[ORIGIN],
    AllowMethods=["GET", "POST"],
    AllowHeaders=["content-type", "x-custom"],
    ExposeHeaders=["x-own"],
    AllowCredentials=True,
    MaxAge=300,
)


@pytest.mark.parametrize(
    ("method", "headers", "expected"),
    [
        ("OPTIONS", (("Origin", ORIGIN), ("Access-Control-Request-Method", "GET")), True),
        ("OPTIONS", (("origin", ORIGIN),), False),  # not a preflight without the method
        ("OPTIONS", (("access-control-request-method", "GET"),), False),
        ("GET", (("origin", ORIGIN), ("access-control-request-method", "GET")), False),
    ],
)
def test_is_preflight(method, headers, expected):
    assert is_preflight(method, headers) is expected


@pytest.mark.parametrize(
    ("cors", "origin", "expected"),
    [
        (
            CORS,
            ORIGIN,
            {
                "access-control-allow-origin": ORIGIN,
                "access-control-allow-methods": "GET,POST",
                "access-control-allow-headers": "content-type,x-custom",
                "access-control-allow-credentials": "true",
                "access-control-max-age": "300",
            },
        ),
        (CORS, "https://other.example", {}),
        (
            Cors(AllowOrigins=["*"], AllowMethods=["*"]),
            "https://x.example",
            {"access-control-allow-origin": "*", "access-control-allow-methods": "*"},
        ),
        (Cors(), ORIGIN, {}),
    ],
)
def test_preflight(cors, origin, expected):
    answer = preflight(cors, origin)
    assert answer.status == 204
    assert answer.body == b""
    assert dict(answer.headers) == expected


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        (
            ORIGIN,
            {
                "x-own": "1",
                "access-control-allow-origin": ORIGIN,
                "access-control-expose-headers": "x-own",
                "access-control-allow-credentials": "true",
            },
        ),
        ("https://other.example", {"x-own": "1"}),
        (None, {"x-own": "1"}),
    ],
)
def test_with_cors_replaces_the_functions_headers(origin, expected):
    response = HttpResponse(
        200, (("x-own", "1"), ("Access-Control-Allow-Origin", "https://evil.example")), b"hi"
    )
    assert dict(with_cors(CORS, origin, response).headers) == expected


# -- end to end -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def apigw(server: Any) -> Any:
    return server.client("apigatewayv2")


@pytest.fixture
def api(apigw: Any) -> Any:
    created: list[str] = []

    def create(**params: Any) -> dict[str, Any]:
        found: dict[str, Any] = apigw.create_api(Name="cors", ProtocolType="HTTP", **params)
        created.append(found["ApiId"])
        return found

    yield create
    for api_id in created:
        apigw.delete_api(ApiId=api_id)


def arn(server: Any, name: str) -> str:
    return f"arn:aws:lambda:{server.settings.region}:{server.settings.account_id}:function:{name}"


def url(server: Any, api_id: str, path: str) -> str:
    return f"{server.endpoint_url}/_aws/execute-api/{api_id}{path}"


WIRE_CORS = {
    "AllowOrigins": [ORIGIN],
    "AllowMethods": ["GET", "POST"],
    "AllowHeaders": ["content-type"],
    "ExposeHeaders": ["x-own"],
    "AllowCredentials": True,
    "MaxAge": 600,
}


def test_cors_configuration_is_kept_updated_and_deleted(server, apigw, api, deploy):
    created = api(Target=arn(server, deploy(HELLO)), CorsConfiguration=WIRE_CORS)
    assert created["CorsConfiguration"] == WIRE_CORS
    api_id = created["ApiId"]
    assert apigw.get_api(ApiId=api_id)["CorsConfiguration"] == WIRE_CORS

    updated = apigw.update_api(ApiId=api_id, CorsConfiguration={"AllowOrigins": ["*"]})
    assert updated["CorsConfiguration"] == {"AllowOrigins": ["*"]}
    apigw.delete_cors_configuration(ApiId=api_id)
    assert "CorsConfiguration" not in apigw.get_api(ApiId=api_id)


def test_preflight_is_answered_by_the_gateway(server, api, deploy, shared_dir):
    """No OPTIONS route and the function is not invoked: the gateway answers 204 itself."""
    marker = shared_dir / "invoked"
    source = f"def handler(e, c):\n    open({str(marker)!r}, 'a').write('x')\n    return 'x'\n"
    created = api(
        Target=arn(server, deploy(source)), RouteKey="GET /pets", CorsConfiguration=WIRE_CORS
    )

    response = httpx.options(
        url(server, created["ApiId"], "/pets"),
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
    )

    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert response.headers["access-control-allow-methods"] == "GET,POST"
    assert response.headers["access-control-allow-headers"] == "content-type"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert response.headers["access-control-max-age"] == "600"
    assert response.headers["apigw-requestid"]
    assert not marker.exists()


def test_responses_get_the_apis_cors_headers_not_the_functions(server, api, deploy):
    created = api(Target=arn(server, deploy(HELLO)), CorsConfiguration=WIRE_CORS)

    allowed = httpx.get(url(server, created["ApiId"], "/x"), headers={"Origin": ORIGIN})
    refused = httpx.get(
        url(server, created["ApiId"], "/x"), headers={"Origin": "https://other.example"}
    )

    assert allowed.status_code == 200
    assert allowed.text == "hello"
    assert allowed.headers["x-own"] == "1"
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert allowed.headers["access-control-expose-headers"] == "x-own"
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert refused.status_code == 200
    assert not [k for k in refused.headers if k.startswith("access-control-")]


def test_without_cors_the_functions_headers_pass(server, api, deploy):
    created = api(Target=arn(server, deploy(HELLO)))
    response = httpx.get(url(server, created["ApiId"], "/x"), headers={"Origin": ORIGIN})
    assert response.headers["access-control-allow-origin"] == "https://evil.example"


def test_throttled_route_gives_429(server, apigw, api, deploy):
    """Route settings override the stage's default; over the limit the gateway answers 429."""
    created = api(Target=arn(server, deploy(HELLO)), RouteKey="GET /slow")
    api_id = created["ApiId"]
    stage = apigw.update_stage(
        ApiId=api_id,
        StageName="$default",
        DefaultRouteSettings={"ThrottlingRateLimit": 1000, "ThrottlingBurstLimit": 1000},
        RouteSettings={"GET /slow": {"ThrottlingRateLimit": 0.001, "ThrottlingBurstLimit": 2}},
    )
    assert stage["RouteSettings"]["GET /slow"]["ThrottlingBurstLimit"] == 2
    got = apigw.get_stage(ApiId=api_id, StageName="$default")
    assert got["DefaultRouteSettings"]["ThrottlingRateLimit"] == 1000

    statuses = [httpx.get(url(server, api_id, "/slow")).status_code for _ in range(4)]

    assert statuses == [200, 200, 429, 429]
    refused = httpx.get(url(server, api_id, "/slow"))
    assert refused.json() == {"message": "Too Many Requests"}
    assert refused.headers["apigw-requestid"]


def test_create_stage_takes_route_settings(server, apigw, api, deploy):
    created = api(Target=arn(server, deploy(HELLO)))
    made = apigw.create_stage(
        ApiId=created["ApiId"],
        StageName="prod",
        AutoDeploy=True,
        DefaultRouteSettings={"ThrottlingBurstLimit": 0, "ThrottlingRateLimit": 0},
    )
    assert made["DefaultRouteSettings"] == {"ThrottlingBurstLimit": 0, "ThrottlingRateLimit": 0.0}
    response = httpx.get(url(server, created["ApiId"], "/prod/x"))
    assert response.status_code == 429
    assert httpx.get(url(server, created["ApiId"], "/x")).status_code == 200  # $default


def test_route_settings_keys_are_route_keys(server, apigw, api, deploy):
    created = api(Target=arn(server, deploy(HELLO)))
    with pytest.raises(apigw.exceptions.BadRequestException):
        apigw.update_stage(
            ApiId=created["ApiId"],
            StageName="$default",
            RouteSettings={"not a key": {"ThrottlingBurstLimit": 1}},
        )
