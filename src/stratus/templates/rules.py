"""A template's Rules: assertions about its parameters, checked before anything is planned,
as CloudFormation checks them (CDK's stacks carry one, CheckBootstrapVersion, refusing a
bootstrap stack older than version 6).

Each rule has an optional RuleCondition and a list of Assertions ({Assert, AssertDescription});
when the condition holds (or there is none), every Assert must be true, else the operation is
refused with the AssertDescription as the error. The rule functions are Fn::And, Fn::Or,
Fn::Not, Fn::Equals, Fn::If, Fn::Contains, Fn::EachMemberEquals, Fn::EachMemberIn and Ref (to
a parameter or pseudo parameter). Fn::RefAll, Fn::ValueOf and Fn::ValueOfAll ask about
AWS-specific parameter types (EC2 VPC ids and the like) that Stratus does not serve: a rule
using them is refused by name rather than guessed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stratus.errors import Invalid

_UNSERVED = ("Fn::RefAll", "Fn::ValueOf", "Fn::ValueOfAll")


def check(rules: Any, values: Mapping[str, Any]) -> None:
    """Raise Invalid (ValidationError) for the first assertion that does not hold."""
    if not rules:
        return
    if not isinstance(rules, Mapping):
        raise Invalid("Template format error: Rules must be a mapping of names to rules")
    for name, rule in rules.items():
        if not isinstance(rule, Mapping) or not isinstance(rule.get("Assertions"), list):
            raise Invalid(f"Template format error: Rule {name} must have a list of Assertions")
        if "RuleCondition" in rule and not _truth(rule["RuleCondition"], values, name):
            continue
        for assertion in rule["Assertions"]:
            if not isinstance(assertion, Mapping) or "Assert" not in assertion:
                raise Invalid(f"Template format error: every assertion of rule {name} needs Assert")
            if not _truth(assertion["Assert"], values, name):
                raise Invalid(
                    str(assertion.get("AssertDescription") or f"Assertion of rule {name} failed")
                )


def _truth(expression: Any, values: Mapping[str, Any], rule: str) -> bool:
    value = _value(expression, values, rule)
    if not isinstance(value, bool):
        raise Invalid(f"Template format error: rule {rule} has an assertion that is not a boolean")
    return value


def _value(expression: Any, values: Mapping[str, Any], rule: str) -> Any:
    """A rule expression's value: booleans from the functions, text or lists otherwise."""
    if isinstance(expression, list):
        return [_value(item, values, rule) for item in expression]
    if not isinstance(expression, Mapping) or len(expression) != 1:
        return expression if isinstance(expression, bool) else _text(expression)
    [(function, args)] = expression.items()
    if function == "Ref":
        if args not in values:
            raise Invalid(f"Template format error: Unresolved dependencies [{args}] in rule {rule}")
        found = values[args]
        return [_text(v) for v in found] if isinstance(found, list) else _text(found)
    if function in _UNSERVED:
        raise Invalid(f"Rule {rule} uses {function}, which Stratus does not evaluate")
    if function in ("Fn::And", "Fn::Or"):
        truths = [_truth(item, values, rule) for item in _list(args, function)]
        return all(truths) if function == "Fn::And" else any(truths)
    if function == "Fn::Not":
        return not _truth(_list(args, function)[0], values, rule)
    if function == "Fn::If":
        condition, then, otherwise = _list(args, function, 3)
        return _value(then if _truth(condition, values, rule) else otherwise, values, rule)
    left, right = (_value(item, values, rule) for item in _list(args, function, 2))
    if function == "Fn::Equals":
        return bool(left == right)
    if function == "Fn::Contains":  # [list, value]: the value is in the list
        return right in _members(left, function)
    if function == "Fn::EachMemberEquals":  # [list, value]: every member is the value
        return all(member == right for member in _members(left, function))
    if function == "Fn::EachMemberIn":  # [list, list]: every member is in the second list
        return all(member in _members(right, function) for member in _members(left, function))
    raise Invalid(f"Template format error: {function} is not a rule function (rule {rule})")


def _list(args: Any, function: str, size: int | None = None) -> list[Any]:
    if not isinstance(args, list) or (size is not None and len(args) != size):
        wanted = f"a list of {size}" if size else "a list"
        raise Invalid(f"Template format error: {function} in Rules takes {wanted}")
    return args


def _members(value: Any, function: str) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, str):  # a CommaDelimitedList parameter given as text
        return value.split(",")
    raise Invalid(f"Template format error: {function} in Rules needs a list")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
