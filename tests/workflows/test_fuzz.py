"""Whatever a user writes is either accepted or refused with a typed error: never a crash.

Definitions get diagnostics, paths PathError, intrinsic calls IntrinsicSyntaxError or
States.IntrinsicFailure, JSONata States.QueryEvaluationError; and any definition that
validates runs to an end state with only States errors."""

from __future__ import annotations

import contextlib
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.workflows.harness import run_machine

from stratus.workflows import intrinsics, jsonpath, query
from stratus.workflows.failure import StatesFailure
from stratus.workflows.validation import diagnose

PATH_ALPHABET = st.sampled_from(list("$.@[]*?()'\"=<>!&|,:-0123abc xyz\\/~"))
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=4), children, max_size=3)
    ),
    max_leaves=10,
)
DOC = {"a": {"b": [1, "x", None, {"c": True}]}, "l": [3, 1, 2], "s": "text"}


@given(st.text(PATH_ALPHABET, max_size=30))
@settings(max_examples=400, deadline=None)
def test_paths_parse_or_raise_path_error(text):
    try:
        path = jsonpath.parse(text)
    except jsonpath.PathError:
        return
    with contextlib.suppress(jsonpath.PathNotFound):
        path.select(DOC)


@given(
    st.text(
        st.sampled_from(list("States.FormatArrayLength(),'{}\\$.a0123 truefalsenul-")), max_size=40
    )
)
@settings(max_examples=400, deadline=None)
def test_intrinsic_calls_parse_or_raise_their_errors(text):
    with contextlib.suppress(StatesFailure, jsonpath.PathNotFound, jsonpath.PathError):
        intrinsics.evaluate(text, lambda path: jsonpath.select(path, DOC))


@given(st.sampled_from(list(intrinsics.FUNCTIONS)), st.lists(JSON, max_size=4))
@settings(max_examples=400, deadline=None)
def test_intrinsics_on_any_arguments_succeed_or_fail_as_intrinsic_failures(name, args):
    error = None
    try:
        intrinsics.FUNCTIONS[name](name, args)
    except StatesFailure as failure:
        error = failure.error

    assert error in (None, "States.IntrinsicFailure")


@given(st.text(st.sampled_from(list("$states.input{}[]()+-*/&=<>!'\"?:;, 0123abc%")), max_size=30))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_jsonata_evaluates_or_fails_as_query_evaluation_error(text):
    error = None
    try:
        query.evaluate("{%" + text + "%}", {"input": DOC, "context": {}}, {"v": 1})
    except StatesFailure as failure:
        error = failure.error

    assert error in (None, "States.QueryEvaluationError")


PATHS = st.sampled_from(
    ["$", "$.a", "$.a.b", "$.l", "$.l[0]", "$.s", "$.missing", "$$.Execution.Name"]
)
OPTIONAL = {
    "Pass": {
        "Result": JSON,
        "ResultPath": PATHS | st.none(),
        "InputPath": PATHS,
        "OutputPath": PATHS,
        "Parameters": st.fixed_dictionaries({"x.$": PATHS, "k": JSON}),
    },
    "Wait": {"Seconds": st.integers(0, 5), "InputPath": PATHS},
    "Fail": {"Error": st.text(max_size=5), "Cause": st.text(max_size=5)},
    "Succeed": {"OutputPath": PATHS},
    "Task": {
        "ResultPath": PATHS,
        "TimeoutSeconds": st.integers(1, 3),
        "Retry": st.just([{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}]),
    },
}
TASK = "arn:aws:lambda:us-east-1:123456789012:function:f"


@st.composite
def definitions(draw):
    """Mostly well-formed machines (so they run), with random optional fields and values."""
    names = ["A", "B", "C", "D"][: draw(st.integers(1, 4))]
    states = {}
    for index, name in enumerate(names):
        kind = draw(st.sampled_from([*OPTIONAL, "Choice"]))
        later = names[index + 1 :]
        if kind == "Choice":
            rule = {"Variable": draw(PATHS), "Next": later[-1] if later else name}
            rule[draw(st.sampled_from(["IsPresent", "IsNull", "IsString"]))] = draw(st.booleans())
            state = {"Type": "Choice", "Choices": [rule], "Default": later[0] if later else name}
            if not later:
                state = {"Type": "Succeed"}
        else:
            state = {"Type": kind}
            if kind == "Task":
                state["Resource"] = TASK
            if kind not in ("Fail", "Succeed"):
                if later and draw(st.booleans()):
                    state["Next"] = (
                        later[0] if draw(st.integers(0, 3)) else draw(st.sampled_from(later))
                    )
                else:
                    state["End"] = True
            for field, values in OPTIONAL[kind].items():
                if draw(st.booleans()):
                    state[field] = draw(values)
        states[name] = state
    return {"StartAt": "A", "States": states}


def flaky_task(payload):
    if isinstance(payload, dict) and payload.get("fail"):
        raise StatesFailure("Boom", "asked")
    return payload


@given(definitions(), JSON)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_definition_is_diagnosed_and_valid_ones_run_to_an_end(doc, payload):
    text = json.dumps(doc)

    found = diagnose(text)

    if any(d.severity == "ERROR" for d in found):
        return
    out = run_machine(text, payload, {TASK: flaky_task}, max_steps=500)
    assert out.status in ("SUCCEEDED", "FAILED", "TIMED_OUT") or out.run["threads"]
