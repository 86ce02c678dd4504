"""Bad input end to end: malformed, huge or hostile requests to an HTTP API and a function
URL on a real server, over raw sockets. Each gets API Gateway's answer (or the HTTP
server's 400 for a request it cannot parse), never a 500 from Stratus nor a hang, and the
server keeps serving."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st
from jwt.algorithms import RSAAlgorithm
from tests.conftest import create_function

HANDLER = """
import json

def handler(event, context):
    path = event.get("rawPath", "")
    if path.endswith("/bad-header"):
        return {"statusCode": 200, "headers": {"x-bad": "a\\r\\nInjected: 1"}, "body": "no"}
    if path.endswith("/bad-name"):
        return {"statusCode": 200, "headers": {"bad name": "x"}, "body": "no"}
    if path.endswith("/status-100"):
        return {"statusCode": 100, "body": "no"}
    return {"statusCode": 200, "body": json.dumps(event)}
"""
LIMIT = 10 * 1024 * 1024
HEADER_QUOTA = 10_240  # request line plus header values
TOO_BIG = {"message": "Request Header Fields Too Large"}
NOT_FOUND = {"message": "Not Found"}
UNAUTHORIZED = {"message": "Unauthorized"}
TIMEOUT = 20.0


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> Any:
        return json.loads(self.body)


def exchange(
    server: Any, data: bytes, *, body: bytes = b"", chunks: int = 0, end: bool = True
) -> Answer:
    """Sends `data` (then `body`, or `chunks` MB chunked, ended unless `end` is false, from a
    thread) on a fresh connection; returns the first answer. Fails rather than hangs."""
    with socket.create_connection(("127.0.0.1", server.settings.port), timeout=TIMEOUT) as sock:
        sock.sendall(data)

        def upload() -> None:
            try:
                if body:
                    sock.sendall(body)
                for _ in range(chunks):
                    sock.sendall(b"100000\r\n" + b"x" * 0x100000 + b"\r\n")
                if chunks and end:
                    sock.sendall(b"0\r\n\r\n")
            except OSError:  # the server answered and closed before reading it all
                pass

        sender = threading.Thread(target=upload, daemon=True)
        sender.start()
        answer = _read_answer(sock)
        sender.join(TIMEOUT)
        return answer


def _read_answer(sock: socket.socket) -> Answer:
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed without an answer: {received!r}"
        received += chunk
    head, _, rest = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return Answer(status, headers, rest[:length])


def request(
    target: bytes, *headers: bytes, method: bytes = b"GET", host: bytes | None = b"localhost"
) -> bytes:
    lines = [method + b" " + target + b" HTTP/1.1"]
    if host is not None:
        lines.append(b"Host: " + host)
    lines += [*headers, b"Connection: close"]
    return b"\r\n".join(lines) + b"\r\n\r\n"


@pytest.fixture(scope="module")
def setup(server: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """An echo function behind a quick-created API, a JWT-authorized API, an API with only
    a `prod` stage, and a function URL."""
    lam, apigw = server.client("lambda"), server.client("apigatewayv2")
    name = f"bad-requests-{time.monotonic_ns()}"
    create_function(lam, name, HANDLER)
    arn = f"arn:aws:lambda:{server.settings.region}:{server.settings.account_id}:function:{name}"
    api = apigw.create_api(Name="bad", ProtocolType="HTTP", Target=arn)["ApiId"]

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key())) | {"kid": "k1", "use": "sig"}
    jwks: Path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    jwks.write_text(json.dumps({"keys": [jwk]}))
    secured = apigw.create_api(Name="bad-jwt", ProtocolType="HTTP")["ApiId"]
    apigw.create_stage(ApiId=secured, StageName="$default", AutoDeploy=True)
    integration = apigw.create_integration(
        ApiId=secured, IntegrationType="AWS_PROXY", IntegrationUri=arn, PayloadFormatVersion="2.0"
    )["IntegrationId"]
    authorizer = apigw.create_authorizer(
        ApiId=secured, AuthorizerType="JWT", Name="jwt",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Audience": ["my-api"], "Issuer": f"file://{jwks}"},
    )["AuthorizerId"]  # fmt: skip
    apigw.create_route(
        ApiId=secured, RouteKey="GET /me", Target=f"integrations/{integration}",
        AuthorizationType="JWT", AuthorizerId=authorizer,
    )  # fmt: skip

    staged = apigw.create_api(Name="bad-stage", ProtocolType="HTTP")["ApiId"]
    apigw.create_stage(ApiId=staged, StageName="prod", AutoDeploy=True)
    staged_integration = apigw.create_integration(
        ApiId=staged, IntegrationType="AWS_PROXY", IntegrationUri=arn, PayloadFormatVersion="2.0"
    )["IntegrationId"]
    apigw.create_route(
        ApiId=staged, RouteKey="$default", Target=f"integrations/{staged_integration}"
    )

    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    url_id = url.split("//", 1)[1].split(".", 1)[0]
    yield {"api": api, "secured": secured, "staged": staged, "url_id": url_id}
    for api_id in (api, secured, staged):
        apigw.delete_api(ApiId=api_id)
    lam.delete_function(FunctionName=name)


def api_path(setup: Any, path: bytes, api: str = "api") -> bytes:
    return f"/_aws/execute-api/{setup[api]}".encode() + path


def test_normal_request_is_served(server, setup):
    answer = exchange(server, request(api_path(setup, b"/pets/1?x=1")))
    assert answer.status == 200
    assert answer.json()["rawPath"] == "/pets/1"


def filler(target: bytes, size: int) -> bytes:
    """An X-Fill header bringing `request(...)`'s request line (as AWS sees it: `target` is
    the path inside the API or URL) plus header values to `size` bytes."""
    used = len(b"GET " + target + b" HTTP/1.1") + len(b"localhost") + len(b"close")
    return b"X-Fill: " + b"f" * (size - used)


def test_headers_at_the_quota_are_served(server, setup):
    """Request line plus header values of exactly 10,240 bytes: within API Gateway's quota."""
    answer = exchange(server, request(api_path(setup, b"/h?q=1"), filler(b"/h?q=1", HEADER_QUOTA)))
    url = f"/_aws/lambda-url/{setup['url_id']}/h".encode()
    url_answer = exchange(server, request(url, filler(b"/h", HEADER_QUOTA)))

    assert answer.status == 200
    assert len(answer.json()["headers"]["x-fill"]) > 10_000
    assert url_answer.status == 200


