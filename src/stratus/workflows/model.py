"""State machines and executions as records, their ARNs and names."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from stratus.workflows.errors import InvalidArn, InvalidName

MAX_NAME = 80
# AWS refuses whitespace, brackets, wildcards, these punctuation marks and control characters.
_BAD_NAME = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class StateMachine:
    arn: str
    name: str
    type: str  # STANDARD | EXPRESS
    definition: str
    role_arn: str
    created: float
    config: dict[str, Any]  # loggingConfiguration, tracingConfiguration, tags

    @property
    def revision_id(self) -> str:
        """Names this configuration (definition, role, settings): a change gives a new one,
        so a template's StateMachineVersion that follows it publishes a new version."""
        content = json.dumps([self.definition, self.role_arn, self.config], sort_keys=True)
        return str(uuid.UUID(bytes=hashlib.sha256(content.encode()).digest()[:16], version=4))


@dataclass(frozen=True, slots=True)
class Execution:
    arn: str
    state_machine_arn: str
    name: str
    status: str  # RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    started: float
    stopped: float | None
    input: str
    output: str | None
    error: str | None
    cause: str | None
    version_arn: str | None = None
    alias_arn: str | None = None
    redrive_count: int = 0
    redrive_date: float | None = None
    redrivable: bool = False
    map_run_arn: str | None = None  # a distributed Map's child: its Map Run


@dataclass(frozen=True, slots=True)
class Activity:
    arn: str
    name: str
    created: float
    tags: list[dict[str, str]]


def activity_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:states:{region}:{account}:activity:{name}"


def check_activity_arn(arn: str) -> str:
    parts = arn.split(":")
    if len(parts) != 7 or parts[:3] != ["arn", "aws", "states"] or parts[5] != "activity":
        raise InvalidArn(f"Invalid Arn: '{arn}'")
    return arn


def check_name(name: str, what: str = "name") -> str:
    if not name or len(name) > MAX_NAME or _BAD_NAME.search(name):
        raise InvalidName(f"Invalid Name: '{name}'")
    return name


def state_machine_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:states:{region}:{account}:stateMachine:{name}"


def execution_arn(machine_arn: str, name: str) -> str:
    prefix, _, machine_name = machine_arn.rpartition(":stateMachine:")
    return f"{prefix}:execution:{machine_name}:{name}"


def machine_arn_of_execution(arn: str) -> str:
    """The state machine an execution ARN names (arn:...:execution:<machine>:<name>)."""
    parts = arn.split(":")
    if len(parts) != 8 or parts[:3] != ["arn", "aws", "states"] or parts[5] != "execution":
        raise InvalidArn(f"Invalid Arn: '{arn}'")
    return ":".join([*parts[:5], "stateMachine", parts[6]])


def check_machine_arn(arn: str) -> str:
    parts = arn.split(":")
    if len(parts) != 7 or parts[:3] != ["arn", "aws", "states"] or parts[5] != "stateMachine":
        raise InvalidArn(f"Invalid Arn: '{arn}'")
    return arn
