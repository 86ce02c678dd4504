"""The query protocol against botocore as the oracle: what we render, botocore's QueryParser
reads back as the same members; what botocore's QuerySerializer sends, we parse back to the
members it was given. Values come from hypothesis, following each operation's model."""

from __future__ import annotations

import urllib.parse
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.model import OperationModel, Shape
from botocore.parsers import QueryParser
from botocore.serialize import QuerySerializer
from hypothesis import given
from hypothesis import strategies as st
from shape_values import ORACLE, operation, values, without_unrendered
from starlette.datastructures import Headers

from stratus.aws import cloudformation_api
from stratus.aws.protocols import models, query, validate
from stratus.errors import (
    Invalid,
    Malformed,
    StratusError,
    Throttled,
    UnknownOperation,
    Validation,
)

CLOUDFORMATION = models.service_model("cloudformation")
# Operations of other query services that carry what CloudFormation lacks: flattened lists,
# maps of structures, blobs, locationNames on list members and scalars, floats and longs.
OTHERS = [
    "sns:CreateTopic",
    "sns:Publish",
    "sns:PublishBatch",
    "sns:GetTopicAttributes",
    "sdb:PutAttributes",
    "sdb:GetAttributes",
    "sdb:Select",
    "iam:GetCredentialReport",
    "iam:GetAccountSummary",
    "redshift:DescribeClusters",
    "redshift:CreateSnapshotSchedule",
    "autoscaling:CreateAutoScalingGroup",
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:PutScalingPolicy",
    "rds:CreateDBCluster",
    "ses:SendRawEmail",
    "ses:GetSendStatistics",
    "elasticache:CreateCacheCluster",
]
OPERATIONS = [f"cloudformation:{name}" for name in CLOUDFORMATION.operation_names] + OTHERS


def sends(shape: Shape, value: Any) -> bool:
    """Whether botocore writes anything to the form for `value`."""
    kind = shape.type_name
    if kind == "structure":
        return any(sends(shape.members[k], v) for k, v in value.items())
    if kind == "list":  # an empty list is sent as `Name=`
        return not value or any(sends(shape.member, item) for item in value)
    if kind == "map":  # each entry's key is sent, whatever its value
        return bool(value)
    return True


def as_sent(shape: Shape, value: Any) -> Any:
    """What a form can say of `value`: nothing of empty structures, nor of map entries
    whose value is one."""
    kind = shape.type_name
    if kind == "structure":
        kept = {
            k: as_sent(shape.members[k], v) for k, v in value.items() if sends(shape.members[k], v)
        }
        return {k: v for k, v in kept.items() if v is not None}
    if kind == "list":
        return [as_sent(shape.member, item) for item in value if sends(shape.member, item)]
    if kind == "map":
        kept = {k: as_sent(shape.value, v) for k, v in value.items() if sends(shape.value, v)}
        return kept or None
    return value


def botocore_reads(op: OperationModel, body: bytes, status: int = 200) -> dict[str, Any]:
    return QueryParser().parse(
        {"body": body, "headers": {}, "status_code": status}, op.output_shape
    )


def form_of(op: OperationModel, params: dict[str, Any]) -> dict[str, str]:
    """The form botocore would POST for `params`, as the server decodes it."""
    body = QuerySerializer().serialize_to_request(params, op)["body"]
    return dict(urllib.parse.parse_qsl(urllib.parse.urlencode(body), keep_blank_values=True))


@pytest.mark.parametrize("name", OPERATIONS)
@ORACLE
@given(data=st.data())
def test_rendered_outputs_read_back_by_botocore(name, data):
    """Any output the model allows, rendered, is what botocore's parser reads."""
    op = operation(name)
    output = data.draw(values(op.output_shape)) if op.output_shape else {}

    parsed = botocore_reads(op, query.render_output(op, output, "req-1"))

    assert parsed.pop("ResponseMetadata")["RequestId"] == "req-1"
    expected = without_unrendered(op.output_shape, output) if op.output_shape else {}
    assert parsed == expected


