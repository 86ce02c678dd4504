"""Signature checking on the AWS endpoint (`STRATUS_VERIFY_SIGNATURES=true`): one ASGI
middleware in front of every AWS API, off by default.

    request ──► exempt? (/_stratus/…, SNS's GET links, browser preflights) ──► the APIs
        │
        ├─ S3 (signed for s3, or a bucket's host): the body streams on untouched; the
        │  signature covers the x-amz-content-sha256 header the client sent
        ├─ everything else: the body is read whole (the APIs read it whole anyway) and its
        │  SHA-256 is what the signature must cover
        ▼
    iam/sigv4.verify ── Refused ──► the error in the request's own protocol (below)
        │
        ▼ scope["stratus.identity"] = the key's Identity (root for test/test) ──► the APIs

The same refusal is spelled per protocol, as AWS spells it (JSON: 400 with `…Exception`
codes, and SQS's query code in x-amzn-query-error; rest-json (Lambda, API Gateway): the same
codes, 403; query and S3: 403 except where a 400 is shown):

    kind         query (STS, IAM, SNS…)       JSON, rest-json                S3
    missing      MissingAuthenticationToken   MissingAuthenticationToken…    AccessDenied
    incomplete   IncompleteSignature 400      IncompleteSignatureException   AuthorizationHeader…
    unknown key  InvalidClientTokenId         UnrecognizedClientException    InvalidAccessKeyId
    mismatch     SignatureDoesNotMatch        InvalidSignatureException      SignatureDoesNotMatch
    clock skew   SignatureDoesNotMatch        InvalidSignatureException      RequestTimeTooSkewed
    URL expired  (as skew)                    (as skew)                      AccessDenied
"""

from __future__ import annotations

import time
from typing import Literal

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stratus import ids
from stratus.errors import StratusError, TooLarge
from stratus.iam.service import IamService
from stratus.iam.sigv4 import Incoming, Kind, Refused, incoming_of, sha256_hex, verify

from .protocols import aws_json, query, rest_json, rest_xml
from .protocols.errors import WireError
from .s3_post import is_form_post
from .s3_requests import signed_for_s3, virtual_bucket
from .wire import CONTROL_BODY_LIMIT

Protocol = Literal["query", "json", "rest-json", "s3"]
IDENTITY = "stratus.identity"  # the scope key the caller's Identity is kept under
# No API on the endpoint takes a larger body whole (Lambda's CreateFunction with a ZipFile).
BODY_LIMIT = CONTROL_BODY_LIMIT

_CODES: dict[Kind, dict[Protocol, WireError]] = {
    "missing": {
        "query": WireError("MissingAuthenticationToken", 403),
        "json": WireError("MissingAuthenticationTokenException", 400, "MissingAuthenticationToken"),
        "rest-json": WireError("MissingAuthenticationTokenException", 403),
        "s3": WireError("AccessDenied", 403),
    },
    "incomplete": {
        "query": WireError("IncompleteSignature", 400),
        "json": WireError("IncompleteSignatureException", 400, "IncompleteSignature"),
        "rest-json": WireError("IncompleteSignatureException", 403),
        "s3": WireError("AuthorizationHeaderMalformed", 400),
    },
    "unknown-key": {
        "query": WireError("InvalidClientTokenId", 403),
        "json": WireError("UnrecognizedClientException", 400, "InvalidClientTokenId"),
        "rest-json": WireError("UnrecognizedClientException", 403),
        "s3": WireError("InvalidAccessKeyId", 403),
    },
    "mismatch": {
        "query": WireError("SignatureDoesNotMatch", 403),
        "json": WireError("InvalidSignatureException", 400, "SignatureDoesNotMatch"),
        "rest-json": WireError("InvalidSignatureException", 403),
        "s3": WireError("SignatureDoesNotMatch", 403),
    },
    "skewed": {
        "query": WireError("SignatureDoesNotMatch", 403),
        "json": WireError("InvalidSignatureException", 400, "SignatureDoesNotMatch"),
        "rest-json": WireError("InvalidSignatureException", 403),
        "s3": WireError("RequestTimeTooSkewed", 403),
    },
    "expired": {
        "query": WireError("SignatureDoesNotMatch", 403),
        "json": WireError("InvalidSignatureException", 400, "SignatureDoesNotMatch"),
        "rest-json": WireError("InvalidSignatureException", 403),
        "s3": WireError("AccessDenied", 403),
    },
}
# S3 words some refusals its own way.
_S3_MESSAGES: dict[Kind, str] = {
    "missing": "Access Denied",
    "unknown-key": "The AWS Access Key Id you provided does not exist in our records.",
    "mismatch": "The request signature we calculated does not match the signature you "
    "provided. Check your key and signing method.",
    "skewed": "The difference between the request time and the current time is too large.",
}


