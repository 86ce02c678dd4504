"""From a template body to a plan the engine can deploy, or a precise error: every check that
can fail without touching a resource runs here, before a stack changes (CPU-bound: callers run
it in a worker thread).

    body -> load (YAML/JSON) -> AWS::Include -> parameters -> AWS::LanguageExtensions
         -> SAM transform -> references
         -> conditions -> supported types -> creation order -> lint
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stratus.errors import InsufficientCapabilities, Invalid

from . import (
    graph,
    include,
    intrinsics,
    language,
    lint,
    loader,
    parameters,
    resource_types,
    rules,
    sam,
)
from .sam import SAM_TRANSFORM

_IAM_TYPES = ("AWS::IAM::Role", "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::User")
_IAM_NAMES = ("RoleName", "ManagedPolicyName", "UserName")


@dataclass(frozen=True)
class Identity:
    stack_name: str
    stack_id: str
    region: str
    account_id: str


@dataclass
class Plan:
    template: dict[str, Any]  # processed: transforms expanded
    given: dict[str, str]  # every parameter's value as text (for UsePreviousValue next time)
    parameters: dict[str, Any]  # resolved values, pseudo parameters included
    no_echo: frozenset[str]
    conditions: dict[str, bool]
    order: list[str]  # the resources to deploy, in creation order
    skipped: dict[str, str] = field(default_factory=dict)  # logical id -> unsupported type

    @property
    def resources(self) -> dict[str, Any]:
        resources: dict[str, Any] = self.template["Resources"]
        return resources


def prepare(
    body: str,
    given: Mapping[str, str | None],
    previous: Mapping[str, str] | None,
    identity: Identity,
    *,
    supported: Callable[[str], bool],
    read_artifact: Callable[[str], bytes],
    capabilities: list[str],
    skip_unsupported: bool = False,
    ssm_values: Mapping[str, str] | None = None,  # Parameter Store name -> value
) -> Plan:
    raw = loader.load_template(body)
    raw = include.expand_includes(raw, read_artifact)
    declared = raw.get("Parameters") or {}
    values = parameters.resolve_parameters(declared, dict(given), dict(previous or {}))
    # As given (an SSM-typed parameter: its Parameter Store name), for the next update.
    given_texts = {k: _as_text(v) for k, v in values.items()}
    for key, definition in declared.items():
        kind = str(definition.get("Type", ""))
        if kind.startswith(parameters.SSM_TYPE):
            values[key] = parameters.ssm_value(key, kind, values[key], ssm_values or {})
    pseudo = parameters.pseudo_parameters(
        region=identity.region,
        account_id=identity.account_id,
        stack_name=identity.stack_name,
        stack_id=identity.stack_id,
    )
    if sam.LANGUAGE_EXTENSIONS in sam.transforms(raw):
        raw = language.expand(raw, values)
        loader.check_shape(raw)
    if SAM_TRANSFORM in sam.transforms(raw) and "CAPABILITY_AUTO_EXPAND" not in capabilities:
        raise InsufficientCapabilities("Requires capabilities : [CAPABILITY_AUTO_EXPAND]")
    template = sam.expand(
        raw,
        values,
        region=identity.region,
        account_id=identity.account_id,
        stack_name=identity.stack_name,
    )
    intrinsics.check_references(template)
    scope = intrinsics.Scope(
        parameters=values | pseudo,
        conditions={},
        mappings=template.get("Mappings") or {},
        ref=_no_resources,
        get_att=lambda logical_id, _: _no_resources(logical_id),
        import_value=_no_resources,
    )
    rules.check(raw.get("Rules"), values | pseudo)  # before anything is planned, as on AWS
    conditions = intrinsics.evaluate_conditions(template.get("Conditions") or {}, scope)
    resources = {
        logical_id: definition
        for logical_id, definition in template["Resources"].items()
        if "Condition" not in definition or _holds(conditions, logical_id, definition["Condition"])
    }
    intrinsics.check_references(template, conditions)
    _check_capabilities(resources, capabilities)
    unsupported = {
        k: d.get("Type", "") for k, d in resources.items() if not supported(d.get("Type", ""))
    }
    _check_known(unsupported)
    if unsupported and not skip_unsupported:
        listed = ", ".join(f"{k} ({t})" for k, t in unsupported.items())
        raise Invalid(
            f"Stratus does not support these resource types yet: {listed}. Nothing was "
            "changed. Remove them, or deploy the rest with `stratus deploy --skip-unsupported` "
            "(stack tag stratus:skip-unsupported=true)."
        )
    order = [k for k in graph.creation_order(resources, conditions) if k not in unsupported]
    problems = lint.lint(template)
    if problems:
        raise Invalid("Template failed validation:\n" + "\n".join(problems))
    return Plan(
        template=template,
        # Every declared parameter's resolved value (given, previous or default), so the
        # next update's UsePreviousValue works for each of them, as on AWS.
        given=given_texts,
        parameters=values | pseudo,
        no_echo=frozenset(
            k for k, d in declared.items() if str(d.get("NoEcho", "")).lower() == "true"
        ),
        conditions=conditions,
        order=order,
        skipped=unsupported,
    )


def _as_text(value: Any) -> str:
    return ",".join(str(v) for v in value) if isinstance(value, list) else str(value)


def _check_known(unsupported: Mapping[str, str]) -> None:
    unknown = {k: t for k, t in unsupported.items() if not resource_types.is_resource_type(t)}
    if not unknown:
        return
    hints = []
    for logical_id, kind in unknown.items():
        near = resource_types.nearest(kind)
        hint = f"; did you mean {near}?" if near else ""
        hints.append(f"{kind} (resource {logical_id}) is not a resource type{hint}")
    raise Invalid(
        f"Template format error: Unrecognized resource types: [{', '.join(unknown.values())}]. "
        + ". ".join(hints)
    )


def _holds(conditions: Mapping[str, bool], logical_id: str, name: Any) -> bool:
    if name not in conditions:
        raise Invalid(
            "Template format error: Unresolved condition dependency "
            f"{name} in resource {logical_id}"
        )
    return conditions[name]


def _no_resources(name: str) -> Any:
    raise Invalid(
        f"Template error: {name} cannot be referred to here "
        "(conditions may use parameters and mappings only)"
    )


def _check_capabilities(resources: Mapping[str, Any], capabilities: list[str]) -> None:
    iam = [d for d in resources.values() if d.get("Type") in _IAM_TYPES]
    named = any(any(n in (d.get("Properties") or {}) for n in _IAM_NAMES) for d in iam)
    if named and "CAPABILITY_NAMED_IAM" not in capabilities:
        raise InsufficientCapabilities("Requires capabilities : [CAPABILITY_NAMED_IAM]")
    if iam and not {"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"} & set(capabilities):
        raise InsufficientCapabilities("Requires capabilities : [CAPABILITY_IAM]")
