"""ValidateStateMachineDefinition's diagnostics: codes and locations as AWS reports them."""

import json

import pytest

from stratus.workflows import definition
from stratus.workflows.validation import diagnose

TASK = "arn:aws:lambda:us-east-1:123456789012:function:f"


def machine(states, start="A", **top):
    return json.dumps({"StartAt": start, "States": states, **top})


def codes(text):
    return [(d.severity, d.code, d.location) for d in diagnose(text)]


def errors(text):
    return [(d.code, d.location) for d in diagnose(text) if d.severity == "ERROR"]


def test_a_valid_definition_has_no_diagnostics():
    text = machine(
        {
            "A": {"Type": "Pass", "Next": "B"},
            "B": {
                "Type": "Task",
                "Resource": TASK,
                "Retry": [
                    {"ErrorEquals": ["States.ALL"], "MaxAttempts": 2, "JitterStrategy": "FULL"}
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F", "ResultPath": "$.err"}],
                "Next": "C",
            },
            "C": {
                "Type": "Choice",
                "Choices": [
                    {
                        "And": [
                            {"Variable": "$.a", "IsPresent": True},
                            {"Variable": "$.a", "NumericGreaterThan": 1},
                        ],
                        "Next": "W",
                    }
                ],
                "Default": "S",
            },
            "W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
            "P": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}],
                "Next": "M",
            },
            "M": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "Y", "States": {"Y": {"Type": "Pass", "End": True}}},
                "ItemSelector": {"v.$": "$$.Map.Item.Value", "f.$": "States.Format('{}', $.a)"},
                "End": True,
            },
            "S": {"Type": "Succeed"},
            "F": {"Type": "Fail", "Error": "E", "Cause": "c"},
        }
    )

    assert diagnose(text) == []
    assert definition.parse(text).start_at == "A"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "MISSING_DESCRIPTION"),
        ("   ", "MISSING_DESCRIPTION"),
        ("{nope", "INVALID_JSON_DESCRIPTION"),
    ],
)
def test_empty_and_broken_json(text, code):
    assert [d.code for d in diagnose(text)] == [code]


