"""The intrinsic functions: a template value with `Ref`/`Fn::*` in it, to a plain value.

Pure: what lies outside the template (a resource's Ref value and attributes, exports) comes
through the `Scope`'s callables, so the stack service decides when a resource is ready.

- `AWS::NoValue` removes the key or list item that holds it; at the top it gives None.
- `Fn::If` resolves only the branch its condition picks: the other may name a resource that
  the same condition left out.
- Values used as text (Fn::Sub, Fn::Join, Fn::Equals) follow CloudFormation: numbers as
  written, booleans as "true"/"false".
- An error names the intrinsic and where it sits (`where`, e.g. "Resources/Fn/Properties").

Past 400 lines on purpose: the functions are one table over one recursive walk, each a few
lines; split, the halves would import each other.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from stratus.errors import Invalid

from .references import check_references, intrinsic_name, references

__all__ = [
    "NO_VALUE",
    "Scope",
    "check_references",
    "evaluate_conditions",
    "intrinsic_name",
    "references",
    "resolve",
]


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE: Any = _NoValue()


@dataclass(frozen=True)
class Scope:
    parameters: Mapping[str, Any]  # resolved parameters + pseudo parameters
    conditions: Mapping[str, bool]
    mappings: Mapping[str, Any]
    ref: Callable[[str], Any]  # a resource's logical id -> its Ref value
    get_att: Callable[[str, str], Any]  # (logical id, attribute) -> value
    import_value: Callable[[str], Any]  # export name -> value
    azs: Sequence[str] = ()  # Fn::GetAZs; empty: "<region>a", "<region>b", "<region>c"


def resolve(value: Any, scope: Scope, where: str = "") -> Any:
    """`value` with every intrinsic function evaluated."""
    result = _resolve(value, scope, where)
    return None if result is NO_VALUE else result


def evaluate_conditions(conditions: Mapping[str, Any], scope: Scope) -> dict[str, bool]:
    """Each condition's truth; conditions may use each other (`Condition`) in any order."""
    if not isinstance(conditions, Mapping):
        raise Invalid("Template format error: Conditions must be a mapping of names to conditions")
    lazy = _Conditions(conditions, scope)
    return {name: lazy[name] for name in conditions}


class _Conditions(Mapping[str, bool]):
    """Evaluates a condition the first time it is asked for, so order does not matter."""

    def __init__(self, declared: Mapping[str, Any], scope: Scope) -> None:
        self._declared = declared
        self._done: dict[str, bool] = {}
        self._visiting: list[str] = []
        self._scope = replace(scope, conditions=self, ref=self._ref, get_att=self._get_att)

    def _ref(self, name: str) -> Any:
        raise Invalid(
            f"Template format error: Unresolved dependencies [{name}]. Cannot reference resources "
            "in the Conditions block of the template"
        )

    def _get_att(self, name: str, _attribute: str) -> Any:
        return self._ref(name)

    def __getitem__(self, name: str) -> bool:
        if name in self._done:
            return self._done[name]
        if name not in self._declared:
            raise KeyError(name)
        if name in self._visiting:
            cycle = [*self._visiting[self._visiting.index(name) :], name]
            raise Invalid(
                f"Template format error: Circular condition dependency: [{', '.join(cycle)}]"
            )
        self._visiting.append(name)
        value = _resolve(self._declared[name], self._scope, f"Conditions/{name}")
        self._visiting.pop()
        if not isinstance(value, bool):
            raise Invalid(
                f"Template format error: Condition {name} must be a boolean function (Fn::Equals, "
                "Fn::And, Fn::Or, Fn::Not or Condition)"
            )
        self._done[name] = value
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._declared)

    def __len__(self) -> int:
        return len(self._declared)


# -- the walk -------------------------------------------------------------------------------


