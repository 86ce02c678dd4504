"""The rest-xml protocol (S3, Route 53) against botocore as the oracle: what botocore's
RestXMLSerializer sends (URI, query string, headers, XML or raw body), we route and parse back
to the members it was given; what we render, botocore's RestXMLParser reads back as the same
members. Values come from hypothesis, following each operation's model."""

from __future__ import annotations

import asyncio
import io
import string
import urllib.parse
from typing import Any

import httpx
import pytest
from botocore.model import OperationModel, Shape
from botocore.parsers import RestXMLParser
from botocore.response import StreamingBody
from botocore.serialize import RestXMLSerializer
from hypothesis import given
from hypothesis import strategies as st
from shape_values import ORACLE, XML_TEXT, operation, values, without_unrendered
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.routing import Mount
from urllib3 import HTTPHeaderDict

from stratus.aws.protocols import models, rest_xml
from stratus.aws.protocols.adapter import Api
from stratus.aws.protocols.errors import ErrorTable, WireError
from stratus.aws.protocols.rest_routing import Router
from stratus.aws.protocols.rest_xml import RestXml
from stratus.errors import (
    Malformed,
    NotFound,
    StratusError,
    UnknownOperation,
    Validation,
)

OPERATIONS = [
    "s3:PutObject",
    "s3:GetObject",
    "s3:HeadObject",
    "s3:CopyObject",
    "s3:DeleteObject",
    "s3:DeleteObjects",
    "s3:ListObjectsV2",
    "s3:ListObjects",
    "s3:ListBuckets",
    "s3:CreateBucket",
    "s3:PutBucketTagging",
    "s3:GetBucketTagging",
    "s3:PutObjectTagging",
    "s3:PutBucketAcl",
    "s3:GetBucketAcl",
    "s3:PutBucketNotificationConfiguration",
    "s3:GetBucketNotificationConfiguration",
    "s3:CreateMultipartUpload",
    "s3:CompleteMultipartUpload",
    "s3:UploadPart",
    "s3:ListObjectVersions",
    "route53:ChangeResourceRecordSets",
    "route53:ListResourceRecordSets",
    "route53:CreateHostedZone",
]
# Text an HTTP header can carry as it is (no commas: list items are comma-joined).
HEADER_TEXT = st.text(string.ascii_letters + string.digits + "-_.", min_size=1, max_size=12)
LABEL_TEXT = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12)
# ElementTree writes a CR as it is and parsers read it back as LF: botocore cannot send one.
BODY_TEXT = XML_TEXT.filter(lambda text: "\r" not in text)