@pytest.mark.parametrize("name", [n for n in OPERATIONS if operation(n).input_shape])
@ORACLE
@given(data=st.data())
def test_inputs_serialized_by_botocore_parse_back(name, data):
    """Any input botocore serializes, we parse back to the same members."""
    op = operation(name)
    params = data.draw(values(op.input_shape))
    form = form_of(op, params)

    parsed = query.parse_params(op.input_shape, form)

    assert parsed == as_sent(op.input_shape, params)


def test_create_stack_answer_is_aws_shaped():
    """The XML AWS answers: the Response element in the service's namespace, the result
    wrapper, ResponseMetadata."""
    op = CLOUDFORMATION.operation_model("CreateStack")

    body = query.render_output(op, {"StackId": "arn:aws:cloudformation:x"}, "r-1").decode()

    assert body == (
        '<CreateStackResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
        "<CreateStackResult><StackId>arn:aws:cloudformation:x</StackId></CreateStackResult>"
        "<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>"
        "</CreateStackResponse>"
    )


def test_output_without_shape_and_empty_result():
    """DeleteStack answers ResponseMetadata only; an empty result still has its wrapper,
    which botocore looks up unconditionally."""
    delete = CLOUDFORMATION.operation_model("DeleteStack")
    exports = CLOUDFORMATION.operation_model("ListExports")

    deleted = query.render_output(delete, None, "r-2").decode()
    listed = botocore_reads(exports, query.render_output(exports, {"Exports": []}, "r-3"))

    assert deleted.endswith(
        "<ResponseMetadata><RequestId>r-2</RequestId></ResponseMetadata></DeleteStackResponse>"
    )
    assert listed["Exports"] == []


def test_text_escaping_survives_and_unencodable_characters_are_replaced():
    """Markup characters and CR come back exactly; characters XML 1.0 cannot carry become
    U+FFFD instead of breaking the document."""
    op = CLOUDFORMATION.operation_model("GetTemplate")
    body = "a<b>&c\r\nd]]>e\x00f\x1bg"

    parsed = botocore_reads(op, query.render_output(op, {"TemplateBody": body}, "r"))

    assert parsed["TemplateBody"] == "a<b>&c\r\nd]]>e\ufffdf\ufffdg"


def test_timestamps_render_in_utc_with_milliseconds():
    """Naive times are taken as UTC; aware ones are converted; numbers are epoch seconds."""
    op = CLOUDFORMATION.operation_model("DescribeStackEvents")
    paris = datetime.fromisoformat("2026-01-01T01:00:00.123456+01:00")

    body = query.render_output(
        op,
        {
            "StackEvents": [
                _event(paris),
                _event(datetime(2026, 1, 1, 0, 0, 0, 999999)),
                _event(1767225600.5),
            ]
        },
        "r",
    ).decode()

    assert "<Timestamp>2026-01-01T00:00:00.123Z</Timestamp>" in body
    assert "<Timestamp>2026-01-01T00:00:00.999Z</Timestamp>" in body
    assert "<Timestamp>2026-01-01T00:00:00.500Z</Timestamp>" in body


def _event(when: Any) -> dict[str, Any]:
    return {
        "StackId": "s",
        "EventId": "e",
        "StackName": "n",
        "Timestamp": when,
        "ResourceStatus": "CREATE_COMPLETE",
    }


def test_rendering_an_unknown_member_is_a_bug():
    """A member the model does not have is an adapter's mistake, not something to send."""
    op = CLOUDFORMATION.operation_model("DescribeStackResources")
    resource = {
        "StackName": "s",
        "LogicalResourceId": "L",
        "ResourceType": "AWS::Logs::LogGroup",
        "Timestamp": datetime(2026, 1, 1, tzinfo=UTC),
        "ResourceStatus": "CREATE_COMPLETE",
        "Metadata": "{}",  # StackResourceDetail has it; StackResource does not
    }

    with pytest.raises(TypeError, match="Metadata"):
        query.render_output(op, {"StackResources": [resource]}, "r")


