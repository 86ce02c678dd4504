"""The interpreter end to end on definitions: data flow, errors, history, as AWS runs them."""

import json

import pytest
from tests.workflows.harness import START, run_machine

from stratus.workflows import definition, interpreter
from stratus.workflows.failure import StatesFailure

FN = "arn:aws:lambda:us-east-1:123456789012:function:work"
INVOKE = "arn:aws:states:::lambda:invoke"


def pass_chain():
    return {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Result": {"x": 1}, "ResultPath": "$.r", "Next": "B"},
            "B": {
                "Type": "Pass",
                "InputPath": "$.r",
                "Parameters": {"x.$": "$.x", "name.$": "$$.Execution.Name", "const": "c"},
                "ResultPath": "$.p",
                "OutputPath": "$.p",
                "End": True,
            },
        },
    }


def test_a_pass_chain_applies_every_path_and_records_history():
    """InputPath, Parameters (with the context object), ResultPath and OutputPath in order."""
    out = run_machine(pass_chain(), {"in": True})

    assert out.status == "SUCCEEDED"
    assert out.output == {"x": 1, "name": "e1", "const": "c"}
    assert out.types() == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert [(e["id"], e["previousEventId"]) for e in out.events] == [
        (i, i - 1) for i in range(1, 7)
    ]
    assert json.loads(out.details("PassStateExited")[0]["output"]) == {"in": True, "r": {"x": 1}}
    assert out.details("ExecutionStarted")[0]["roleArn"].endswith(":role/r")


def test_result_path_null_keeps_the_input_and_input_path_null_gives_an_empty_object():
    doc = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Result": "dropped", "ResultPath": None, "Next": "B"},
            "B": {"Type": "Pass", "InputPath": None, "ResultPath": "$.seen", "End": True},
        },
    }

    assert run_machine(doc, {"k": 1}).output == {"k": 1, "seen": {}}


def test_plain_function_arns_record_lambda_events():
    doc = {
        "StartAt": "T",
        "States": {"T": {"Type": "Task", "Resource": FN, "TimeoutSeconds": 30, "End": True}},
    }

    out = run_machine(doc, {"n": 2}, {FN: lambda p: {"double": p["n"] * 2}})

    assert out.output == {"double": 4}
    assert out.types()[2:5] == [
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
    ]
    scheduled = out.details("LambdaFunctionScheduled")[0]
    assert scheduled["resource"] == FN
    assert scheduled["timeoutInSeconds"] == 30
    assert json.loads(scheduled["input"]) == {"n": 2}


def test_optimised_integrations_record_task_events_with_resource_type():
    doc = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": INVOKE,
                "Parameters": {"FunctionName": FN, "Payload.$": "$"},
                "ResultSelector": {"body.$": "$.Payload"},
                "ResultPath": "$.result",
                "End": True,
            }
        },
    }

    out = run_machine(
        doc, {"a": 1}, {INVOKE: lambda p: {"StatusCode": 200, "Payload": {"got": p["Payload"]}}}
    )

    assert out.output == {"a": 1, "result": {"body": {"got": {"a": 1}}}}
    scheduled = out.details("TaskScheduled")[0]
    assert (scheduled["resourceType"], scheduled["resource"], scheduled["region"]) == (
        "lambda",
        "invoke",
        "us-east-1",
    )
    assert json.loads(scheduled["parameters"]) == {"FunctionName": FN, "Payload": {"a": 1}}
    assert out.details("TaskSucceeded")[0]["resourceType"] == "lambda"


def flaky(failures, error="Boom"):
    calls = {"n": 0}

    def task(payload):
        calls["n"] += 1
        if calls["n"] <= failures:
            raise StatesFailure(error, f"attempt {calls['n']}")
        return {"ok": calls["n"]}

    return task


