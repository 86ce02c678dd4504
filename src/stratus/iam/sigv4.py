"""Checking AWS request signatures (Signature Version 4, and S3's older query form), pure.

    Authorization: AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/<service>/aws4_request,
                   SignedHeaders=host;x-amz-date, Signature=<64 hex>          header auth
    ?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=…&X-Amz-Date=…
     &X-Amz-Expires=<s>&X-Amz-SignedHeaders=host&X-Amz-Signature=…           query (presigned)
    ?AWSAccessKeyId=<key>&Expires=<epoch>&Signature=<base64 HMAC-SHA1>        S3's SigV2 query
    Authorization: AWS <key>:<base64 HMAC-SHA1>                               S3's SigV2 header

The signature is recomputed with botocore's own signer (`botocore.auth.SigV4Auth`, the one
every boto3 client signs with), told which headers the client signed, the time it signed at
and the payload hash, and compared in constant time. The payload hash is the SHA-256 of the
body the caller hands in, except for S3, which signs the `x-amz-content-sha256` header's
value (a hash, `UNSIGNED-PAYLOAD` or a `STREAMING-…` marker) and reads bodies as they stream.

Time: a header-signed request more than 5 minutes away from now is refused (AWS's skew
window); a presigned one from X-Amz-Date until X-Amz-Date + X-Amz-Expires (at most 7 days).

Refusals are `Refused(kind, message)`; the interface that received the request spells the
kind in its protocol's codes (aws/signatures.py), since the same failure is
SignatureDoesNotMatch to STS, InvalidSignatureException to DynamoDB and Lambda.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from botocore.auth import EMPTY_SHA256_HASH, UNSIGNED_PAYLOAD, HmacV1Auth, S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

SKEW_SECONDS = 300
MAX_EXPIRES = 604_800
ALGORITHM = "AWS4-HMAC-SHA256"
TIMESTAMP = "%Y%m%dT%H%M%SZ"

Kind = Literal["missing", "incomplete", "unknown-key", "mismatch", "skewed", "expired"]

_HEADER_PARTS = re.compile(r"(Credential|SignedHeaders|Signature)=([^,\s]*)")


class Refused(Exception):
    """Why a request's signature is not accepted, in AWS's words."""

    def __init__(self, kind: Kind, message: str, **extra: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.extra = extra


@dataclass(frozen=True, slots=True)
class Incoming:
    """A request as it arrived: the path exactly as sent (percent-encoded), the raw query."""

    method: str
    raw_path: str
    query: str
    headers: Sequence[tuple[str, str]]  # names lower-case, in arrival order
    body_sha256: str | None  # None: S3, whose x-amz-content-sha256 header names the hash
    # S3's SigV2 signs /bucket/key even when the bucket is in the Host name.
    bucket_host: str | None = None

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)


@dataclass(frozen=True, slots=True)
class Signed:
    """A request whose signature holds: who signed it and for what."""

    access_key: str
    region: str | None  # None for SigV2
    service: str | None


def incoming_of(
    scope: Mapping[str, Any], body_sha256: str | None, bucket_host: str | None = None
) -> Incoming:
    """The parts of an ASGI request (its scope) a signature covers."""
    headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope["headers"]]
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    return Incoming(
        method=scope["method"],
        raw_path=raw_path.decode("latin-1"),
        query=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body_sha256=body_sha256,
        bucket_host=bucket_host,
    )


SecretOf = Callable[[str], str | None]  # access key id -> its secret, None if unknown


def is_signed(request: Incoming) -> bool:
    query = request.query
    return (
        request.header("authorization") is not None
        or "X-Amz-Signature=" in query
        or ("AWSAccessKeyId=" in query and "Signature=" in query)
    )


def verify(request: Incoming, secret_of: SecretOf, now: float) -> Signed:
    """The signer of `request`, or Refused."""
    authorization = request.header("authorization")
    if authorization is not None:
        if authorization.startswith("AWS "):
            return _verify_v2(request, authorization, secret_of, now)
        return _verify_header(request, authorization, secret_of, now)
    params = urllib.parse.parse_qs(request.query, keep_blank_values=True)
    if "X-Amz-Signature" in params or "X-Amz-Credential" in params:
        return _verify_query(request, {k: v[0] for k, v in params.items()}, secret_of, now)
    if "Signature" in params and "AWSAccessKeyId" in params:
        return _verify_v2(request, None, secret_of, now)
    raise Refused("missing", "Request is missing Authentication Token")


# -- SigV4 ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Claim:
    access_key: str
    date: str  # yyyymmdd of the scope
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    timestamp: str  # yyyymmddThhmmssZ


def _verify_header(
    request: Incoming, authorization: str, secret_of: SecretOf, now: float
) -> Signed:
    algorithm, _, rest = authorization.partition(" ")
    if algorithm != ALGORITHM:
        raise Refused("incomplete", f"Unsupported authorization type: {algorithm or '(none)'}")
    parts = dict(_HEADER_PARTS.findall(rest))
    missing = [name for name in ("Credential", "Signature", "SignedHeaders") if not parts.get(name)]
    timestamp = request.header("x-amz-date") or _http_date(request.header("date"))
    if missing or timestamp is None:
        wanted = [f"Authorization header requires '{name}' parameter." for name in missing]
        if timestamp is None:
            wanted.append("Authorization header requires existence of either a 'X-Amz-Date' "
                          "or a 'Date' header.")  # fmt: skip
        raise Refused("incomplete", " ".join(wanted) + f" Authorization={authorization}")
    claim = _claim(parts["Credential"], parts["SignedHeaders"], parts["Signature"], timestamp)
    _check_skew(claim.timestamp, now)
    return _check(request, claim, secret_of, presigned=False)


def _verify_query(
    request: Incoming, params: dict[str, str], secret_of: SecretOf, now: float
) -> Signed:
    needed = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date",
              "X-Amz-SignedHeaders")  # fmt: skip
    missing = [name for name in needed if not params.get(name)]
    if missing:
        raise Refused(
            "incomplete",
            "Query-string authentication version 4 requires the "
            + ", ".join(needed)
            + " parameters",
        )
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise Refused("incomplete", 'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
    claim = _claim(
        params["X-Amz-Credential"], params["X-Amz-SignedHeaders"], params["X-Amz-Signature"],
        params["X-Amz-Date"],
    )  # fmt: skip
    expires = params.get("X-Amz-Expires", str(MAX_EXPIRES))
    if not expires.isdigit() or int(expires) > MAX_EXPIRES:
        raise Refused(
            "incomplete", "X-Amz-Expires must be less than a week (in seconds) that is 604800"
        )
    start = _moment(claim.timestamp)
    if now + SKEW_SECONDS < start:
        raise Refused("expired", "Request is not valid yet")
    if now > start + int(expires):
        ends = datetime.fromtimestamp(start + int(expires), UTC)
        raise Refused(
            "expired",
            "Request has expired",
            **{
                "X-Amz-Expires": expires,
                "Expires": f"{ends:%Y-%m-%dT%H:%M:%SZ}",
                "ServerTime": f"{datetime.fromtimestamp(now, UTC):%Y-%m-%dT%H:%M:%SZ}",
            },
        )
    return _check(request, claim, secret_of, presigned=True)


def _claim(credential: str, signed_headers: str, signature: str, timestamp: str) -> _Claim:
    pieces = credential.split("/")
    if len(pieces) != 5 or pieces[4] != "aws4_request" or not pieces[0]:
        raise Refused(
            "incomplete",
            f"Credential should be scoped to a valid region, service and terminated by "
            f"'aws4_request'. Credential={credential}",
        )
    try:
        _moment(timestamp)
    except ValueError:
        message = f"Date must be in ISO-8601 'basic format'. Got '{timestamp}'."
        raise Refused("incomplete", message) from None
    names = tuple(name.strip().lower() for name in signed_headers.split(";") if name.strip())
    return _Claim(pieces[0], pieces[1], pieces[2], pieces[3], names, signature, timestamp)


def _check_skew(timestamp: str, now: float) -> None:
    moment = _moment(timestamp)

    def stamp(seconds: float) -> str:
        return f"{datetime.fromtimestamp(seconds, UTC):%Y%m%dT%H%M%SZ}"

    if moment < now - SKEW_SECONDS:
        raise Refused(
            "skewed",
            f"Signature expired: {timestamp} is now earlier than {stamp(now - SKEW_SECONDS)} "
            f"({stamp(now)} - 5 min.)",
        )
    if moment > now + SKEW_SECONDS:
        raise Refused(
            "skewed",
            f"Signature not yet current: {timestamp} is still later than "
            f"{stamp(now + SKEW_SECONDS)} ({stamp(now)} + 5 min.)",
        )


def _check(request: Incoming, claim: _Claim, secret_of: SecretOf, *, presigned: bool) -> Signed:
    secret = secret_of(claim.access_key)
    if secret is None:
        raise Refused("unknown-key", "The security token included in the request is invalid.")
    if "host" not in claim.signed_headers:
        raise Refused("incomplete", "'Host' must be a signed header.")
    signer = _Recompute(request, claim, secret, presigned=presigned)
    expected = signer.recompute()
    if not hmac.compare_digest(expected, claim.signature):
        raise Refused(
            "mismatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service "
            "documentation for details.",
        )
    return Signed(claim.access_key, claim.region, claim.service)


class _Recompute:
    """botocore's SigV4 signer, told what the client signed instead of choosing it."""

    def __init__(self, request: Incoming, claim: _Claim, secret: str, *, presigned: bool) -> None:
        self.request, self.claim, self.presigned = request, claim, presigned
        s3 = claim.service == "s3"
        cls = _S3Signer if s3 else _Signer
        self.signer = cls(Credentials(claim.access_key, secret), claim.service, claim.region)
        self.signer.claim = claim
        self.signer.incoming = request
        self.signer.payload_hash = self._payload_hash(s3)
        self.signer.secret = secret

    def _payload_hash(self, s3: bool) -> str:
        if s3:
            given = self.request.header("x-amz-content-sha256")
            return given or (UNSIGNED_PAYLOAD if self.presigned else EMPTY_SHA256_HASH)
        if self.request.body_sha256 is not None:
            return self.request.body_sha256
        return EMPTY_SHA256_HASH

    def recompute(self) -> str:
        host = self.request.header("host") or "localhost"
        url = f"http://{host}{self.request.raw_path}"
        aws = AWSRequest(method=self.request.method, url=url, headers={})
        aws.context["timestamp"] = self.claim.timestamp
        canonical = self.signer.canonical_request(aws)
        return str(self.signer.signature(self.signer.string_to_sign(aws, canonical), aws))