@pytest.mark.parametrize(
    ("states", "start", "expected"),
    [
        (
            {"A": {"Type": "Pass", "End": True, "Foo": 1}},
            "A",
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Foo"),
        ),
        ({"A": {"Type": "Nope", "End": True}}, "A", ("SCHEMA_VALIDATION_FAILED", "/States/A/Type")),
        ({"A": {"Type": "Pass"}}, "A", ("SCHEMA_VALIDATION_FAILED", "/States/A")),
        (
            {"A": {"Type": "Pass", "Next": "B", "End": True}, "B": {"Type": "Succeed"}},
            "A",
            ("SCHEMA_VALIDATION_FAILED", "/States/A"),
        ),
        (
            {"A": {"Type": "Pass", "Next": "Nowhere"}},
            "A",
            ("MISSING_TRANSITION_TARGET", "/States/A/Next"),
        ),
        ({"A": {"Type": "Pass", "End": True}}, "Z", ("MISSING_TRANSITION_TARGET", "/StartAt")),
        (
            {"A": {"Type": "Pass", "End": True}, "B": {"Type": "Succeed"}},
            "A",
            ("UNREACHABLE_STATE", "/States/B"),
        ),
        ({"A": {"Type": "Pass", "Next": "A"}}, "A", ("MISSING_END_STATE", "/")),
        (
            {"A": {"Type": "Task", "Resource": "not-an-arn", "End": True}},
            "A",
            ("INVALID_RESOURCE", "/States/A/Resource"),
        ),
        ({"A": {"Type": "Task", "End": True}}, "A", ("SCHEMA_VALIDATION_FAILED", "/States/A")),
        (
            {"A": {"Type": "Pass", "InputPath": "nope", "End": True}},
            "A",
            ("SCHEMA_VALIDATION_FAILED", "/States/A/InputPath"),
        ),
        (
            {"A": {"Type": "Pass", "ResultPath": "$.a[*]", "End": True}},
            "A",
            ("SCHEMA_VALIDATION_FAILED", "/States/A/ResultPath"),
        ),
        (
            {"A": {"Type": "Pass", "Parameters": {"x.$": "nope"}, "End": True}},
            "A",
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Parameters/x.$"),
        ),
        (
            {"A": {"Type": "Pass", "Parameters": {"x.$": "States.Nope()"}, "End": True}},
            "A",
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Parameters/x.$"),
        ),
        ({"A": {"Type": "Wait", "End": True}}, "A", ("SCHEMA_VALIDATION_FAILED", "/States/A")),
        (
            {"A": {"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": True}},
            "A",
            ("SCHEMA_VALIDATION_FAILED", "/States/A"),
        ),
        (
            {"A": {"Type": "Wait", "Timestamp": "tomorrow", "End": True}},
            "A",
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Timestamp"),
        ),
        (
            {"A": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}},
            "A",
            ("SCHEMA_VALIDATION_FAILED", "/States/A"),
        ),
        (
            {"A": {"Type": "Succeed", "Next": "A"}},
            "A",
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Next"),
        ),
        (
            {"A": {"Type": "Choice", "Choices": []}},
            "A",
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Choices"),
        ),
        (
            {
                "A": {
                    "Type": "Choice",
                    "Choices": [{"Variable": "$.a", "StringEquals": 1, "Next": "B"}],
                },
                "B": {"Type": "Succeed"},
            },
            "A",
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Choices[0]/StringEquals"),
        ),
        (
            {
                "A": {"Type": "Choice", "Choices": [{"Variable": "$.a", "Next": "B"}]},
                "B": {"Type": "Succeed"},
            },
            "A",
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Choices[0]"),
        ),
        (
            {
                "A": {"Type": "Choice", "Choices": [{"Variable": "$.a", "IsNull": True}]},
                "B": {"Type": "Succeed"},
            },
            "A",
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Choices[0]"),
        ),
        (
            {
                "A": {
                    "Type": "Task",
                    "Resource": TASK,
                    "Retry": [{"ErrorEquals": ["States.ALL", "E"]}],
                    "End": True,
                }
            },
            "A",
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Retry[0]/ErrorEquals"),
        ),
        (
            {
                "A": {
                    "Type": "Task",
                    "Resource": TASK,
                    "Retry": [{"ErrorEquals": ["E"], "BackoffRate": 0.5}],
                    "End": True,
                }
            },
            "A",
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Retry[0]/BackoffRate"),
        ),
        (
            {
                "A": {
                    "Type": "Task",
                    "Resource": TASK,
                    "Retry": [{"ErrorEquals": ["E"], "JitterStrategy": "SOME"}],
                    "End": True,
                }
            },
            "A",
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Retry[0]/JitterStrategy"),
        ),
        (
            {
                "A": {
                    "Type": "Task",
                    "Resource": TASK,
                    "Catch": [{"ErrorEquals": ["E"], "Next": "Z"}],
                    "End": True,
                }
            },
            "A",
            ("MISSING_TRANSITION_TARGET", "/States/A/Catch[0]/Next"),
        ),
        (
            {
                "A": {
                    "Type": "Task",
                    "Resource": TASK,
                    "TimeoutSeconds": 5,
                    "HeartbeatSeconds": 10,
                    "End": True,
                }
            },
            "A",
            ("SCHEMA_VALIDATION_FAILED", "/States/A/HeartbeatSeconds"),
        ),
        (
            {
                "A": {
                    "Type": "Parallel",
                    "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Pass"}}}],
                    "End": True,
                }
            },
            "A",
            ("SCHEMA_VALIDATION_FAILED", "/States/A/Branches[0]/States/X"),
        ),
        ({"A": {"Type": "Map", "End": True}}, "A", ("SCHEMA_VALIDATION_FAILED", "/States/A")),
        (
            {
                "A": {
                    "Type": "Map",
                    "ItemProcessor": {
                        "StartAt": "X",
                        "States": {"X": {"Type": "Pass", "End": True}},
                    },
                    "ToleratedFailurePercentage": 101,
                    "End": True,
                }
            },
            "A",
            ("SCHEMA_VALIDATION_FAILED", "/States/A/ToleratedFailurePercentage"),
        ),
        ({"A" * 81: {"Type": "Succeed"}}, "A" * 81, ("INVALID_STATE_NAME", "/States/" + "A" * 81)),
    ],
)
def test_each_problem_has_its_code_and_location(states, start, expected):
    assert expected in errors(machine(states, start))


@pytest.mark.parametrize("variable", ["$.a[*]", "$..a", "a.b", "$.l[0:2]"])
def test_choice_variables_must_be_reference_paths(variable):
    text = machine(
        {
            "A": {
                "Type": "Choice",
                "Choices": [{"Variable": variable, "IsNull": True, "Next": "B"}],
                "Default": "B",
            },
            "B": {"Type": "Succeed"},
        }
    )

    assert ("SCHEMA_VALIDATION_FAILED", "/States/A/Choices[0]/Variable") in errors(text)