def test_retry_backs_off_and_then_succeeds():
    """IntervalSeconds 1, BackoffRate 2: attempts at t, t+1, t+3."""
    doc = {
        "StartAt": "T",
        "States": {
            "T": {"Type": "Task", "Resource": FN, "Retry": [{"ErrorEquals": ["Boom"]}], "End": True}
        },
    }

    out = run_machine(doc, {}, {FN: flaky(2)})

    assert out.output == {"ok": 3}
    assert [t - START for _, _, t in out.calls] == [0, 1, 3]
    assert out.types().count("TaskStateEntered") == 1
    assert out.types().count("LambdaFunctionFailed") == 2


def test_exhausted_retries_fall_to_catch_with_result_path():
    doc = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": FN,
                "Retry": [{"ErrorEquals": ["Boom"], "MaxAttempts": 1, "IntervalSeconds": 2}],
                "Catch": [
                    {
                        "ErrorEquals": ["States.TaskFailed"],
                        "ResultPath": "$.error",
                        "Next": "Handled",
                    }
                ],
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
        },
    }

    out = run_machine(doc, {"keep": 1}, {FN: flaky(5)})

    assert out.status == "SUCCEEDED"
    assert out.output == {"keep": 1, "error": {"Error": "Boom", "Cause": "attempt 2"}}
    assert len(out.calls) == 2
    assert "TaskStateExited" in out.types()


def test_an_uncaught_error_fails_the_execution_with_error_and_cause():
    doc = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FN, "End": True}}}

    out = run_machine(doc, {}, {FN: flaky(1, "Custom.Error")})

    assert out.status == "FAILED"
    assert out.details("ExecutionFailed") == [{"error": "Custom.Error", "cause": "attempt 1"}]


def test_states_all_does_not_catch_runtime_errors():
    """A missing InputPath is States.Runtime: terminal, whatever Catch says."""
    doc = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": FN,
                "InputPath": "$.missing",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}],
                "End": True,
            },
            "H": {"Type": "Succeed"},
        },
    }

    out = run_machine(doc, {}, {FN: lambda p: p})

    assert out.status == "FAILED"
    assert out.run["error"] == "States.Runtime"


def test_a_missing_parameter_path_fails_the_execution_as_aws_words_it():
    """States.Runtime (not caught by States.ALL), the cause naming state, event and path."""
    doc = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": FN,
                "Parameters": {"x.$": "$.missing"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}],
                "End": True,
            },
            "H": {"Type": "Pass", "End": True},
        },
    }

    out = run_machine(doc, {"a": 1}, {FN: lambda p: p})

    assert out.status == "FAILED"
    assert out.run["error"] == "States.Runtime"
    assert out.run["cause"] == (
        "An error occurred while executing the state 'T' (entered at the event id #2). "
        "The JSONPath '$.missing' specified for the field 'x.$' could not be found in the "
        "input '{\"a\":1}'"
    )
    assert out.calls == []


def test_result_path_match_failure_is_raised_and_catchable():
    doc = {
        "StartAt": "A",
        "States": {
            "A": {
                "Type": "Task",
                "Resource": FN,
                "ResultPath": "$.s.deeper",
                "Catch": [
                    {
                        "ErrorEquals": ["States.ResultPathMatchFailure"],
                        "Next": "H",
                        "ResultPath": "$.e",
                    }
                ],
                "End": True,
            },
            "H": {"Type": "Pass", "End": True},
        },
    }

    out = run_machine(doc, {"s": "scalar"}, {FN: lambda p: 1})

    assert out.output["e"]["Error"] == "States.ResultPathMatchFailure"


def test_task_timeout_is_states_timeout_and_a_late_result_changes_nothing():
    doc = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": FN,
                "TimeoutSeconds": 5,
                "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Late"}],
                "End": True,
            },
            "Late": {"Type": "Pass", "End": True},
        },
    }

    out = run_machine(doc, {}, hold={FN})

    assert out.status == "SUCCEEDED"
    assert out.end_time - START == 5
    assert "LambdaFunctionTimedOut" in out.types()
    assert out.output == {"Error": "States.Timeout", "Cause": ""}