def test_headers_over_the_quota_get_431(server, setup):
    """One byte more: 431, from either gateway, with its request-id header."""
    answer = exchange(server, request(api_path(setup, b"/h"), filler(b"/h", HEADER_QUOTA + 1)))
    url = f"/_aws/lambda-url/{setup['url_id']}/h".encode()
    url_answer = exchange(server, request(url, filler(b"/h", HEADER_QUOTA + 1)))

    assert (answer.status, answer.json()) == (431, TOO_BIG)
    assert answer.headers["apigw-requestid"]
    assert (url_answer.status, url_answer.json()) == (431, {"Message": TOO_BIG["message"]})
    assert url_answer.headers["x-amzn-requestid"]


@pytest.mark.parametrize(
    "headers",
    [
        [b"X-Big: " + b"a" * 4_000_000],
        [b"X-H%d: %d" % (i, i) for i in range(20_000)],
        [b"Cookie: " + b"c=" + b"x" * 6000, b"Cookie: d=" + b"y" * 6000],
    ],
    ids=["4 MB value", "20,000 headers", "two cookies"],
)
def test_huge_headers_get_431_not_500_nor_a_hang(server, setup, headers):
    """Far over the quota: 431 (uvicorn with httptools has no header limit of its own, so
    nothing answers earlier), never a 500, a hang or a dropped connection."""
    for path in (api_path(setup, b"/h"), f"/_aws/lambda-url/{setup['url_id']}/h".encode()):
        answer = exchange(server, request(path, *headers))

        assert answer.status == 431


