"""Lambda Invoke's fast path (aws/fast_invoke.py) answers as the generic path does.

Every request goes, as raw HTTP, to two servers holding the same functions: one with the
fast path (the default) and one started with `fast_invoke=False`. Their answers must be the same,
byte for byte once request ids, timings and data directories are masked: good requests and
bad ones, those the fast path takes and those it leaves to the generic path.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import tempfile
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import create_function, unique

from stratus.aws.fast_invoke import addressed
from stratus.testing import RunningServer, serve_in_thread

INVOKE = "/2015-03-31/functions/{}/invocations"
SIGNED_FOR_S3 = b"AWS4-HMAC-SHA256 Credential=k/20260101/us-east-1/s3/aws4_request, Signature=0"
SOURCES = {
    "echo": "def handler(event, context):\n    return event\n",
    "fails": "def handler(event, context):\n    raise ValueError('boom')\n",
    "prints": "def handler(event, context):\n    print('hello', event)\n    return 'ok'\n",
    "none": "def handler(event, context):\n    return None\n",
    "big": "def handler(event, context):\n    return 'x' * (6 * 1024 * 1024 + 1)\n",
    "context": (
        "def handler(event, context):\n"
        "    c = context.client_context\n"
        "    return c and {'custom': c.custom, 'env': c.env}\n"
    ),
}


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[RunningServer, ...]]:
    """Two servers of their own (the session's stays as other tests expect it): the first
    with the fast path, the second answering every Invoke the generic way."""
    with (
        tempfile.TemporaryDirectory(prefix="stratus-test-", dir="/var/tmp") as data,
        serve_in_thread(Path(data) / "fast") as fast,
        serve_in_thread(Path(data) / "generic", fast_invoke=False) as generic,
    ):
        yield fast, generic


@pytest.fixture(scope="module")
def names(pair: tuple[RunningServer, ...]) -> dict[str, str]:
    """The functions, created alike on both servers (echo with version 1 and alias live),
    each invoked once so that no compared answer is a cold start's."""
    names = {kind: unique(f"fast-{kind}") for kind in SOURCES}
    for running in pair:
        client = running.client("lambda")
        for kind, name in names.items():
            create_function(client, name, SOURCES[kind])
            client.invoke(FunctionName=name)
        client.publish_version(FunctionName=names["echo"])
        client.create_alias(FunctionName=names["echo"], Name="live", FunctionVersion="1")
        client.invoke(FunctionName=names["echo"], Qualifier="1")
    return names


def send(
    running: RunningServer,
    path: str,
    headers: dict[str, str],
    body: bytes | None,
    chunked: bool = False,
) -> tuple[int, list[tuple[str, str]], bytes]:
    """One raw POST; the answer's status, headers (in order) and body."""
    connection = http.client.HTTPConnection("127.0.0.1", running.settings.port, timeout=60)
    try:
        connection.putrequest("POST", path, skip_host=any(k.lower() == "host" for k in headers))
        for key, value in headers.items():
            connection.putheader(key, value)
        if chunked:
            connection.putheader("Transfer-Encoding", "chunked")
        elif body is not None:
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders()
        if body is not None and chunked:
            for start in range(0, len(body), 7):
                piece = body[start : start + 7]
                connection.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            connection.send(b"0\r\n\r\n")
        elif body is not None:
            connection.send(body)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_NUMBER = re.compile(r"\d+(\.\d+)?")
_SKIPPED = {"date", "server"}


def masked(running: RunningServer, answer: tuple[int, list[tuple[str, str]], bytes]) -> Any:
    """An answer with what differs between two servers masked: request ids, the log tail's
    timings, the data directory."""
    status, headers, body = answer
    data = str(running.settings.data_dir)
    kept = []
    for key, value in headers:
        if key.lower() in _SKIPPED:
            continue
        if key.lower() == "x-amz-log-result":
            tail = base64.b64decode(value).decode(errors="replace")
            tail = tail.replace("\tInit Duration: ", "\tInit: ")  # a cold start's only
            value = _NUMBER.sub("N", _UUID.sub("<id>", tail.replace(data, "<data>")))
        if key.lower().endswith("requestid"):  # x-amzn-RequestId, the gateway's apigw-requestid
            value = "<id>"
        kept.append((key.lower(), _UUID.sub("<id>", value)))
    text = body.decode(errors="replace").replace(data, "<data>")
    return status, kept, _UUID.sub("<id>", text)


def same_answers(
    pair: tuple[RunningServer, ...],
    path: str,
    headers: dict[str, str],
    body: bytes | None,
    chunked: bool = False,
) -> Any:
    fast, generic = (masked(s, send(s, path, headers, body, chunked)) for s in pair)
    assert fast == generic
    return fast


def quoted(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def table(names: dict[str, str]) -> list[tuple[str, dict[str, str], bytes | None]]:
    echo = names["echo"]
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{echo}"
    context = base64.b64encode(json.dumps({"custom": {"a": 1}, "env": {"b": 2}}).encode())
    path = INVOKE.format(echo)
    return [
        (path, {}, b"{}"),
        (path, {}, b'{"a": [1, 2.5, "three", null]}'),
        (path, {}, b""),
        (path, {}, None),
        (path, {}, b"not json"),
        (path, {}, b"\xff\xfe"),
        (path, {}, b"[1, 2]"),
        (path, {"X-Amz-Invocation-Type": "RequestResponse"}, b"{}"),
        (path, {"X-Amz-Invocation-Type": "DryRun"}, b"{}"),
        (path, {"X-Amz-Invocation-Type": "Bogus"}, b"{}"),
        (path, {"X-Amz-Invocation-Type": ""}, b"{}"),
        (path, {"X-Amz-Log-Type": "Tail"}, b"{}"),
        (path, {"X-Amz-Log-Type": "None"}, b"{}"),
        (path, {"X-Amz-Log-Type": "Head"}, b"{}"),
        (path, {"X-Amz-Tenant-Id": "tenant-1"}, b"{}"),
        (path, {"X-Amz-Tenant-Id": ""}, b"{}"),
        (path, {"X-Amz-Durable-Execution-Name": "bad name!"}, b"{}"),
        (path, {"Content-Type": "text/plain"}, b"{}"),
        (path, {"Host": "example.com"}, b"{}"),
        (path, {"Host": "localhost"}, b"{}"),
        (path, {"Host": "LOCALHOST:1"}, b"{}"),
        (path, {"Host": "[::1]:4566"}, b"{}"),
        (path, {"Host": "abcdefghij.execute-api.localhost"}, b"{}"),
        (path, {"Authorization": SIGNED_FOR_S3.decode()}, b"{}"),
        (path + "?Qualifier=1", {}, b"{}"),
        (path + "?Qualifier=live", {}, b"{}"),
        (path + "?Qualifier=$LATEST", {}, b"{}"),
        (path + "?Qualifier=%24LATEST", {}, b"{}"),
        (path + "?Qualifier=2", {}, b"{}"),
        (path + "?Qualifier=", {}, b"{}"),
        (path + "?Qualifier=bad!", {}, b"{}"),
        (path + "?Qualifier=" + "q" * 129, {}, b"{}"),
        (path + "?Qualifier=1&Qualifier=live", {}, b"{}"),
        (path + "?Other=1", {}, b"{}"),
        (INVOKE.format(quoted(arn)), {}, b"{}"),
        (INVOKE.format(quoted(arn + ":live")), {}, b"{}"),
        (INVOKE.format(quoted(echo + ":1")), {}, b"{}"),
        (INVOKE.format(quoted(echo + ":1")) + "?Qualifier=live", {}, b"{}"),
        (INVOKE.format("no-such-function"), {}, b"{}"),
        (INVOKE.format("bad%21name"), {}, b"{}"),
        (INVOKE.format("x" * 257), {}, b"{}"),
        (INVOKE.format(names["fails"]), {}, b"{}"),
        (INVOKE.format(names["fails"]), {"X-Amz-Log-Type": "Tail"}, b"{}"),
        (INVOKE.format(names["prints"]), {"X-Amz-Log-Type": "Tail"}, b'{"k": "v"}'),
        (INVOKE.format(names["none"]), {}, b"{}"),
        (INVOKE.format(names["big"]), {}, b"{}"),
        (INVOKE.format(names["context"]), {"X-Amz-Client-Context": context.decode()}, b"{}"),
        (INVOKE.format(names["context"]), {"X-Amz-Client-Context": "not base64!"}, b"{}"),
        (INVOKE.format(names["context"]), {"X-Amz-Client-Context": "e30="}, b"{}"),
        (INVOKE.format(names["context"]), {"X-Amz-Client-Context": "A" * 4000}, b"{}"),
        (path, {}, b'"' + b"x" * (6 * 1024 * 1024) + b'"'),
    ]


def test_fast_path_answers_as_the_generic_path(pair, names):
    """Each request of the table gets the same answer from both servers."""
    answers = [same_answers(pair, path, headers, body) for path, headers, body in table(names)]

    statuses = {status for status, _, _ in answers}
    assert {200, 400, 404, 413} <= statuses  # the table reaches answers and refusals alike


def test_chunked_bodies_are_read_alike(pair, names):
    """A chunked body, under the limit and over it, gets the same answer from both."""
    path = INVOKE.format(names["echo"])
    small = same_answers(pair, path, {}, b'{"chunked": true}', chunked=True)
    large = same_answers(pair, path, {}, b"[" + b"1," * (3 * 1024 * 1024) + b"1]", chunked=True)

    assert small[0] == 200
    assert small[2] == '{"chunked": true}'
    assert large[0] == 413


HEADER_VALUES = {
    "X-Amz-Invocation-Type": st.sampled_from(["RequestResponse", "DryRun", "requestresponse"]),
    "X-Amz-Log-Type": st.sampled_from(["None", "Tail", "tail", ""]),
    "X-Amz-Client-Context": st.sampled_from(["e30=", "eyJjdXN0b20iOiB7fX0=", "%%", ""]),
    "Host": st.sampled_from(["127.0.0.1", "localhost:80", "[::1]", "other.test"]),
}
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kind=st.sampled_from(sorted(SOURCES.keys() - {"big"})),
    qualifier=st.sampled_from(["", "?Qualifier=1", "?Qualifier=live", "?Qualifier=9", "?Q=1"]),
    headers=st.fixed_dictionaries({}, optional=HEADER_VALUES),
    body=st.one_of(JSON.map(lambda v: json.dumps(v).encode()), st.binary(max_size=12)),
)
def test_any_request_is_answered_alike(pair, names, kind, qualifier, headers, body):
    """Generated requests (functions, qualifiers, headers and bodies, good and bad) get the
    same answer from both servers."""
    same_answers(pair, INVOKE.format(names[kind]) + qualifier, headers, body)


def scope(
    path: bytes = b"/2015-03-31/functions/f/invocations",
    query: bytes = b"",
    method: str = "POST",
    **headers: bytes,
) -> dict[str, Any]:
    given = {"host": b"127.0.0.1:4566"} | headers
    # "-": the header left out
    listed = [(k.replace("_", "-").encode(), v) for k, v in given.items() if v != b"-"]
    return {
        "type": "http",
        "method": method,
        "path": path.decode(),
        "raw_path": path,
        "query_string": query,
        "headers": listed,
    }


@pytest.mark.parametrize(
    ("request_scope", "taken"),
    [
        (scope(), ("f", None)),
        (scope(query=b"Qualifier=live"), ("f", "live")),
        (scope(b"/2015-03-31/functions/a%3Ab/invocations"), ("a:b", None)),
        (scope(host=b"localhost"), ("f", None)),
        (scope(host=b"[::1]:80"), ("f", None)),
        (scope(x_amz_invocation_type=b"RequestResponse"), ("f", None)),
        (scope(method="GET"), None),
        (scope(b"/2015-03-31/functions/f/invocations/"), None),
        (scope(b"/2015-03-31/functions/f/g/invocations"), None),
        (scope(b"/2015-03-31/functions/f/invoke-async/"), None),
        (scope(query=b"Qualifier=a%20b"), None),
        (scope(query=b"Qualifier=1&Qualifier=2"), None),
        (scope(query=b"Other=1"), None),
        (scope(host=b"-"), None),
        (scope(host=b"example.com"), None),
        (scope(host=b"localhost.example.com"), None),
        (scope(host=b"bucket.localhost"), None),
        (scope(host=b"abc.lambda-url.localhost"), None),
        (scope(x_amz_invocation_type=b"Event"), None),
        (scope(x_amz_invocation_type=b"DryRun"), None),
        (scope(x_amz_invocation_type=b""), None),
        (scope(authorization=SIGNED_FOR_S3), None),
        (scope(authorization=b"AWS k:signature"), None),
    ],
)
def test_which_requests_the_fast_path_takes(request_scope, taken):
    """Only a synchronous Invoke to the server's own host name, with no query but Qualifier,
    not signed for S3."""
    request = addressed(request_scope)

    assert (request and (request.name, request.qualifier)) == taken


def test_a_repeated_header_is_left_to_the_generic_path():
    """A header named twice (which the generic path reads first here, last there)."""
    repeated = scope()
    repeated["headers"] += [(b"x-amz-log-type", b"Tail"), (b"x-amz-log-type", b"None")]

    assert addressed(repeated) is None