@pytest.mark.parametrize(
    ("error", "code", "status", "kind"),
    [
        (Invalid("Stack with id x does not exist"), "ValidationError", 400, "Sender"),
        (Validation("1 validation error detected: ..."), "ValidationError", 400, "Sender"),
        (UnknownOperation("Could not find operation X"), "InvalidAction", 400, "Sender"),
        (Malformed("bad form"), "MalformedQueryString", 400, "Sender"),
        (Throttled("slow down"), "Throttling", 400, "Sender"),
        (StratusError("Internal error: boom"), "InternalFailure", 500, "Receiver"),
    ],
)
def test_errors_render_as_botocore_reads_them(error, code, status, kind):
    """Errors are <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>: 400
    Sender for the caller's mistakes, the 5xx status and Receiver for ours."""
    op = CLOUDFORMATION.operation_model("DescribeStacks")

    response = query.error_response(error, "cloudformation", cloudformation_api.ERRORS)
    parsed = botocore_reads(op, response.body, response.status_code)

    assert response.status_code == status
    assert parsed["Error"] == {"Type": kind, "Code": code, "Message": error.message}
    assert parsed["ResponseMetadata"]["RequestId"] == response.headers["x-amzn-RequestId"]


def test_unknown_action_and_version():
    """An Action the model lacks, or another API version, is InvalidAction in AWS's words."""
    with pytest.raises(UnknownOperation) as unknown:
        query.find_operation(CLOUDFORMATION, {"Action": "LaunchRocket", "Version": "2010-05-15"})
    with pytest.raises(UnknownOperation) as old:
        query.find_operation(CLOUDFORMATION, {"Action": "DescribeStacks", "Version": "2009-01-01"})
    with pytest.raises(UnknownOperation) as missing:
        query.find_operation(CLOUDFORMATION, {"Version": "2010-05-15"})

    assert unknown.value.message == "Could not find operation LaunchRocket for version 2010-05-15"
    assert old.value.message == "Could not find operation DescribeStacks for version 2009-01-01"
    assert "names no Action" in missing.value.message


def check(operation_name: str, params: dict[str, Any]) -> str:
    shape = CLOUDFORMATION.operation_model(operation_name).input_shape
    with pytest.raises(Validation) as refused:
        validate.check(shape, params)
    return refused.value.message


def test_missing_required_member_in_aws_words():
    """A required member left out is reported as AWS reports it, by camelCase path."""
    message = check("DescribeStackResource", {"LogicalResourceId": "L"})

    assert message == (
        "1 validation error detected: Value null at 'stackName' failed to satisfy "
        "constraint: Member must not be null"
    )


def test_nested_and_several_violations():
    """Nested members are named like tags.1.member.key; all problems are listed at once."""
    message = check(
        "CreateStack",
        {"StackName": "s", "Tags": [{"Value": "v"}], "TimeoutInMinutes": 0, "TemplateBody": ""},
    )

    assert message.startswith("3 validation errors detected: ")
    assert (
        "Value null at 'tags.1.member.key' failed to satisfy constraint: Member must not be null"
        in message
    )
    assert (
        "Value '0' at 'timeoutInMinutes' failed to satisfy constraint: Member must have value "
        "greater than or equal to 1"
    ) in message
    assert (
        "Value '' at 'templateBody' failed to satisfy constraint: Member must have length "
        "greater than or equal to 1"
    ) in message


