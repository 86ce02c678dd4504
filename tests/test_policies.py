"""IAM policy evaluation (stratus/policies.py), table-tested on the IAM User Guide's rules."""

from __future__ import annotations

import pytest

from stratus.policies import Request, evaluate

ARN = "arn:aws:execute-api:us-east-1:123456789012:api1/prod/GET/pets"
ANYONE = {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"}


def _request(**context: object) -> Request:
    return Request("execute-api:Invoke", ARN, context=context)  # type: ignore[arg-type]


def _with(condition: dict[str, object], effect: str = "Allow") -> dict[str, object]:
    return {"Statement": [{**ANYONE, "Effect": effect, "Condition": condition}]}


@pytest.mark.parametrize(
    ("condition", "context", "expected"),
    [
        ({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}, {"aws:SourceIp": "127.0.0.1"}, "Allow"),
        ({"IpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}}, {"aws:SourceIp": "127.0.0.1"}, None),
        ({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}, {"aws:SourceIp": "127.0.0.1"}, "Allow"),
        ({"StringEquals": {"aws:UserAgent": "curl"}}, {"aws:useragent": "curl"}, "Allow"),
        ({"StringEquals": {"aws:UserAgent": "curl"}}, {}, None),  # a missing key fails
        ({"StringNotEquals": {"aws:UserAgent": "curl"}}, {}, "Allow"),  # ...but not negated
        ({"StringEqualsIfExists": {"aws:UserAgent": "curl"}}, {}, "Allow"),
        (
            {"StringLike": {"aws:Referer": "https://*.example.com/*"}},
            {"aws:Referer": "https://www.example.com/a"},
            "Allow",
        ),
        ({"StringEqualsIgnoreCase": {"k": "ABC"}}, {"k": "abc"}, "Allow"),
        ({"NumericLessThan": {"k": "10"}}, {"k": "9.5"}, "Allow"),
        ({"NumericLessThan": {"k": "10"}}, {"k": "ten"}, None),
        (
            {"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
            {"aws:CurrentTime": "2026-12-07T01:00:00Z"},
            "Allow",
        ),
        (
            {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}},
            {"aws:CurrentTime": "2026-12-07T01:00:00Z"},
            None,
        ),
        ({"Bool": {"aws:SecureTransport": False}}, {"aws:SecureTransport": "false"}, "Allow"),
        ({"Null": {"aws:Referer": "true"}}, {}, "Allow"),
        ({"Null": {"aws:Referer": "false"}}, {}, None),
        (
            {"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:123456789012:*"}},
            {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:topic"},
            "Allow",
        ),
        ({"ForAllValues:StringEquals": {"tags": ["a", "b"]}}, {"tags": ["a"]}, "Allow"),
        ({"ForAllValues:StringEquals": {"tags": ["a"]}}, {"tags": ["a", "c"]}, None),
        ({"ForAnyValue:StringEquals": {"tags": ["c"]}}, {"tags": ["a", "c"]}, "Allow"),
        ({"StringEquals": {"a": "1", "b": "2"}}, {"a": "1", "b": "3"}, None),  # keys: AND
        ({"StringEquals": {"a": ["1", "2"]}}, {"a": "2"}, "Allow"),  # values: OR
        ({"NoSuchOperator": {"a": "1"}}, {"a": "1"}, None),
    ],
)
def test_conditions(condition, context, expected):
    assert evaluate(_with(condition), _request(**context)) == expected


def test_an_explicit_deny_wins_and_nothing_is_an_implicit_deny():
    deny = {**ANYONE, "Effect": "Deny", "Resource": "arn:aws:execute-api:*:*:api1/*/GET/*"}

    assert evaluate({"Statement": [ANYONE, deny]}, _request()) == "Deny"
    assert evaluate({"Statement": [deny]}, _request()) == "Deny"
    assert evaluate({"Statement": []}, _request()) is None
    assert evaluate({"Statement": {**ANYONE, "Resource": "arn:aws:s3:::b/*"}}, _request()) is None


@pytest.mark.parametrize(
    ("statement", "principal", "expected"),
    [
        ({"Principal": {"AWS": "*"}}, None, "Allow"),
        ({"Principal": {"AWS": "arn:aws:iam::123456789012:user/ada"}}, None, None),  # anonymous
        (
            {"Principal": {"AWS": "arn:aws:iam::123456789012:user/ada"}},
            "arn:aws:iam::123456789012:user/ada",
            "Allow",
        ),
        ({"Principal": {"AWS": "123456789012"}}, "arn:aws:iam::123456789012:user/bob", "Allow"),
        ({"Principal": {"Service": "lambda.amazonaws.com"}}, None, None),
        ({"NotPrincipal": {"AWS": "arn:aws:iam::123456789012:user/ada"}}, None, "Allow"),
        ({"Principal": "*", "Action": "execute-api:*"}, None, "Allow"),
        ({"Principal": "*", "Action": "EXECUTE-API:invoke"}, None, "Allow"),
        ({"Principal": "*", "NotAction": "execute-api:Invoke"}, None, None),
        ({"Principal": "*", "NotResource": ARN}, None, None),
    ],
)
def test_principals_actions_and_resources(statement, principal, expected):
    base = {k: v for k, v in ANYONE.items() if k != "Principal"}
    full = {**base, **statement}
    if "NotAction" in statement:
        full.pop("Action")
    if "NotResource" in statement:
        full.pop("Resource")
    request = Request("execute-api:Invoke", ARN, principal=principal, account="123456789012")
    assert evaluate({"Statement": [full]}, request) == expected