_NO_HEADERS = HTTPHeaders()  # never read (canonical_headers and signed_headers are ours)


class _Signer(SigV4Auth):
    claim: _Claim
    incoming: Incoming
    payload_hash: str
    secret: str

    # The headers are the ones the client named in SignedHeaders, as they arrived; botocore's
    # own header map (an email.message.Message) costs more than the rest of the check.
    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        return _NO_HEADERS

    def canonical_headers(self, headers_to_sign: Iterable[str]) -> str:
        values: dict[str, list[str]] = {name: [] for name in self.claim.signed_headers}
        for name, value in self.incoming.headers:
            if name in values:
                values[name].append(" ".join(value.split()))
        return "\n".join(f"{name}:{','.join(values[name])}" for name in sorted(values))

    def signed_headers(self, headers_to_sign: Iterable[str]) -> str:
        return ";".join(sorted(self.claim.signed_headers))

    def signature(self, string_to_sign: str, request: AWSRequest) -> str:
        key = _signing_key(self.secret, self.claim.date, self.claim.region, self.claim.service)
        return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()

    def canonical_query_string(self, request: AWSRequest) -> str:
        pairs = []
        for pair in self.incoming.query.split("&") if self.incoming.query else ():
            key, _, value = pair.partition("=")
            key, value = urllib.parse.unquote(key), urllib.parse.unquote(value)
            if key == "X-Amz-Signature":
                continue
            pairs.append((_encode(key), _encode(value)))
        return "&".join(f"{k}={v}" for k, v in sorted(pairs))

    def payload(self, request: AWSRequest) -> str:
        return self.payload_hash


