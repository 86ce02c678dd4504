"""JSONPath states' data flow: paths, payload templates and the effective input and output.

    state input -> InputPath -> Parameters -> (the state's work) -> ResultSelector
                -> ResultPath (into the state input) -> OutputPath -> state output

A payload template (Parameters, ResultSelector, ItemSelector) is JSON whose keys ending in
`.$` take their value from a path (`$.a` the input, `$$.Execution.Id` the context object,
`$name.x` a variable) or an intrinsic function; other values are copied. A path that
matches nothing in a template, or in InputPath/OutputPath, is States.Runtime ("The JSONPath
'$.x' specified for the field 'x.$' could not be found in the input '{...}'"): AWS documents
States.ParameterPathFailure for templates, but its service raises States.Runtime with that
message, which States.ALL does not catch, and we follow the service. A ResultPath that cannot
be applied is States.ResultPathMatchFailure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stratus.workflows import intrinsics, jsonpath
from stratus.workflows.failure import (
    RESULT_PATH_MATCH_FAILURE,
    RUNTIME,
    StatesFailure,
)

_VARIABLE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True, slots=True)
class Scope:
    """What paths can read: the effective input, the context object and the variables."""

    input: Any
    context: Mapping[str, Any] = field(default_factory=dict)
    variables: Mapping[str, Any] = field(default_factory=dict)

    def read(self, text: str) -> Any:
        """The value `text` names; raises jsonpath.PathNotFound or PathError."""
        if text == "$":  # the default of every path field: no parsing, no walking
            return self.input
        if text.startswith("$$"):
            return jsonpath.select(text[1:], self.context)
        match = _VARIABLE.match(text)
        if match:
            name = match.group(1)
            if name not in self.variables:
                raise jsonpath.PathNotFound(f"The variable ${name} is not defined")
            return jsonpath.select("$" + text[match.end() :], self.variables[name])
        return jsonpath.select(text, self.input)


def apply_input_path(path: str | None, scope: Scope, field_name: str = "InputPath") -> Any:
    """InputPath (or ItemsPath) over `scope.input`: null gives {}; absent is `$`."""
    if path is None:
        return {}
    return _read(scope, path, field_name, RUNTIME)


def apply_output_path(path: str | None, output: Any, scope: Scope) -> Any:
    if path is None:
        return {}
    return _read(Scope(output, scope.context, scope.variables), path, "OutputPath", RUNTIME)


def apply_result_path(path: str | None, state_input: Any, result: Any) -> Any:
    """ResultPath: null discards the result; `$` replaces the input; else it is placed."""
    if path is None:
        return state_input
    try:
        return jsonpath.set_reference(path, state_input, result)
    except (jsonpath.PathNotFound, jsonpath.PathError) as exc:
        raise StatesFailure(
            RESULT_PATH_MATCH_FAILURE,
            f'Unable to apply ResultPath "{path}" to input {_show(state_input)}: {exc}',
        ) from exc


def render(template: Any, scope: Scope, field_name: str = "Parameters") -> Any:
    """The payload a template makes in this scope."""
    if isinstance(template, dict):
        out: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$"):
                out[key[:-2]] = _dynamic(key, value, scope, field_name)
            else:
                out[key] = render(value, scope, field_name)
        return out
    if isinstance(template, list):
        return [render(item, scope, field_name) for item in template]
    return template


def _dynamic(key: str, text: Any, scope: Scope, field_name: str) -> Any:
    if not isinstance(text, str):
        raise StatesFailure(
            RUNTIME,
            f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic "
            "function call",
        )
    if intrinsics.looks_intrinsic(text):
        try:
            return intrinsics.evaluate(
                text, lambda path: _read(scope, path, field_name, RUNTIME, key)
            )
        except StatesFailure:
            raise
        except (ValueError, TypeError, LookupError) as exc:
            raise intrinsics.failure_of(exc) from exc
    return _read(scope, text, field_name, RUNTIME, key)


def _read(scope: Scope, text: str, field_name: str, error: str, key: str | None = None) -> Any:
    try:
        return scope.read(text)
    except (jsonpath.PathNotFound, jsonpath.PathError) as exc:
        where = f"the field '{key}'" if key else field_name
        source = "the context object" if text.startswith("$$") else "the input"
        raise StatesFailure(
            error,
            f"The JSONPath '{text}' specified for {where} could not be found in {source} "
            f"'{_show(scope.context if text.startswith('$$') else scope.input)}'",
        ) from exc


def _show(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
