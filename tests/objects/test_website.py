"""Static website hosting: Put/Get/DeleteBucketWebsite as S3 checks them, and the website
endpoint (`http://<bucket>.s3-website.localhost:<port>/`) answering as S3's does: index
documents, folder redirects, error documents with the error's status, routing rules,
RedirectAllRequestsTo, object redirects, only public objects, HTML error pages."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from stratus.testing import RunningServer

PUBLIC = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def site(server: RunningServer, bucket: str, path: str, method: str = "GET", **headers: str):
    """A request to the bucket's website host, as a browser sends it."""
    host = f"{bucket}.s3-website.localhost"
    return httpx.request(
        method,
        f"{server.endpoint_url}{path}",
        headers={"Host": host, **headers},
        follow_redirects=False,
    )


def make_public(s3: Any, bucket: str) -> None:
    s3.put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration={name: False for name in PUBLIC}
    )
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def put(s3: Any, bucket: str, key: str, body: str, **extra: Any) -> None:
    s3.put_object(Bucket=bucket, Key=key, Body=body.encode(), ContentType="text/html", **extra)


@pytest.fixture
def website(s3: Any, bucket: str) -> str:
    make_public(s3, bucket)
    s3.put_bucket_website(
        Bucket=bucket,
        WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"},
            "ErrorDocument": {"Key": "error.html"},
        },
    )
    put(s3, bucket, "index.html", "<h1>home</h1>")
    put(s3, bucket, "docs/index.html", "<h1>docs</h1>")
    put(s3, bucket, "about.html", "<h1>about</h1>")
    put(s3, bucket, "error.html", "<h1>oops</h1>")
    return bucket


def test_the_configuration_round_trips_and_is_checked(s3: Any, bucket: str) -> None:
    config = {
        "IndexDocument": {"Suffix": "index.html"},
        "ErrorDocument": {"Key": "404.html"},
        "RoutingRules": [
            {
                "Condition": {"KeyPrefixEquals": "old/"},
                "Redirect": {"ReplaceKeyPrefixWith": "new/", "HttpRedirectCode": "302"},
            }
        ],
    }
    with pytest.raises(ClientError, match="NoSuchWebsiteConfiguration"):
        s3.get_bucket_website(Bucket=bucket)
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=config)
    stored = s3.get_bucket_website(Bucket=bucket)
    assert {k: stored[k] for k in config} == config

    bad = [
        ({"ErrorDocument": {"Key": "e.html"}}, "InvalidArgument"),
        ({"IndexDocument": {"Suffix": "a/index.html"}}, "InvalidArgument"),
        (
            {
                "RedirectAllRequestsTo": {"HostName": "example.com"},
                "IndexDocument": {"Suffix": "index.html"},
            },
            "InvalidRequest",
        ),
        (
            {
                "IndexDocument": {"Suffix": "index.html"},
                "RoutingRules": [
                    {"Redirect": {"ReplaceKeyWith": "a", "ReplaceKeyPrefixWith": "b"}}
                ],
            },
            "InvalidRequest",
        ),
        (
            {
                "IndexDocument": {"Suffix": "index.html"},
                "RoutingRules": [{"Redirect": {"HttpRedirectCode": "200"}}],
            },
            "InvalidRequest",
        ),
    ]
    for given, code in bad:
        with pytest.raises(ClientError) as caught:
            s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=given)
        assert caught.value.response["Error"]["Code"] == code, given
    assert {k: s3.get_bucket_website(Bucket=bucket)[k] for k in config} == config  # unchanged

    s3.delete_bucket_website(Bucket=bucket)
    with pytest.raises(ClientError, match="NoSuchWebsiteConfiguration"):
        s3.get_bucket_website(Bucket=bucket)