class _S3Signer(_Signer, S3SigV4Auth):
    pass


def verify_post(fields: Mapping[str, str], secret_of: SecretOf) -> Signed:
    """A browser upload's form (S3's POST Object): the signature is over the base64 policy
    field itself, SigV4 (x-amz-credential, x-amz-signature: hex HMAC-SHA256 with the day's
    derived key) or SigV2 (awsaccesskeyid, signature: base64 HMAC-SHA1 with the secret).
    `fields` are the form's, names lower-cased. The policy's own expiration bounds it."""
    policy = fields.get("policy", "")
    if "x-amz-signature" in fields:
        parts = fields.get("x-amz-credential", "").split("/")
        if len(parts) != 5 or parts[4] != "aws4_request" or not policy:
            raise Refused("incomplete", "x-amz-credential is not a valid credential scope.")
        key, date, region, service, _ = parts
        secret = _secret(secret_of, key)
        expected = hmac.new(
            _signing_key(secret, date, region, service), policy.encode(), hashlib.sha256
        ).hexdigest()
        _compare(expected, fields["x-amz-signature"])
        return Signed(key, region, service)
    if "signature" in fields and "awsaccesskeyid" in fields and policy:
        key = fields["awsaccesskeyid"]
        digest = hmac.new(_secret(secret_of, key).encode(), policy.encode(), hashlib.sha1)
        _compare(base64.b64encode(digest.digest()).decode(), fields["signature"])
        return Signed(key, None, None)
    raise Refused("missing", "Access Denied")


def _secret(secret_of: SecretOf, key: str) -> str:
    secret = secret_of(key)
    if secret is None:
        raise Refused(
            "unknown-key", "The AWS Access Key Id you provided does not exist in our records."
        )
    return secret


