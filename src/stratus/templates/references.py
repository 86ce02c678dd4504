"""What template values refer to: the resources behind Ref, Fn::GetAtt and Fn::Sub, and the
conditions behind Fn::If — for creation order, and for CloudFormation's up-front check that
every name a template uses is declared.

Without `conditions` both branches of every Fn::If count (a safe order whatever the
parameters); with them only the branch taken, and resources whose Condition is false are gone.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from typing import Any

from stratus.errors import Invalid

from .parameters import PSEUDO

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def intrinsic_name(value: Mapping[str, Any]) -> str | None:
    """The function a one-key mapping calls (`Ref`, `Condition`, `Fn::*`), else None."""
    if len(value) != 1:
        return None
    (key,) = value
    if key == "Ref" or key.startswith("Fn::"):
        return str(key)
    # `Condition` is a function only with a name: IAM statements hold `Condition: {...}`.
    if key == "Condition" and isinstance(value[key], str):
        return "Condition"
    return None


def references(
    value: Any, parameters: Collection[str] = (), conditions: Mapping[str, bool] | None = None
) -> set[str]:
    """The logical ids `value` refers to: every name that is not a pseudo parameter, one of
    `parameters`, or a Fn::Sub variable of its own."""
    return {
        name
        for kind, name in _walk(value, conditions)
        if kind != "Condition" and name not in parameters and not name.startswith("AWS::")
    }


def check_references(
    template: Mapping[str, Any], conditions: Mapping[str, bool] | None = None
) -> None:
    """CloudFormation's template check: every Ref, Fn::GetAtt, Fn::Sub, DependsOn and condition
    name is declared. With `conditions`, resources and outputs they leave out do not count."""
    resources: Mapping[str, Any] = template.get("Resources") or {}
    declared = set(template.get("Conditions") or {})
    present = {k for k, d in resources.items() if _kept(d, conditions)}
    parameters = set(template.get("Parameters") or {}) | set(PSEUDO)
    for block, items in (("Resources", resources), ("Outputs", template.get("Outputs") or {})):
        unresolved: list[str] = []
        for key, item in items.items():
            if not isinstance(item, Mapping):
                continue
            _check_condition_key(block, key, item, declared)
            if not _kept(item, conditions):
                continue
            body = item.get("Properties") if block == "Resources" else item
            found = list(_walk(body, conditions))
            found += (
                [("Ref", name) for name in depends_on(key, item)] if block == "Resources" else []
            )
            for kind, name in found:
                _check_one(kind, name, present, parameters, declared, f"{block}/{key}", unresolved)
        if unresolved:
            raise Invalid(
                "Template format error: Unresolved resource dependencies "
                f"[{', '.join(unresolved)}] in the {block} block of the template"
            )


def depends_on(logical_id: str, resource: Mapping[str, Any]) -> list[str]:
    """A resource's DependsOn, a string or a list of strings."""
    value = resource.get("DependsOn")
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) for item in items):
        raise Invalid(
            f"Template format error: DependsOn of resource {logical_id} must be a logical id or a "
            "list of logical ids"
        )
    return items


def _kept(item: Any, conditions: Mapping[str, bool] | None) -> bool:
    if conditions is None or not isinstance(item, Mapping) or "Condition" not in item:
        return True
    return bool(conditions.get(item["Condition"], False))


def _check_condition_key(block: str, key: str, item: Mapping[str, Any], declared: set[str]) -> None:
    name = item.get("Condition")
    if name is not None and name not in declared:
        raise Invalid(
            f"Template format error: Unresolved condition dependency {name} in {block}/{key}; "
            "declare it under Conditions"
        )


def _check_one(
    kind: str,
    name: str,
    present: set[str],
    parameters: set[str],
    declared: set[str],
    where: str,
    unresolved: list[str],
) -> None:
    if kind == "Condition":
        if name not in declared:
            raise Invalid(
                f"Template format error: Unresolved condition dependency {name} in Fn::If "
                f"(at {where}); declare it under Conditions"
            )
    elif kind == "GetAtt":
        if name not in present:
            raise Invalid(
                f"Template error: instance of Fn::GetAtt references undefined resource {name} "
                f"(at {where})"
            )
    elif name not in present and name not in parameters and name not in unresolved:
        unresolved.append(name)


def _walk(value: Any, conditions: Mapping[str, bool] | None) -> Iterator[tuple[str, str]]:
    """(kind, name) for each name used: kind is Ref, GetAtt or Condition."""
    if isinstance(value, list):
        for item in value:
            yield from _walk(item, conditions)
        return
    if not isinstance(value, Mapping):
        return
    name = intrinsic_name(value)
    arg = value[name] if name else None
    if name == "Ref" and isinstance(arg, str):
        yield ("Ref", arg)
    elif name == "Condition":
        pass  # a property named Condition: the function lives in the Conditions block only
    elif name == "Fn::GetAtt":
        yield from _get_att(arg, conditions)
    elif name == "Fn::Sub":
        yield from _sub(arg, conditions)
    elif name == "Fn::If" and isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str):
        yield ("Condition", arg[0])
        if conditions is None or arg[0] not in conditions:
            yield from _walk(arg[1:], conditions)
        else:
            yield from _walk(arg[1] if conditions[arg[0]] else arg[2], conditions)
    else:
        for item in value.values():
            yield from _walk(item, conditions)


def _get_att(arg: Any, conditions: Mapping[str, bool] | None) -> Iterator[tuple[str, str]]:
    if isinstance(arg, str):
        yield ("GetAtt", arg.split(".", 1)[0])
    elif isinstance(arg, list) and arg:
        if isinstance(arg[0], str):
            yield ("GetAtt", arg[0])
        yield from _walk(arg[1:], conditions)


def _sub(arg: Any, conditions: Mapping[str, bool] | None) -> Iterator[tuple[str, str]]:
    local: Collection[str] = ()
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], Mapping):
        yield from _walk(arg[1], conditions)
        arg, local = arg[0], arg[1]
    if not isinstance(arg, str):
        return
    for match in _SUB_VARIABLE.finditer(arg):
        name = match.group(1).strip()
        if name.startswith("!") or name in local:
            continue
        if "." in name:
            yield ("GetAtt", name.split(".", 1)[0])
        else:
            yield ("Ref", name)