def test_task_failed_does_not_match_timeouts():
    doc = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": INVOKE,
                "Parameters": {"FunctionName": FN},
                "TimeoutSeconds": 2,
                "Catch": [{"ErrorEquals": ["States.TaskFailed"], "Next": "H"}],
                "End": True,
            },
            "H": {"Type": "Succeed"},
        },
    }

    out = run_machine(doc, {}, hold={INVOKE})

    assert out.status == "FAILED"
    assert out.run["error"] == "States.Timeout"
    assert "TaskTimedOut" in out.types()


def test_choice_takes_the_first_matching_rule_then_default_then_fails():
    doc = {
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.n", "NumericLessThan": 0, "Next": "Neg"},
                    {"Variable": "$.n", "NumericEquals": 0, "Next": "Zero"},
                ],
                "Default": "Pos",
            },
            "Neg": {"Type": "Pass", "Result": "neg", "End": True},
            "Zero": {"Type": "Pass", "Result": "zero", "End": True},
            "Pos": {"Type": "Pass", "Result": "pos", "End": True},
        },
    }
    no_default = json.loads(json.dumps(doc))
    del no_default["States"]["C"]["Default"]
    del no_default["States"]["Pos"]

    assert [run_machine(doc, {"n": n}).output for n in (-1, 0, 1)] == ["neg", "zero", "pos"]
    failed = run_machine(no_default, {"n": 1})
    assert failed.run["error"] == "States.NoChoiceMatched"
    assert "ChoiceStateEntered" in failed.types()


@pytest.mark.parametrize(
    ("wait", "payload", "seconds"),
    [
        ({"Seconds": 30}, {}, 30),
        ({"SecondsPath": "$.s"}, {"s": 7}, 7),
        ({"Timestamp": "2023-11-14T22:23:20Z"}, {}, 600),
        ({"TimestampPath": "$.t"}, {"t": "2023-11-14T22:14:20+00:00"}, 60),
    ],
)
def test_wait_states_fire_at_their_time(wait, payload, seconds):
    doc = {"StartAt": "W", "States": {"W": {"Type": "Wait", **wait, "End": True}}}

    out = run_machine(doc, payload)

    assert out.status == "SUCCEEDED"
    assert out.end_time - START == seconds
    assert out.output == payload
    assert out.types()[1:3] == ["WaitStateEntered", "WaitStateExited"]


@pytest.mark.parametrize(
    "wait", [{"Seconds": 0}, {"Timestamp": "2020-01-01T00:00:00Z"}, {"SecondsPath": "$.s"}]
)
def test_a_wait_with_nothing_to_wait_for_ends_in_the_same_step(wait):
    """Seconds 0 or a past timestamp: no timer effect, so no work item's round trip."""
    doc = {
        "StartAt": "W",
        "States": {"W": {"Type": "Wait", **wait, "Next": "P"}, "P": {"Type": "Pass", "End": True}},
    }
    machine = definition.parse(json.dumps(doc))

    step = interpreter.start(
        machine, {"s": 0}, execution={"Id": "x"}, state_machine={"Id": "y"}, now=START
    )

    assert step.run["status"] == "SUCCEEDED"
    assert not [e for e in step.effects if getattr(e, "purpose", "") == "wait"]
    assert [e["type"] for e in step.events][1:4] == [
        "WaitStateEntered",
        "WaitStateExited",
        "PassStateEntered",
    ]


def test_fail_state_error_and_cause_from_paths():
    doc = {
        "StartAt": "F",
        "States": {"F": {"Type": "Fail", "ErrorPath": "$.e", "CausePath": "$.c"}},
    }

    out = run_machine(doc, {"e": "Bad", "c": "because"})

    assert out.status == "FAILED"
    assert out.types() == ["ExecutionStarted", "FailStateEntered", "ExecutionFailed"]
    assert out.details("ExecutionFailed") == [{"error": "Bad", "cause": "because"}]


