"""The asynchronous invocation configuration API (FunctionEventInvokeConfig) and
DeadLetterConfig, as boto3 sees them."""

import datetime
import re

import pytest

HANDLER = "def handler(event, context):\n    return event\n"


def _arn(name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def _config(response: dict) -> dict:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def test_put_answers_the_configuration_with_a_qualified_arn(lambda_client, deploy):
    """Put answers FunctionArn with $LATEST, LastModified as a date, the settings given, and
    an empty DestinationConfig side for each destination not set."""
    name = deploy(HANDLER)
    target = deploy(HANDLER)
    before = datetime.datetime.now(datetime.UTC)

    config = _config(
        lambda_client.put_function_event_invoke_config(
            FunctionName=name,
            MaximumRetryAttempts=1,
            DestinationConfig={"OnFailure": {"Destination": _arn(target)}},
        )
    )

    last_modified = config.pop("LastModified")
    assert config == {
        "FunctionArn": _arn(name, "$LATEST"),
        "MaximumRetryAttempts": 1,
        "DestinationConfig": {"OnSuccess": {}, "OnFailure": {"Destination": _arn(target)}},
    }
    assert before - datetime.timedelta(seconds=1) <= last_modified
    assert last_modified <= datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=1)
    assert _config(lambda_client.get_function_event_invoke_config(FunctionName=name)) == {
        **config,
        "LastModified": last_modified,
    }


def test_put_replaces_and_update_merges(lambda_client, deploy):
    """Put drops the settings it is not given; Update keeps them, and replaces only the
    destination side it is given (an empty Destination removes that side)."""
    name = deploy(HANDLER)
    first, second = deploy(HANDLER), deploy(HANDLER)
    lambda_client.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=0, MaximumEventAgeInSeconds=600
    )

    replaced = lambda_client.put_function_event_invoke_config(
        FunctionName=name, MaximumEventAgeInSeconds=120
    )
    lambda_client.update_function_event_invoke_config(
        FunctionName=name,
        DestinationConfig={
            "OnSuccess": {"Destination": _arn(first)},
            "OnFailure": {"Destination": _arn(second)},
        },
    )
    merged = lambda_client.update_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=2,
        DestinationConfig={"OnSuccess": {"Destination": ""}},
    )

    assert "MaximumRetryAttempts" not in replaced
    assert replaced["MaximumEventAgeInSeconds"] == 120
    assert merged["MaximumRetryAttempts"] == 2
    assert merged["MaximumEventAgeInSeconds"] == 120
    assert merged["DestinationConfig"] == {
        "OnSuccess": {},
        "OnFailure": {"Destination": _arn(second)},
    }
    assert merged["LastModified"] >= replaced["LastModified"]


def test_each_version_and_alias_has_its_own_configuration(lambda_client, deploy):
    """Configurations belong to the qualifier they were put on; List shows them all, with
    their qualified ARNs, and deleting an alias deletes its configuration."""
    name = deploy(HANDLER)
    lambda_client.publish_version(FunctionName=name)
    lambda_client.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    lambda_client.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    lambda_client.put_function_event_invoke_config(
        FunctionName=name, Qualifier="1", MaximumRetryAttempts=1
    )
    lambda_client.put_function_event_invoke_config(
        FunctionName=f"{name}:live", MaximumRetryAttempts=2
    )

    listed = lambda_client.list_function_event_invoke_configs(FunctionName=name)
    alias = lambda_client.get_function_event_invoke_config(FunctionName=name, Qualifier="live")
    lambda_client.delete_alias(FunctionName=name, Name="live")

    assert [
        (c["FunctionArn"], c["MaximumRetryAttempts"]) for c in listed["FunctionEventInvokeConfigs"]
    ] == [(_arn(name, "$LATEST"), 0), (_arn(name, "1"), 1), (_arn(name, "live"), 2)]
    assert alias["FunctionArn"] == _arn(name, "live")
    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.get_function_event_invoke_config(FunctionName=name, Qualifier="live")


