"""Browser uploads: boto3's generate_presigned_post hands a URL and form fields to a
"browser" (httpx, multipart/form-data, no Authorization), which POSTs the file to the bucket,
as S3's "Browser-based uploads using POST" describes; the policy's conditions, expiration
and content-length-range are enforced, the object is stored with the form's metadata."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import httpx
import pytest
from tests.conftest import make_queue
from tests.objects.test_notifications import _queue_config, _receive

from stratus.testing import RunningServer


@pytest.fixture(params=["default", "s3v4"])
def signer(request: pytest.FixtureRequest, server: RunningServer) -> Any:
    if request.param == "default":
        return server.client("s3")
    return server.client("s3", signature_version="s3v4")


def _post(post: dict[str, Any], body: bytes, filename: str = "cat.jpg") -> httpx.Response:
    files = {"file": (filename, body, "image/jpeg")}
    return httpx.post(post["url"], data=post["fields"], files=files)


def post_by_host(
    server: RunningServer, bucket: str, fields: dict[str, str], body: bytes
) -> httpx.Response:
    """The form POSTed to the bucket's own host, `<bucket>.localhost` (virtual-host style)."""
    return httpx.post(
        server.endpoint_url + "/",
        data=fields,
        files={"file": ("v.txt", body)},
        headers={"Host": f"{bucket}.localhost:{server.settings.port}"},
    )


def test_a_browser_upload_is_stored_with_its_metadata(signer: Any, s3: Any, bucket: str):
    """The form's Content-Type, Cache-Control, Content-Disposition, x-amz-meta-* and
    tagging are the object's; the default answer is 204 with the ETag and Location."""
    tagging = "<Tagging><TagSet><Tag><Key>team</Key><Value>red</Value></Tag></TagSet></Tagging>"
    fields = {
        "Content-Type": "text/plain",
        "Cache-Control": "max-age=60",
        "Content-Disposition": "attachment; filename=a.txt",
        "x-amz-meta-owner": "ann",
        "tagging": tagging,
        "acl": "private",
    }
    post = signer.generate_presigned_post(
        bucket,
        "uploads/a.txt",
        Fields=fields,
        Conditions=[{k: v} for k, v in fields.items()],
        ExpiresIn=300,
    )
    answer = _post(post, b"hello from a browser")

    assert answer.status_code == 204, answer.text
    assert answer.headers["etag"].startswith('"')
    assert answer.headers["location"].endswith(f"/{bucket}/uploads/a.txt")
    got = s3.get_object(Bucket=bucket, Key="uploads/a.txt")
    assert got["Body"].read() == b"hello from a browser"
    assert got["ETag"] == answer.headers["etag"]
    assert got["ContentType"] == "text/plain"
    assert got["CacheControl"] == "max-age=60"
    assert got["ContentDisposition"] == "attachment; filename=a.txt"
    assert got["Metadata"] == {"owner": "ann"}
    tags = s3.get_object_tagging(Bucket=bucket, Key="uploads/a.txt")["TagSet"]
    assert tags == [{"Key": "team", "Value": "red"}]


def test_filename_is_substituted_and_201_answers_post_response(s3: Any, bucket: str):
    """key `uploads/${filename}` takes the file part's name; success_action_status 201
    answers S3's PostResponse document."""
    post = s3.generate_presigned_post(
        bucket,
        "uploads/${filename}",
        Fields={"success_action_status": "201"},
        Conditions=[{"success_action_status": "201"}],
        ExpiresIn=300,
    )
    answer = _post(post, b"\x00\x01 binary", filename="photo.png")

    assert answer.status_code == 201, answer.text
    assert "<Bucket>" + bucket + "</Bucket>" in answer.text
    assert "<Key>uploads/photo.png</Key>" in answer.text
    assert f"<ETag>{answer.headers['etag']}</ETag>" in answer.text.replace("&quot;", '"')
    assert "<Location>http://" in answer.text
    body = s3.get_object(Bucket=bucket, Key="uploads/photo.png")["Body"].read()
    assert body == b"\x00\x01 binary"


def test_success_action_redirect_is_a_303_with_bucket_key_and_etag(s3: Any, bucket: str):
    target = "https://app.example.com/done"
    post = s3.generate_presigned_post(
        bucket,
        "r.txt",
        Fields={"success_action_redirect": target},
        Conditions=[{"success_action_redirect": target}],
        ExpiresIn=300,
    )
    answer = _post(post, b"abc")

    assert answer.status_code == 303, answer.text
    location = httpx.URL(answer.headers["location"])
    assert str(location).startswith(target + "?")
    assert location.params["bucket"] == bucket
    assert location.params["key"] == "r.txt"
    assert location.params["etag"] == answer.headers["etag"]