def test_huge_request_line_gets_431(server, setup):
    """The request line counts towards the quota too."""
    long_path = b"/" + b"p" * 20_000
    url = f"/_aws/lambda-url/{setup['url_id']}".encode() + long_path
    for target in (api_path(setup, long_path), url):
        answer = exchange(server, request(target))

        assert answer.status == 431


def test_two_thousand_small_headers(server, setup):
    """Only the values count towards the quota: 2,000 short headers fit."""
    many = [b"X-H%d: %d" % (i, i) for i in range(2000)]
    answer = exchange(server, request(api_path(setup, b"/h"), *many))
    assert answer.status == 200
    assert answer.json()["headers"]["x-h1999"] == "1999"


@pytest.mark.parametrize("path", [b"/pets/%zz", b"/pets/%", b"/pets/%C3", b"/pets/%ff%fe"])
def test_invalid_percent_encoding_reaches_the_function(server, setup, path):
    answer = exchange(server, request(api_path(setup, path)))
    assert answer.status == 200
    assert answer.json()["rawPath"] == path.decode()


@pytest.mark.parametrize("target", [b"/p\xff\xfe", b"/p?q=\xff"])
def test_non_utf8_bytes_in_path_or_query_get_400(server, setup, target):
    """uvicorn's parser refuses bytes over 0x7f in the request target: its own 400."""
    answer = exchange(server, request(api_path(setup, target)))
    assert answer.status == 400


def test_non_utf8_bytes_in_headers_reach_the_function_as_latin1(server, setup):
    answer = exchange(server, request(api_path(setup, b"/p?q=%ff"), b"X-Bin: \xff\xfe"))
    assert answer.status == 200
    event = answer.json()
    assert event["headers"]["x-bin"] == "\xff\xfe"
    assert event["rawQueryString"] == "q=%ff"
    assert event["queryStringParameters"] == {"q": "\ufffd"}


def test_declared_body_over_10_mb_gets_413(server, setup):
    head = request(api_path(setup, b"/big"), b"Content-Length: %d" % (LIMIT + 1), method=b"POST")
    answer = exchange(server, head)
    assert answer.status == 413
    assert answer.json() == {"message": "Request Entity Too Large"}


def test_chunked_body_over_10_mb_gets_413(server, setup):
    head = request(api_path(setup, b"/big"), b"Transfer-Encoding: chunked", method=b"POST")
    answer = exchange(server, head, chunks=11)
    assert answer.status == 413
    assert answer.json() == {"message": "Request Entity Too Large"}


@pytest.mark.parametrize(
    ("door", "megabytes", "body"),
    [
        ("api", 11, {"message": "Request Entity Too Large"}),
        ("url", 7, {"Message": "Request Entity Too Large"}),
    ],
)
def test_chunked_body_is_refused_as_soon_as_it_passes_the_limit(
    server, setup, door, megabytes, body
):
    """A chunked body is counted while it streams: past the door's limit (HTTP APIs 10 MB,
    function URLs 6 MB) its own 413 comes at once, though the body never ends."""
    path = (
        api_path(setup, b"/big")
        if door == "api"
        else f"/_aws/lambda-url/{setup['url_id']}/big".encode()
    )
    head = request(path, b"Transfer-Encoding: chunked", method=b"POST")

    answer = exchange(server, head, chunks=megabytes, end=False)

    assert (answer.status, answer.json()) == (413, body)


def test_function_url_body_over_its_limit_gets_413(server, setup):
    path = f"/_aws/lambda-url/{setup['url_id']}/big".encode()
    answer = exchange(server, request(path, b"Content-Length: %d" % LIMIT, method=b"POST"))
    assert answer.status == 413
    assert answer.json() == {"Message": "Request Entity Too Large"}


@pytest.mark.parametrize(
    "host", [None, b"", b"\xff\xfe", b"abcdefghij.execute-api.localhost:port", b"x" * 5000]
)
def test_bad_or_absent_host_headers(server, setup, host):
    """Not addressed to an API by Host: served by path, or passed on to the AWS endpoint."""
    answer = exchange(server, request(api_path(setup, b"/pets"), host=host))
    assert answer.status == 200
    answer = exchange(server, request(b"/nothing/here", host=host))
    assert answer.status < 500


