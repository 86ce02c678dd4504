"""What a change set lists: the resources a plan adds, modifies and removes against what is
deployed, in DescribeChangeSet's `Changes` shape.

A diff of definitions, computed before anything runs, as CloudFormation's is:

    resource only in the plan                 Add
    only deployed                             Remove
    in both, of another type                  Modify, Replacement True
    in both, a property differs               Modify; Replacement from the provider:
                                              True (Always), False (Never),
                                              Conditional (a value known only at execution)

A property is compared by its resolved value where it can be resolved now (parameters,
mappings, conditions, and the physical ids of resources that stay as they are); a property
that refers to a resource being added or replaced
is a *Dynamic* change whose outcome only execution knows (a resource updated in place keeps its
id and attributes, so what refers to it does not change). Each change says why in `Details`:
DirectModification (the template's text changed), ParameterReference, ResourceReference or
ResourceAttribute (something it refers to changed).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stratus.errors import StratusError

from . import intrinsics
from .plan import Plan
from .provider import Provider
from .stack_tags import with_stack_tags
from .store import Applied


class _Unknown(Exception):
    """A value that only execution knows (an added or replaced resource's id or attribute)."""

    def __init__(self, logical_id: str, attribute: str | None) -> None:
        super().__init__(logical_id)
        self.logical_id = logical_id
        self.attribute = attribute


def resource_changes(
    plan: Plan,
    old_template: Mapping[str, Any],
    deployed: Mapping[str, Applied],
    old_parameters: Mapping[str, str],
    providers: Mapping[str, Provider],
    imports: Mapping[str, str],
    stack_tags: Mapping[str, str],
) -> list[dict[str, Any]]:
    """The `Changes` list: Add and Modify in creation order, then Remove."""
    old_definitions: Mapping[str, Any] = old_template.get("Resources") or {}
    changing: dict[str, str] = {}  # logical id -> "Add" | "Replace" | "Modify"
    changes = []
    for logical_id in plan.order:
        definition = plan.resources[logical_id]
        kind = definition["Type"]
        before = deployed.get(logical_id)
        if before is None:
            changing[logical_id] = "Add"
            changes.append(_change("Add", logical_id, kind))
            continue
        scope = _scope(plan, deployed, changing, imports)
        details, replacement = _modification(
            definition, old_definitions.get(logical_id) or {}, before, scope, plan,
            old_parameters, providers.get(kind), stack_tags,
        )  # fmt: skip
        if before.type != kind:
            details, replacement = [], "True"
        provider = providers.get(kind)
        if not details and replacement != "True" and provider and provider.always_update:
            # A nested stack: its template may have changed behind the same TemplateURL.
            details = [_automatic()]
        if not details and replacement != "True":
            continue
        changing[logical_id] = "Replace" if replacement != "False" else "Modify"
        changes.append(
            _change(
                "Modify",
                logical_id,
                kind,
                before.physical_id,
                replacement,
                sorted({d["Target"]["Attribute"] for d in details}),
                details,
            )
        )
    for logical_id, applied in deployed.items():
        if logical_id not in plan.order:
            changes.append(_change("Remove", logical_id, applied.type, applied.physical_id))
    return changes


def resolved_properties(
    plan: Plan,
    logical_id: str,
    deployed: Mapping[str, Applied],
    changes: list[dict[str, Any]],
    imports: Mapping[str, str],
) -> dict[str, Any] | None:
    """`logical_id`'s properties resolved as far as a change set can (None when one needs a
    value only execution knows): what a nested change set plans its child with."""
    changing = {
        c["ResourceChange"]["LogicalResourceId"]: (
            "Add"
            if c["ResourceChange"]["Action"] == "Add"
            else "Modify"
            if c["ResourceChange"].get("Replacement", "False") == "False"
            else "Replace"
        )
        for c in changes
    }
    try:
        value = intrinsics.resolve(
            plan.resources[logical_id].get("Properties") or {},
            _scope(plan, deployed, changing, imports),
        )
    except (_Unknown, StratusError):
        return None
    return value if isinstance(value, dict) else None


def _modification(
    definition: Mapping[str, Any],
    old_definition: Mapping[str, Any],
    before: Applied,
    scope: intrinsics.Scope,
    plan: Plan,
    old_parameters: Mapping[str, str],
    provider: Provider | None,
    stack_tags: Mapping[str, str],
) -> tuple[list[dict[str, Any]], str]:
    details = []
    new_props: Mapping[str, Any] = definition.get("Properties") or {}
    kind = str(definition["Type"])
    old_raw: Mapping[str, Any] = old_definition.get("Properties") or {}
    for name in sorted(new_props.keys() | before.properties.keys()):
        raw = new_props.get(name)
        try:
            value = intrinsics.resolve(raw, scope) if name in new_props else None
            if name == "Tags":  # the stack's tags are the resource's too
                value = with_stack_tags(kind, {"Tags": value}, stack_tags).get("Tags")
        except _Unknown as unknown:
            source = "ResourceAttribute" if unknown.attribute else "ResourceReference"
            causing = f"{unknown.logical_id}.{unknown.attribute}" if unknown.attribute else None
            details.append(
                _detail(name, provider, "Dynamic", source, causing or unknown.logical_id)
            )
            continue
        except StratusError:
            value = raw  # execution will name the error; the text still tells a change
        if value == before.properties.get(name):
            continue
        if raw != old_raw.get(name):
            details.append(_detail(name, provider, "Static", "DirectModification"))
            continue
        changed = [
            p
            for p in intrinsics.references(raw)
            if p in plan.parameters and old_parameters.get(p) != _text(plan.parameters[p])
        ]
        if not changed:  # the stack's tags changed
            details.append(_detail(name, provider, "Static", "DirectModification"))
            continue
        details.append(_detail(name, provider, "Static", "ParameterReference", changed[0]))
    if definition.get("Metadata") != old_definition.get("Metadata"):
        details.append(
            {
                "Target": {"Attribute": "Metadata", "RequiresRecreation": "Never"},
                "Evaluation": "Static",
                "ChangeSource": "DirectModification",
            }
        )
    recreation = {d["Target"]["RequiresRecreation"] for d in details}
    replacement = (
        "True"
        if "Always" in recreation
        else "Conditional"
        if "Conditionally" in recreation
        else "False"
    )
    return details, replacement


def _detail(
    name: str,
    provider: Provider | None,
    evaluation: str,
    source: str,
    causing: str | None = None,
) -> dict[str, Any]:
    if provider is not None and name in provider.updatable:
        recreation = "Never"
    elif evaluation == "Dynamic":
        recreation = "Conditionally"
    else:
        recreation = "Always"
    detail: dict[str, Any] = {
        "Target": {"Attribute": "Properties", "Name": name, "RequiresRecreation": recreation},
        "Evaluation": evaluation,
        "ChangeSource": source,
    }
    if causing is not None:
        detail["CausingEntity"] = causing
    return detail


def _scope(
    plan: Plan,
    deployed: Mapping[str, Applied],
    changing: Mapping[str, str],
    imports: Mapping[str, str],
) -> intrinsics.Scope:
    def ref(logical_id: str) -> Any:
        if logical_id in changing and changing[logical_id] != "Modify":
            raise _Unknown(logical_id, None)
        if logical_id not in deployed:
            raise _Unknown(logical_id, None)
        return deployed[logical_id].physical_id

    def get_att(logical_id: str, attribute: str) -> Any:
        # A resource updated in place keeps its attributes (Arn, Url...), as it keeps its id.
        if changing.get(logical_id, "Modify") != "Modify" or logical_id not in deployed:
            raise _Unknown(logical_id, attribute)
        return deployed[logical_id].attributes.get(attribute)

    def import_value(name: str) -> Any:
        if name not in imports:
            raise _Unknown(name, None)
        return imports[name]

    return intrinsics.Scope(
        parameters=plan.parameters,
        conditions=plan.conditions,
        mappings=plan.template.get("Mappings") or {},
        ref=ref,
        get_att=get_att,
        import_value=import_value,
    )


def _change(
    action: str,
    logical_id: str,
    kind: str,
    physical_id: str | None = None,
    replacement: str | None = None,
    scope: list[str] | None = None,
    details: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    change: dict[str, Any] = {"Action": action, "LogicalResourceId": logical_id}
    if physical_id is not None:
        change["PhysicalResourceId"] = physical_id
    change["ResourceType"] = kind
    if replacement is not None:
        change["Replacement"] = replacement
    change["Scope"] = scope or []
    change["Details"] = details or []
    return {"Type": "Resource", "ResourceChange": change}


def _text(value: Any) -> str:
    return ",".join(value) if isinstance(value, list) else str(value)


def _automatic() -> dict[str, Any]:
    """AWS's detail for a nested stack it updates although nothing of it changed."""
    return {
        "Target": {"Attribute": "Properties", "RequiresRecreation": "Never"},
        "Evaluation": "Dynamic",
        "ChangeSource": "Automatic",
    }
