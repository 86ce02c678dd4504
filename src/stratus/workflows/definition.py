"""A state machine definition, parsed once and validated before anything runs.

`parse(text)` returns a `Machine` or raises `InvalidDefinition` carrying the diagnostics
(`validation.diagnose` says what AWS's ValidateStateMachineDefinition would). A Machine
keeps the definition's JSON as it came (states are read by field name, as the States
Language names them) plus what the interpreter needs resolved: the query language of
every state, and the nested machines of Parallel branches and Map processors, addressed
by a *machine path*: () is the top, ("P", 1) the second branch of Parallel state P,
("M",) the item processor of Map state M, and so on down.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stratus.workflows.validation import Diagnostic, diagnose

JSONPATH = "JSONPath"
JSONATA = "JSONata"

MachinePath = tuple[str | int, ...]


class InvalidDefinition(ValueError):
    """The definition has errors; `diagnostics` lists them as AWS would."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        errors = [d for d in diagnostics if d.severity == "ERROR"]
        super().__init__(
            "Invalid State Machine Definition: " + ", ".join(f"'{d.text()}'" for d in errors)
        )
        self.diagnostics = list(diagnostics)


@dataclass(frozen=True, slots=True)
class Machine:
    """One level of a definition: the top, a Parallel branch or a Map item processor."""

    start_at: str
    states: Mapping[str, Mapping[str, Any]]
    query_language: str
    timeout_seconds: int | None
    children: Mapping[MachinePath, Machine]  # keyed by (state, branch index) or (state,)

    def state(self, name: str) -> Mapping[str, Any]:
        return self.states[name]

    def language_of(self, name: str) -> str:
        return str(self.states[name].get("QueryLanguage", self.query_language))

    def child(self, path: MachinePath) -> Machine:
        """The nested machine at a machine path (relative to this one)."""
        machine = self
        while path:
            key_len = 2 if len(path) >= 2 and isinstance(path[1], int) else 1
            machine = machine.children[path[:key_len]]
            path = path[key_len:]
        return machine


def parse(text: str) -> Machine:
    """The Machine a definition's text describes, or InvalidDefinition."""
    diagnostics = diagnose(text)
    if any(d.severity == "ERROR" for d in diagnostics):
        raise InvalidDefinition(diagnostics)
    return build(json.loads(text))


def build(document: Mapping[str, Any], inherited: str = JSONPATH) -> Machine:
    """A Machine from a definition already validated."""
    language = str(document.get("QueryLanguage", inherited))
    children: dict[MachinePath, Machine] = {}
    for name, state in document["States"].items():
        state_language = str(state.get("QueryLanguage", language))
        if state["Type"] == "Parallel":
            for index, branch in enumerate(state["Branches"]):
                children[(name, index)] = build(branch, state_language)
        elif state["Type"] == "Map":
            processor = state.get("ItemProcessor", state.get("Iterator"))
            children[(name,)] = build(processor, state_language)
    timeout = document.get("TimeoutSeconds")
    return Machine(
        start_at=str(document["StartAt"]),
        states=document["States"],
        query_language=language,
        timeout_seconds=int(timeout) if isinstance(timeout, int) else None,
        children=children,
    )