def test_unknown_api_gets_404(server, setup):
    assert exchange(server, request(b"/_aws/execute-api/zzzzzzzzzz/x")).json() == NOT_FOUND
    answer = exchange(server, request(b"/x", host=b"zzzzzzzzzz.execute-api.localhost"))
    assert (answer.status, answer.json()) == (404, NOT_FOUND)
    for path in (b"/_aws/execute-api/", b"/_aws/execute-api/%ff/x", b"/_aws/execute-api//"):
        answer = exchange(server, request(path))
        assert (answer.status, answer.json()) == (404, NOT_FOUND)


def test_unknown_stage_gets_404(server, setup):
    answer = exchange(server, request(api_path(setup, b"/prod/x", "staged")))
    assert answer.status == 200
    answer = exchange(server, request(api_path(setup, b"/test/x", "staged")))
    assert (answer.status, answer.json()) == (404, NOT_FOUND)


def test_unknown_function_url_gets_403(server, setup):
    answer = exchange(server, request(b"/_aws/lambda-url/" + b"a" * 32 + b"/"))
    assert (answer.status, answer.json()) == (403, {"Message": "Forbidden"})


@pytest.mark.parametrize(
    "authorization",
    [
        b"Bearer",
        b"Bearer ",
        b"Bearer a.b.c",
        b"Bearer ....",
        b"\xff\xfe.\xff.\xff",
        b"eyJhbGciOiJub25lIn0.eyJleHAiOjF9.",  # alg none
        b"eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.e30.c2ln",  # HS256
        b"eyJraWQiOlsxXSwiYWxnIjpbXX0.e30.c2ln",  # kid and alg of the wrong types
        b"W10.W10.W10",  # JSON arrays
        b"Bearer " + b"a" * 9_000,  # long, but within the header quota
    ],
)
def test_garbage_jwts_get_401(server, setup, authorization):
    secured = api_path(setup, b"/me", "secured")
    answer = exchange(server, request(secured, b"Authorization: " + authorization))
    assert (answer.status, answer.json()) == (401, UNAUTHORIZED)


@pytest.mark.parametrize("path", [b"/bad-header", b"/bad-name", b"/status-100"])
def test_unsendable_function_outputs_are_malformed(server, setup, path):
    answer = exchange(server, request(api_path(setup, path)))
    assert (answer.status, answer.json()) == (500, {"message": "Internal Server Error"})
    url = f"/_aws/lambda-url/{setup['url_id']}".encode() + path
    answer = exchange(server, request(url))
    assert (answer.status, answer.body) == (502, b"Internal Server Error")


@pytest.mark.parametrize(
    "data",
    [
        b"GARBAGE\r\n\r\n",
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET /_aws/execute-api/x HTTP/1.1\r\nno colon here\r\n\r\n",
        b"GET /_aws/execute-api/x HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        b"GET /_aws/execute-api/x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        b"\x00\x01\x02\r\n\r\n",
    ],
)
def test_unparseable_requests_get_400(server, data):
    assert exchange(server, data).status == 400


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from([b"GET", b"POST", b"BREW", b"get"]),
    st.binary(max_size=30).filter(lambda b: b" " not in b and b"\r" not in b and b"\n" not in b),
    st.lists(st.binary(max_size=20).filter(lambda b: b"\r" not in b and b"\n" not in b),
             max_size=4),
)  # fmt: skip
def test_fuzzed_requests_never_get_500(server, setup, method, path, headers):
    data = request(api_path(setup, b"/" + path), *headers, method=method)
    answer = exchange(server, data)
    assert answer.status < 500, (data, answer.status, answer.body)


def test_server_still_serves(server, setup):
    test_normal_request_is_served(server, setup)
    url = f"/_aws/lambda-url/{setup['url_id']}/ok".encode()
    assert exchange(server, request(url)).status == 200
