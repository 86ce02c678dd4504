"""Signature checking (STRATUS_VERIFY_SIGNATURES=true): boto3 clients signing with good,
wrong and unknown keys against the real server, each refused in its own protocol's words."""

from __future__ import annotations

import datetime
import json
import time
import urllib.parse
import urllib.request
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from tests.objects.test_post_upload import post_by_host

from stratus.testing import RunningServer

from .conftest import Client

# One call per protocol: query (STS), JSON (Logs, SQS), rest-json (Lambda), rest-xml (S3).
CALLS: dict[str, Any] = {
    "sts": lambda c: c.get_caller_identity(),
    "logs": lambda c: c.describe_log_groups(),
    "sqs": lambda c: c.list_queues(),
    "lambda": lambda c: c.list_functions(),
    "s3": lambda c: c.list_buckets(),
}


def _clock_off(monkeypatch: pytest.MonkeyPatch, delta: datetime.timedelta) -> None:
    """botocore's clock (its own signer's and awscrt's, which boto3 uses when installed)
    `delta` away from the server's."""
    import botocore.compat

    real = botocore.compat.get_current_datetime

    def skewed(remove_tzinfo: bool = True) -> datetime.datetime:
        return real(remove_tzinfo=remove_tzinfo) + delta

    monkeypatch.setattr(botocore.auth, "get_current_datetime", skewed)
    try:
        import botocore.crt.auth

        monkeypatch.setattr(botocore.crt.auth, "get_current_datetime", skewed)
    except ImportError:
        pass


