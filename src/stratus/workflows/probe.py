"""TestState: one state run once, outside any execution, with what it did laid open.

    definition (a state, or a machine and its stateName) + input + variables + context
      -> the state's data flow, its task called (or its mock taken), Retry and Catch judged
      -> status  SUCCEEDED     output, nextState
                 RETRIABLE     the error, which retrier would retry it and after how long
                 CAUGHT_ERROR  the catcher's output and Next
                 FAILED        error and cause
         inspectionData (DEBUG and TRACE): input, afterInputPath, afterParameters,
           result, afterResultSelector, afterResultPath (JSONata: afterArguments), variables

The pieces are the interpreter's own (Flow, choice, retry), so a state behaves here as it
does in an execution. Waits do not wait; Parallel and Map states are not probed yet.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stratus.workflows import choice, history, payloads, query, retry, validation
from stratus.workflows.dataflow import Flow
from stratus.workflows.definition import JSONPATH
from stratus.workflows.failure import NO_CHOICE_MATCHED, TERMINAL, StatesFailure

RunTask = Callable[[str, Any], Awaitable[Any]]  # (resource, payload) -> result


class CannotProbe(ValueError):
    """The definition is not a state TestState can run (its message says why)."""


@dataclass(frozen=True, slots=True)
class Mock:
    result: str | None = None  # JSON text: the task's result
    error: str | None = None  # or its failure
    cause: str | None = None


@dataclass(slots=True)
class Probed:
    status: str  # SUCCEEDED | FAILED | RETRIABLE | CAUGHT_ERROR
    output: Any = None
    has_output: bool = False
    error: str | None = None
    cause: str | None = None
    next_state: str | None = None
    inspection: dict[str, Any] = field(default_factory=dict)
    error_details: dict[str, Any] = field(default_factory=dict)


def pick_state(text: str, state_name: str | None) -> tuple[str, dict[str, Any], str]:
    """(name, state, query language) from a TestState definition; CannotProbe if bad."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CannotProbe(f"Invalid definition: {exc.msg}") from exc
    if not isinstance(document, dict):
        raise CannotProbe("The definition must be a JSON object")
    language = str(document.get("QueryLanguage", JSONPATH))
    if "States" in document:
        if not state_name or state_name not in document.get("States", {}):
            raise CannotProbe("stateName must name one of the definition's states")
        name, state = state_name, document["States"][state_name]
    else:
        name, state = state_name or "TestState", document
    if not isinstance(state, dict):
        raise CannotProbe("The state must be a JSON object")
    problems = [
        d for d in validation.diagnose(_alone(name, state, language)) if d.severity == "ERROR"
    ]
    if problems:
        raise CannotProbe(
            "Invalid State Machine Definition: " + ", ".join(f"'{d.text()}'" for d in problems)
        )
    if state.get("Type") in ("Parallel", "Map"):
        raise CannotProbe(f"Stratus does not test {state['Type']} states with TestState yet")
    return name, state, str(state.get("QueryLanguage", language))


def _alone(name: str, state: Mapping[str, Any], language: str) -> str:
    """The state as a machine of its own, every state it may go to a Succeed state."""
    targets = {state.get("Next"), state.get("Default")}
    for group in ("Choices", "Catch"):
        for rule in state.get(group, []) if isinstance(state.get(group), list) else []:
            if isinstance(rule, dict):
                targets.add(rule.get("Next"))
    states: dict[str, Any] = {
        t: {"Type": "Succeed"} for t in targets if isinstance(t, str) and t != name
    }
    states[name] = state
    return json.dumps({"QueryLanguage": language, "StartAt": name, "States": states})


async def wait_probe(
    name: str,
    state: dict[str, Any],
    language: str,
    state_input: Any,
    *,
    variables: Mapping[str, Any],
    context: Mapping[str, Any],
    mock: Mock | None,
    retry_count: int,
    run_task: RunTask,
) -> Probed:
    context = {
        **context,
        "State": {"Name": name, "RetryCount": retry_count, **context.get("State", {})},
    }
    flow = Flow(state, language, state_input, context, variables)
    seen: dict[str, Any] = {"input": state_input}
    try:
        return await _wait_run(flow, state, seen, mock, run_task)
    except StatesFailure as failure:
        return _failed(flow, state, seen, failure, retry_count)