def parallel(second_branch_state):
    return {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": "a", "End": True}}},
                    {"StartAt": "B", "States": {"B": second_branch_state}},
                ],
                "ResultPath": "$.out",
                "Catch": [{"ErrorEquals": ["Branch.Error"], "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }


def test_parallel_collects_branch_outputs_in_order():
    out = run_machine(parallel({"Type": "Wait", "Seconds": 3, "End": True}), {"k": 1})

    assert out.output == {"k": 1, "out": ["a", {"k": 1}]}
    types = out.types()
    assert (
        types.index("ParallelStateStarted")
        < types.index("ParallelStateSucceeded")
        < types.index("ParallelStateExited")
    )


def test_a_failing_branch_fails_the_parallel_state_with_its_error():
    out = run_machine(parallel({"Type": "Fail", "Error": "Branch.Error", "Cause": "c"}), {})

    assert out.status == "SUCCEEDED"
    assert out.output == {"Error": "Branch.Error", "Cause": "c"}
    assert "ParallelStateFailed" in out.types()


def test_branch_events_chain_to_the_parallel_start():
    out = run_machine(parallel({"Type": "Pass", "End": True}), {})
    started = next(e for e in out.events if e["type"] == "ParallelStateStarted")
    firsts = [e for e in out.events if e["type"] == "PassStateEntered"]

    assert {e["previousEventId"] for e in firsts} == {started["id"]}


def map_state(**fields):
    return {
        "StartAt": "M",
        "States": {
            "M": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemProcessor": {
                    "StartAt": "Work",
                    "States": {"Work": {"Type": "Task", "Resource": FN, "End": True}},
                },
                "End": True,
                **fields,
            }
        },
    }


def test_map_runs_each_item_with_item_selector_and_context():
    doc = map_state(
        ItemSelector={
            "value.$": "$$.Map.Item.Value",
            "index.$": "$$.Map.Item.Index",
            "tag.$": "$.tag",
        }
    )

    out = run_machine(
        doc,
        {"items": ["a", "b", "c"], "tag": "t"},
        {FN: lambda p: f"{p['tag']}{p['index']}{p['value']}"},
    )

    assert out.output == ["t0a", "t1b", "t2c"]
    assert out.details("MapStateStarted") == [{"length": 3}]
    assert [d["index"] for d in out.details("MapIterationSucceeded")] == [0, 1, 2]


def test_map_max_concurrency_limits_iterations_in_flight():
    """With MaxConcurrency 1, each item's task starts only after the one before ended."""
    doc = map_state(MaxConcurrency=1)
    doc["States"]["M"]["ItemProcessor"]["States"] = {
        "Work": {"Type": "Wait", "Seconds": 10, "End": True},
    }

    out = run_machine(doc, {"items": [1, 2, 3]})

    assert out.end_time - START == 30
    assert out.output == [1, 2, 3]


def test_map_without_a_limit_runs_iterations_side_by_side():
    doc = map_state()
    doc["States"]["M"]["ItemProcessor"]["States"] = {
        "Work": {"Type": "Wait", "Seconds": 10, "End": True}
    }

    assert run_machine(doc, {"items": [1, 2, 3]}).end_time - START == 10


def failing_items(payload):
    if payload < 0:
        raise StatesFailure("Negative", str(payload))
    return payload * 10


def test_a_failed_iteration_fails_the_map_with_its_error():
    out = run_machine(map_state(), {"items": [1, -1, 2]}, {FN: failing_items})

    assert out.status == "FAILED"
    assert out.run["error"] == "Negative"
    assert "MapIterationFailed" in out.types()
    assert "MapStateFailed" in out.types()


def test_tolerated_failures_let_the_map_succeed_until_the_threshold():
    tolerant = run_machine(
        map_state(ToleratedFailureCount=1), {"items": [1, -1, 2]}, {FN: failing_items}
    )
    exceeded = run_machine(
        map_state(ToleratedFailureCount=1), {"items": [-1, -2, 2]}, {FN: failing_items}
    )

    assert tolerant.status == "SUCCEEDED"
    assert tolerant.output == [10, {"Error": "Negative", "Cause": "-1"}, 20]
    assert exceeded.run["error"] == "States.ExceedToleratedFailureThreshold"