def located_values(shape: Shape) -> st.SearchStrategy[dict[str, Any]]:
    """Input or output members, each with text its location can carry."""
    optional, required = {}, {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location == "headers":  # HTTP header names arrive in lower case
            strategy = st.dictionaries(HEADER_TEXT.map(str.lower), HEADER_TEXT, max_size=3)
        elif location == "header":
            strategy = values(member, text=HEADER_TEXT, time_step_ms=1000)
        elif location == "uri":
            strategy = LABEL_TEXT if member.type_name == "string" else values(member)
        elif location == "querystring":
            strategy = values(member, text=LABEL_TEXT, time_step_ms=1000)
        else:
            strategy = values(member, text=BODY_TEXT, time_step_ms=1000)
        needed = location == "uri" or name in shape.required_members
        (required if needed else optional)[name] = strategy
    return st.fixed_dictionaries(required, optional=optional)


def as_sent(shape: Shape, params: dict[str, Any]) -> dict[str, Any]:
    """What the wire can say of `params`: empty lists in the query string and header maps
    say nothing, nor does an empty raw payload; flattened lists and maps that are empty leave
    no element."""
    kept = {}
    for name, value in params.items():
        member = shape.members[name]
        location = member.serialization.get("location")
        if name == shape.serialization.get("payload") and value in (b"", ""):
            continue
        if location in ("querystring", "headers") and value in ([], {}):
            continue
        if location == "header" and member.type_name == "list" and not value:
            continue
        if location is None:
            value = without_unrendered(member, value)
            if value is None:
                continue
        kept[name] = value
    return kept


def route_and_parse(op: OperationModel, params: dict[str, Any]) -> dict[str, Any]:
    request = RestXMLSerializer().serialize_to_request(params, op)
    router = Router.for_model(op.service_model)
    # The requestUri's query literals (`?delete`) stay in botocore's url_path.
    path, _, literals = request["url_path"].partition("?")
    raw_query = "&".join([literals, urllib.parse.urlencode(request["query_string"], doseq=True)])
    query = urllib.parse.parse_qs(raw_query, keep_blank_values=True)
    headers = Headers(headers={k: str(v) for k, v in request["headers"].items()})
    found = router.match(request["method"], path, {k: v[0] for k, v in query.items()}, headers)
    assert found is not None
    assert found.operation == op.name
    body = request["body"]
    return rest_xml.parse_input(
        op, found.labels, query, headers, body if isinstance(body, bytes) else body.encode()
    )


def botocore_reads(op: OperationModel, status: int, headers: dict[str, str], body: bytes) -> Any:
    """What a client gets: streamed payloads read whole; header maps with nothing, which
    botocore answers as {}, left out."""
    streamed = StreamingBody(io.BytesIO(body), len(body)) if op.has_streaming_output else body
    parsed = RestXMLParser().parse(
        {"body": streamed, "headers": HTTPHeaderDict(headers), "status_code": status},
        op.output_shape,
    )
    parsed.pop("ResponseMetadata", None)
    for name, member in op.output_shape.members.items():
        if member.serialization.get("location") == "headers" and parsed.get(name) == {}:
            del parsed[name]
    if op.has_streaming_output:
        payload = op.output_shape.serialization["payload"]
        content = parsed.pop(payload).read()
        if content:
            parsed[payload] = content
    return parsed


@pytest.mark.parametrize("name", [n for n in OPERATIONS if operation(n).input_shape])
@ORACLE
@given(data=st.data())
def test_requests_serialized_by_botocore_route_and_parse_back(
    name: str, data: st.DataObject
) -> None:
    """Any input botocore sends is routed to its operation and parsed to the same members."""
    op = operation(name)
    params = data.draw(located_values(op.input_shape))

    parsed = route_and_parse(op, params)

    assert parsed == as_sent(op.input_shape, params)


@pytest.mark.parametrize("name", [n for n in OPERATIONS if operation(n).output_shape])
@ORACLE
@given(data=st.data())
def test_rendered_outputs_read_back_by_botocore(name: str, data: st.DataObject) -> None:
    """Any output the model allows, rendered, is what botocore's parser reads."""
    op = operation(name)
    output = data.draw(located_values(op.output_shape))

    status, headers, body = rest_xml.render_output(op, output)
    parsed = botocore_reads(op, status, headers, body)

    expected = as_sent(op.output_shape, output)
    payload = op.output_shape.serialization.get("payload")
    if payload and op.output_shape.members[payload].type_name == "structure":
        expected.setdefault(payload, {})  # botocore reads an absent one as empty
    assert parsed == expected


def test_routing_by_aws_rules() -> None:
    """Query literals pick the operation; greedy labels take the rest of the path, slashes
    and a trailing / included; labels are decoded after matching."""
    router = Router.for_model(models.service_model("s3"))

    def match(
        method: str, path: str, query: dict[str, str] | None = None
    ) -> tuple[str, dict[str, str]] | None:
        found = router.match(method, path, query or {})
        return (found.operation, found.labels) if found else None

    assert match("GET", "/b") == ("ListObjects", {"Bucket": "b"})
    assert match("GET", "/b", {"list-type": "2"}) == ("ListObjectsV2", {"Bucket": "b"})
    assert match("GET", "/b", {"tagging": ""}) == ("GetBucketTagging", {"Bucket": "b"})
    assert match("PUT", "/b/photos/", {}) == ("PutObject", {"Bucket": "b", "Key": "photos/"})
    assert match("GET", "/b/a%2Fb/c%20d") == ("GetObject", {"Bucket": "b", "Key": "a/b/c d"})
    assert match("GET", "/b/k", {"tagging": ""}) == (
        "GetObjectTagging",
        {"Bucket": "b", "Key": "k"},
    )
    assert match("GET", "/") == ("ListBuckets", {})
    assert match("PATCH", "/b") is None
    # One trailing / is the bucket; more are keys made of slashes, never the bucket.
    assert match("GET", "/b/") == ("ListObjects", {"Bucket": "b"})
    assert match("DELETE", "/b//") == ("DeleteObject", {"Bucket": "b", "Key": "/"})
    assert match("PUT", "/b///") == ("PutObject", {"Bucket": "b", "Key": "//"})


def test_xml_answers_declare_namespaces_and_attributes() -> None:
    """Body members go out as XML; a shape's prefixed xmlNamespace is declared where its
    xmlAttribute members use it (S3's Grantee xsi:type)."""
    op = operation("s3:GetBucketAcl")
    grant = {"Grantee": {"Type": "CanonicalUser", "ID": "abc"}, "Permission": "READ"}

    status, headers, body = rest_xml.render_output(op, {"Grants": [grant]})

    assert status == 200
    assert headers["Content-Type"] == "application/xml"
    assert body == (
        b"<GetBucketAclOutput><AccessControlList><Grant>"
        b'<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">'
        b"<ID>abc</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList>"
        b"</GetBucketAclOutput>"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<Tagging><TagSet>", "not well-formed"),
        (b"<CreateBucketConfiguration><LocationConstraint>", "not well-formed"),
    ],
)
def test_bodies_that_are_not_xml_are_malformed(body: bytes, message: str) -> None:
    op = operation("s3:PutBucketTagging")

    with pytest.raises(Malformed) as refused:
        rest_xml.parse_input(op, {"Bucket": "b"}, {"tagging": [""]}, Headers(), body)

    assert message in refused.value.message


