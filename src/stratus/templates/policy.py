"""Stack policies (SetStackPolicy): which update actions a stack's resources accept.

Once a stack has a policy, an update may touch a resource only where an Allow statement
covers the action and no Deny does (Deny wins); a stack without a policy accepts every
update. Actions are Update:Modify (in place), Update:Replace (True or Conditional
replacement) and Update:Delete (removed from the template); adding resources is never
governed. Resource is `LogicalResourceId/<id>` (wildcards `*` and `?`) or `*`, NotResource
its complement, and Condition may restrict by ResourceType (StringEquals/StringLike).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from typing import Any

import orjson

from stratus.errors import Invalid

_ACTIONS = ("Update:*", "Update:Modify", "Update:Replace", "Update:Delete")


def parse(body: str) -> dict[str, Any]:
    """A policy document, checked enough that a mistake is named when it is set."""
    try:
        policy = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise Invalid(f"Error validating stack policy: Invalid stack policy: {exc}") from None
    statements = policy.get("Statement") if isinstance(policy, dict) else None
    if not isinstance(statements, list):
        raise Invalid("Error validating stack policy: Statement is required and must be a list")
    for i, statement in enumerate(statements, 1):
        if not isinstance(statement, dict) or statement.get("Effect") not in ("Allow", "Deny"):
            raise Invalid(
                f"Error validating stack policy: Statement [#{i}] needs Effect Allow/Deny"
            )
        for action in _listed(statement.get("Action") or statement.get("NotAction")):
            if action not in _ACTIONS:
                raise Invalid(
                    f"Error validating stack policy: Statement [#{i}] has unknown action "
                    f"{action}; the actions are {', '.join(_ACTIONS)}"
                )
    document: dict[str, Any] = policy
    return document


def action(change: Mapping[str, Any]) -> str | None:
    """The policy action of one ResourceChange (None: adding, which policies do not govern)."""
    if change["Action"] == "Remove":
        return "Update:Delete"
    if change["Action"] == "Modify":
        return "Update:Modify" if change.get("Replacement") == "False" else "Update:Replace"
    return None


def denial(policy: Mapping[str, Any], change: Mapping[str, Any]) -> str | None:
    """Why the policy refuses this ResourceChange, or None when it allows it."""
    wanted = action(change)
    if wanted is None:
        return None
    logical_id, kind = change["LogicalResourceId"], change["ResourceType"]
    allowed = False
    for i, statement in enumerate(policy.get("Statement") or [], 1):
        if not _covers(statement, wanted, logical_id, kind):
            continue
        if statement["Effect"] == "Deny":
            return f"Action denied by stack policy: Statement [#{i}] has a deny statement"
        allowed = True
    if not allowed:
        return "Action denied by stack policy: No allow statement found"
    return None


def _covers(statement: Mapping[str, Any], wanted: str, logical_id: str, kind: str) -> bool:
    if "NotAction" in statement:
        if _action_matches(_listed(statement["NotAction"]), wanted):
            return False
    elif not _action_matches(_listed(statement.get("Action")), wanted):
        return False
    target = f"LogicalResourceId/{logical_id}"
    if "NotResource" in statement:
        if any(fnmatch.fnmatchcase(target, p) for p in _listed(statement["NotResource"])):
            return False
    elif not any(
        p == "*" or fnmatch.fnmatchcase(target, p) for p in _listed(statement.get("Resource"))
    ):
        return False
    return _condition_holds(statement.get("Condition") or {}, kind)


def _action_matches(actions: list[str], wanted: str) -> bool:
    return "Update:*" in actions or wanted in actions


def _condition_holds(condition: Mapping[str, Any], kind: str) -> bool:
    for operator, tests in condition.items():
        patterns = _listed((tests or {}).get("ResourceType"))
        if operator == "StringEquals" and kind not in patterns:
            return False
        if operator == "StringLike" and not any(fnmatch.fnmatchcase(kind, p) for p in patterns):
            return False
    return True


def _listed(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]