async def _wait_run(
    flow: Flow, state: dict[str, Any], seen: dict[str, Any], mock: Mock | None, run_task: RunTask
) -> Probed:
    kind = flow.kind
    if kind == "Fail":
        error = flow.value("Error") if flow.jsonata else _path_or(flow, "Error")
        cause = flow.value("Cause") if flow.jsonata else _path_or(flow, "Cause")
        return Probed("FAILED", error=_text(error), cause=_text(cause), inspection=seen)
    if kind == "Choice":
        return _choose(flow, state, seen)
    if not flow.jsonata:
        seen["afterInputPath"] = flow.filtered_input()
    effective = flow.effective_input()
    seen["afterArguments" if flow.jsonata else "afterParameters"] = effective
    if kind == "Task":
        result = await _wait_task(state, effective, mock, run_task)
    elif kind == "Pass" and "Result" in state and not flow.jsonata:
        result = state["Result"]
    else:
        result = effective
    seen["result"] = result
    if kind in ("Task",) and not flow.jsonata:
        selected = (
            payloads.render(state["ResultSelector"], flow.scope(result), "ResultSelector")
            if "ResultSelector" in state
            else result
        )
        seen["afterResultSelector"] = selected
        seen["afterResultPath"] = payloads.apply_result_path(
            state.get("ResultPath", "$"), flow.raw_input, selected
        )
    elif kind == "Pass" and not flow.jsonata:
        seen["afterResultPath"] = payloads.apply_result_path(
            state.get("ResultPath", "$"), flow.raw_input, result
        )
    outcome = flow.finish(result)
    seen["variables"] = {**flow.variables, **outcome.assigned}
    end = kind == "Succeed" or bool(state.get("End"))
    return Probed(
        "SUCCEEDED",
        outcome.output,
        True,
        next_state=None if end else state.get("Next"),
        inspection=seen,
    )


def _choose(flow: Flow, state: dict[str, Any], seen: dict[str, Any]) -> Probed:
    for rule in state["Choices"]:
        if flow.jsonata:
            condition = rule["Condition"]
            holds = (
                query.evaluate(condition, flow.states_binding(), flow.variables)
                if query.is_expression(condition)
                else condition
            )
        else:
            holds = choice.matches(rule, flow.scope(flow.filtered_input()))
        if holds is True:
            outcome = flow.choice_rule_outcome(rule)
            seen["variables"] = {**flow.variables, **outcome.assigned}
            return Probed(
                "SUCCEEDED", outcome.output, True, next_state=rule["Next"], inspection=seen
            )
    if "Default" in state:
        outcome = flow.choice_rule_outcome({})
        seen["variables"] = {**flow.variables, **outcome.assigned}
        return Probed(
            "SUCCEEDED", outcome.output, True, next_state=state["Default"], inspection=seen
        )
    raise StatesFailure(NO_CHOICE_MATCHED, "No Choice Rules matched and no Default was specified")


async def _wait_task(
    state: dict[str, Any], payload: Any, mock: Mock | None, run_task: RunTask
) -> Any:
    if mock is not None and mock.error is not None:
        raise StatesFailure(mock.error, mock.cause or "")
    if mock is not None and mock.result is not None:
        try:
            return json.loads(mock.result)
        except json.JSONDecodeError as exc:
            raise CannotProbe(f"The mock result is not JSON: {exc.msg}") from exc
    return await run_task(str(state["Resource"]), payload)


def _failed(
    flow: Flow,
    state: dict[str, Any],
    seen: dict[str, Any],
    failure: StatesFailure,
    retry_count: int,
) -> Probed:
    error, cause = failure.error, failure.cause
    if error not in TERMINAL:
        retriers = state.get("Retry", [])
        decision = retry.decide_retry(retriers, [retry_count] * len(retriers), error)
        if decision is not None:
            return Probed(
                "RETRIABLE",
                error=error,
                cause=cause,
                inspection=seen,
                error_details={
                    "retryIndex": decision.retrier,
                    "retryBackoffIntervalSeconds": int(decision.delay_s),
                },
            )
        catchers = state.get("Catch", [])
        catcher = retry.find_catcher(catchers, error)
        if catcher is not None:
            outcome = flow.caught(catcher, error, cause)
            seen["variables"] = {**flow.variables, **outcome.assigned}
            return Probed(
                "CAUGHT_ERROR",
                outcome.output,
                True,
                error=error,
                cause=cause,
                next_state=catcher["Next"],
                inspection=seen,
                error_details={"catchIndex": catchers.index(catcher)},
            )
    return Probed("FAILED", error=error, cause=cause, inspection=seen)


def _path_or(flow: Flow, field_name: str) -> Any:
    if f"{field_name}Path" in flow.state:
        return flow.path_value(f"{field_name}Path")
    return flow.state.get(field_name)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else history.json_text(value)


def inspection_wire(seen: Mapping[str, Any]) -> dict[str, Any]:
    """inspectionData as the API answers it: every value as JSON text."""
    return {key: history.json_text(value) for key, value in seen.items()}