def test_map_items_must_be_an_array():
    out = run_machine(map_state(), {"items": "nope"})

    assert out.run["error"] == "States.Runtime"


def test_jsonata_arguments_output_assign_and_variables():
    doc = {
        "QueryLanguage": "JSONata",
        "StartAt": "Prep",
        "States": {
            "Prep": {
                "Type": "Pass",
                "Assign": {"factor": "{% $states.input.f %}", "count": 1},
                "Next": "Call",
            },
            "Call": {
                "Type": "Task",
                "Resource": FN,
                "Arguments": {"n": "{% $states.input.n * $factor %}"},
                "Assign": {"count": "{% $count + 1 %}", "seen": "{% $states.result.v %}"},
                "Output": {"v": "{% $states.result.v %}", "countBefore": "{% $count %}"},
                "Next": "Done",
            },
            "Done": {
                "Type": "Pass",
                "Output": {
                    "count": "{% $count %}",
                    "seen": "{% $seen %}",
                    "v": "{% $states.input.v %}",
                },
                "End": True,
            },
        },
    }

    out = run_machine(doc, {"n": 2, "f": 3}, {FN: lambda p: {"v": p["n"] + 1}})

    assert out.output == {"count": 2, "seen": 7, "v": 7}
    assert json.loads(out.details("LambdaFunctionScheduled")[0]["input"]) == {"n": 6}
    exited = next(d for d in out.details("TaskStateExited") if d["name"] == "Call")
    assert json.loads(exited["output"]) == {"v": 7, "countBefore": 1}  # Output saw the old $count
    assert exited["assignedVariables"] == {"count": "2", "seen": "7"}


def test_jsonata_choice_catch_and_fail():
    doc = {
        "QueryLanguage": "JSONata",
        "StartAt": "C",
        "States": {
            "C": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $states.input.go %}", "Next": "T"}],
                "Default": "F",
            },
            "T": {
                "Type": "Task",
                "Resource": FN,
                "Catch": [
                    {
                        "ErrorEquals": ["States.ALL"],
                        "Output": {"e": "{% $states.errorOutput.Error %}"},
                        "Next": "S",
                    }
                ],
                "End": True,
            },
            "S": {"Type": "Succeed"},
            "F": {"Type": "Fail", "Error": "{% 'No.' & $states.input.why %}", "Cause": "stopped"},
        },
    }

    caught = run_machine(doc, {"go": True}, {FN: flaky(1, "Oops")})
    failed = run_machine(doc, {"go": False, "why": "Go"})

    assert caught.output == {"e": "Oops"}
    assert failed.details("ExecutionFailed") == [{"error": "No.Go", "cause": "stopped"}]


def test_jsonpath_variables_assign_and_read():
    doc = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Assign": {"who.$": "$.name", "fixed": 1}, "Next": "B"},
            "B": {
                "Type": "Pass",
                "Parameters": {"greet.$": "States.Format('hi {}', $who)", "f.$": "$fixed"},
                "End": True,
            },
        },
    }

    assert run_machine(doc, {"name": "ana"}).output == {"greet": "hi ana", "f": 1}


def test_variables_assigned_in_a_branch_stay_in_the_branch():
    doc = {
        "QueryLanguage": "JSONata",
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"v": "outer"}, "Next": "P"},
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "In",
                        "States": {
                            "In": {
                                "Type": "Pass",
                                "Assign": {"inner": "{% $v & '!' %}"},
                                "Output": "{% $v %}",
                                "End": True,
                            }
                        },
                    }
                ],
                "Next": "After",
            },
            "After": {
                "Type": "Pass",
                "Output": {"branch": "{% $states.input %}", "v": "{% $v %}"},
                "End": True,
            },
        },
    }

    out = run_machine(doc)

    assert out.output == {"branch": ["outer"], "v": "outer"}


def test_outputs_over_256_kib_are_data_limit_exceeded_and_not_caught():
    doc = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": FN,
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "H"}],
                "End": True,
            },
            "H": {"Type": "Succeed"},
        },
    }

    out = run_machine(doc, {}, {FN: lambda p: "x" * (256 * 1024)})

    assert out.run["error"] == "States.DataLimitExceeded"


