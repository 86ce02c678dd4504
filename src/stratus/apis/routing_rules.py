"""Routing rules of custom domain names (apigatewayv2 CreateRoutingRule...): a domain whose
RoutingMode is ROUTING_RULE_ONLY or ROUTING_RULE_THEN_API_MAPPING sends each request to the
API stage of the first rule, by ascending Priority, whose conditions all hold:

    MatchHeaders    {AnyOf: [{Header, ValueGlob}]}  the header (any case) has a value the
                    glob matches: `*` alone, or at the start or end (`*-beta`, `v2*`)
    MatchBasePaths  {AnyOf: [basepath]}             the path's first segments are the base
                    path (`orders` or `orders/v2`)

A rule has at most two MatchHeaders and one MatchBasePaths conditions (none: it takes every
request) and one action, InvokeApi {ApiId, Stage, StripBasePath}: StripBasePath removes the
matched base path before the API sees the path. ROUTING_RULE_THEN_API_MAPPING falls back to
the API mappings (domains.py) when no rule matches; API_MAPPING_ONLY (the default) ignores
rules. Priorities are unique per domain (1 to 1,000,000; ConflictException otherwise).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from stratus.errors import Conflict, Invalid, NotFound

from .ids import new_id
from .shape import Shape, parse_request

ROUTING_MODES = ("API_MAPPING_ONLY", "ROUTING_RULE_ONLY", "ROUTING_RULE_THEN_API_MAPPING")
MAX_PRIORITY = 1_000_000


class HeaderValue(Shape):
    Header: str
    ValueGlob: str


class HeaderMatch(Shape):
    AnyOf: list[HeaderValue] = Field(min_length=1, max_length=1)


class BasePathMatch(Shape):
    AnyOf: list[str] = Field(min_length=1, max_length=1)


class Condition(Shape):
    MatchHeaders: HeaderMatch | None = None
    MatchBasePaths: BasePathMatch | None = None


class InvokeApiAction(Shape):
    ApiId: str
    Stage: str
    StripBasePath: bool = False


class Action(Shape):
    InvokeApi: InvokeApiAction


class RoutingRule(Shape):
    RoutingRuleId: str
    Priority: int = Field(ge=1, le=MAX_PRIORITY)
    Conditions: list[Condition] = Field(default_factory=list, max_length=3)
    Actions: list[Action] = Field(min_length=1, max_length=1)


@dataclass(frozen=True, slots=True)
class Chosen:
    api_id: str
    stage: str
    path: str  # the path the API sees, starting with /


def checked(rule: RoutingRule) -> RoutingRule:
    headers = sum(1 for c in rule.Conditions if c.MatchHeaders is not None)
    paths = sum(1 for c in rule.Conditions if c.MatchBasePaths is not None)
    if headers > 2 or paths > 1:
        raise Invalid(
            "A routing rule has at most two MatchHeaders conditions and one MatchBasePaths"
        )
    if any((c.MatchHeaders is None) == (c.MatchBasePaths is None) for c in rule.Conditions):
        raise Invalid("Each routing rule condition is one of MatchHeaders or MatchBasePaths")
    for condition in rule.Conditions:
        for value in condition.MatchHeaders.AnyOf if condition.MatchHeaders else []:
            glob = value.ValueGlob
            if "*" in glob.strip("*") or (glob.count("*") > 1 and glob != "*"):
                raise Invalid(
                    f"Invalid ValueGlob {glob!r}: one * at the start or the end, or * alone"
                )
    return rule


def _glob(pattern: str, value: str) -> bool:
    if pattern == "*":
        return True
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return value == pattern


def _base(path: str, base: str) -> str | None:
    """The rest of `path` after base path `base`, or None when it is not under it."""
    base = base.strip("/")
    if path == f"/{base}" or path.startswith(f"/{base}/"):
        return path[len(base) + 1 :] or "/"
    return None


def choose(
    rules: Sequence[RoutingRule], headers: Mapping[str, Sequence[str]], path: str
) -> Chosen | None:
    """The first rule, by priority, that takes the request; `headers` by lower-case name."""
    for rule in sorted(rules, key=lambda r: r.Priority):
        rest = path
        for condition in rule.Conditions:
            if condition.MatchHeaders is not None:
                wanted = condition.MatchHeaders.AnyOf[0]
                values = headers.get(wanted.Header.lower(), ())
                if not any(_glob(wanted.ValueGlob, v) for v in values):
                    break
            elif condition.MatchBasePaths is not None:
                under = _base(path, condition.MatchBasePaths.AnyOf[0])
                if under is None:
                    break
                rest = under
        else:
            action = rule.Actions[0].InvokeApi
            return Chosen(action.ApiId, action.Stage, rest if action.StripBasePath else path)
    return None


# -- rows (on the domains' database thread, inside the caller's transaction) ------------------
def insert(conn: sqlite3.Connection, domain: str, rule: RoutingRule) -> None:
    try:
        conn.execute(
            "INSERT INTO api_domain_rules (domain, id, priority, config) VALUES (?, ?, ?, ?)",
            (domain, rule.RoutingRuleId, rule.Priority, rule.model_dump_json()),
        )
    except sqlite3.IntegrityError:
        raise Conflict(f"A routing rule with priority {rule.Priority} already exists") from None


def replace(conn: sqlite3.Connection, domain: str, rule: RoutingRule) -> None:
    require(conn, domain, rule.RoutingRuleId)
    try:
        conn.execute(
            "UPDATE api_domain_rules SET priority = ?, config = ? WHERE domain = ? AND id = ?",
            (rule.Priority, rule.model_dump_json(), domain, rule.RoutingRuleId),
        )
    except sqlite3.IntegrityError:
        raise Conflict(f"A routing rule with priority {rule.Priority} already exists") from None


def require(conn: sqlite3.Connection, domain: str, rule_id: str) -> RoutingRule:
    row = conn.execute(
        "SELECT config FROM api_domain_rules WHERE domain = ? AND id = ?", (domain, rule_id)
    ).fetchone()
    if row is None:
        raise NotFound(f"Unable to find routing rule with id {rule_id} for domain {domain}")
    return RoutingRule.model_validate_json(row[0])


def every(conn: sqlite3.Connection, domain: str | None = None) -> list[tuple[str, RoutingRule]]:
    """(domain, rule) for `domain`'s rules, or every domain's, by priority."""
    rows = conn.execute(
        "SELECT domain, config FROM api_domain_rules"
        + (" WHERE domain = ?" if domain else "")
        + " ORDER BY priority",
        (domain,) if domain else (),
    )
    return [(d, RoutingRule.model_validate_json(c)) for d, c in rows]


def delete(conn: sqlite3.Connection, domain: str, rule_id: str) -> None:
    cursor = conn.execute(
        "DELETE FROM api_domain_rules WHERE domain = ? AND id = ?", (domain, rule_id)
    )
    if not cursor.rowcount:
        raise NotFound(f"Unable to find routing rule with id {rule_id} for domain {domain}")


def new_rule(fields: Mapping[str, Any], rule_id: str | None = None) -> RoutingRule:
    rule = parse_request(RoutingRule, {**fields, "RoutingRuleId": rule_id or new_id(6)})
    return checked(rule)
