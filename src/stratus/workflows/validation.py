"""ValidateStateMachineDefinition: every problem of a definition, as AWS's diagnostics.

Each `Diagnostic` has AWS's severity (ERROR, WARNING), code (SCHEMA_VALIDATION_FAILED,
MISSING_TRANSITION_TARGET, MISSING_END_STATE, INVALID_RESOURCE, DUPLICATE_STATE_NAME,
INVALID_STATE_NAME, INVALID_JSON_DESCRIPTION, MISSING_DESCRIPTION, TOO_DEEPLY_NESTED; the
warnings NO_DOLLAR and PASS_RESULT_IS_STATIC), message and location, a JSON-pointer-like
path into the definition (`/States/Check/Next`). Errors are collected, not stopped at, so
one call reports them all; an ERROR means CreateStateMachine refuses the definition.

The rules are AWS's documented ones: fields each state type accepts in each query
language, Next xor End, targets that exist, reachable states, a terminal state, paths and
intrinsic calls that parse, well-formed Retry/Catch (States.ALL alone and last), Wait's one
duration field, Fail's Error/ErrorPath and Cause/CausePath pairs, Map and Parallel bodies
validated as machines of their own.

Long (about 800 lines) and kept whole: it is the language's rule set read top to bottom,
each check a few lines sharing the checker's location bookkeeping.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stratus.workflows import choice, integrations, intrinsics, items, jsonpath, query
from stratus.workflows.failure import ALL

MAX_STATE_NAME = 80
MAX_NESTING = 32  # levels of Parallel/Map; deeper is TOO_DEEPLY_NESTED
MAX_DEFINITION_BYTES = 1024 * 1024

_COMMON = {"Type", "Comment", "QueryLanguage", "Assign"}
_FLOW = {"Next", "End"}
_IO = {"InputPath", "OutputPath"}
_JSONPATH_ONLY = {
    "InputPath",
    "OutputPath",
    "Parameters",
    "ResultSelector",
    "ResultPath",
    "ItemsPath",
}
_ERRORS = {"Retry", "Catch"}
_TASK_TIMING = {"TimeoutSeconds", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath"}
_MAP_COMMON = {
    "ItemProcessor",
    "Iterator",
    "ItemSelector",
    "ItemReader",
    "ItemBatcher",
    "ResultWriter",
    "MaxConcurrency",
    "MaxConcurrencyPath",
    "ToleratedFailurePercentage",
    "ToleratedFailurePercentagePath",
    "ToleratedFailureCount",
    "ToleratedFailureCountPath",
    "Label",
}

# Fields each type accepts: (JSONPath, JSONata). Choice's and Fail's JSONata forms swap
# paths for expressions; Parameters becomes Arguments, the *Path fields go away.
FIELDS: dict[str, tuple[set[str], set[str]]] = {
    "Pass": (
        _COMMON | _FLOW | _IO | {"Parameters", "ResultPath", "Result"},
        _COMMON | _FLOW | {"Output"},
    ),
    "Task": (
        _COMMON
        | _FLOW
        | _IO
        | _ERRORS
        | _TASK_TIMING
        | {"Resource", "Parameters", "ResultSelector", "ResultPath", "Credentials"},
        _COMMON
        | _FLOW
        | _ERRORS
        | {"Resource", "Arguments", "Output", "TimeoutSeconds", "HeartbeatSeconds", "Credentials"},
    ),
    "Choice": (_COMMON | _IO | {"Choices", "Default"}, _COMMON | {"Choices", "Default", "Output"}),
    "Wait": (
        _COMMON | _FLOW | _IO | {"Seconds", "Timestamp", "SecondsPath", "TimestampPath"},
        _COMMON | _FLOW | {"Seconds", "Timestamp", "Output"},
    ),
    "Succeed": (_COMMON - {"Assign"} | _IO, _COMMON - {"Assign"} | {"Output"}),
    "Fail": (
        _COMMON - {"Assign"} | {"Error", "ErrorPath", "Cause", "CausePath"},
        _COMMON - {"Assign"} | {"Error", "Cause"},
    ),
    "Parallel": (
        _COMMON
        | _FLOW
        | _IO
        | _ERRORS
        | {"Branches", "Parameters", "ResultSelector", "ResultPath"},
        _COMMON | _FLOW | _ERRORS | {"Branches", "Arguments", "Output"},
    ),
    "Map": (
        _COMMON
        | _FLOW
        | _IO
        | _ERRORS
        | _MAP_COMMON
        | {"ItemsPath", "Parameters", "ResultSelector", "ResultPath"},
        _COMMON
        | _FLOW
        | _ERRORS
        | (
            _MAP_COMMON
            - {
                "MaxConcurrencyPath",
                "ToleratedFailurePercentagePath",
                "ToleratedFailureCountPath",
                "Iterator",
            }
        )
        | {"Items", "Output"},
    ),
}
_BAD_LABEL = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")
_NEEDS_TRANSITION = {"Pass", "Task", "Wait", "Parallel", "Map"}
_STATE_NAME = re.compile(r"[^\x00-\x1f\x7f-\x9f]+")  # control characters are not allowed
_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d*:.+|arn:aws[a-z-]*:states:::.+")


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: str  # ERROR | WARNING
    code: str
    message: str
    location: str | None = None

    def text(self) -> str:
        return f"{self.code}: {self.message}" + (f" at {self.location}" if self.location else "")

    def to_wire(self) -> dict[str, str]:
        out = {"severity": self.severity, "code": self.code, "message": self.message}
        if self.location is not None:
            out["location"] = self.location
        return out


def diagnose(text: str | None, kind: str = "STANDARD") -> list[Diagnostic]:
    """Every diagnostic for a definition's text (empty when it is valid), for a machine of
    type `kind` (EXPRESS machines refuse .sync, .waitForTaskToken and activities)."""
    if text is None or not text.strip():
        return [Diagnostic("ERROR", "MISSING_DESCRIPTION", "The definition is empty")]
    if len(text.encode()) > MAX_DEFINITION_BYTES:
        return [
            Diagnostic(
                "ERROR",
                "SCHEMA_VALIDATION_FAILED",
                "The definition exceeds the maximum size of 1 MB",
            )
        ]
    try:
        document = json.loads(text, object_pairs_hook=_pairs)
    except _DuplicateKey as exc:
        return [
            Diagnostic("ERROR", "DUPLICATE_STATE_NAME", f"Duplicate key '{exc.key}'", exc.location)
        ]
    except json.JSONDecodeError as exc:
        return [
            Diagnostic(
                "ERROR",
                "INVALID_JSON_DESCRIPTION",
                f"{exc.msg} at line {exc.lineno}, column {exc.colno}",
            )
        ]
    checker = _Checker(express=kind == "EXPRESS")
    checker.machine(document, "", "JSONPath", depth=1)
    return checker.found


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key, self.location = key, None


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


class _Checker:
    def __init__(self, express: bool = False) -> None:
        self.found: list[Diagnostic] = []
        self.express = express

    def error(self, code: str, message: str, location: str) -> None:
        self.found.append(Diagnostic("ERROR", code, message, location or "/"))

    def schema(self, message: str, location: str) -> None:
        self.error("SCHEMA_VALIDATION_FAILED", message, location)

    def warn(self, code: str, message: str, location: str) -> None:
        self.found.append(Diagnostic("WARNING", code, message, location))

    def machine(self, document: Any, at: str, inherited: str, depth: int) -> None:
        if depth > MAX_NESTING:
            self.error(
                "TOO_DEEPLY_NESTED",
                f"Parallel and Map states nest more than {MAX_NESTING} levels",
                at,
            )
            return
        if not isinstance(document, dict):
            self.schema("The definition must be a JSON object", at)
            return
        allowed = {"Comment", "StartAt", "States", "TimeoutSeconds", "Version", "QueryLanguage"}
        if at:  # branches and processors: no TimeoutSeconds/Version, but ProcessorConfig
            allowed = {"Comment", "StartAt", "States", "QueryLanguage", "ProcessorConfig"}
        for key in document:
            if key not in allowed:
                self.schema(f"The field '{key}' is not supported by Step Functions", f"{at}/{key}")
        missing = [k for k in ("StartAt", "States") if k not in document]
        if missing:
            self.schema(f"These fields are required: [{', '.join(missing)}]", at)
            return
        language = document.get("QueryLanguage", inherited)
        if language not in ("JSONPath", "JSONata"):
            self.schema(
                "The value for the field 'QueryLanguage' must be one of [JSONPath, JSONata]",
                f"{at}/QueryLanguage",
            )
            language = inherited
        elif inherited == "JSONata" and language == "JSONPath" and at:
            self.schema(
                "A JSONPath branch cannot be nested in a JSONata state", f"{at}/QueryLanguage"
            )
        if "TimeoutSeconds" in document and not _positive_int(document["TimeoutSeconds"]):
            self.schema(
                "The value for the field 'TimeoutSeconds' must be a positive integer",
                f"{at}/TimeoutSeconds",
            )
        states = document["States"]
        if not isinstance(states, dict) or not states:
            self.schema("The field 'States' must be a non-empty object", f"{at}/States")
            return
        start = document["StartAt"]
        if not isinstance(start, str) or start not in states:
            self.error(
                "MISSING_TRANSITION_TARGET", f"Missing 'StartAt' target: {start}", f"{at}/StartAt"
            )
        for name, state in states.items():
            self.state(name, state, f"{at}/States/{name}", language, depth)
        self.graph(states, start, at)

    def graph(self, states: Mapping[str, Any], start: Any, at: str) -> None:
        for name, state in states.items():
            if isinstance(state, dict):
                for field, target in _located_targets(state):
                    if target not in states:
                        self.error(
                            "MISSING_TRANSITION_TARGET",
                            f"Missing 'Next' target: {target}",
                            f"{at}/States/{name}/{field}",
                        )
        edges = {name: _targets(state) for name, state in states.items() if isinstance(state, dict)}
        terminal = [n for n, s in states.items() if isinstance(s, dict) and _is_terminal(s)]
        if not terminal:
            self.error("MISSING_END_STATE", "Workflow has no terminal state", at or "/")
        if not isinstance(start, str) or start not in states:
            return
        seen, todo = set(), [start]
        while todo:
            name = todo.pop()
            if name in seen or name not in edges:
                continue
            seen.add(name)
            todo.extend(edges[name])
        for name in states:
            if name not in seen:
                self.error(
                    "UNREACHABLE_STATE", f"State '{name}' is not reachable", f"{at}/States/{name}"
                )

    def state(self, name: str, state: Any, at: str, inherited: str, depth: int) -> None:
        if len(name) > MAX_STATE_NAME or not _STATE_NAME.fullmatch(name):
            self.error(
                "INVALID_STATE_NAME",
                f"The state name '{name}' must be 1 to {MAX_STATE_NAME} characters, without "
                "control characters",
                at,
            )
        if not isinstance(state, dict):
            self.schema("A state must be a JSON object", at)
            return
        kind = state.get("Type")
        if kind not in FIELDS:
            self.schema(
                f"The value for the field 'Type' must be one of [{', '.join(FIELDS)}]", f"{at}/Type"
            )
            return
        language = state.get("QueryLanguage", inherited)
        if language not in ("JSONPath", "JSONata"):
            self.schema(
                "The value for the field 'QueryLanguage' must be one of [JSONPath, JSONata]",
                f"{at}/QueryLanguage",
            )
            return
        if inherited == "JSONata" and language == "JSONPath":
            self.schema(
                "A state cannot use JSONPath when its state machine uses JSONata",
                f"{at}/QueryLanguage",
            )
        jsonpath_fields, jsonata_fields = FIELDS[kind]
        allowed = jsonpath_fields if language == "JSONPath" else jsonata_fields
        for key in state:
            if key not in allowed:
                if language == "JSONata" and key in _JSONPATH_ONLY | {
                    "Parameters",
                    "TimeoutSecondsPath",
                    "HeartbeatSecondsPath",
                }:
                    self.schema(
                        f"The field '{key}' is not supported for states using JSONata; use "
                        "Arguments, Output or Assign",
                        f"{at}/{key}",
                    )
                else:
                    self.schema(
                        f"The field '{key}' is not supported by Step Functions", f"{at}/{key}"
                    )
        if kind in _NEEDS_TRANSITION:
            self.transition(state, at)
        if "Next" in state and not isinstance(state["Next"], str):
            self.schema("The value for the field 'Next' must be a string", f"{at}/Next")
        if "End" in state and state["End"] is not True:
            self.schema("The value for the field 'End' must be true", f"{at}/End")
        if language == "JSONPath":
            self.paths(state, at, kind)
        else:
            self.expressions(state, at)
        getattr(self, f"check_{kind.lower()}")(state, at, language, depth)
        for index, retrier in enumerate(
            state.get("Retry", []) if isinstance(state.get("Retry", []), list) else []
        ):
            self.retrier(retrier, f"{at}/Retry[{index}]")
        if "Retry" in state and not isinstance(state["Retry"], list):
            self.schema("The field 'Retry' must be an array", f"{at}/Retry")
        catches = state.get("Catch", [])
        if not isinstance(catches, list):
            self.schema("The field 'Catch' must be an array", f"{at}/Catch")
            catches = []
        for index, catcher in enumerate(catches):
            self.catcher(catcher, f"{at}/Catch[{index}]", language)

    def transition(self, state: Mapping[str, Any], at: str) -> None:
        if "Next" in state and "End" in state:
            self.schema("Only one of 'Next' or 'End' may be set", at)
        elif "Next" not in state and "End" not in state:
            self.schema("These fields are required: [Next | End]", at)

    def paths(self, state: Mapping[str, Any], at: str, kind: str) -> None:
        for key in ("InputPath", "OutputPath", "ItemsPath"):
            if key in state and state[key] is not None and not _path_ok(state[key]):
                self.schema(
                    f"The value for the field '{key}' must be a valid JSONPath", f"{at}/{key}"
                )
        if (
            "ResultPath" in state
            and state["ResultPath"] is not None
            and not (
                isinstance(state["ResultPath"], str)
                and jsonpath.is_reference_path(state["ResultPath"])
            )
        ):
            self.schema(
                "The value for the field 'ResultPath' must be a valid ReferencePath",
                f"{at}/ResultPath",
            )
        for key in ("Parameters", "ResultSelector", "ItemSelector"):
            if key in state:
                self.template(state[key], f"{at}/{key}")
        for key in (
            "SecondsPath",
            "TimestampPath",
            "TimeoutSecondsPath",
            "HeartbeatSecondsPath",
            "ErrorPath",
            "CausePath",
            "MaxConcurrencyPath",
            "ToleratedFailurePercentagePath",
            "ToleratedFailureCountPath",
        ):
            if key in state and not _path_ok(state[key]):
                self.schema(
                    f"The value for the field '{key}' must be a valid ReferencePath", f"{at}/{key}"
                )
        if kind == "Pass" and isinstance(state.get("Result"), dict):
            for key in state["Result"]:
                if key.endswith(".$"):
                    self.warn(
                        "PASS_RESULT_IS_STATIC",
                        "The Result of a Pass state is static: paths in it are not evaluated",
                        f"{at}/Result/{key}",
                    )

    def template(self, template: Any, at: str) -> None:
        if isinstance(template, dict):
            for key, value in template.items():
                where = f"{at}/{key}"
                if key.endswith(".$"):
                    if not isinstance(value, str) or not (_path_ok(value) or _intrinsic_ok(value)):
                        self.schema(
                            f"The value for the field '{key}' must be a valid JSONPath or a "
                            "valid intrinsic function call",
                            where,
                        )
                else:
                    if isinstance(value, str) and (
                        value.startswith("$.") or value.startswith("States.")
                    ):
                        self.warn(
                            "NO_DOLLAR",
                            f"The field '{key}' looks like a path or an intrinsic function but "
                            "its name does not end in '.$'",
                            where,
                        )
                    self.template(value, where)
        elif isinstance(template, list):
            for index, item in enumerate(template):
                self.template(item, f"{at}[{index}]")

    def expressions(self, value: Any, at: str) -> None:
        if query.is_expression(value):
            problem = query.syntax_error(value)
            if problem:
                self.schema(problem, at)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key in ("Branches", "ItemProcessor", "Iterator", "Retry", "Catch", "Choices"):
                    continue  # checked by their own rules
                self.expressions(item, f"{at}/{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                self.expressions(item, f"{at}[{index}]")

    def retrier(self, retrier: Any, at: str) -> None:
        if not isinstance(retrier, dict):
            self.schema("A retrier must be an object", at)
            return
        for key in retrier:
            if key not in {
                "ErrorEquals",
                "IntervalSeconds",
                "MaxAttempts",
                "BackoffRate",
                "MaxDelaySeconds",
                "JitterStrategy",
                "Comment",
            }:
                self.schema(f"The field '{key}' is not supported by Step Functions", f"{at}/{key}")
        self.error_equals(retrier, at)
        if "IntervalSeconds" in retrier and not _positive_int(retrier["IntervalSeconds"]):
            self.schema(
                "The value for the field 'IntervalSeconds' must be a positive integer",
                f"{at}/IntervalSeconds",
            )
        if "MaxAttempts" in retrier and not (
            _int(retrier["MaxAttempts"]) and retrier["MaxAttempts"] >= 0
        ):
            self.schema(
                "The value for the field 'MaxAttempts' must be a non-negative integer",
                f"{at}/MaxAttempts",
            )
        if "BackoffRate" in retrier and not (
            _number(retrier["BackoffRate"]) and retrier["BackoffRate"] >= 1.0
        ):
            self.schema(
                "The value for the field 'BackoffRate' must be a number at least 1.0",
                f"{at}/BackoffRate",
            )
        if "MaxDelaySeconds" in retrier and not _positive_int(retrier["MaxDelaySeconds"]):
            self.schema(
                "The value for the field 'MaxDelaySeconds' must be a positive integer",
                f"{at}/MaxDelaySeconds",
            )
        if retrier.get("JitterStrategy", "NONE") not in ("FULL", "NONE"):
            self.schema(
                "The value for the field 'JitterStrategy' must be one of [FULL, NONE]",
                f"{at}/JitterStrategy",
            )

    def catcher(self, catcher: Any, at: str, language: str) -> None:
        if not isinstance(catcher, dict):
            self.schema("A catcher must be an object", at)
            return
        allowed = {"ErrorEquals", "Next", "Comment", "Assign"} | (
            {"ResultPath"} if language == "JSONPath" else {"Output"}
        )
        for key in catcher:
            if key not in allowed:
                self.schema(f"The field '{key}' is not supported by Step Functions", f"{at}/{key}")
        self.error_equals(catcher, at)
        if not isinstance(catcher.get("Next"), str):
            self.schema("These fields are required: [Next]", at)
        rp = catcher.get("ResultPath", "$")
        if rp is not None and not (isinstance(rp, str) and jsonpath.is_reference_path(rp)):
            self.schema(
                "The value for the field 'ResultPath' must be a valid ReferencePath",
                f"{at}/ResultPath",
            )

    def error_equals(self, rule: Mapping[str, Any], at: str) -> None:
        names = rule.get("ErrorEquals")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            self.schema(
                "The field 'ErrorEquals' must be a non-empty array of strings", f"{at}/ErrorEquals"
            )
            return
        if ALL in names and len(names) > 1:
            self.schema("States.ALL must appear alone in ErrorEquals", f"{at}/ErrorEquals")

    def check_pass(self, state: Mapping[str, Any], at: str, language: str, depth: int) -> None:
        pass

    def check_succeed(self, state: Mapping[str, Any], at: str, language: str, depth: int) -> None:
        pass

    def check_task(self, state: Mapping[str, Any], at: str, language: str, depth: int) -> None:
        resource = state.get("Resource")
        if not isinstance(resource, str):
            self.schema("These fields are required: [Resource]", at)
        elif not _ARN.fullmatch(resource):
            self.error("INVALID_RESOURCE", f"Invalid resource: {resource}", f"{at}/Resource")
        elif found := integrations.problem(
            resource,
            state.get("Arguments" if language == "JSONata" else "Parameters"),
            "Arguments" if language == "JSONata" else "Parameters",
        ):
            message, field = found
            self.schema(message, f"{at}/{field}")
        elif self.express and (
            re.search(r"\.(sync(:\d+)?|waitForTaskToken)$", resource) or ":activity:" in resource
        ):
            self.schema(
                f"Express state machines do not support the resource {resource}: .sync, "
                ".waitForTaskToken and activities need a STANDARD state machine",
                f"{at}/Resource",
            )
        for key in ("TimeoutSeconds", "HeartbeatSeconds"):
            if key in state and f"{key}Path" in state:
                self.schema(f"Only one of '{key}' or '{key}Path' may be set", at)
            value = state.get(key)
            if value is not None and not query.is_expression(value) and not _positive_int(value):
                self.schema(
                    f"The value for the field '{key}' must be a positive integer", f"{at}/{key}"
                )
        timeout, heartbeat = (
            state.get("TimeoutSeconds", 60 * 60 * 24 * 365),
            state.get("HeartbeatSeconds"),
        )
        if _int(timeout) and _int(heartbeat) and heartbeat >= timeout:
            self.schema(
                "The value for the field 'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'",
                f"{at}/HeartbeatSeconds",
            )

    def check_choice(self, state: Mapping[str, Any], at: str, language: str, depth: int) -> None:
        rules = state.get("Choices")
        if not isinstance(rules, list) or not rules:
            self.schema("The field 'Choices' must be a non-empty array", f"{at}/Choices")
            return
        for index, rule in enumerate(rules):
            where = f"{at}/Choices[{index}]"
            if not isinstance(rule, dict):
                self.schema("A choice rule must be an object", where)
                continue
            if not isinstance(rule.get("Next"), str):
                self.schema("These fields are required: [Next]", where)
            if language == "JSONata":
                for key in rule:
                    if key not in ("Condition", "Next", "Comment", "Assign", "Output"):
                        self.schema(
                            f"The field '{key}' is not supported for choice rules using JSONata",
                            f"{where}/{key}",
                        )
                condition = rule.get("Condition")
                if not query.is_expression(condition) and not isinstance(condition, bool):
                    self.schema(
                        "The field 'Condition' must be a JSONata expression {% ... %} or a boolean",
                        where,
                    )
                else:
                    self.expressions(condition, f"{where}/Condition")
            else:
                self.rule(rule, where, top=True)

    def rule(self, rule: Any, at: str, top: bool) -> None:
        if not isinstance(rule, dict):
            self.schema("A choice rule must be an object", at)
            return
        extra = {"Next", "Comment", "Assign"} if top else {"Comment"}
        for combinator in ("And", "Or"):
            if combinator in rule:
                if not isinstance(rule[combinator], list) or not rule[combinator]:
                    self.schema(
                        f"The field '{combinator}' must be a non-empty array", f"{at}/{combinator}"
                    )
                    return
                for index, sub in enumerate(rule[combinator]):
                    self.rule(sub, f"{at}/{combinator}[{index}]", top=False)
                self.only(rule, {combinator} | extra, at)
                return
        if "Not" in rule:
            self.rule(rule["Not"], f"{at}/Not", top=False)
            self.only(rule, {"Not"} | extra, at)
            return
        operator = choice.operator_of(rule)
        if operator is None:
            self.schema("A choice rule must have exactly one comparison operator", at)
            return
        self.only(rule, {"Variable", operator} | extra, at)
        variable = rule.get("Variable")
        if not _reference_ok(variable):
            self.schema(
                f"Value is not a Reference Path: {variable!r} must name one value ($.a.b, "
                "$$.Execution.Name or $variable)",
                f"{at}/Variable",
            )
        operand = rule[operator]
        if operator.endswith("Path"):
            ok = _reference_ok(operand)
        elif operator in choice.TYPE_TESTS or operator.startswith("Boolean"):
            ok = isinstance(operand, bool)
        elif operator.startswith("Numeric"):
            ok = _number(operand)
        elif operator.startswith("Timestamp"):
            ok = choice.parse_timestamp(operand) is not None
        else:
            ok = isinstance(operand, str)
        if not ok:
            self.schema(f"The value for the field '{operator}' is not valid", f"{at}/{operator}")

    def only(self, rule: Mapping[str, Any], allowed: set[str], at: str) -> None:
        for key in rule:
            if key not in allowed:
                self.schema(f"The field '{key}' is not supported by Step Functions", f"{at}/{key}")

    def check_wait(self, state: Mapping[str, Any], at: str, language: str, depth: int) -> None:
        given = [k for k in ("Seconds", "Timestamp", "SecondsPath", "TimestampPath") if k in state]
        if len(given) != 1:
            self.schema(
                "Exactly one of 'Seconds', 'Timestamp', 'SecondsPath' or 'TimestampPath' must "
                "be set",
                at,
            )
            return
        value = state[given[0]]
        if query.is_expression(value):
            return
        if given[0] == "Seconds" and not (_int(value) and value >= 0):
            self.schema(
                "The value for the field 'Seconds' must be a non-negative integer", f"{at}/Seconds"
            )
        if given[0] == "Timestamp" and choice.parse_timestamp(value) is None:
            self.schema(
                "The value for the field 'Timestamp' must be an ISO-8601 timestamp",
                f"{at}/Timestamp",
            )

    def check_fail(self, state: Mapping[str, Any], at: str, language: str, depth: int) -> None:
        for key in ("Error", "Cause"):
            if key in state and f"{key}Path" in state:
                self.schema(f"Only one of '{key}' or '{key}Path' may be set", at)
            if key in state and not isinstance(state[key], str):
                self.schema(f"The value for the field '{key}' must be a string", f"{at}/{key}")

    def check_parallel(self, state: Mapping[str, Any], at: str, language: str, depth: int) -> None:
        branches = state.get("Branches")
        if not isinstance(branches, list) or not branches:
            self.schema("The field 'Branches' must be a non-empty array", f"{at}/Branches")
            return
        for index, branch in enumerate(branches):
            self.machine(branch, f"{at}/Branches[{index}]", language, depth + 1)

    def check_map(self, state: Mapping[str, Any], at: str, language: str, depth: int) -> None:
        key = "ItemProcessor" if "ItemProcessor" in state else "Iterator"
        if key not in state:
            self.schema("These fields are required: [ItemProcessor]", at)
        else:
            self.machine(state[key], f"{at}/{key}", language, depth + 1)
        if "ItemProcessor" in state and "Iterator" in state:
            self.schema("Only one of 'ItemProcessor' or 'Iterator' may be set", at)
        if "Parameters" in state and "ItemSelector" in state:
            self.schema("Only one of 'Parameters' or 'ItemSelector' may be set", at)
        concurrency = state.get("MaxConcurrency")
        if (
            concurrency is not None
            and not query.is_expression(concurrency)
            and not (_int(concurrency) and concurrency >= 0)
        ):
            self.schema(
                "The value for the field 'MaxConcurrency' must be a non-negative integer",
                f"{at}/MaxConcurrency",
            )
        percent = state.get("ToleratedFailurePercentage")
        if (
            percent is not None
            and not query.is_expression(percent)
            and not (_number(percent) and 0 <= percent <= 100)
        ):
            self.schema(
                "The value for the field 'ToleratedFailurePercentage' must be between 0 and 100",
                f"{at}/ToleratedFailurePercentage",
            )
        count = state.get("ToleratedFailureCount")
        if (
            count is not None
            and not query.is_expression(count)
            and not (_int(count) and count >= 0)
        ):
            self.schema(
                "The value for the field 'ToleratedFailureCount' must be a non-negative integer",
                f"{at}/ToleratedFailureCount",
            )
        self.map_mode(state, at, language)

    def map_mode(self, state: Mapping[str, Any], at: str, language: str) -> None:
        """ProcessorConfig, and the fields only a DISTRIBUTED Map takes (ItemReader,
        ItemBatcher, ResultWriter, Label), each checked as AWS documents it."""
        processor = state.get("ItemProcessor")
        config = processor.get("ProcessorConfig") if isinstance(processor, dict) else None
        where = f"{at}/ItemProcessor/ProcessorConfig"
        mode = "INLINE"
        if config is not None:
            if not isinstance(config, dict):
                self.schema("The field 'ProcessorConfig' must be an object", where)
                return
            self.only(config, {"Mode", "ExecutionType"}, where)
            mode = config.get("Mode", "INLINE")
            if mode not in ("INLINE", "DISTRIBUTED"):
                self.schema(
                    "The value for the field 'Mode' must be one of [INLINE, DISTRIBUTED]",
                    f"{where}/Mode",
                )
            kind = config.get("ExecutionType")
            if mode == "DISTRIBUTED" and kind not in ("STANDARD", "EXPRESS"):
                self.schema(
                    "The value for the field 'ExecutionType' must be one of [STANDARD, EXPRESS]",
                    f"{where}/ExecutionType",
                )
            elif mode != "DISTRIBUTED" and kind is not None:
                self.schema(
                    "The field 'ExecutionType' is only supported in DISTRIBUTED mode",
                    f"{where}/ExecutionType",
                )
        if mode != "DISTRIBUTED":
            for key in ("ItemReader", "ItemBatcher", "ResultWriter", "Label"):
                if key in state:
                    self.schema(
                        f"The field '{key}' is only supported for Map states in DISTRIBUTED mode",
                        f"{at}/{key}",
                    )
            return
        if self.express:
            self.schema(
                "Express state machines do not support a Map state in DISTRIBUTED mode",
                f"{at}/ItemProcessor/ProcessorConfig/Mode",
            )
        arguments = "Arguments" if language == "JSONata" else "Parameters"
        reader = state.get("ItemReader")
        if reader is not None:
            self.item_reader(reader, f"{at}/ItemReader", arguments)
        batcher = state.get("ItemBatcher")
        if batcher is not None:
            limits = {"MaxItemsPerBatch", "MaxInputBytesPerBatch"}
            if language != "JSONata":
                limits |= {"MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"}
            if not isinstance(batcher, dict):
                self.schema("The field 'ItemBatcher' must be an object", f"{at}/ItemBatcher")
            else:
                self.only(batcher, limits | {"BatchInput"}, f"{at}/ItemBatcher")
                if not limits & set(batcher):
                    self.schema(
                        "The ItemBatcher needs MaxItemsPerBatch or MaxInputBytesPerBatch",
                        f"{at}/ItemBatcher",
                    )
        writer = state.get("ResultWriter")
        if writer is not None:
            self.result_writer(writer, f"{at}/ResultWriter", arguments)
        label = state.get("Label")
        if label is not None and (
            not isinstance(label, str) or len(label) > 40 or _BAD_LABEL.search(label)
        ):
            self.schema(
                "The value for the field 'Label' must be at most 40 characters, without"
                " whitespace or special characters",
                f"{at}/Label",
            )

    def item_reader(self, reader: Any, at: str, arguments: str) -> None:
        if not isinstance(reader, dict):
            self.schema("The field 'ItemReader' must be an object", at)
            return
        self.only(reader, {"Resource", "ReaderConfig", arguments}, at)
        resource = reader.get("Resource")
        if resource not in (items.GET_OBJECT, items.LIST_OBJECTS):
            self.schema(
                f"The ItemReader resource must be {items.GET_OBJECT} or {items.LIST_OBJECTS}",
                f"{at}/Resource",
            )
        config = reader.get("ReaderConfig", {})
        if not isinstance(config, dict):
            self.schema("The field 'ReaderConfig' must be an object", f"{at}/ReaderConfig")
            return
        allowed = {"InputType", "CSVHeaderLocation", "CSVHeaders", "CSVDelimiter", "MaxItems"}
        self.only(config, allowed | ({"MaxItemsPath"} if arguments == "Parameters" else set()),
                  f"{at}/ReaderConfig")  # fmt: skip
        kind = config.get("InputType")
        if resource == items.GET_OBJECT and kind not in ("JSON", "JSONL", "CSV", "MANIFEST"):
            self.schema(
                "The value for the field 'InputType' must be one of [CSV, JSON, JSONL, MANIFEST]",
                f"{at}/ReaderConfig/InputType",
            )
        location = config.get("CSVHeaderLocation")
        if location is not None and location not in ("FIRST_ROW", "GIVEN"):
            self.schema(
                "The value for the field 'CSVHeaderLocation' must be one of [FIRST_ROW, GIVEN]",
                f"{at}/ReaderConfig/CSVHeaderLocation",
            )
        if location == "GIVEN" and not (
            isinstance(config.get("CSVHeaders"), list) and config["CSVHeaders"]
        ):
            self.schema(
                "CSVHeaders are required when CSVHeaderLocation is GIVEN",
                f"{at}/ReaderConfig/CSVHeaders",
            )
        delimiter = config.get("CSVDelimiter")
        if delimiter is not None and delimiter not in items.DELIMITERS:
            self.schema(
                "The value for the field 'CSVDelimiter' must be one of "
                f"[{', '.join(items.DELIMITERS)}]",
                f"{at}/ReaderConfig/CSVDelimiter",
            )

    def result_writer(self, writer: Any, at: str, arguments: str) -> None:
        if not isinstance(writer, dict) or not writer:
            self.schema("The field 'ResultWriter' must be a non-empty object", at)
            return
        self.only(writer, {"Resource", "WriterConfig", arguments}, at)
        if "Resource" in writer and writer["Resource"] != items.PUT_OBJECT:
            self.schema(f"The ResultWriter resource must be {items.PUT_OBJECT}", f"{at}/Resource")
        if ("Resource" in writer) != (arguments in writer):
            self.schema(f"The ResultWriter needs both Resource and {arguments}", at)
        config = writer.get("WriterConfig")
        if config is None:
            return
        if not isinstance(config, dict):
            self.schema("The field 'WriterConfig' must be an object", f"{at}/WriterConfig")
            return
        self.only(config, {"OutputType", "Transformation"}, f"{at}/WriterConfig")
        if config.get("OutputType", "JSON") not in ("JSON", "JSONL"):
            self.schema(
                "The value for the field 'OutputType' must be one of [JSON, JSONL]",
                f"{at}/WriterConfig/OutputType",
            )
        if config.get("Transformation", "NONE") not in ("NONE", "COMPACT", "FLATTEN"):
            self.schema(
                "The value for the field 'Transformation' must be one of [NONE, COMPACT, FLATTEN]",
                f"{at}/WriterConfig/Transformation",
            )


def _targets(state: Mapping[str, Any]) -> list[str]:
    out = [state["Next"]] if isinstance(state.get("Next"), str) else []
    if isinstance(state.get("Default"), str):
        out.append(state["Default"])
    for group in ("Choices", "Catch"):
        items = state.get(group)
        if isinstance(items, list):
            out += [
                r["Next"] for r in items if isinstance(r, dict) and isinstance(r.get("Next"), str)
            ]
    return out


def _located_targets(state: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field location, target) of every transition a state makes."""
    out = [("Next", state["Next"])] if isinstance(state.get("Next"), str) else []
    if isinstance(state.get("Default"), str):
        out.append(("Default", state["Default"]))
    for group in ("Choices", "Catch"):
        items = state.get(group)
        if isinstance(items, list):
            out += [
                (f"{group}[{i}]/Next", r["Next"])
                for i, r in enumerate(items)
                if isinstance(r, dict) and isinstance(r.get("Next"), str)
            ]
    return out


def _is_terminal(state: Mapping[str, Any]) -> bool:
    return state.get("Type") in ("Succeed", "Fail") or state.get("End") is True


def _path_ok(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if value.startswith("$$"):
        return jsonpath.is_path(value[1:])
    match = re.match(r"\$[A-Za-z_][A-Za-z0-9_]*", value)
    if match:  # a variable, then a path into it
        return jsonpath.is_path("$" + value[match.end() :])
    return jsonpath.is_path(value)


def _reference_ok(value: Any) -> bool:
    """A Reference Path: one value of the input, the context object or a variable."""
    if not isinstance(value, str):
        return False
    if value.startswith("$$"):
        return jsonpath.is_reference_path(value[1:])
    match = re.match(r"\$[A-Za-z_][A-Za-z0-9_]*", value)
    if match:
        return jsonpath.is_reference_path("$" + value[match.end() :])
    return jsonpath.is_reference_path(value)


def _intrinsic_ok(value: str) -> bool:
    if not intrinsics.looks_intrinsic(value):
        return False
    try:
        intrinsics.parse(value)
    except intrinsics.IntrinsicSyntaxError:
        return False
    return True


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _positive_int(value: Any) -> bool:
    return _int(value) and value > 0


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