def _resolve(value: Any, scope: Scope, where: str) -> Any:
    if isinstance(value, dict):
        name = intrinsic_name(value)
        # `Condition` is a function in the Conditions block only: elsewhere it is a property
        # (IoT Events' `Condition: "$input.x > 1"`).
        if name == "Condition" and not isinstance(scope.conditions, _Conditions):
            name = None
        if name is not None:
            function = _FUNCTIONS.get(name)
            if function is None:
                raise Invalid(
                    f"Template format error: Unrecognized intrinsic function {name}{_at(where)}"
                )
            return function(value[name], scope, where)
        resolved = {}
        for key, item in value.items():
            result = _resolve(item, scope, _in(where, key))
            if result is not NO_VALUE:
                resolved[key] = result
        return resolved
    if isinstance(value, list):
        items = (_resolve(item, scope, _in(where, i)) for i, item in enumerate(value))
        return [item for item in items if item is not NO_VALUE]
    return value


def _in(where: str, key: Any) -> str:
    return f"{where}/{key}" if where else str(key)


def _at(where: str) -> str:
    return f" (at {where})" if where else ""


def _text(value: Any, function: str, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    raise Invalid(
        f"Template error: {function} needs a string here but got {json.dumps(value)}{_at(where)}"
    )


# -- the functions --------------------------------------------------------------------------


def _ref(arg: Any, scope: Scope, where: str) -> Any:
    if not isinstance(arg, str):
        raise Invalid(
            f"Template format error: Every Ref object must have a single String value.{_at(where)}"
        )
    if arg == "AWS::NoValue":
        return NO_VALUE
    if arg in scope.parameters:
        return scope.parameters[arg]
    return scope.ref(arg)


def _get_att(arg: Any, scope: Scope, where: str) -> Any:
    if isinstance(arg, str) and "." in arg:
        arg = arg.split(".", 1)
    if isinstance(arg, list) and len(arg) == 2:
        logical_id = _resolve(arg[0], scope, where)
        attribute = _resolve(arg[1], scope, where)
        if isinstance(logical_id, str) and isinstance(attribute, str) and logical_id and attribute:
            return scope.get_att(logical_id, attribute)
    raise Invalid(
        "Template error: every Fn::GetAtt object requires two non-empty parameters, the resource "
        f"name and the resource attribute{_at(where)}"
    )


_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _sub(arg: Any, scope: Scope, where: str) -> Any:
    variables: dict[str, Any] = {}
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], dict):
        arg, variables = arg[0], _resolve(arg[1], scope, where)
    if not isinstance(arg, str):
        raise Invalid(
            "Template error: One or more Fn::Sub intrinsic functions don't specify expected "
            f"arguments. Specify a string as first argument, and an optional second argument to "
            f"specify a mapping of values to replace in the string{_at(where)}"
        )

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name.startswith("!"):
            return "${" + match.group(1)[1:] + "}"
        if name in variables:
            value = variables[name]
        elif name in scope.parameters:
            value = scope.parameters[name]
        elif "." in name:
            value = scope.get_att(*name.split(".", 1))
        else:
            value = scope.ref(name)
        if isinstance(value, list):
            raise Invalid(
                f"Template error: variable {name} in Fn::Sub expression is a list; join it "
                f"first with Fn::Join{_at(where)}"
            )
        return _text(value, "Fn::Sub", where)

    return _SUB_VARIABLE.sub(substitute, arg)


def _join(arg: Any, scope: Scope, where: str) -> Any:
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
        items = _resolve(arg[1], scope, where)
        if isinstance(items, list):
            return arg[0].join(_text(item, "Fn::Join", where) for item in items)
    raise Invalid(
        "Template error: every Fn::Join object requires two parameters, (1) a string delimiter "
        "and (2) a list of strings to be joined or a function that returns a list of strings "
        f"(such as Fn::GetAZs) to be joined.{_at(where)}"
    )


def _select(arg: Any, scope: Scope, where: str) -> Any:
    if isinstance(arg, list) and len(arg) == 2:
        index, items = _resolve(arg[0], scope, where), _resolve(arg[1], scope, where)
        if isinstance(index, str) and index.isdigit():
            index = int(index)
        if isinstance(index, int) and not isinstance(index, bool) and isinstance(items, list):
            if not 0 <= index < len(items):
                raise Invalid(
                    f"Template error: Fn::Select cannot select nonexistent value at index {index}"
                    f" (the list has {len(items)}){_at(where)}"
                )
            return items[index]
    raise Invalid(
        "Template error: every Fn::Select object requires two parameters, (1) an index and (2) "
        f"a list of strings or a function that returns a list of strings{_at(where)}"
    )