def test_execution_timeout():
    doc = {
        "TimeoutSeconds": 60,
        "StartAt": "W",
        "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": True}},
    }

    out = run_machine(doc)

    assert out.status == "TIMED_OUT"
    assert out.types()[-1] == "ExecutionTimedOut"
    assert out.end_time - START == 60


def start_task_machine():
    doc = {
        "StartAt": "T",
        "States": {
            "T": {"Type": "Task", "Resource": FN, "Next": "W"},
            "W": {"Type": "Wait", "Seconds": 5, "End": True},
        },
    }
    machine = definition.parse(json.dumps(doc))
    step = interpreter.start(
        machine, {}, execution={"Id": "x"}, state_machine={"Id": "y"}, now=START
    )
    return machine, step


def test_a_repeated_signal_changes_nothing():
    """At-least-once delivery of a task result gives one transition."""
    machine, step = start_task_machine()
    signal = interpreter.TaskSucceeded(step.effects[0].token, {"r": 1})

    first = interpreter.resume(machine, step.run, signal, START + 1)
    again = interpreter.resume(machine, first.run, signal, START + 2)

    assert [e["type"] for e in first.events][-1] == "WaitStateEntered"
    assert again.events == []
    assert again.effects == []
    assert again.run == first.run
    assert first.accepted is True
    assert again.accepted is False


def test_resume_is_pure_and_repeatable():
    """Replaying the same signal on the same run gives the same step; the input is untouched."""
    machine, step = start_task_machine()
    before = json.dumps(step.run, sort_keys=True)
    signal = interpreter.TaskFailed(step.effects[0].token, "E", "c")

    one = interpreter.resume(machine, step.run, signal, START + 1)
    two = interpreter.resume(machine, step.run, signal, START + 1)

    assert json.dumps(step.run, sort_keys=True) == before
    assert one.events == two.events
    assert one.run == two.run


def test_stop_aborts_and_later_signals_are_ignored():
    machine, step = start_task_machine()

    stopped = interpreter.resume(
        machine, step.run, interpreter.Stop("Op.Stop", "by hand"), START + 1
    )
    late = interpreter.resume(
        machine, stopped.run, interpreter.TaskSucceeded(step.effects[0].token, 1), START + 2
    )

    assert stopped.run["status"] == "ABORTED"
    assert stopped.events[-1]["type"] == "ExecutionAborted"
    assert stopped.events[-1]["executionAbortedEventDetails"] == {
        "error": "Op.Stop",
        "cause": "by hand",
    }
    assert late.events == []


def test_retry_count_and_entered_time_are_in_the_context_object():
    doc = {
        "StartAt": "T",
        "States": {
            "T": {
                "Type": "Task",
                "Resource": FN,
                "Parameters": {
                    "retry.$": "$$.State.RetryCount",
                    "state.$": "$$.State.Name",
                    "input.$": "$$.Execution.Input",
                },
                "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
                "End": True,
            }
        },
    }
    seen = []

    def task(payload):
        seen.append(payload["retry"])
        if len(seen) < 3:
            raise StatesFailure("E", "")
        return payload

    out = run_machine(doc, {"in": 1}, {FN: task})

    assert seen == [0, 1, 2]
    assert out.output == {"retry": 2, "state": "T", "input": {"in": 1}}


def test_assign_over_256_kib_is_data_limit_exceeded():
    doc = {
        "QueryLanguage": "JSONata",
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Assign": {"big": "{% $pad('', 270000, 'x') %}"}, "End": True}
        },
    }

    assert run_machine(doc).run["error"] == "States.DataLimitExceeded"


def test_a_crash_signal_fails_the_execution_with_states_runtime():
    """The driver's last resort when stepping raised: the execution ends, it does not hang."""
    machine, step = start_task_machine()

    crashed = interpreter.resume(machine, step.run, interpreter.Crash("bug"), START + 1)

    assert crashed.run["status"] == "FAILED"
    assert crashed.events[-1]["executionFailedEventDetails"] == {
        "error": "States.Runtime",
        "cause": "bug",
    }