def _refusal(call: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as refused:
        call()
    error = refused.value.response["Error"]
    return (
        error["Code"],
        refused.value.response["ResponseMetadata"]["HTTPStatusCode"],
        error.get("Message", ""),
    )


def test_the_health_endpoint_says_signatures_are_verified(verified: RunningServer) -> None:
    with urllib.request.urlopen(f"{verified.endpoint_url}/_stratus/health") as answer:
        health = json.load(answer)

    assert health["signatures"] == "verified"


def test_signatures_are_off_by_default(server: RunningServer) -> None:
    with urllib.request.urlopen(f"{server.endpoint_url}/_stratus/health") as answer:
        health = json.load(answer)

    assert health["signatures"] == "off"


@pytest.mark.parametrize("service", sorted(CALLS))
def test_the_default_test_key_signs_for_every_api(
    verified: RunningServer, client_of: Client, service: str
) -> None:
    """test/test is the account's root user, as every Stratus helper signs with it."""
    CALLS[service](client_of(service, "test", "test"))


def test_the_default_key_is_the_account_root(client_of: Client) -> None:
    identity = client_of("sts", "test", "test").get_caller_identity()

    assert identity["Arn"] == "arn:aws:iam::000000000000:root"


def test_a_users_key_signs_as_that_user(client_of: Client, user: dict[str, str]) -> None:
    sts = client_of("sts", user["AccessKeyId"], user["SecretAccessKey"])

    identity = sts.get_caller_identity()

    assert identity["Arn"] == f"arn:aws:iam::000000000000:user/{user['UserName']}"
    assert identity["UserId"].startswith("AIDA")
    assert identity["Account"] == "000000000000"


WRONG_SECRET = {
    "sts": ("SignatureDoesNotMatch", 403),
    "logs": ("InvalidSignatureException", 400),
    "sqs": ("SignatureDoesNotMatch", 400),  # SQS says its query code (x-amzn-query-error)
    "lambda": ("InvalidSignatureException", 403),
    "s3": ("SignatureDoesNotMatch", 403),
}


@pytest.mark.parametrize("service", sorted(CALLS))
def test_a_wrong_secret_is_refused_as_aws_refuses_it(
    client_of: Client, user: dict[str, str], service: str
) -> None:
    client = client_of(service, user["AccessKeyId"], "not-the-secret")

    code, status, message = _refusal(lambda: CALLS[service](client))

    assert (code, status) == WRONG_SECRET[service]
    assert message.startswith("The request signature we calculated does not match")


UNKNOWN_KEY = {
    "sts": ("InvalidClientTokenId", 403),
    "logs": ("UnrecognizedClientException", 400),
    "sqs": ("InvalidClientTokenId", 400),
    "lambda": ("UnrecognizedClientException", 403),
    "s3": ("InvalidAccessKeyId", 403),
}


@pytest.mark.parametrize("service", sorted(CALLS))
def test_an_unknown_key_is_refused_as_aws_refuses_it(client_of: Client, service: str) -> None:
    client = client_of(service, "AKIAUNKNOWNKEY000000", "whatever")

    code, status, _ = _refusal(lambda: CALLS[service](client))

    assert (code, status) == UNKNOWN_KEY[service]


def test_an_inactive_or_deleted_key_no_longer_signs(
    verified: RunningServer, client_of: Client, user: dict[str, str]
) -> None:
    iam = verified.client("iam")
    sts = client_of("sts", user["AccessKeyId"], user["SecretAccessKey"])
    iam.update_access_key(
        UserName=user["UserName"], AccessKeyId=user["AccessKeyId"], Status="Inactive"
    )
    inactive = _refusal(sts.get_caller_identity)[0]
    iam.update_access_key(
        UserName=user["UserName"], AccessKeyId=user["AccessKeyId"], Status="Active"
    )
    active = sts.get_caller_identity()["Arn"]
    iam.delete_access_key(UserName=user["UserName"], AccessKeyId=user["AccessKeyId"])

    deleted = _refusal(sts.get_caller_identity)[0]

    assert inactive == "InvalidClientTokenId"
    assert active.endswith(f":user/{user['UserName']}")
    assert deleted == "InvalidClientTokenId"


SKEWED = {
    "sts": ("SignatureDoesNotMatch", 403),
    "logs": ("InvalidSignatureException", 400),
    "lambda": ("InvalidSignatureException", 403),
    "s3": ("RequestTimeTooSkewed", 403),
}


@pytest.mark.parametrize("service", sorted(SKEWED))
def test_a_clock_more_than_five_minutes_off_is_refused(
    client_of: Client, monkeypatch: pytest.MonkeyPatch, service: str
) -> None:
    """The client's clock (botocore's) is 10 minutes slow; the signature itself is right."""
    _clock_off(monkeypatch, -datetime.timedelta(minutes=10))
    client = client_of(service, "test", "test")

    code, status, message = _refusal(lambda: CALLS[service](client))

    assert (code, status) == SKEWED[service]
    if service != "s3":
        assert message.startswith("Signature expired: ")
        assert message.endswith(" - 5 min.)")


def test_a_clock_four_minutes_off_is_accepted(
    client_of: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clock_off(monkeypatch, datetime.timedelta(minutes=4))

    identity = client_of("sts", "test", "test").get_caller_identity()

    assert identity["Account"] == "000000000000"


def test_an_unsigned_request_is_missing_its_authentication_token(verified: RunningServer) -> None:
    query = httpx.post(
        verified.endpoint_url, data={"Action": "GetCallerIdentity", "Version": "2011-06-15"}
    )
    rest = httpx.get(f"{verified.endpoint_url}/2015-03-31/functions/")

    assert query.status_code == 403
    assert "<Code>MissingAuthenticationToken</Code>" in query.text
    assert rest.status_code == 403
    assert rest.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_a_tampered_body_is_refused(verified: RunningServer) -> None:
    """The signature covers the body's hash: the same headers with another body fail."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = "Action=GetCallerIdentity&Version=2011-06-15"
    request = AWSRequest(
        "POST", verified.endpoint_url + "/", data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    SigV4Auth(Credentials("test", "test"), "sts", "us-east-1").add_auth(request)
    headers = dict(request.headers.items())

    good = httpx.post(verified.endpoint_url, content=body, headers=headers)
    tampered = httpx.post(verified.endpoint_url, content=body + "&X=1", headers=headers)

    assert good.status_code == 200
    assert tampered.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in tampered.text


# -- presigned S3 URLs ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def bucket(verified: RunningServer) -> str:
    s3 = verified.client("s3")
    s3.create_bucket(Bucket="signed-things")
    s3.put_object(Bucket="signed-things", Key="a dir/it+em.txt", Body=b"hello")
    return "signed-things"


@pytest.mark.parametrize("version", ["s3v4", None])  # None: boto3's default, SigV2's query
def test_a_presigned_url_works_until_it_expires(
    client_of: Client, user: dict[str, str], bucket: str, version: str | None
) -> None:
    config = {"signature_version": version} if version else {}
    s3 = client_of("s3", user["AccessKeyId"], user["SecretAccessKey"], **config)
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "a dir/it+em.txt"}, ExpiresIn=600
    )

    with urllib.request.urlopen(url) as answer:
        body = answer.read()

    assert body == b"hello"


def test_an_expired_presigned_url_is_access_denied(
    client_of: Client, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clock_off(monkeypatch, -datetime.timedelta(hours=1))
    s3 = client_of("s3", "test", "test", signature_version="s3v4")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "a dir/it+em.txt"}, ExpiresIn=60
    )

    answer = httpx.get(url)

    assert answer.status_code == 403
    assert "<Code>AccessDenied</Code><Message>Request has expired</Message>" in answer.text


def test_an_expired_sigv2_presigned_url_is_access_denied(client_of: Client, bucket: str) -> None:
    s3 = client_of("s3", "test", "test")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query)) | {"Expires": str(int(time.time()) - 60)}

    answer = httpx.get(parts._replace(query=urllib.parse.urlencode(query)).geturl())

    assert answer.status_code == 403
    assert "<Message>Request has expired</Message>" in answer.text


@pytest.mark.parametrize("version", ["s3v4", None])
def test_a_tampered_presigned_url_is_refused(
    client_of: Client, bucket: str, version: str | None
) -> None:
    config = {"signature_version": version} if version else {}
    s3 = client_of("s3", "test", "test", **config)
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "a dir/it+em.txt"}, ExpiresIn=600
    )

    answer = httpx.get(url.replace("it%2Bem", "it%2Bex"))

    assert answer.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in answer.text


def test_uploads_sign_their_payload_hash(
    client_of: Client, user: dict[str, str], bucket: str
) -> None:
    """PutObject signs x-amz-content-sha256 (a hash, or a streaming marker with a trailing
    checksum): both forms boto3 sends are accepted, and what was stored reads back."""
    s3 = client_of("s3", user["AccessKeyId"], user["SecretAccessKey"])
    s3.put_object(Bucket=bucket, Key="small", Body=b"x" * 10)
    s3.upload_fileobj(__import__("io").BytesIO(b"y" * 9_000_000), bucket, "large")

    small = s3.get_object(Bucket=bucket, Key="small")["Body"].read()
    large = s3.head_object(Bucket=bucket, Key="large")["ContentLength"]

    assert small == b"x" * 10
    assert large == 9_000_000


# -- per-action authorization of the AWS APIs ---------------------------------------------------
def _user_with(verified: RunningServer, **policies: str) -> tuple[str, str]:
    iam = verified.client("iam")
    name = f"acting-{time.time_ns()}"
    iam.create_user(UserName=name)
    for policy, document in policies.items():
        iam.put_user_policy(UserName=name, PolicyName=policy, PolicyDocument=document)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def _statement(effect: str, action: str, resource: str = "*") -> str:
    statement = {"Effect": effect, "Action": action, "Resource": resource}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_a_user_without_policies_may_call_nothing(
    verified: RunningServer, client_of: Client
) -> None:
    sqs = client_of("sqs", *_user_with(verified))
    s3 = client_of("s3", *_user_with(verified))

    queue = _refusal(sqs.list_queues)
    bucket = _refusal(s3.list_buckets)

    assert queue[:2] == ("AccessDenied", 403)  # SQS's query code; AccessDeniedException in JSON
    assert "is not authorized to perform: sqs:ListQueues" in queue[2]
    assert bucket[:2] == ("AccessDenied", 403)
    assert "s3:ListAllMyBuckets" in bucket[2]


def test_a_users_policy_allows_its_actions_only(verified: RunningServer, client_of: Client) -> None:
    """Allowed actions pass whatever resource the Allow names (the check is per action);
    other actions, and a Deny on every resource, refuse."""
    key = _user_with(
        verified,
        queues=_statement("Allow", "sqs:*", "arn:aws:sqs:us-east-1:000000000000:some-*"),
        logs=_statement("Allow", "logs:Describe*"),
        no=_statement("Deny", "logs:DescribeLogGroups"),
    )

    queues = client_of("sqs", *key).list_queues()
    streams = _refusal(lambda: client_of("logs", *key).describe_log_groups())
    topics = _refusal(lambda: client_of("sns", *key).list_topics())

    assert queues["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert streams[:2] == ("AccessDeniedException", 400)
    assert topics[:2] == ("AccessDenied", 403)


# -- browser uploads (POST Object) -------------------------------------------------------------
@pytest.mark.parametrize("version", ["s3v4", None])  # None: boto3's default, SigV2's fields
def test_a_browser_upload_is_signed_by_its_policy_signature(
    verified: RunningServer,
    client_of: Client,
    user: dict[str, str],
    bucket: str,
    version: str | None,
) -> None:
    """The form carries no Authorization: the signature over its policy is what is checked,
    with the key's secret; a wrong secret or a tampered policy is SignatureDoesNotMatch."""
    config = {"signature_version": version} if version else {}
    s3 = client_of("s3", user["AccessKeyId"], user["SecretAccessKey"], **config)
    post = s3.generate_presigned_post(bucket, "posted/${filename}", ExpiresIn=600)
    forged = client_of("s3", user["AccessKeyId"], "not-the-secret", **config)
    bad = forged.generate_presigned_post(bucket, "posted/${filename}", ExpiresIn=600)
    unknown = client_of("s3", "AKIANOSUCHKEY0000000", "x", **config)
    stranger = unknown.generate_presigned_post(bucket, "posted/${filename}", ExpiresIn=600)

    def send(fields: dict[str, str]) -> httpx.Response:
        return httpx.post(post["url"], data=fields, files={"file": ("f.txt", b"signed")})

    ok = send(post["fields"])
    virtual = post_by_host(verified, bucket, post["fields"], b"by host")
    wrong = send(bad["fields"])
    who = send(stranger["fields"])
    unsigned = send({"key": "posted/anon.txt"})

    assert ok.status_code == 204, ok.text
    assert virtual.status_code == 204, virtual.text
    refusals = {"SignatureDoesNotMatch": wrong, "InvalidAccessKeyId": who, "AccessDenied": unsigned}
    for code, answer in refusals.items():
        assert (answer.status_code, f"<Code>{code}</Code>" in answer.text) == (403, True)
    got = s3.get_object(Bucket=bucket, Key="posted/f.txt")["Body"].read()
    assert got == b"signed"