def test_enum_and_pattern_violations():
    """Enum values and patterns from the model are enforced, quoting the allowed set."""
    stage = check("GetTemplate", {"StackName": "s", "TemplateStage": "Final"})
    status = check("ListStacks", {"StackStatusFilter": ["CREATE_COMPLETE", "DONE"]})
    token = check("CreateStack", {"StackName": "s", "ClientRequestToken": "not a token"})

    assert stage == (
        "1 validation error detected: Value 'Final' at 'templateStage' failed to satisfy "
        "constraint: Member must satisfy enum value set: [Original, Processed]"
    )
    assert "Value 'DONE' at 'stackStatusFilter.2.member'" in status
    assert token == (
        "1 validation error detected: Value 'not a token' at 'clientRequestToken' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: "
        "[a-zA-Z0-9][-a-zA-Z0-9]*"
    )


def test_valid_input_passes_the_checks():
    """The checks refuse only what breaks a constraint."""
    shape = CLOUDFORMATION.operation_model("CreateStack").input_shape
    params = {
        "StackName": "s",
        "TemplateBody": "{}",
        "Tags": [{"Key": "k", "Value": "v"}],
        "Capabilities": ["CAPABILITY_IAM"],
        "TimeoutInMinutes": 5,
    }

    validate.check(shape, params)


@pytest.mark.parametrize(
    ("member", "raw", "expected"),
    [
        ("DisableRollback", "maybe", "Member must be true or false"),
        ("TimeoutInMinutes", "ten", "Member must be a valid integer"),
        ("TimeoutInMinutes", "1.5", "Member must be a valid integer"),
    ],
)
def test_scalars_that_do_not_parse(member, raw, expected):
    """Text that is not the member's type is a ValidationError naming the member."""
    shape = CLOUDFORMATION.operation_model("CreateStack").input_shape
    where = member[0].lower() + member[1:]

    with pytest.raises(Validation) as refused:
        query.parse_params(shape, {"StackName": "s", member: raw})

    assert refused.value.message == (
        f"1 validation error detected: Value '{raw}' at '{where}' failed to satisfy "
        f"constraint: {expected}"
    )


def test_scalars_parse_leniently_where_aws_does():
    """Booleans in any case; timestamps in ISO 8601 with or without a zone, or epoch seconds."""
    shape = (
        models.service_model("autoscaling")
        .operation_model("PutScheduledUpdateGroupAction")
        .input_shape
    )
    parsed = query.parse_params(
        shape,
        {
            "AutoScalingGroupName": "g",
            "ScheduledActionName": "a",
            "StartTime": "2026-01-01T00:00:00",
            "EndTime": "1767225600",
            "Time": "2026-01-01T01:00:00+01:00",
        },
    )
    flags = query.parse_params(
        CLOUDFORMATION.operation_model("CreateStack").input_shape,
        {"StackName": "s", "DisableRollback": "TRUE", "EnableTerminationProtection": "False"},
    )

    midnight = datetime(2026, 1, 1, tzinfo=UTC)
    assert parsed["StartTime"] == parsed["EndTime"] == parsed["Time"] == midnight
    assert flags["DisableRollback"] is True
    assert flags["EnableTerminationProtection"] is False


def test_list_indices_need_not_be_contiguous():
    """Items come in index order; gaps and non-numeric segments are skipped, not fatal."""
    shape = CLOUDFORMATION.operation_model("CreateStack").input_shape
    form = {
        "StackName": "s",
        "Capabilities.member.3": "CAPABILITY_AUTO_EXPAND",
        "Capabilities.member.1": "CAPABILITY_IAM",
        "Capabilities.member.x": "ignored",
        "Capabilities.member.0": "ignored",
    }

    parsed = query.parse_params(shape, form)

    assert parsed["Capabilities"] == ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]


def test_signing_service_comes_from_the_credential_scope():
    """The SigV4 credential scope names the service; unsigned requests have none."""
    signed = Headers(
        {
            "authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/cloudformation/"
            "aws4_request, SignedHeaders=host;x-amz-date, Signature=abc"
        }
    )

    assert query.signing_service(signed) == "cloudformation"
    assert query.signing_service(Headers({})) is None
    assert query.signing_service(Headers({"authorization": "Bearer x"})) is None