def test_header_text_that_is_not_its_type_names_the_member() -> None:
    op = operation("s3:GetObject")

    with pytest.raises(Validation) as refused:
        rest_xml.parse_input(
            op, {"Bucket": "b", "Key": "k"}, {}, Headers({"if-modified-since": "soon"}), b""
        )

    assert "Value 'soon' at 'ifModifiedSince'" in refused.value.message


S3_ERRORS: ErrorTable = {NotFound: WireError("NoSuchKey", 404)}


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (NotFound("The specified key does not exist."), "NoSuchKey", 404),
        (Validation("1 validation error detected: ..."), "InvalidArgument", 400),
        (Malformed("The XML you provided was not well-formed"), "MalformedXML", 400),
        (UnknownOperation("not yet"), "NotImplemented", 501),
        (StratusError("Internal error: boom"), "InternalError", 500),
    ],
)
def test_errors_render_as_botocore_reads_them(error: StratusError, code: str, status: int) -> None:
    """<Error><Code/><Message/><RequestId/></Error> with the API's status."""
    op = operation("s3:GetObject")

    response = rest_xml.error_response(error, S3_ERRORS, "req-1")
    parsed = RestXMLParser().parse(
        {
            "body": response.body,
            "headers": HTTPHeaderDict(dict(response.headers)),
            "status_code": status,
        },
        op.output_shape,
    )

    assert response.status_code == status
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Message"] == error.message
    assert response.headers["x-amz-request-id"] == "req-1"


def served(handlers: dict[str, Any], body_limit: int = 1024) -> httpx.AsyncClient:
    """A rest-xml API answering over ASGI (its handlers need no services)."""
    api = RestXml(Api("s3", handlers, S3_ERRORS, body_limit), models.service_model("s3"))

    async def endpoint(scope: Any, receive: Any, send: Any) -> None:
        response = await api.wait_answer(scope, receive)
        await response(scope, receive, send)

    app = Starlette(routes=[Mount("/", app=endpoint)])
    app.state.services = app.state.stacks = None
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s3")


def test_requests_are_served_from_the_table() -> None:
    """A routed request reaches its handler with typed members; its answer goes back as S3
    sends it; what the table lacks, what no operation matches and bodies past the limit are
    refused in S3's words."""
    seen: list[dict[str, Any]] = []

    async def put_object(call: Any, params: dict[str, Any]) -> dict[str, Any]:
        seen.append(params)
        return {"ETag": '"abc"'}

    async def get_object(call: Any, params: dict[str, Any]) -> dict[str, Any]:
        raise NotFound("The specified key does not exist.")

    async def scenario() -> list[httpx.Response]:
        async with served({"PutObject": put_object, "GetObject": get_object}) as client:
            return [
                await client.put(
                    "/b/photos/a%20b.txt", content=b"hi", headers={"x-amz-meta-k": "v"}
                ),
                await client.get("/b/k"),
                await client.get("/b", params={"tagging": ""}),
                await client.request("PATCH", "/b"),
                await client.put("/b/big", content=b"x" * 2048),
            ]

    put, missing, lacking, unmatched, big = asyncio.run(scenario())

    assert put.status_code == 200
    assert put.headers["etag"] == '"abc"'
    assert seen == [
        {
            "Bucket": "b",
            "Key": "photos/a b.txt",
            "Body": b"hi",
            "ContentLength": 2,
            "Metadata": {"k": "v"},
        }
    ]
    refused = [(r.status_code, r.content.partition(b"</Code>")[0]) for r in (missing, lacking)]
    refused += [(r.status_code, r.content.partition(b"</Code>")[0]) for r in (unmatched, big)]
    assert refused == [
        (404, b"<Error><Code>NoSuchKey"),
        (501, b"<Error><Code>NotImplemented"),
        (405, b"<Error><Code>MethodNotAllowed"),
        (400, b"<Error><Code>EntityTooLarge"),
    ]
    assert missing.headers["x-amz-request-id"]