def _compare(expected: str, given: str) -> None:
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise Refused(
            "mismatch",
            "The request signature we calculated does not match the signature you provided. "
            "Check your key and signing method.",
        )


def _encode(text: str) -> str:
    return urllib.parse.quote(text, safe="-_.~")


@functools.lru_cache(maxsize=256)
def _signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """SigV4's derived key (four HMACs), the same for a key's requests all day: kept."""
    key = f"AWS4{secret}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def _moment(timestamp: str) -> float:
    """yyyymmddThhmmssZ as epoch seconds (strptime costs ten times this)."""
    if len(timestamp) != 16 or timestamp[8] != "T" or timestamp[15] != "Z":
        raise ValueError(timestamp)
    digits = timestamp[:8] + timestamp[9:15]
    if not digits.isdigit():
        raise ValueError(timestamp)
    year, month, day = int(digits[0:4]), int(digits[4:6]), int(digits[6:8])
    hour, minute, second = int(digits[8:10]), int(digits[10:12]), int(digits[12:14])
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()


def _http_date(value: str | None) -> str | None:
    """An HTTP Date header as SigV4's timestamp (some clients sign Date, not X-Amz-Date)."""
    if value is None:
        return None
    from email.utils import parsedate_to_datetime

    try:
        return f"{parsedate_to_datetime(value).astimezone(UTC):%Y%m%dT%H%M%SZ}"
    except (TypeError, ValueError):
        return None


# -- S3's SigV2 ----------------------------------------------------------------------------------
def _verify_v2(
    request: Incoming, authorization: str | None, secret_of: SecretOf, now: float
) -> Signed:
    params = dict(urllib.parse.parse_qsl(request.query, keep_blank_values=True))
    if authorization is not None:
        key, _, signature = authorization[4:].partition(":")
        when = request.header("x-amz-date") or request.header("date") or ""
        moment = _v2_moment(when)
        if moment is None:
            raise Refused(
                "incomplete", "AWS authentication requires a valid Date or x-amz-date header"
            )
        if abs(moment - now) > 15 * 60:  # S3's window for SigV2
            raise Refused(
                "skewed",
                "The difference between the request time and the current time is too large.",
            )
        # x-amz-date, when sent, is signed among the x-amz- headers and Date is left empty.
        date_line = "" if request.header("x-amz-date") else when
    else:
        key, signature = params["AWSAccessKeyId"], params["Signature"]
        expires = params.get("Expires", "")
        if not expires.isdigit():
            raise Refused("incomplete", "Query-string authentication requires the Signature, "
                          "Expires and AWSAccessKeyId parameters")  # fmt: skip
        if now > int(expires):
            ends = datetime.fromtimestamp(int(expires), UTC)
            raise Refused(
                "expired", "Request has expired", Expires=f"{ends:%Y-%m-%dT%H:%M:%SZ}",
                ServerTime=f"{datetime.fromtimestamp(now, UTC):%Y-%m-%dT%H:%M:%SZ}",
            )  # fmt: skip
        date_line = expires
    secret = secret_of(key)
    if secret is None:
        raise Refused(
            "unknown-key", "The AWS Access Key Id you provided does not exist in our records."
        )
    expected = _v2_signature(request, secret, date_line)
    if not hmac.compare_digest(expected, signature):
        raise Refused("mismatch", "The request signature we calculated does not match the "
                      "signature you provided. Check your key and signing method.")  # fmt: skip
    return Signed(key, None, "s3")


def _v2_signature(request: Incoming, secret: str, date_line: str) -> str:
    signer = HmacV1Auth(Credentials("", secret))
    custom: dict[str, list[str]] = {}
    # A presigned URL carries its x-amz- headers (a session token) as query parameters.
    query = urllib.parse.parse_qsl(request.query, keep_blank_values=True)
    for name, value in [*request.headers, *((k.lower(), v) for k, v in query)]:
        if name.startswith("x-amz-"):
            custom.setdefault(name, []).append(value.strip())
    lines = [
        request.method.upper(),
        (request.header("content-md5") or "").strip(),
        (request.header("content-type") or "").strip(),
        date_line,
    ]
    lines += [f"{name}:{','.join(custom[name])}" for name in sorted(custom)]
    split = urllib.parse.urlsplit(f"http://h{request.raw_path}?{request.query}")
    path = f"/{request.bucket_host}{split.path}" if request.bucket_host else split.path
    lines.append(signer.canonical_resource(split, auth_path=path))
    return str(signer.sign_string("\n".join(lines)))


def _v2_moment(value: str) -> float | None:
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


def sha256_hex(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
