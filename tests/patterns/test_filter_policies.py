"""SNS filter policies: AWS's documented examples on attributes and bodies, limits and errors."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from stratus.errors import Invalid, InvalidPattern
from stratus.patterns.filter_policy import (
    MessageAttribute,
    Scope,
    parse_filter_policy,
    parse_scope,
    policy_branches,
)


def attributes(**values: tuple[str, str]) -> dict[str, MessageAttribute]:
    return {name: MessageAttribute(kind, value) for name, (kind, value) in values.items()}


def matches_attributes(policy: dict[str, Any], attrs: dict[str, MessageAttribute]) -> bool:
    parsed = parse_filter_policy(json.dumps(policy))
    assert parsed is not None
    return parsed.matches(attrs, body="")


S = "String"
ATTRIBUTE_CASES: list[tuple[str, dict[str, Any], dict[str, MessageAttribute], bool]] = [
    ("one of the values", {"customer_interests": ["rugby", "football", "baseball"]},
     attributes(customer_interests=(S, "rugby")), True),
    ("none of the values", {"customer_interests": ["rugby", "football", "baseball"]},
     attributes(customer_interests=(S, "soccer")), False),
    ("and of keys", {"customer_interests": ["rugby"], "price_usd": [{"numeric": [">", 100]}]},
     attributes(customer_interests=(S, "rugby"), price_usd=("Number", "150")), True),
    ("and of keys, one fails", {"customer_interests": ["rugby"],
                                "price_usd": [{"numeric": [">", 100]}]},
     attributes(customer_interests=(S, "rugby"), price_usd=("Number", "90")), False),
    ("String.Array: any element", {"customer_interests": ["rugby"]},
     attributes(customer_interests=("String.Array", '["soccer", "rugby", "hockey"]')), True),
    ("String.Array: no element", {"customer_interests": ["rugby"]},
     attributes(customer_interests=("String.Array", '["soccer", "hockey"]')), False),
    ("String.Array of numbers", {"n": [{"numeric": [">", 5]}]},
     attributes(n=("String.Array", "[1, 10]")), True),
    ("Number compares numerically", {"price_usd": [{"numeric": [">=", 100]}]},
     attributes(price_usd=("Number", "100")), True),
    ("Number exact value", {"price_usd": [301.5]},
     attributes(price_usd=("Number", "301.50")), True),
    ("custom Number type", {"price_usd": [{"numeric": ["<", 10]}]},
     attributes(price_usd=("Number.float", "9.5")), True),
    ("a String is not a number", {"price_usd": [{"numeric": [">=", 100]}]},
     attributes(price_usd=(S, "150")), False),
    ("five decimal digits", {"n": [{"numeric": ["=", 1.00001]}]},
     attributes(n=("Number", "1.000012")), True),
    ("anything-but", {"customer_interests": [{"anything-but": ["rugby", "tennis"]}]},
     attributes(customer_interests=(S, "football")), True),
    ("anything-but excluded", {"customer_interests": [{"anything-but": ["rugby", "tennis"]}]},
     attributes(customer_interests=(S, "rugby")), False),
    ("guide: anything-but on a String.Array with another value",
     {"customer_interests": [{"anything-but": ["rugby", "tennis"]}]},
     attributes(customer_interests=("String.Array", '["rugby", "baseball"]')), True),
    ("anything-but needs the attribute", {"customer_interests": [{"anything-but": "rugby"}]},
     attributes(other=(S, "x")), False),
    ("anything-but prefix", {"event": [{"anything-but": {"prefix": "order-"}}]},
     attributes(event=(S, "data-entry")), True),
    ("prefix", {"customer_interests": [{"prefix": "bas"}]},
     attributes(customer_interests=(S, "baseball")), True),
    ("suffix", {"customer_interests": [{"suffix": "ball"}]},
     attributes(customer_interests=(S, "baseball")), True),
    ("equals-ignore-case", {"customer_interests": [{"equals-ignore-case": "TENNIS"}]},
     attributes(customer_interests=(S, "tennis")), True),
    ("guide: cidr low end", {"source_ip": [{"cidr": "10.0.0.0/24"}]},
     attributes(source_ip=(S, "10.0.0.0")), True),
    ("guide: cidr high end", {"source_ip": [{"cidr": "10.0.0.0/24"}]},
     attributes(source_ip=(S, "10.0.0.255")), True),
    ("guide: cidr outside", {"source_ip": [{"cidr": "10.0.0.0/24"}]},
     attributes(source_ip=(S, "10.1.1.0")), False),
    ("guide: quotes need escaping twice", {"quote": ['say \\"hi\\"']},
     attributes(quote=(S, 'say "hi"')), True),
    ("guide: quotes escaped once do not match", {"quote": ['say "hi"']},
     attributes(quote=(S, 'say "hi"')), False),
    ("exists", {"store": [{"exists": True}]}, attributes(store=(S, "example_corp")), True),
    ("exists false", {"store": [{"exists": False}]}, attributes(other=(S, "x")), True),
    ("Binary attributes are not compared", {"b": [{"exists": True}]},
     attributes(b=("Binary", "AAEC")), False),
    ("$or", {"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]},
                                                   {"namespace": ["AWS/EC2"]}]},
     attributes(source=(S, "aws.cloudwatch"), namespace=(S, "AWS/EC2")), True),
    ("$or that is not an OR is an attribute", {"$or": ["x"]}, attributes(**{"$or": (S, "x")}),
     True),
]


@pytest.mark.parametrize(
    ("policy", "attrs", "expected"),
    [pytest.param(p, a, x, id=name) for name, p, a, x in ATTRIBUTE_CASES],
)
def test_attribute_policies(
    policy: dict[str, Any], attrs: dict[str, MessageAttribute], expected: bool
) -> None:
    """Attribute-scoped policies match typed message attributes as SNS does."""
    result = matches_attributes(policy, attrs)

    assert result is expected


BODY = {
    "store": "example_corp",
    "event": "order-placed",
    "customer_interests": ["soccer", "rugby", "hockey"],
    "price_usd": 210.75,
    "order": {"items": [{"sku": "A1", "qty": 2}, {"sku": "B2", "qty": 1}]},
}
BODY_CASES: list[tuple[str, dict[str, Any], str, bool]] = [
    ("documented example", {"store": ["example_corp"],
                            "event": [{"anything-but": "order_cancelled"}],
                            "customer_interests": ["rugby", "football", "baseball"],
                            "price_usd": [{"numeric": [">=", 100]}]}, json.dumps(BODY), True),
    ("nested keys", {"order": {"items": {"sku": ["B2"], "qty": [1]}}}, json.dumps(BODY), True),
    ("nested keys across elements", {"order": {"items": {"sku": ["B2"], "qty": [2]}}},
     json.dumps(BODY), False),
    ("not JSON", {"store": ["example_corp"]}, "store=example_corp", False),
    ("JSON but not an object", {"store": ["example_corp"]}, '["example_corp"]', False),
]


@pytest.mark.parametrize(
    ("policy", "body", "expected"),
    [pytest.param(p, b, x, id=name) for name, p, b, x in BODY_CASES],
)
def test_body_policies(policy: dict[str, Any], body: str, expected: bool) -> None:
    """Body-scoped policies match the message body as a JSON object."""
    parsed = parse_filter_policy(json.dumps(policy), Scope.MESSAGE_BODY)
    assert parsed is not None

    assert parsed.matches({}, body) is expected


def keys(count: int) -> dict[str, list[str]]:
    return {f"k{index}": ["v"] for index in range(count)}


def values(count: int) -> list[int]:
    return list(range(count))


INVALID: list[tuple[str, Scope, str]] = [
    (json.dumps(keys(6)), Scope.MESSAGE_ATTRIBUTES,
     "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys"),
    (json.dumps({"a": values(10), "b": values(16)}), Scope.MESSAGE_ATTRIBUTES,
     "Invalid parameter: FilterPolicy: Filter policy is too complex"),
    (json.dumps({"a": {"b": values(151)}}), Scope.MESSAGE_BODY,
     "Invalid parameter: FilterPolicy: Filter policy is too complex"),
    (json.dumps({**keys(5), "$or": [{"e": ["1"]}, {"f": ["1"]}]}), Scope.MESSAGE_ATTRIBUTES,
     "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys"),
    (json.dumps({"store": {"name": ["x"]}}), Scope.MESSAGE_ATTRIBUTES,
     "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter "
     "policy"),
    (json.dumps({"a": [{"numeric": [">", 2e9]}]}), Scope.MESSAGE_ATTRIBUTES,
     "Invalid parameter: FilterPolicy: Value must be between -1.0E9 and 1.0E9, inclusive"),
    (json.dumps({"a": [{"contains": "x"}]}), Scope.MESSAGE_ATTRIBUTES,
     "Invalid parameter: FilterPolicy: Unrecognized match type contains"),
    (json.dumps({"a": "x"}), Scope.MESSAGE_ATTRIBUTES,
     'Invalid parameter: FilterPolicy: "a" must be an object or an array'),
    (json.dumps({"a": []}), Scope.MESSAGE_BODY,
     "Invalid parameter: FilterPolicy: Empty arrays are not allowed"),
    (json.dumps({"a": ["x" * 300_000]}), Scope.MESSAGE_ATTRIBUTES,
     "Invalid parameter: FilterPolicy: Filter policy is too large"),
]


@pytest.mark.parametrize(("policy", "scope", "message"), INVALID)
def test_refused_policies(policy: str, scope: Scope, message: str) -> None:
    """A policy SNS refuses is InvalidPattern (SNS's InvalidParameter) with SNS's message."""
    with pytest.raises(InvalidPattern) as caught:
        parse_filter_policy(policy, scope)

    assert caught.value.message == message


def test_not_json_is_refused() -> None:
    """Text that is not JSON is refused, naming the FilterPolicy."""
    with pytest.raises(InvalidPattern, match=r"^Invalid parameter: FilterPolicy: "):
        parse_filter_policy("{nope")


@pytest.mark.parametrize(
    ("policy", "combinations"),
    [
        ({"a": values(10), "b": values(15)}, 150),
        ({"source": values(4), "$or": [{"metricName": values(2)}, {"namespace": values(2)}]}, 16),
        ({"a": values(3), "$or": [{"b": values(2)}, {"c": values(5), "$or": [
            {"d": values(2)}, {"e": values(1)}]}]}, 3 * 2 + 3 * 5 * 2 + 3 * 5 * 1),
    ],
)
def test_combination_count(policy: dict[str, Any], combinations: int) -> None:
    """Combinations: the product of value counts per $or branch, summed over branches."""
    parsed = parse_filter_policy(json.dumps(policy), Scope.MESSAGE_BODY)
    assert parsed is not None

    total = sum(math.prod(branch.values()) for branch in policy_branches(parsed.rule))

    assert total == combinations


@pytest.mark.parametrize("text", ["{}", "", "  "])
def test_empty_policy_is_no_policy(text: str) -> None:
    """An empty policy removes filtering."""
    assert parse_filter_policy(text) is None


def test_scope_names() -> None:
    """FilterPolicyScope is MessageAttributes or MessageBody; anything else is refused."""
    assert parse_scope("MessageBody") is Scope.MESSAGE_BODY
    with pytest.raises(Invalid, match=r"Invalid value \[Body\]"):
        parse_scope("Body")