class SignatureRefused(StratusError):
    """A refusal on its way to a protocol's error renderer (which maps it by class)."""


class VerifySignatures:
    """The middleware (see the module docstring); passes everything on when checking is off."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Off (the default), this is the whole cost: one setting read per request. (The
        # lifespan passes here too, before the services exist.)
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        services = scope["app"].state.services
        if not services.settings.verify_signatures or _exempt(scope):
            await self.app(scope, receive, send)
            return
        iam: IamService = services.iam
        protocol = protocol_of(scope)
        body_hash = None
        if protocol != "s3":
            try:
                body = await _wait_body(receive)
            except TooLarge as exc:
                await _refusal(scope, protocol, exc, None)(scope, receive, send)
                return
            body_hash = sha256_hex(body)
            receive = _replay(body, receive)
        try:
            signed = verify(incoming(scope, body_hash), iam.secret_of, time.time())
        except Refused as refused:
            await _refused(scope, protocol, refused)(scope, receive, send)
            return
        scope[IDENTITY] = iam.identity_of(signed.access_key)
        await self.app(scope, receive, send)


def incoming(scope: Scope, body_hash: str | None) -> Incoming:
    """The parts of an ASGI request a signature covers; `body_hash` None for S3's."""
    host = Headers(scope=scope).get("host")
    return incoming_of(scope, body_hash, virtual_bucket(host))


def protocol_of(scope: Scope) -> Protocol:
    headers = Headers(scope=scope)
    if virtual_bucket(headers.get("host")) is not None or signed_for_s3(scope):
        return "s3"
    if "x-amz-target" in headers:
        return "json"
    form = headers.get("content-type", "").lower().startswith(query.FORM)
    return "query" if scope["method"] == "POST" and form else "rest-json"


def _exempt(scope: Scope) -> bool:
    path: str = scope["path"]
    if path.startswith("/_stratus/"):  # Stratus's own: health, work, artifacts, the console
        return True
    headers = Headers(scope=scope)
    if "authorization" in headers:
        return False
    if scope["method"] == "GET" and path == "/":  # SNS's confirm/unsubscribe links
        return True
    bucket = virtual_bucket(headers.get("host"))
    if is_form_post(scope, f"/{bucket}{path}" if bucket else path):
        return True  # a browser's S3 upload: its form fields sign it (s3_post.py)
    return scope["method"] == "OPTIONS" and "access-control-request-method" in headers


async def _wait_body(receive: Receive) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > BODY_LIMIT:
            raise TooLarge(f"The request body is larger than {BODY_LIMIT} bytes.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # the disconnect, when it comes

    return replayed


def _refused(scope: Scope, protocol: Protocol, refused: Refused) -> Response:
    wire = _CODES[refused.kind][protocol]
    if protocol == "s3" and refused.kind == "incomplete" and "X-Amz-" in refused.message:
        wire = WireError("AuthorizationQueryParametersError", 400)
    message = (
        _S3_MESSAGES.get(refused.kind, refused.message) if protocol == "s3" else refused.message
    )
    return _refusal(scope, protocol, SignatureRefused(message, **refused.extra), wire)


def _refusal(
    scope: Scope, protocol: Protocol, exc: StratusError, wire: WireError | None
) -> Response:
    table = {} if wire is None else {type(exc): wire}
    if protocol == "query":
        return query.error_response(exc, query.signing_service(Headers(scope=scope)), table)
    if protocol == "json":
        headers = Headers(scope=scope)
        if wire is not None and not headers.get("x-amz-target", "").startswith("AmazonSQS."):
            # Only APIs that moved from the query protocol (SQS) also say their query code.
            table = {type(exc): WireError(wire.code, wire.status)}
        content_type = headers.get("content-type", "")
        version = "1.0" if content_type.endswith("json-1.0") else "1.1"
        return aws_json.error_response(exc, table, version)
    if protocol == "s3":
        return rest_xml.error_response(exc, table, ids.uuid4(), scope["method"])
    return rest_json.error_response(exc, table)
