"""POST policies (S3's "Creating a POST policy") checked against a form's fields, as a
table: each condition form, the exempt fields, and the refusals in S3's words."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest

from stratus.objects import post_policy
from stratus.objects.errors import AccessDenied, InvalidPolicyDocument


def _policy(*conditions: Any, expiration: str = "2099-01-01T00:00:00.000Z") -> str:
    document = {"expiration": expiration, "conditions": list(conditions)}
    return base64.b64encode(json.dumps(document).encode()).decode()


FIELDS = {"key": "uploads/a.jpg", "content-type": "image/jpeg", "policy": "…", "file": ""}


@pytest.mark.parametrize(
    "conditions",
    [
        [{"bucket": "photos"}, ["starts-with", "$key", "uploads/"], {"Content-Type": "image/jpeg"}],
        [["eq", "$key", "uploads/a.jpg"], ["starts-with", "$Content-Type", "image/"]],
        [["starts-with", "$key", ""], ["starts-with", "$content-type", ""]],
        [
            ["starts-with", "$key", "up"],
            {"content-type": "image/jpeg"},
            ["eq", "$bucket", "photos"],
        ],
    ],
)
def test_policies_that_hold(conditions: list[Any]) -> None:
    policy = post_policy.parse(_policy(*conditions))
    post_policy.check(policy, "photos", FIELDS, time.time())


@pytest.mark.parametrize(
    ("conditions", "fields", "reason"),
    [
        ([{"bucket": "other"}, ["starts-with", "$key", ""]], {"key": "k"}, "Condition failed"),
        ([["eq", "$key", "b"]], {"key": "a"}, 'Condition failed: ["eq", "$key", "b"]'),
        ([["starts-with", "$key", "up/"]], {"key": "down/x"}, "Condition failed"),
        ([["starts-with", "$key", ""]], {"key": "k", "acl": "x"}, "Extra input fields: acl"),
        (
            [["starts-with", "$key", ""], ["starts-with", "$content-type", "image/"]],
            {"key": "k", "content-type": "image/png, text/plain"},
            "Condition failed",
        ),
    ],
)
def test_policies_that_refuse(conditions: list[Any], fields: dict[str, str], reason: str) -> None:
    policy = post_policy.parse(_policy(*conditions))
    with pytest.raises(AccessDenied, match="Invalid according to Policy: ") as refused:
        post_policy.check(policy, "photos", fields, time.time())
    assert reason in refused.value.message


def test_exempt_fields_need_no_condition() -> None:
    fields = {
        "key": "k",
        "policy": "p",
        "x-amz-signature": "s",
        "signature": "s",
        "awsaccesskeyid": "a",
        "x-ignore-me": "1",
    }
    post_policy.check(post_policy.parse(_policy(["eq", "$key", "k"])), "b", fields, time.time())


def test_an_expired_policy() -> None:
    policy = post_policy.parse(_policy(expiration="2020-01-01T00:00:00Z"))
    with pytest.raises(AccessDenied, match=r"Policy expired\."):
        post_policy.check(policy, "b", {}, time.time())


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        ("not base64!", "Invalid JSON"),
        (base64.b64encode(b"{").decode(), "Invalid JSON"),
        (base64.b64encode(b'{"conditions": []}').decode(), "missing expiration"),
        (base64.b64encode(b'{"expiration": "2099-01-01T00:00:00Z"}').decode(), "conditions"),
        (_policy(["between", "$key", "a"]), "Invalid Condition"),
        (_policy(expiration="tomorrow"), "expiration"),
    ],
)
def test_malformed_policies(encoded: str, message: str) -> None:
    with pytest.raises(InvalidPolicyDocument, match=message):
        post_policy.parse(encoded)


def test_size_range() -> None:
    policy = post_policy.parse(_policy(["content-length-range", 1, 10]))
    assert post_policy.size_range(policy) == (1, 10)
    assert post_policy.size_range(None) == (0, None)