def _split(arg: Any, scope: Scope, where: str) -> Any:
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and arg[0]:
        source = _resolve(arg[1], scope, where)
        if isinstance(source, str):
            return source.split(arg[0])
    raise Invalid(
        "Template error: every Fn::Split object requires two parameters, (1) a string delimiter "
        f"and (2) a string to be split or a function that returns a string to be split{_at(where)}"
    )


def _if(arg: Any, scope: Scope, where: str) -> Any:
    if not (isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str)):
        raise Invalid(
            "Template error: every Fn::If object requires three parameters, (1) the condition, "
            f"(2) the value if true and (3) the value if false{_at(where)}"
        )
    return _resolve(arg[1] if _condition(arg[0], scope, where) else arg[2], scope, where)


def _condition(name: Any, scope: Scope, where: str) -> bool:
    try:
        return bool(scope.conditions[name])
    except KeyError:
        raise Invalid(
            f"Template format error: Unresolved condition dependency {name}{_at(where)}; declare "
            "it under Conditions"
        ) from None


def _equals(arg: Any, scope: Scope, where: str) -> bool:
    if isinstance(arg, list) and len(arg) == 2:
        left, right = (_resolve(item, scope, where) for item in arg)
        return _comparable(left) == _comparable(right)
    raise Invalid(
        "Template error: every Fn::Equals object requires a list of 2 string parameters."
        + _at(where)
    )


def _comparable(value: Any) -> Any:
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    if isinstance(value, bool | int | float):
        return _text(value, "Fn::Equals", "")
    return value


def _booleans(name: str, arg: Any, scope: Scope, where: str, low: int, high: int) -> list[bool]:
    if isinstance(arg, list) and low <= len(arg) <= high:
        values = [_resolve(item, scope, where) for item in arg]
        if all(isinstance(v, bool) for v in values):
            return values
    if high == 1:
        expected = "one boolean parameter"
    else:
        expected = f"a list of at least {low} and at most {high} boolean parameters"
    raise Invalid(f"Template error: every {name} object requires {expected}.{_at(where)}")


def _and(arg: Any, scope: Scope, where: str) -> bool:
    return all(_booleans("Fn::And", arg, scope, where, 2, 10))


def _or(arg: Any, scope: Scope, where: str) -> bool:
    return any(_booleans("Fn::Or", arg, scope, where, 2, 10))


def _not(arg: Any, scope: Scope, where: str) -> bool:
    return not _booleans("Fn::Not", arg, scope, where, 1, 1)[0]


def _condition_function(arg: Any, scope: Scope, where: str) -> bool:
    return _condition(arg, scope, where)


def _find_in_map(arg: Any, scope: Scope, where: str) -> Any:
    if not (isinstance(arg, list) and len(arg) in (3, 4)):
        raise Invalid(
            "Template error: every Fn::FindInMap object requires three parameters, the map name, "
            f"map key and the attribute for return value{_at(where)}"
        )
    names = [_text(_resolve(item, scope, where), "Fn::FindInMap", where) for item in arg[:3]]
    default = _resolve(arg[3], scope, where) if len(arg) == 4 else None
    if default is not None and not (isinstance(default, dict) and set(default) == {"DefaultValue"}):
        raise Invalid(
            "Template error: Fn::FindInMap's fourth parameter must be {DefaultValue: value}"
            + _at(where)
        )
    mapping = scope.mappings.get(names[0])
    if mapping is None and default is None:
        raise Invalid(
            f"Template error: Mapping named '{names[0]}' is not present in the 'Mappings' section "
            f"of template.{_at(where)}"
        )
    try:
        return (mapping or {})[names[1]][names[2]]
    except (KeyError, TypeError):
        if default is not None:
            return default["DefaultValue"]
        raise Invalid(
            f"Template error: Unable to get mapping for {'::'.join(names)}{_at(where)}; add the "
            "key to Mappings or give Fn::FindInMap a DefaultValue"
        ) from None