def test_list_pages(lambda_client, deploy):
    """ListFunctionEventInvokeConfigs pages with MaxItems and NextMarker."""
    name = deploy(HANDLER)
    for timeout in (4, 5):
        lambda_client.publish_version(FunctionName=name)
        lambda_client.update_function_configuration(FunctionName=name, Timeout=timeout)
    for qualifier in ("$LATEST", "1", "2"):
        lambda_client.put_function_event_invoke_config(
            FunctionName=name, Qualifier=qualifier, MaximumRetryAttempts=1
        )

    first = lambda_client.list_function_event_invoke_configs(FunctionName=name, MaxItems=2)
    rest = lambda_client.list_function_event_invoke_configs(
        FunctionName=name, Marker=first["NextMarker"]
    )

    assert [c["FunctionArn"] for c in first["FunctionEventInvokeConfigs"]] == [
        _arn(name, "$LATEST"),
        _arn(name, "1"),
    ]
    assert [c["FunctionArn"] for c in rest["FunctionEventInvokeConfigs"]] == [_arn(name, "2")]
    assert "NextMarker" not in rest


def test_delete_removes_the_configuration(lambda_client, deploy):
    """Delete answers 204; afterwards Get, Update and Delete find nothing, with AWS's message."""
    name = deploy(HANDLER)
    lambda_client.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)

    response = lambda_client.delete_function_event_invoke_config(FunctionName=name)

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    errors = lambda_client.exceptions
    message = re.escape(f"The function {_arn(name, '$LATEST')} doesn't have an EventInvokeConfig")
    with pytest.raises(errors.ResourceNotFoundException, match=message):
        lambda_client.get_function_event_invoke_config(FunctionName=name)
    with pytest.raises(errors.ResourceNotFoundException, match=message):
        lambda_client.update_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    with pytest.raises(errors.ResourceNotFoundException, match=message):
        lambda_client.delete_function_event_invoke_config(FunctionName=name)


def test_unknown_functions_and_qualifiers_are_not_found(lambda_client, deploy):
    """A function or qualifier that does not exist is ResourceNotFoundException."""
    name = deploy(HANDLER)
    errors = lambda_client.exceptions

    with pytest.raises(errors.ResourceNotFoundException):
        lambda_client.put_function_event_invoke_config(
            FunctionName="no-such-function", MaximumRetryAttempts=1
        )
    with pytest.raises(errors.ResourceNotFoundException):
        lambda_client.put_function_event_invoke_config(
            FunctionName=name, Qualifier="7", MaximumRetryAttempts=1
        )
    with pytest.raises(errors.ResourceNotFoundException):
        lambda_client.put_function_event_invoke_config(
            FunctionName=name, Qualifier="no-alias", MaximumRetryAttempts=1
        )
    with pytest.raises(errors.ResourceNotFoundException):
        lambda_client.list_function_event_invoke_configs(FunctionName="no-such-function")


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"MaximumRetryAttempts": 3},
            "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to "
            "satisfy constraint: Member must have value less than or equal to 2",
        ),
        (
            {"MaximumEventAgeInSeconds": 21601},
            "1 validation error detected: Value '21601' at 'maximumEventAgeInSeconds' failed "
            "to satisfy constraint: Member must have value less than or equal to 21600",
        ),
        (
            {"DestinationConfig": {"OnSuccess": {"Destination": "not-an-arn"}}},
            "1 validation error detected: Value 'not-an-arn' at "
            "'destinationConfig.onSuccess.destination' failed to satisfy constraint: Member "
            "must satisfy regular expression pattern: $|kafka://",
        ),
    ],
)
def test_out_of_range_settings_are_validation_errors(lambda_client, deploy, settings, message):
    """Settings outside AWS's constraints are ValidationException, in AWS's wording."""
    name = deploy(HANDLER)

    with pytest.raises(lambda_client.exceptions.ClientError) as caught:
        lambda_client.put_function_event_invoke_config(FunctionName=name, **settings)

    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert error["Message"].startswith(message)