def test_a_violated_condition_is_access_denied(s3: Any, bucket: str):
    """A key outside the starts-with prefix, and a field the policy does not name, are
    refused with 403 AccessDenied "Invalid according to Policy"; nothing is stored."""
    post = s3.generate_presigned_post(
        bucket,
        "uploads/${filename}",
        Conditions=[["starts-with", "$key", "uploads/"]],
        ExpiresIn=300,
    )
    outside = {**post, "fields": {**post["fields"], "key": "elsewhere/x.txt"}}
    refused = _post(outside, b"x")
    extra = {**post, "fields": {**post["fields"], "x-amz-meta-sneaky": "1"}}
    refused_extra = _post(extra, b"x")

    assert refused.status_code == 403
    assert "<Code>AccessDenied</Code>" in refused.text
    assert "Invalid according to Policy: Policy Condition failed" in refused.text
    assert '"$key"' in refused.text
    assert refused_extra.status_code == 403
    assert "Invalid according to Policy: Extra input fields: x-amz-meta-sneaky" in (
        refused_extra.text
    )
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_content_length_range_is_enforced(s3: Any, bucket: str):
    post = s3.generate_presigned_post(
        bucket, "sized", Conditions=[["content-length-range", 5, 10]], ExpiresIn=300
    )
    small = _post(post, b"1234")
    large = _post(post, b"x" * 11)
    fits = _post(post, b"12345")

    assert small.status_code == 400
    assert "<Code>EntityTooSmall</Code>" in small.text
    assert "<MinSizeAllowed>5</MinSizeAllowed>" in small.text
    assert large.status_code == 400
    assert "<Code>EntityTooLarge</Code>" in large.text
    assert "<MaxSizeAllowed>10</MaxSizeAllowed>" in large.text
    assert fits.status_code == 204
    assert s3.get_object(Bucket=bucket, Key="sized")["Body"].read() == b"12345"


def test_an_expired_policy_is_access_denied(s3: Any, bucket: str):
    post = s3.generate_presigned_post(bucket, "late", ExpiresIn=300)
    policy = json.loads(base64.b64decode(post["fields"]["policy"]))
    policy["expiration"] = "2020-01-01T00:00:00Z"
    post["fields"]["policy"] = base64.b64encode(json.dumps(policy).encode()).decode()
    refused = _post(post, b"x")

    assert refused.status_code == 403
    assert "<Code>AccessDenied</Code>" in refused.text
    assert "Invalid according to Policy: Policy expired." in refused.text


def test_a_form_without_key_or_file_is_invalid_argument(s3: Any, bucket: str):
    post = s3.generate_presigned_post(bucket, "k", ExpiresIn=300)
    fields = {k: v for k, v in post["fields"].items() if k != "key"}
    no_key = httpx.post(post["url"], data=fields, files={"file": ("a", b"x")})
    no_file = httpx.post(post["url"], files={k: (None, v) for k, v in post["fields"].items()})

    assert no_key.status_code == 400
    assert "<ArgumentName>key</ArgumentName>" in no_key.text
    assert no_file.status_code == 400
    assert "POST requires exactly one file upload per request." in no_file.text


def test_a_large_file_streams_in(s3: Any, bucket: str):
    """Several MiB split across many chunks, the boundary possibly split between them."""
    post = s3.generate_presigned_post(bucket, "big.bin", ExpiresIn=300)
    data = bytes(range(256)) * (5 * 4096 + 7)
    answer = _post(post, data)

    assert answer.status_code == 204, answer.text
    assert s3.get_object(Bucket=bucket, Key="big.bin")["Body"].read() == data


def test_a_virtual_host_upload(server: RunningServer, s3: Any, bucket: str):
    """The form POSTed to the bucket's own host (virtual-host style)."""
    post = s3.generate_presigned_post(bucket, "v.txt", ExpiresIn=300)
    answer = post_by_host(server, bucket, post["fields"], b"virtual")

    assert answer.status_code == 204, answer.text
    assert answer.headers["location"].endswith("/v.txt")
    assert s3.get_object(Bucket=bucket, Key="v.txt")["Body"].read() == b"virtual"


def test_the_upload_is_announced_as_object_created_post(
    server: RunningServer, s3: Any, sqs: Any, bucket: str
):
    url, arn = make_queue(sqs)
    config = {"QueueConfigurations": [_queue_config(arn, ["s3:ObjectCreated:Post"])]}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    server.wait_idle()
    _receive(sqs, url)  # the s3:TestEvent
    s3.put_object(Bucket=bucket, Key="put.txt", Body=b"not announced")
    post = s3.generate_presigned_post(bucket, "posted.txt", ExpiresIn=300)
    assert _post(post, b"announced").status_code == 204
    server.wait_idle()
    [message] = _receive(sqs, url)

    [record] = message["Records"]
    assert record["eventName"] == "ObjectCreated:Post"
    assert record["s3"]["object"]["key"] == "posted.txt"
    assert record["s3"]["object"]["size"] == len(b"announced")


def test_a_cors_preflight_for_the_upload_follows_the_bucket_rules(s3: Any, bucket: str):
    s3.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [
                {"AllowedOrigins": ["https://app.example.com"], "AllowedMethods": ["POST"]}
            ]
        },
    )
    post = s3.generate_presigned_post(bucket, "c.txt", ExpiresIn=300)
    origin = {"Origin": "https://app.example.com"}
    preflight = httpx.options(
        post["url"], headers={**origin, "Access-Control-Request-Method": "POST"}
    )
    answer = httpx.post(
        post["url"], data=post["fields"], files={"file": ("c", b"c")}, headers=origin
    )

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example.com"
    assert answer.status_code == 204
    assert answer.headers["access-control-allow-origin"] == "https://app.example.com"


def test_a_content_md5_field_is_checked(s3: Any, bucket: str):
    """The Content-MD5 field guards the file as PutObject's header does: BadDigest."""
    good = base64.b64encode(hashlib.md5(b"exact").digest()).decode()
    post = s3.generate_presigned_post(
        bucket,
        "md5.txt",
        Fields={"Content-MD5": good},
        Conditions=[["starts-with", "$Content-MD5", ""]],
        ExpiresIn=300,
    )
    wrong = _post(post, b"other")
    right = _post(post, b"exact")

    assert wrong.status_code == 400
    assert "<Code>BadDigest</Code>" in wrong.text
    assert right.status_code == 204