def test_missing_transition_targets_point_at_the_field():
    text = machine(
        {
            "A": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "Z"}],
                "Default": "Y",
            }
        }
    )

    found = errors(text)

    assert ("MISSING_TRANSITION_TARGET", "/States/A/Choices[0]/Next") in found
    assert ("MISSING_TRANSITION_TARGET", "/States/A/Default") in found


def test_duplicate_state_names_are_reported():
    text = '{"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "A": {"Type": "Succeed"}}}'

    assert [d.code for d in diagnose(text)] == ["DUPLICATE_STATE_NAME"]


def test_required_top_level_fields():
    assert errors('{"States": {}}') == [("SCHEMA_VALIDATION_FAILED", "/")]
    assert ("SCHEMA_VALIDATION_FAILED", "/Foo") in errors(
        machine({"A": {"Type": "Succeed"}}, Foo=1)
    )


def test_jsonata_states_refuse_jsonpath_fields_and_bad_expressions():
    text = machine(
        {
            "A": {"Type": "Pass", "InputPath": "$.a", "Next": "B"},
            "B": {"Type": "Pass", "Output": "{% 1 + %}", "End": True},
        },
        QueryLanguage="JSONata",
    )

    found = errors(text)

    assert ("SCHEMA_VALIDATION_FAILED", "/States/A/InputPath") in found
    assert ("SCHEMA_VALIDATION_FAILED", "/States/B/Output") in found


def test_a_jsonpath_state_cannot_sit_in_a_jsonata_machine():
    text = machine(
        {"A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}}, QueryLanguage="JSONata"
    )

    assert ("SCHEMA_VALIDATION_FAILED", "/States/A/QueryLanguage") in errors(text)


def test_jsonata_choice_rules_use_condition():
    good = machine(
        {
            "A": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $states.input.a > 1 %}", "Next": "B"}],
                "Default": "B",
            },
            "B": {"Type": "Succeed"},
        },
        QueryLanguage="JSONata",
    )
    bad = machine(
        {
            "A": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.a", "IsNull": True, "Next": "B"}],
                "Default": "B",
            },
            "B": {"Type": "Succeed"},
        },
        QueryLanguage="JSONata",
    )

    assert errors(good) == []
    assert ("SCHEMA_VALIDATION_FAILED", "/States/A/Choices[0]/Variable") in errors(bad)


def test_warnings_do_not_fail_the_definition():
    text = machine(
        {
            "A": {"Type": "Pass", "Parameters": {"x": "$.a"}, "Next": "B"},
            "B": {"Type": "Pass", "Result": {"y.$": "$.b"}, "End": True},
        }
    )

    found = codes(text)

    assert ("WARNING", "NO_DOLLAR", "/States/A/Parameters/x") in found
    assert ("WARNING", "PASS_RESULT_IS_STATIC", "/States/B/Result/y.$") in found
    assert definition.parse(text)


def test_parse_raises_with_every_error_in_the_message():
    text = machine({"A": {"Type": "Pass", "Next": "Z", "Foo": 1}})

    with pytest.raises(definition.InvalidDefinition) as caught:
        definition.parse(text)

    message = str(caught.value)
    assert message.startswith("Invalid State Machine Definition: ")
    assert "MISSING_TRANSITION_TARGET" in message
    assert "SCHEMA_VALIDATION_FAILED" in message


def test_definitions_over_one_megabyte_are_refused():
    text = machine({"A": {"Type": "Pass", "Result": "x" * (1024 * 1024), "End": True}})

    assert [d.code for d in diagnose(text)] == ["SCHEMA_VALIDATION_FAILED"]


def test_nested_machines_are_built_and_addressed_by_path():
    text = machine(
        {
            "P": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}},
                    {
                        "StartAt": "M",
                        "States": {
                            "M": {
                                "Type": "Map",
                                "ItemProcessor": {
                                    "StartAt": "Y",
                                    "States": {"Y": {"Type": "Succeed"}},
                                },
                                "End": True,
                            }
                        },
                    },
                ],
                "End": True,
            }
        },
        start="P",
    )

    top = definition.parse(text)

    assert top.child(("P", 0)).start_at == "X"
    assert top.child(("P", 1, "M")).start_at == "Y"


@pytest.mark.parametrize(
    "resource",
    [
        "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "arn:aws:states:::states:startExecution.sync:2",
        "arn:aws:states:us-east-1:123456789012:activity:work",
    ],
)
def test_express_machines_refuse_callbacks_sync_and_activities(resource):
    text = machine({"A": {"Type": "Task", "Resource": resource, "End": True}})

    assert errors(text) == []
    assert [d.code for d in diagnose(text, "EXPRESS")] == ["SCHEMA_VALIDATION_FAILED"]