def test_a_put_without_settings_is_refused(lambda_client, deploy):
    """Put with nothing to set is InvalidParameterValueException, as on AWS."""
    name = deploy(HANDLER)

    with pytest.raises(
        lambda_client.exceptions.InvalidParameterValueException,
        match=r"You must specify at least one of error handling or destination setting\.",
    ):
        lambda_client.put_function_event_invoke_config(FunctionName=name)


@pytest.mark.parametrize(
    ("destination", "message"),
    [
        ("arn:aws:sqs:us-east-1:000000000000:no-such-queue", "queue does not exist"),
        ("arn:aws:sns:us-east-1:000000000000:no-such-topic", "Topic does not exist"),
        ("arn:aws:events:us-east-1:000000000000:event-bus/no-such-bus", "does not exist"),
        ("arn:aws:kinesis:us-east-1:000000000000:stream/s", "'kinesis'"),
        ("arn:aws:states:us-east-1:000000000000:stateMachine:m", "'states'"),
        (_arn("no-such-function"), "Function not found"),
        ("arn:aws:lambda:eu-west-1:000000000000:function:elsewhere", "of this region"),
    ],
)
def test_destinations_stratus_cannot_deliver_to_are_refused(
    lambda_client, deploy, destination, message
):
    """A destination of a service Stratus does not serve yet, or a function that does not
    exist here, is InvalidParameterValueException when it is configured."""
    name = deploy(HANDLER)

    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException, match=message):
        lambda_client.put_function_event_invoke_config(
            FunctionName=name, DestinationConfig={"OnFailure": {"Destination": destination}}
        )


def test_a_function_cannot_be_its_own_destination(lambda_client, deploy):
    """A function is refused as its own destination, as on AWS."""
    name = deploy(HANDLER)

    with pytest.raises(
        lambda_client.exceptions.InvalidParameterValueException,
        match=r"You can't specify the function as a destination for itself\.",
    ):
        lambda_client.put_function_event_invoke_config(
            FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": _arn(name)}}
        )


def test_dead_letter_config_is_shown_only_when_set(lambda_client, deploy):
    """DeadLetterConfig appears in the configuration once set, and an empty TargetArn
    removes it again."""
    target = deploy(HANDLER)
    name = deploy(HANDLER, DeadLetterConfig={"TargetArn": _arn(target)})
    plain = deploy(HANDLER)

    configured = lambda_client.get_function_configuration(FunctionName=name)
    removed = lambda_client.update_function_configuration(
        FunctionName=name, DeadLetterConfig={"TargetArn": ""}
    )

    assert configured["DeadLetterConfig"] == {"TargetArn": _arn(target)}
    assert "DeadLetterConfig" not in removed
    assert "DeadLetterConfig" not in lambda_client.get_function_configuration(FunctionName=plain)


def test_dead_letter_targets_stratus_cannot_deliver_to_are_refused(lambda_client, deploy):
    """A dead-letter target Stratus cannot deliver to (a service it does not serve, a queue
    that does not exist) is InvalidParameterValueException, naming what it can deliver to."""
    name = deploy(HANDLER)

    with pytest.raises(
        lambda_client.exceptions.InvalidParameterValueException,
        match="Supported as a dead-letter queue: Lambda functions",
    ):
        lambda_client.update_function_configuration(
            FunctionName=name,
            DeadLetterConfig={"TargetArn": "arn:aws:events:us-east-1:000000000000:event-bus/b"},
        )
    with pytest.raises(
        lambda_client.exceptions.InvalidParameterValueException, match="queue does not exist"
    ):
        lambda_client.update_function_configuration(
            FunctionName=name,
            DeadLetterConfig={"TargetArn": "arn:aws:sqs:us-east-1:000000000000:no-dlq"},
        )
