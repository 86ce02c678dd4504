"""From a function's result to the HTTP response API Gateway gives the client.

    payload 2.0 (HTTP API)   {"statusCode", "headers", "cookies", "body", "isBase64Encoded"}
                             or anything else that is JSON: inferred as 200, content-type
                             application/json, the body being the output (a JSON string's
                             text, else the output itself)
    payload 1.0 / REST       {"statusCode", "headers", "multiValueHeaders", "body",
                             "isBase64Encoded"}; `multiValueHeaders` wins over `headers` for
                             the same name
    REST, stricter/looser    any other member makes the output malformed; statusCode may be
                             left out (200) or be a numeric string ("201"), as AWS answers
                             (LocalStack's tests recorded against AWS: `{}` is an empty 200,
                             `{"statusCode": 200, "wrongValue": 1}` a 502)

Failures, as AWS documents them ("Handling Lambda errors with an API Gateway API",
"Troubleshooting issues with HTTP API Lambda integrations"):

    REST API   function error or malformed output   502 {"message": "Internal server error"}
    HTTP API   function error or malformed output   500 {"message":"Internal Server Error"}
    function URL  (payload 2.0 otherwise)           502 Internal Server Error (text)

Pure logic: the caller passes the function's output bytes and whether it was a function
error (`X-Amz-Function-Error`).
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
import re
from dataclasses import dataclass
from typing import Annotated

import orjson
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictStr, ValidationError

JSON = "application/json"


class Flavor(enum.Enum):
    """Which contract an integration speaks: the payload format and the API type."""

    HTTP_V2 = "2.0"
    HTTP_V1 = "1.0"
    REST = "REST"
    FUNCTION_URL = "url"  # payload 2.0's contract, with the function URL's error answer

    @property
    def http_api(self) -> bool:
        return self is not Flavor.REST

    @property
    def v2(self) -> bool:
        return self in (Flavor.HTTP_V2, Flavor.FUNCTION_URL)


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def internal_error(flavor: Flavor) -> HttpResponse:
    """What the client gets for a function error or output API Gateway cannot read."""
    if flavor is Flavor.FUNCTION_URL:
        return HttpResponse(502, (("Content-Type", "text/plain"),), b"Internal Server Error")
    if flavor.http_api:
        return HttpResponse(500, (("Content-Type", JSON),), b'{"message":"Internal Server Error"}')
    return HttpResponse(502, (("Content-Type", JSON),), b'{"message": "Internal server error"}')


def http_response(
    flavor: Flavor, output: bytes, *, function_error: bool = False, binary: bool = True
) -> HttpResponse:
    """The client's response for a function's `output` (the Invoke payload). With
    `binary` false, a body with isBase64Encoded is sent as the base64 text it is: a REST
    API decodes it only when the request's Accept matches one of its binaryMediaTypes."""
    if function_error:
        return internal_error(flavor)
    try:
        result = _loads(output)
    except ValueError:
        return internal_error(flavor)
    if flavor.v2 and not (isinstance(result, dict) and "statusCode" in result):
        text = result if isinstance(result, str) else output.decode("utf-8", errors="replace")
        return HttpResponse(200, (("Content-Type", JSON),), text.encode(errors="replace"))
    return plain(result, flavor) or modelled(result, flavor, binary)


def modelled(result: object, flavor: Flavor, binary: bool = True) -> HttpResponse:
    """The answer for a proxy output (`result`: its parsed JSON), read by the model."""
    try:
        model = _V2 if flavor.v2 else _REST if flavor is Flavor.REST else _V1
        shape = model.model_validate(result)
        body = _body(shape.body, shape.isBase64Encoded and binary)
        headers = _headers(flavor, shape)
    except (ValidationError, ValueError):
        return internal_error(flavor)
    return HttpResponse(shape.statusCode, headers, body)


_PLAIN_KEYS = frozenset({"statusCode", "body", "headers"})


