"""What goes into a state's work and what comes out of the state, in either query language.

JSONPath:  raw input -> InputPath -> Parameters = effective input -> (work) -> result
           -> ResultSelector -> Assign ($ is that result) -> ResultPath into the raw input
           -> OutputPath = state output
JSONata:   raw input ($states.input) -> Arguments = effective input -> (work) -> result
           ($states.result) -> Assign and Output, both seeing the variables as they were
           before this state assigned any (AWS evaluates them side by side)

A `Flow` is one visit of one state: built from the state's fields, its raw input, the
context object and the variables in scope; pure, so the interpreter can redo it after a
restart and get the same answer.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stratus.workflows import payloads, query
from stratus.workflows.definition import JSONATA
from stratus.workflows.failure import RUNTIME, StatesFailure

_HAS_RESULT = {"Task", "Parallel", "Map"}  # states whose output defaults to their result


@dataclass(frozen=True, slots=True)
class Outcome:
    output: Any
    assigned: dict[str, Any]  # variables this state assigns (empty when it has no Assign)


class Flow:
    def __init__(
        self,
        state: Mapping[str, Any],
        language: str,
        raw_input: Any,
        context: Mapping[str, Any],
        variables: Mapping[str, Any],
    ) -> None:
        self.state, self.language = state, language
        self.raw_input, self.context, self.variables = raw_input, context, variables
        self.kind = str(state["Type"])

    @property
    def jsonata(self) -> bool:
        return self.language == JSONATA

    def scope(self, data: Any) -> payloads.Scope:
        return payloads.Scope(data, self.context, self.variables)

    def states_binding(self, **extra: Any) -> dict[str, Any]:
        return {"input": self.raw_input, "context": self.context, **extra}

    def filtered_input(self) -> Any:
        """JSONPath's InputPath (JSONata has none: the raw input)."""
        if self.jsonata:
            return self.raw_input
        return payloads.apply_input_path(
            self.state.get("InputPath", "$"), self.scope(self.raw_input)
        )

    def effective_input(self) -> Any:
        """What the state's work receives: after InputPath and Parameters, or Arguments."""
        if self.jsonata:
            if "Arguments" in self.state:
                return query.render(self.state["Arguments"], self.states_binding(), self.variables)
            return self.raw_input
        filtered = self.filtered_input()
        if "Parameters" in self.state and self.kind != "Map":  # Map's Parameters is per item
            return payloads.render(self.state["Parameters"], self.scope(filtered), "Parameters")
        return filtered

    def value(self, field: str, default: Any = None) -> Any:
        """A field that may be a JSONata expression (Seconds, TimeoutSeconds, Error, ...)."""
        raw = self.state.get(field, default)
        if self.jsonata:
            return query.render(raw, self.states_binding(), self.variables)
        return raw

    def value_of(self, template: Any) -> Any:
        """A JSONata-era template given apart from the state's own fields (an ItemReader's
        Arguments, a ReaderConfig's MaxItems): `{% %}` strings evaluated, the rest copied."""
        return query.render(template, self.states_binding(), self.variables)

    def path_value(self, field: str) -> Any:
        """A JSONPath `...Path` field's value, read from the effective input (filtered)."""
        try:
            return self.scope(self.filtered_input()).read(self.state[field])
        except LookupError as exc:
            raise StatesFailure(
                RUNTIME, f"Invalid path '{self.state[field]}' for the field '{field}': {exc}"
            ) from exc

    def finish(self, result: Any) -> Outcome:
        """The state's output and assignments, given its result (its input when it has none)."""
        if self.jsonata:
            binding = (
                self.states_binding(result=result)
                if self.kind in _HAS_RESULT
                else self.states_binding()
            )
            assigned = self._assign_jsonata(self.state.get("Assign"), binding)
            default = result if self.kind in _HAS_RESULT else self.raw_input
            output = (
                query.render(self.state["Output"], binding, self.variables)
                if "Output" in self.state
                else default
            )
            return Outcome(output, assigned)
        if self.kind in _HAS_RESULT and "ResultSelector" in self.state:
            result = payloads.render(
                self.state["ResultSelector"], self.scope(result), "ResultSelector"
            )
        if self.kind in ("Choice", "Wait", "Succeed"):
            assigned = self._assign_jsonpath(self.state.get("Assign"), result)
            return Outcome(self._output_path(result), assigned)
        assigned = self._assign_jsonpath(self.state.get("Assign"), result)
        placed = payloads.apply_result_path(
            self.state.get("ResultPath", "$"), self.raw_input, result
        )
        return Outcome(self._output_path(placed), assigned)

    def caught(self, catcher: Mapping[str, Any], error: str, cause: str) -> Outcome:
        """The output when `catcher` catches the error: the error output placed or shaped."""
        error_output = {"Error": error, "Cause": cause}
        if self.jsonata:
            binding = self.states_binding(errorOutput=error_output)
            assigned = self._assign_jsonata(catcher.get("Assign"), binding)
            output = (
                query.render(catcher["Output"], binding, self.variables)
                if "Output" in catcher
                else error_output
            )
            return Outcome(output, assigned)
        assigned = self._assign_jsonpath(catcher.get("Assign"), error_output)
        placed = payloads.apply_result_path(
            catcher.get("ResultPath", "$"), self.raw_input, error_output
        )
        return Outcome(placed, assigned)

    def choice_rule_outcome(self, rule: Mapping[str, Any]) -> Outcome:
        """JSONata choice rules may carry their own Output and Assign; JSONPath ones Assign."""
        if self.jsonata:
            binding = self.states_binding()
            assigned = self._assign_jsonata(rule.get("Assign", self.state.get("Assign")), binding)
            template = rule.get("Output", self.state.get("Output"))
            output = (
                query.render(template, binding, self.variables)
                if template is not None
                else self.raw_input
            )
            return Outcome(output, assigned)
        filtered = self.filtered_input()
        assigned = self._assign_jsonpath(rule.get("Assign", self.state.get("Assign")), filtered)
        return Outcome(self._output_path(filtered), assigned)

    def _output_path(self, value: Any) -> Any:
        return payloads.apply_output_path(
            self.state.get("OutputPath", "$"), value, self.scope(value)
        )

    def _assign_jsonpath(self, template: Any, data: Any) -> dict[str, Any]:
        if template is None:
            return {}
        rendered = payloads.render(template, self.scope(data), "Assign")
        return dict(rendered) if isinstance(rendered, dict) else {}

    def _assign_jsonata(self, template: Any, binding: Mapping[str, Any]) -> dict[str, Any]:
        if template is None:
            return {}
        rendered = query.render(template, binding, self.variables)
        return dict(rendered) if isinstance(rendered, dict) else {}


