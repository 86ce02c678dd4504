"""SNS subscription filter policies (FilterPolicy, FilterPolicyScope).

The pattern language is EventBridge's (compiler.py, rule.py); SNS differs in these ways,
each written down here:

- Scope `MessageAttributes` (the default) matches the message's attributes and refuses
  nested policies; `MessageBody` matches the message body as a JSON object (a body that is
  not a JSON object matches nothing).
- Attributes are typed: `String` compares as a string, `Number` as a number,
  `String.Array` as the JSON array it holds (any element matching); `Binary` attributes are
  not compared (they count as absent). A custom suffix (`Number.float`) keeps the base type.
  A `String` value is compared JSON-escaped (a backslash before each double quote and
  backslash): AWS documents that a policy must escape these characters twice to match
  attribute values that hold them.
- Numbers compare within ±1.0e9 with 5 decimal digits (EventBridge: ±5.0e9, 6 digits).
- A `"$or"` that is not an array of at least two objects free of operator names is an
  ordinary attribute name, not an error.
- Limits, checked at Subscribe / SetSubscriptionAttributes: at most 5 keys and 150
  combinations, computed on the policy expanded into its `$or`-free branches: a branch's
  keys are its leaf paths (`a.b` for nested ones), its combinations the product of the
  lengths of its value arrays, and the policy's combinations the sum over its branches.
  The policy is at most 256 KB.
- Refusals are InvalidPattern (SNS's `InvalidParameter`), "Invalid parameter: FilterPolicy:
  <reason>"; an unknown scope is Invalid.
- `{}` (or an empty string) is no policy: every message is delivered.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from stratus.errors import Invalid, InvalidPattern
from stratus.patterns.compiler import Dialect, PatternError, compile_rule, parse_json
from stratus.patterns.matchers import NumericDomain
from stratus.patterns.rule import Rule

SNS = Dialect(NumericDomain(Decimal("1e9"), 5), limit_text="1.0E9", lenient_or=True)
MAX_KEYS = 5
MAX_COMBINATIONS = 150
MAX_POLICY_BYTES = 256 * 1024
_PREFIX = "Invalid parameter: FilterPolicy: "


class Scope(StrEnum):
    MESSAGE_ATTRIBUTES = "MessageAttributes"
    MESSAGE_BODY = "MessageBody"


@dataclass(frozen=True, slots=True)
class MessageAttribute:
    data_type: str  # String, String.Array, Number, Binary, maybe with a custom ".suffix"
    value: str | bytes


@dataclass(frozen=True, slots=True)
class FilterPolicy:
    rule: Rule
    scope: Scope

    def matches(self, attributes: Mapping[str, MessageAttribute], body: str) -> bool:
        if self.scope is Scope.MESSAGE_ATTRIBUTES:
            return self.rule.matches(attribute_values(attributes))
        try:
            document = parse_json(body)
        except ValueError:
            return False
        return isinstance(document, Mapping) and self.rule.matches(document)


def parse_scope(text: str) -> Scope:
    try:
        return Scope(text)
    except ValueError:
        raise Invalid(
            f"Invalid parameter: Attributes Reason: FilterPolicyScope: Invalid value [{text}]. "
            "Please use either MessageBody or MessageAttributes"
        ) from None


def parse_filter_policy(text: str, scope: Scope = Scope.MESSAGE_ATTRIBUTES) -> FilterPolicy | None:
    """The policy, or None for "no policy"; InvalidPattern for one SNS refuses."""
    if len(text.encode()) > MAX_POLICY_BYTES:
        raise InvalidPattern(f"{_PREFIX}Filter policy is too large")
    if not text.strip():
        return None
    try:
        document = parse_json(text)
        if document == {}:
            return None
        rule = compile_rule(document, SNS)
    except (PatternError, ValueError) as exc:
        raise InvalidPattern(f"{_PREFIX}{exc}") from exc
    if scope is Scope.MESSAGE_ATTRIBUTES and _is_nested(rule):
        raise InvalidPattern(
            "Invalid parameter: Filter policy scope MessageAttributes does not support "
            "nested filter policy"
        )
    branches = policy_branches(rule)
    if any(len(branch) > MAX_KEYS for branch in branches):
        raise InvalidPattern(f"{_PREFIX}Filter policy can not have more than {MAX_KEYS} keys")
    if combinations(branches) > MAX_COMBINATIONS:
        raise InvalidPattern(f"{_PREFIX}Filter policy is too complex")
    return FilterPolicy(rule, scope)


def policy_branches(rule: Rule, prefix: str = "") -> list[dict[str, int]]:
    """The policy without `$or`: one {leaf path: number of values} per alternative.

    Stops expanding past MAX_COMBINATIONS branches: each adds at least one combination, so
    such a policy is too complex whatever the rest holds.
    """
    branches = [{prefix + name: len(matchers) for name, matchers in rule.leaves}]
    for name, child in rule.nested:
        branches = _cross(branches, policy_branches(child, f"{prefix}{name}."))
    for group in rule.any_of:
        alternatives = [branch for choice in group for branch in policy_branches(choice, prefix)]
        branches = _cross(branches, alternatives)
    return branches


def combinations(branches: list[dict[str, int]]) -> int:
    return sum(math.prod(branch.values()) for branch in branches)


def attribute_values(attributes: Mapping[str, MessageAttribute]) -> dict[str, object]:
    """Message attributes as the document a policy matches: {name: typed value}."""
    document: dict[str, object] = {}
    for name, attribute in attributes.items():
        value = _typed(attribute)
        if value is not _NOT_COMPARED:
            document[name] = value
    return document


_NOT_COMPARED = object()


def _typed(attribute: MessageAttribute) -> object:
    if not isinstance(attribute.value, str):
        return _NOT_COMPARED
    if attribute.data_type == "String.Array" or attribute.data_type.startswith("String.Array."):
        try:
            items = json.loads(attribute.value)
        except ValueError:
            return _NOT_COMPARED
        return items if isinstance(items, list) else _NOT_COMPARED
    base = attribute.data_type.split(".", 1)[0]
    if base == "String":
        return attribute.value.replace("\\", "\\\\").replace('"', '\\"')
    if base == "Number":
        try:
            number = Decimal(attribute.value)
        except InvalidOperation:
            return _NOT_COMPARED
        return number if number.is_finite() else _NOT_COMPARED
    return _NOT_COMPARED


def _is_nested(rule: Rule) -> bool:
    return bool(rule.nested) or any(_is_nested(choice) for group in rule.any_of for choice in group)


def _cross(left: list[dict[str, int]], right: list[dict[str, int]]) -> list[dict[str, int]]:
    crossed: list[dict[str, int]] = []
    for mine in left:
        for theirs in right:
            crossed.append(mine | theirs)
            if len(crossed) > MAX_COMBINATIONS:
                return crossed
    return crossed
