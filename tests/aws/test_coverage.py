"""Coverage of each served AWS API, printed (`pytest -s`) and held to a floor: a drop must
be a deliberate edit of FLOORS, never a side effect."""

from __future__ import annotations

from pathlib import Path

from stratus.aws import coverage

# Operations implemented per API when this was last raised; raise it when you add some.
FLOORS = {
    "lambda": 73,
    "logs": 35,
    "cloudformation": 23,
    "ssm": 9,
    "secretsmanager": 19,
    "sqs-json": 23,
    "sns": 42,
    "events": 57,
    "stepfunctions": 37,
    "apigatewayv2": 77,
    "apigateway": 124,
    "scheduler": 12,
    "dynamodb": 32,
    "dynamodbstreams": 4,
    "s3": 55,
    "sts": 2,
    "iam": 31,
    "cloudcontrol": 1,
    "cloudwatch": 19,
}


def test_coverage_never_silently_drops() -> None:
    """Every served API implements at least as many operations as its floor says."""
    found = coverage.served()
    print("\n" + coverage.report(found))

    drops = {
        c.api: f"{len(c.implemented)} < {FLOORS[c.api]}"
        for c in found
        if len(c.implemented) < FLOORS.get(c.api, 0)
    }
    assert drops == {}
    assert {c.api for c in found} == FLOORS.keys()  # every served API has a floor


def test_counts_come_from_the_model() -> None:
    """Only operations the model has count; the total is the model's."""
    counted = coverage.of_handlers("logs", ["FilterLogEvents", "NoSuchOperation"])

    assert counted.implemented == {"FilterLogEvents"}
    assert counted.total == len(coverage.models.service_model("logs").operation_names)


def test_the_documented_operations_left_out_are_the_ones_left_out() -> None:
    """docs/operations-left-out.md (linked from the README) lists exactly what the code
    leaves out; after adding operations, run `python -m stratus.aws.coverage --write-doc`."""
    written = (Path(__file__).parents[2] / coverage.DOCUMENT).read_text()

    assert written == coverage.left_out_document(coverage.served()), (
        "docs/operations-left-out.md is stale: run python -m stratus.aws.coverage --write-doc"
    )
