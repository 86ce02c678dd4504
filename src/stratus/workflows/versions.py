"""Versions and aliases of state machines, and what a qualified ARN runs.

    arn:...:stateMachine:orders          the machine as it is now (unqualified)
    arn:...:stateMachine:orders:3        version 3: a frozen copy of definition and role
    arn:...:stateMachine:orders:live     alias live: routes each start to one of at most two
                                         versions by weight (routingConfiguration)

Publishing copies the machine's current definition and role into the next version number;
publishing again without a change since answers the latest version (as AWS's revision
check does). Everything here runs on the database thread, inside the caller's transaction.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stratus.errors import Conflict, Validation
from stratus.workflows.errors import InvalidArn, ResourceNotFound, StateMachineDoesNotExist
from stratus.workflows.model import StateMachine, check_machine_arn


@dataclass(frozen=True, slots=True)
class Version:
    arn: str
    machine_arn: str
    number: int
    definition: str
    role_arn: str
    created: float
    description: str


@dataclass(frozen=True, slots=True)
class Alias:
    arn: str
    machine_arn: str
    name: str
    description: str
    routing: list[dict[str, Any]]  # [{stateMachineVersionArn, weight}]
    created: float
    updated: float


@dataclass(frozen=True, slots=True)
class Target:
    """What a start runs: the machine, the definition and role to use, and the qualifiers."""

    machine: StateMachine
    definition: str
    role_arn: str
    version_arn: str | None = None
    alias_arn: str | None = None


def split(arn: str) -> tuple[str, str | None]:
    """(unqualified machine ARN, qualifier or None); InvalidArn if it is no machine ARN."""
    parts = arn.split(":")
    if len(parts) == 8 and parts[5] == "stateMachine" and parts[7]:
        return check_machine_arn(":".join(parts[:7])), parts[7]
    return check_machine_arn(arn), None


def publish(
    conn: sqlite3.Connection, machine: StateMachine, description: str, now: float
) -> Version:
    latest = versions(conn, machine.arn)[:1]
    if latest and (latest[0].definition, latest[0].role_arn) == (
        machine.definition,
        machine.role_arn,
    ):
        return latest[0]
    number = (latest[0].number if latest else 0) + 1
    version = Version(
        f"{machine.arn}:{number}",
        machine.arn,
        number,
        machine.definition,
        machine.role_arn,
        now,
        description,
    )
    conn.execute(
        "INSERT INTO sfn_versions (machine_arn, number, definition, role_arn, created, description)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (machine.arn, number, machine.definition, machine.role_arn, now, description),
    )
    return version


def versions(conn: sqlite3.Connection, machine_arn: str) -> list[Version]:
    """Newest first, as ListStateMachineVersions answers."""
    rows = conn.execute(
        "SELECT number, definition, role_arn, created, description FROM sfn_versions"
        " WHERE machine_arn = ? ORDER BY number DESC",
        (machine_arn,),
    )
    return [
        Version(f"{machine_arn}:{r[0]}", machine_arn, r[0], r[1], r[2], r[3], r[4]) for r in rows
    ]


def version(conn: sqlite3.Connection, arn: str) -> Version | None:
    machine_arn, qualifier = split(arn)
    if qualifier is None or not qualifier.isdigit():
        raise InvalidArn(f"Invalid Arn: '{arn}'")
    return next((v for v in versions(conn, machine_arn) if v.number == int(qualifier)), None)


def delete_version(conn: sqlite3.Connection, arn: str) -> None:
    if any(
        arn in {r["stateMachineVersionArn"] for r in a.routing}
        for a in aliases(conn, split(arn)[0])
    ):
        raise Conflict(f"Version {arn} is routed to by an alias; update or delete the alias first")
    machine_arn, qualifier = split(arn)
    conn.execute(
        "DELETE FROM sfn_versions WHERE machine_arn = ? AND number = ?",
        (machine_arn, int(qualifier or 0)),
    )


def check_routing(
    conn: sqlite3.Connection, machine_arn: str, routing: Sequence[dict[str, Any]]
) -> None:
    """One or two versions of this machine, weights 0-100 adding up to 100."""
    if not 1 <= len(routing) <= 2:
        raise Validation("routingConfiguration must name one or two versions")
    if sum(int(r.get("weight", 0)) for r in routing) != 100:
        raise Validation("The weights of routingConfiguration must add up to 100")
    for route in routing:
        target = str(route.get("stateMachineVersionArn", ""))
        if split(target)[0] != machine_arn or version(conn, target) is None:
            raise ResourceNotFound(target)


def save_alias(conn: sqlite3.Connection, alias: Alias) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO sfn_aliases (arn, machine_arn, name, description, routing, created,"
        " updated) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            alias.arn,
            alias.machine_arn,
            alias.name,
            alias.description,
            json.dumps(alias.routing),
            alias.created,
            alias.updated,
        ),
    )


def alias(conn: sqlite3.Connection, arn: str) -> Alias | None:
    row = conn.execute(
        "SELECT arn, machine_arn, name, description, routing, created, updated FROM sfn_aliases"
        " WHERE arn = ?",
        (arn,),
    ).fetchone()
    return (
        Alias(row[0], row[1], row[2], row[3], json.loads(row[4]), row[5], row[6]) if row else None
    )


def aliases(conn: sqlite3.Connection, machine_arn: str) -> list[Alias]:
    rows = conn.execute(
        "SELECT arn FROM sfn_aliases WHERE machine_arn = ? ORDER BY name", (machine_arn,)
    )
    return [a for (arn,) in rows.fetchall() if (a := alias(conn, arn)) is not None]


def forget(conn: sqlite3.Connection, machine_arn: str) -> None:
    """A deleted machine's versions and aliases go with it."""
    conn.execute("DELETE FROM sfn_versions WHERE machine_arn = ?", (machine_arn,))
    conn.execute("DELETE FROM sfn_aliases WHERE machine_arn = ?", (machine_arn,))


def resolve(conn: sqlite3.Connection, arn: str, machine: StateMachine | None) -> Target:
    """What starting `arn` runs: the machine now, a version, or a version an alias picks."""
    _, qualifier = split(arn)
    if machine is None:
        raise StateMachineDoesNotExist(arn)
    if qualifier is None:
        return Target(machine, machine.definition, machine.role_arn)
    if qualifier.isdigit():
        found = version(conn, arn)
        if found is None:
            raise StateMachineDoesNotExist(arn)
        return Target(machine, found.definition, found.role_arn, found.arn)
    routed = alias(conn, arn)
    if routed is None:
        raise StateMachineDoesNotExist(arn)
    pick = random.uniform(0, 100)
    chosen = routed.routing[-1]
    for route in routed.routing:
        pick -= float(route["weight"])
        if pick < 0:
            chosen = route
            break
    found = version(conn, str(chosen["stateMachineVersionArn"]))
    if found is None:
        raise StateMachineDoesNotExist(str(chosen["stateMachineVersionArn"]))
    return Target(machine, found.definition, found.role_arn, found.arn, routed.arn)