def map_items(flow: Flow) -> list[Any]:
    """The array a Map state iterates over: ItemsPath (JSONPath) or Items (JSONata)."""
    if flow.jsonata:
        items = (
            flow.value("Items", "{% $states.input %}") if "Items" in flow.state else flow.raw_input
        )
    else:
        filtered = flow.filtered_input()
        items = payloads.apply_input_path(
            flow.state.get("ItemsPath", "$"), flow.scope(filtered), "ItemsPath"
        )
    if not isinstance(items, list):
        raise StatesFailure(
            RUNTIME, f"The Map state's items must be an array, not {type(items).__name__}"
        )
    return items


def map_item_input(flow: Flow, item: Any, index: int) -> Any:
    """One iteration's input: the item, or ItemSelector (Parameters) rendered for it."""
    context = {**flow.context, "Map": {"Item": {"Index": index, "Value": item}}}
    if flow.jsonata:
        if "ItemSelector" not in flow.state:
            return copy.deepcopy(item)
        return query.render(
            flow.state["ItemSelector"],
            {"input": flow.raw_input, "context": context},
            flow.variables,
        )
    template = flow.state.get("ItemSelector", flow.state.get("Parameters"))
    if template is None:
        return copy.deepcopy(item)
    scope = payloads.Scope(flow.filtered_input(), context, flow.variables)
    return payloads.render(template, scope, "ItemSelector")