def test_index_documents_folders_and_error_documents(server: RunningServer, website: str) -> None:
    home = site(server, website, "/")
    assert (home.status_code, home.text) == (200, "<h1>home</h1>")
    assert home.headers["content-type"] == "text/html"
    assert home.headers["etag"].startswith('"')

    assert site(server, website, "/docs/").text == "<h1>docs</h1>"
    folder = site(server, website, "/docs")
    assert (folder.status_code, folder.headers["location"]) == (302, "/docs/")
    assert site(server, website, "/about.html?x=1").text == "<h1>about</h1>"

    missing = site(server, website, "/nope.html")
    assert (missing.status_code, missing.text) == (404, "<h1>oops</h1>")

    head = site(server, website, "/", "HEAD")
    assert (head.status_code, head.content, head.headers["content-length"]) == (200, b"", "13")
    again = site(server, website, "/", **{"If-None-Match": home.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")
    post = site(server, website, "/", "POST")
    assert post.status_code == 405
    assert "<li>Code: MethodNotAllowed</li>" in post.text


def test_without_an_error_document_s3s_error_page_answers(
    server: RunningServer, s3: Any, website: str
) -> None:
    s3.delete_object(Bucket=website, Key="error.html")
    missing = site(server, website, "/nope.html")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "<h1>404 Not Found</h1>" in missing.text
    assert "<li>Code: NoSuchKey</li>" in missing.text
    assert "<li>Key: nope.html</li>" in missing.text


def test_only_what_anyone_may_read_is_served(server: RunningServer, s3: Any, bucket: str) -> None:
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "i"}})
    put(s3, bucket, "i", "hi")

    private = site(server, bucket, "/")
    assert private.status_code == 403
    assert "<li>Code: AccessDenied</li>" in private.text

    s3.put_public_access_block(
        Bucket=bucket, PublicAccessBlockConfiguration={name: False for name in PUBLIC}
    )
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    put(s3, bucket, "i", "hi", ACL="public-read")  # a public object, without a policy
    assert site(server, bucket, "/").text == "hi"

    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={name: name == "IgnorePublicAcls" for name in PUBLIC},
    )
    assert site(server, bucket, "/").status_code == 403

    unknown = site(server, bucket + "-none", "/")
    assert unknown.status_code == 404
    assert "<li>Code: NoSuchBucket</li>" in unknown.text
    s3.delete_bucket_website(Bucket=bucket)
    assert "NoSuchWebsiteConfiguration" in site(server, bucket, "/").text


def test_redirects(server: RunningServer, s3: Any, website: str) -> None:
    s3.put_bucket_website(
        Bucket=website,
        WebsiteConfiguration={
            "IndexDocument": {"Suffix": "index.html"},
            "RoutingRules": [
                {
                    "Condition": {"KeyPrefixEquals": "old/"},
                    "Redirect": {"ReplaceKeyPrefixWith": "docs/", "HttpRedirectCode": "302"},
                },
                {
                    "Condition": {"HttpErrorCodeReturnedEquals": "404"},
                    "Redirect": {"HostName": "example.com", "ReplaceKeyWith": "missing.html"},
                },
            ],
        },
    )
    put(s3, website, "moved.html", "", WebsiteRedirectLocation="/about.html")
    with pytest.raises(ClientError, match="InvalidRedirectLocation"):
        put(s3, website, "bad.html", "", WebsiteRedirectLocation="about.html")

    prefix = site(server, website, "/old/page.html")
    assert (prefix.status_code, prefix.headers["location"]) == (
        302,
        f"http://{website}.s3-website.localhost/docs/page.html",
    )
    error = site(server, website, "/gone.html")
    assert (error.status_code, error.headers["location"]) == (
        301,
        "http://example.com/missing.html",
    )
    moved = site(server, website, "/moved.html")
    assert (moved.status_code, moved.headers["location"]) == (301, "/about.html")
    assert s3.head_object(Bucket=website, Key="moved.html")["WebsiteRedirectLocation"] == (
        "/about.html"
    )

    s3.put_bucket_website(
        Bucket=website,
        WebsiteConfiguration={
            "RedirectAllRequestsTo": {"HostName": "www.example.com", "Protocol": "https"}
        },
    )
    everything = site(server, website, "/a/b.html")
    assert (everything.status_code, everything.headers["location"]) == (
        301,
        "https://www.example.com/a/b.html",
    )