def plain(result: object, flavor: Flavor) -> HttpResponse | None:
    """The answer for the most common output, `{"statusCode": <int>, "body": <str>}` with
    at most plain string headers, without the model's validation (a third of the gateway's
    response mapping); None for anything else, which the model then reads. Same answer as
    the model's for these outputs, by construction: no coercion is needed for any member."""
    if not isinstance(result, dict) or not _PLAIN_KEYS.issuperset(result):
        return None
    status, body, headers = result.get("statusCode"), result.get("body"), result.get("headers")
    if type(status) is not int or not 200 <= status <= 599:
        return None
    if body is not None and type(body) is not str:
        return None
    pairs: tuple[tuple[str, str], ...] = ()
    if headers is not None:
        if type(headers) is not dict:
            return None
        items = tuple(headers.items())
        if not all(type(v) is str and valid_header(k, v) for k, v in items):
            return None
        pairs = items
    if flavor is Flavor.REST and not any(k.lower() == "content-type" for k, _ in pairs):
        pairs += (("Content-Type", JSON),)
    try:
        encoded = b"" if body is None else body.encode()
    except UnicodeEncodeError:  # a lone surrogate: the model's path answers it
        return None
    return HttpResponse(status, pairs, encoded)


def _loads(output: bytes) -> object:
    """json.loads, through orjson first (several times faster on the gateway's hot path).
    orjson refuses a few documents the standard library reads (NaN/Infinity, integers over
    64 bits); those fall back to json.loads so what is accepted does not change."""
    try:
        return orjson.loads(output)
    except orjson.JSONDecodeError:
        return json.loads(output)


def _header_value(value: object) -> object:
    # Handlers often write `"Access-Control-Allow-Credentials": True`; AWS sends "true".
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


HeaderValue = Annotated[StrictStr, BeforeValidator(_header_value)]


class _V1(BaseModel):
    model_config = ConfigDict(extra="ignore")

    # 1xx are not final answers: a client would wait for the real one (Stratus refuses them).
    statusCode: int = Field(ge=200, le=599)
    headers: dict[str, HeaderValue] | None = None
    multiValueHeaders: dict[str, list[HeaderValue]] | None = None
    body: StrictStr | None = None
    isBase64Encoded: bool = False


class _V2(_V1):
    cookies: list[StrictStr] | None = None


class _REST(_V1):
    model_config = ConfigDict(extra="forbid")

    statusCode: int = Field(default=200, ge=200, le=599)


def _body(body: str | None, encoded: bool) -> bytes:
    if body is None:
        return b""
    if encoded:
        try:
            return base64.b64decode(body, validate=True)
        except binascii.Error as exc:
            raise ValueError("isBase64Encoded is true but the body is not base64") from exc
    return body.encode()


def _headers(flavor: Flavor, shape: _V1) -> tuple[tuple[str, str], ...]:
    cookies = shape.cookies if isinstance(shape, _V2) else None
    if not (shape.headers or shape.multiValueHeaders or cookies or flavor is Flavor.REST):
        return ()  # the common answer without headers, spared the work below
    single = dict(shape.headers or {})
    multi: dict[str, list[str]] = {}
    if not flavor.v2:  # payload 2.0 has no multiValueHeaders
        multi = dict(shape.multiValueHeaders or {})
    overridden = {name.lower() for name in multi}
    pairs = [(k, v) for k, v in single.items() if k.lower() not in overridden]
    pairs += [(k, v) for k, values in multi.items() for v in values]
    if isinstance(shape, _V2):
        pairs += [("Set-Cookie", cookie) for cookie in shape.cookies or ()]
    if flavor is Flavor.REST and not any(k.lower() == "content-type" for k, _ in pairs):
        pairs.append(("Content-Type", JSON))
    if not all(valid_header(k, v) for k, v in pairs):
        raise ValueError("a header name or value HTTP cannot carry")
    return tuple(pairs)


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FIELD_VALUE = re.compile(r"[^\x00-\x08\x0a-\x1f\x7f]*")


def valid_header(name: str, value: str) -> bool:
    """Whether HTTP/1.1 can send this header (a token name; no control characters but tab
    in the value). The server sends values as latin-1, other characters as `?`; a
    function's header that fails this makes its output malformed (Stratus's choice: AWS
    does not document it)."""
    return _TOKEN.fullmatch(name) is not None and _FIELD_VALUE.fullmatch(value) is not None