def _get_azs(arg: Any, scope: Scope, where: str) -> list[str]:
    region = _resolve(arg, scope, where)
    if not isinstance(region, str):
        raise Invalid(f"Template error: Fn::GetAZs needs a region name or ''{_at(where)}")
    if scope.azs and not region:
        return list(scope.azs)
    region = region or str(scope.parameters.get("AWS::Region", "us-east-1"))
    return [f"{region}{zone}" for zone in "abc"]


def _base64(arg: Any, scope: Scope, where: str) -> str:
    text = _text(_resolve(arg, scope, where), "Fn::Base64", where)
    return base64.b64encode(text.encode()).decode()


def _cidr(arg: Any, scope: Scope, where: str) -> list[str]:
    shape = (
        "Template error: every Fn::Cidr object requires three parameters, (1) an IP address "
        "block in CIDR notation, (2) the number of subnets (1-256) and (3) the subnet mask bits"
    )
    if not (isinstance(arg, list) and len(arg) == 3):
        raise Invalid(shape + _at(where))
    block, count, bits = (_resolve(item, scope, where) for item in arg)
    try:
        network = ipaddress.ip_network(str(block), strict=False)
        count, bits = int(count), int(bits)
    except (ValueError, TypeError) as exc:
        raise Invalid(f"{shape}: {exc}{_at(where)}") from exc
    prefix = network.max_prefixlen - bits
    if not 1 <= count <= 256 or not network.prefixlen <= prefix <= network.max_prefixlen:
        raise Invalid(
            f"{shape}: {block} cannot hold /{prefix} subnets (cidrBits {bits}){_at(where)}"
        )
    subnets = []
    for subnet in network.subnets(new_prefix=prefix):
        subnets.append(str(subnet))
        if len(subnets) == count:
            return subnets
    raise Invalid(
        f"Template error: Fn::Cidr cannot make {count} /{prefix} subnets from {block}; it "
        f"holds {len(subnets)}{_at(where)}"
    )


def _import_value(arg: Any, scope: Scope, where: str) -> Any:
    name = _resolve(arg, scope, where)
    if not isinstance(name, str):
        raise Invalid(f"Template error: Fn::ImportValue needs an export name{_at(where)}")
    return scope.import_value(name)


def _length(arg: Any, scope: Scope, where: str) -> int:
    items = _resolve(arg, scope, where)
    if not isinstance(items, list):
        raise Invalid(f"Template error: Fn::Length needs a list{_at(where)}")
    return len(items)


def _to_json_string(arg: Any, scope: Scope, where: str) -> str:
    value = _resolve(arg, scope, where)
    if not isinstance(value, dict | list):
        raise Invalid(f"Template error: Fn::ToJsonString needs a mapping or a list{_at(where)}")
    return json.dumps(value, separators=(",", ":"))


def _transform(arg: Any, scope: Scope, where: str) -> Any:
    name = arg.get("Name") if isinstance(arg, dict) else None
    raise Invalid(
        f"Template error: transform {name} is not supported{_at(where)}; Stratus expands "
        "AWS::Include and AWS::Serverless-2016-10-31"
    )


_FUNCTIONS: dict[str, Callable[[Any, Scope, str], Any]] = {
    "Ref": _ref,
    "Condition": _condition_function,
    "Fn::GetAtt": _get_att,
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::And": _and,
    "Fn::Or": _or,
    "Fn::Not": _not,
    "Fn::FindInMap": _find_in_map,
    "Fn::GetAZs": _get_azs,
    "Fn::Base64": _base64,
    "Fn::Cidr": _cidr,
    "Fn::ImportValue": _import_value,
    "Fn::Length": _length,
    "Fn::ToJsonString": _to_json_string,
    "Fn::Transform": _transform,
}