def test_a_distributed_map_is_a_map_run_effect_answered_like_a_task():
    """The interpreter hands a distributed Map's work out as one StartMapRun effect whose
    spec holds what was evaluated on entry (items, limits, reader); its answer is the
    state's result, through ResultPath as any result."""
    doc = map_state(
        ItemSelector={"v.$": "$$.Map.Item.Value"},
        MaxConcurrencyPath="$.limit",
        ToleratedFailureCount=2,
        ResultPath="$.out",
        Label="L",
    )
    doc["States"]["M"]["ItemProcessor"]["ProcessorConfig"] = {
        "Mode": "DISTRIBUTED",
        "ExecutionType": "EXPRESS",
    }
    machine = definition.parse(json.dumps(doc))
    context = {"Id": "arn:aws:states:us-east-1:1:execution:sm:e", "Name": "e", "RoleArn": "r"}
    step = interpreter.start(
        machine,
        {"items": [1, 2], "limit": 5},
        execution=context,
        state_machine={"Id": "arn:aws:states:us-east-1:1:stateMachine:sm", "Name": "sm"},
        now=0.0,
    )
    (effect,) = step.effects
    answered = interpreter.resume(
        machine, json.loads(json.dumps(step.run)), interpreter.TaskSucceeded(effect.token, [7]), 1.0
    )

    assert isinstance(effect, interpreter.StartMapRun)
    assert effect.spec["items"] == [1, 2]
    assert effect.spec["max_concurrency"] == 5
    assert effect.spec["tolerated_count"] == 2
    assert effect.spec["execution_type"] == "EXPRESS"
    assert effect.spec["arn"].startswith("arn:aws:states:us-east-1:1:mapRun:sm/L:")
    assert [e["type"] for e in step.events][-1] == "MapRunStarted"
    assert [e["type"] for e in answered.events] == [
        "MapRunSucceeded",
        "MapStateExited",
        "ExecutionSucceeded",
    ]
    assert answered.run["output"] == {"items": [1, 2], "limit": 5, "out": [7]}


def test_an_execution_fails_past_25000_history_events():
    """A loop of Pass states runs until the history quota, then the execution fails."""
    doc = {
        "StartAt": "A",
        "States": {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.stop", "IsPresent": True, "Next": "Done"}],
                "Default": "A",
            },
            "Done": {"Type": "Succeed"},
        },
    }

    out = run_machine(doc, {})

    assert out.status == "FAILED"
    assert out.run["error"] == "States.Runtime"
    assert "25000 history events" in out.run["cause"]
    assert 25_000 <= len(out.events) <= 25_010


def test_a_redrive_takes_a_failed_run_up_at_the_failed_state():
    machine, step = start_task_machine()
    token = step.effects[0].token
    failed = interpreter.resume(
        machine, step.run, interpreter.TaskFailed(token, "Boom", "x"), START + 1
    )

    redriven = interpreter.resume(machine, failed.run, interpreter.Redrive(), START + 2)
    [again] = [e for e in redriven.effects if isinstance(e, interpreter.InvokeTask)]
    done = interpreter.resume(
        machine, redriven.run, interpreter.TaskSucceeded(again.token, 1), START + 3
    )
    twice = interpreter.resume(machine, done.run, interpreter.Redrive(), START + 4)

    assert failed.run["status"] == "FAILED"
    assert redriven.run["status"] == "RUNNING"
    assert [e["type"] for e in redriven.events][:2] == ["ExecutionRedriven", "TaskStateEntered"]
    assert redriven.events[0]["executionRedrivenEventDetails"] == {"redriveCount": 1}
    assert redriven.run["context"]["Execution"]["RedriveCount"] == 1
    assert [e["type"] for e in done.events][-1] == "WaitStateEntered"
    assert twice.accepted is False  # only FAILED, TIMED_OUT and ABORTED runs redrive
