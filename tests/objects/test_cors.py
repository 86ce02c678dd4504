"""CORS rules are stored and honoured for browser requests: preflights are answered from the
bucket's rules, and simple requests carry the allow headers of the rule they match."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from stratus.testing import RunningServer

RULES = [
    {
        "AllowedOrigins": ["https://*.example.com"],
        "AllowedMethods": ["GET", "PUT"],
        "AllowedHeaders": ["content-type", "x-amz-*"],
        "ExposeHeaders": ["ETag"],
        "MaxAgeSeconds": 600,
    },
    {"AllowedOrigins": ["*"], "AllowedMethods": ["GET"]},
]


def preflight(
    server: RunningServer, url_path: str, origin: str, method: str, headers: str = ""
) -> httpx.Response:
    extra = {"Access-Control-Request-Headers": headers} if headers else {}
    return httpx.options(
        f"{server.endpoint_url}{url_path}",
        headers={"Origin": origin, "Access-Control-Request-Method": method, **extra},
    )


def test_rules_round_trip(s3: Any, bucket: str):
    """PutBucketCors rules come back from GetBucketCors; deleted, NoSuchCORSConfiguration."""
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    stored = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    s3.delete_bucket_cors(Bucket=bucket)
    with pytest.raises(ClientError) as gone:
        s3.get_bucket_cors(Bucket=bucket)

    assert stored == RULES
    assert gone.value.response["Error"]["Code"] == "NoSuchCORSConfiguration"


def test_preflight(server: RunningServer, s3: Any, bucket: str):
    """A preflight matching a rule is 200 with the allow headers; one no rule allows is 403;
    a bucket without rules answers 403 too."""
    before = preflight(server, f"/{bucket}/k", "https://app.example.com", "PUT")
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES})
    allowed = preflight(
        server, f"/{bucket}/k", "https://app.example.com", "PUT", "Content-Type, X-Amz-Meta-A"
    )
    anyone = preflight(server, f"/{bucket}/k", "https://other.org", "GET")
    refused = preflight(server, f"/{bucket}/k", "https://other.org", "PUT")
    bad_header = preflight(
        server, f"/{bucket}/k", "https://app.example.com", "PUT", "authorization"
    )

    assert before.status_code == 403
    assert "CORS is not enabled for this bucket" in before.text
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
    assert allowed.headers["access-control-allow-methods"] == "GET, PUT"
    assert allowed.headers["access-control-allow-headers"] == "content-type, x-amz-meta-a"
    assert allowed.headers["access-control-max-age"] == "600"
    assert anyone.headers["access-control-allow-origin"] == "*"
    assert refused.status_code == 403
    assert "<Code>AccessForbidden</Code>" in refused.text
    assert bad_header.status_code == 403


def test_simple_request_gets_allow_headers(server: RunningServer, s3: Any, bucket: str):
    """A GET with an Origin that a rule allows carries Access-Control-Allow-Origin and the
    exposed headers; an origin no rule allows gets none."""
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": RULES[:1]})
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
    allowed = httpx.get(url, headers={"Origin": "https://app.example.com"})
    other = httpx.get(url, headers={"Origin": "https://evil.org"})

    assert allowed.content == b"x"
    assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
    assert allowed.headers["access-control-expose-headers"] == "ETag"
    assert "access-control-allow-origin" not in other.headers


def test_preflight_to_other_apis_is_not_taken(server: RunningServer):
    """A preflight to Lambda's paths is not answered as a bucket's."""
    answer = preflight(server, "/2015-03-31/functions", "https://a.example.com", "GET")

    assert "AccessForbidden" not in answer.text
