"""The gateway's pure parts against arbitrary input (hypothesis): route keys and matching,
event building, response mapping and JWT checking never fail with anything but their
documented errors, and what they produce is always well formed."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stratus.apis.http.routes import METHODS, RouteKey, match_route
from stratus.errors import Validation
from stratus.gateway import responses
from stratus.gateway.events import (
    HttpRequest,
    Target,
    function_url_event,
    http_api_v1_event,
    http_api_v2_event,
    rest_event,
)
from stratus.gateway.jwt_authorizer import JwksCache, Unauthorized, wait_authorize
from stratus.gateway.responses import Flavor, HttpResponse, http_response, valid_header

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# What the server hands the gateway: text decoded from bytes, so never a lone surrogate.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
PIECES = ["pets", "dog", "1", "{id}", "{name}", "{proxy+}", "%41", "%zz", "%", "%C3", "é", ""]
SEGMENT = st.one_of(st.sampled_from(PIECES), TEXT.filter(lambda s: "/" not in s))
METHOD = st.one_of(st.sampled_from(sorted(METHODS)), st.sampled_from(["get", "BREW", ""]), TEXT)


def route_keys() -> st.SearchStrategy[str]:
    path = st.lists(SEGMENT, max_size=5).map(lambda parts: "/" + "/".join(parts))
    return st.one_of(
        st.just("$default"),
        st.builds(lambda m, p: f"{m} {p}", METHOD, path),
        TEXT,
    )


def _parsed(key: str) -> RouteKey | None:
    try:
        return RouteKey.parse(key)
    except Validation:
        return None


@FUZZ
@given(route_keys())
def test_route_key_parse_raises_only_validation(key):
    route = _parsed(key)
    if route is not None:
        assert route.key == key
        assert route.is_default or route.method in METHODS
        assert not any(s.greedy for s in route.segments[:-1])


@FUZZ
@given(st.lists(route_keys(), max_size=8), METHOD, st.lists(SEGMENT, max_size=6))
def test_match_reassembles_the_path(keys, method, parts):
    routes = [r for r in map(_parsed, keys) if r is not None]
    path = "/" + "/".join(parts)
    found = match_route(routes, method, path)
    if found is None:
        assert not any(r.is_default for r in routes)
        return
    route, params = found.route, found.path_parameters
    if route.is_default:
        assert params == {}
        return
    assert route.method in (method, "ANY")
    got = [] if path == "/" else path[1:].split("/")
    fixed = route.segments[:-1] if route.greedy else route.segments
    for segment, part in zip(fixed, got, strict=False):
        assert params[segment.text] == unquote(part) if segment.variable else part == segment.text
    if route.greedy:
        assert params[route.segments[-1].text] == unquote("/".join(got[len(fixed) :]))
    else:
        assert len(got) == len(fixed)
    assert set(params) == {s.text for s in route.segments if s.variable}


HEADERS = st.lists(st.tuples(TEXT, TEXT), max_size=8)
CONTENT_TYPES = st.sampled_from(["content-type", "Content-Type"])
MEDIA = st.one_of(st.sampled_from(["text/plain", "application/json", "image/png", ""]), TEXT)


@FUZZ
@given(
    HEADERS,
    st.lists(st.tuples(CONTENT_TYPES, MEDIA), max_size=2),
    st.one_of(TEXT, st.lists(st.sampled_from(["a=1", "a", "=", "&", "%zz", "%C3=%FF", "+"]))
              .map("".join)),
    st.one_of(st.binary(max_size=64), TEXT.map(str.encode)),
    st.lists(SEGMENT, max_size=4).map(lambda parts: "/" + "/".join(parts)),
    st.sampled_from(["$default", "prod"]),
)  # fmt: skip
def test_events_are_always_json(headers, types, query, body, path, stage):
    request = HttpRequest(
        method="POST", path=path, query=query, headers=tuple(headers + types), body=body,
        source_ip="127.0.0.1", stage=stage, api_id="abcdefghij",
        domain_name="abcdefghij.execute-api.localhost", request_id="r",
        time=datetime.now(UTC),
    )  # fmt: skip
    match = match_route([RouteKey.parse("ANY /{proxy+}"), RouteKey.parse("$default")], "POST", path)
    assert match is not None
    target = Target(match, "000000000000", {"v": "1"}, binary_media_types=("image/*",))
    for build in (http_api_v2_event, http_api_v1_event, rest_event):
        event = json.loads(orjson.dumps(build(request, target)))
        _check_body(event, body)
    _check_body(json.loads(orjson.dumps(function_url_event(request))), body)


def _check_body(event: dict[str, Any], body: bytes) -> None:
    if not body:
        assert event.get("body") is None
        assert event["isBase64Encoded"] is False
    elif event["isBase64Encoded"]:
        assert base64.b64decode(event["body"], validate=True) == body
    else:
        assert event["body"] == body.decode("utf-8", errors="replace")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
ANYTHING = st.one_of(JSON_VALUES, st.sampled_from(["a\r\nb", "é", "\x00", "ok", "a b", "\ud800"]))
SHAPED = st.fixed_dictionaries(
    {
        "statusCode": st.one_of(
            st.integers(-1, 1000), st.sampled_from(["200", "x", 200.5]), ANYTHING
        )
    },
    optional={
        "headers": st.one_of(st.dictionaries(st.one_of(TEXT, ANYTHING.filter(
            lambda v: isinstance(v, str))), ANYTHING, max_size=3), ANYTHING),
        "multiValueHeaders": st.one_of(
            st.dictionaries(TEXT, st.lists(ANYTHING, max_size=2), max_size=2), ANYTHING
        ),
        "cookies": st.one_of(st.lists(ANYTHING, max_size=3), ANYTHING),
        "body": st.one_of(st.text(), st.binary().map(lambda b: base64.b64encode(b).decode()),
                          st.sampled_from(["%%%", "YQ", "YQ==\n", "===="]), ANYTHING),
        "isBase64Encoded": st.one_of(st.booleans(), ANYTHING),
    },
)  # fmt: skip


def _well_formed(response: HttpResponse) -> None:
    assert isinstance(response, HttpResponse)
    assert 200 <= response.status <= 599
    assert isinstance(response.body, bytes)
    for name, value in response.headers:
        assert valid_header(name, value), (name, value)
        name.encode("latin-1")
        value.encode("latin-1", "replace")


@FUZZ
@given(
    st.sampled_from(list(Flavor)),
    st.one_of(
        SHAPED.map(lambda v: json.dumps(v).encode()),
        JSON_VALUES.map(lambda v: json.dumps(v).encode()),
        st.binary(max_size=64),
        st.sampled_from([b'"\\ud800"', b'{"statusCode":200,"body":"\\udc00"}', b"\xff", b""]),
    ),
    st.booleans(),
)
def test_http_response_is_always_well_formed(flavor, output, function_error):
    response = http_response(flavor, output, function_error=function_error)
    _well_formed(response)
    if function_error:
        assert response.status in (500, 502)


PLAIN = st.fixed_dictionaries(
    {"statusCode": st.one_of(st.integers(150, 650), st.sampled_from([True, 200.0, "200"]))},
    optional={
        "body": st.one_of(st.none(), st.text(), st.sampled_from(["\ud800", 5])),
        "headers": st.one_of(
            st.none(),
            st.dictionaries(
                st.sampled_from(["a", "Content-Type", "a b", "é"]), ANYTHING, max_size=3
            ),
            st.sampled_from([[], "x"]),
        ),
    },
)


@FUZZ
@given(st.sampled_from(list(Flavor)), st.one_of(PLAIN, SHAPED))
def test_plain_outputs_answered_as_the_model_answers_them(flavor, output):
    """The fast path for plain outputs (no model validation) gives the model's very answer
    for every output it takes, and leaves the others to the model."""
    fast = responses.plain(output, flavor)
    if fast is not None:
        assert fast == responses.modelled(output, flavor)


@FUZZ
@given(st.binary(max_size=256), st.sampled_from([True, False]))
def test_base64_bodies_round_trip(data, v2):
    flavor = Flavor.HTTP_V2 if v2 else Flavor.REST
    output = {"statusCode": 200, "body": base64.b64encode(data).decode(), "isBase64Encoded": True}
    response = http_response(flavor, json.dumps(output).encode())
    assert response.status == 200
    assert response.body == data


def _segment_text(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


TOKENS = st.one_of(
    TEXT,
    st.lists(st.one_of(TEXT, JSON_VALUES.map(_segment_text)), min_size=1, max_size=4).map(".".join),
    st.fixed_dictionaries(
        {"alg": st.one_of(st.sampled_from(["RS256", "HS256", "none"]), JSON_VALUES),
         "kid": st.one_of(st.just("k1"), JSON_VALUES)}
    ).map(lambda header: f"{_segment_text(header)}.{_segment_text({'exp': 1})}.c2ln"),
)  # fmt: skip


@FUZZ
@given(TOKENS)
def test_garbage_tokens_are_unauthorized(token):
    cache = JwksCache(fetch=lambda issuer: {})  # an issuer with no keys at all

    async def check() -> None:
        await wait_authorize(cache, token, "https://issuer.example", ["aud"], ())

    with pytest.raises(Unauthorized):
        asyncio.run(check())
