"""A template's Rules, checked before anything is planned: an assertion that does not hold
refuses the operation with its AssertDescription (a ValidationError) and changes nothing; a
RuleCondition that does not hold skips its rule. CDK's CheckBootstrapVersion reads the
bootstrap version from Parameter Store through an SSM-typed parameter."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.templates.test_stacks import create, describe, stack_name, template

RULES = template(
    """
    Parameters:
      Stage:
        Type: String
        Default: dev
      Size:
        Type: String
        Default: small
      Zones:
        Type: CommaDelimitedList
        Default: a,b
    Rules:
      ProdIsLarge:
        RuleCondition: !Equals [!Ref Stage, prod]
        Assertions:
          - Assert: !Equals [!Ref Size, large]
            AssertDescription: Production stacks must be large.
      KnownZones:
        Assertions:
          - Assert: !EachMemberIn [!Ref Zones, [a, b, c]]
            AssertDescription: Zones are a, b or c.
          - Assert:
              Fn::Not:
                - Fn::Contains: [[us-west-1, eu-north-1], !Ref AWS::Region]
            AssertDescription: Not in this region.
    Resources:
      Queue:
        Type: AWS::SQS::Queue
    """
)


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def parameters(**given: str) -> list[dict[str, str]]:
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in given.items()]


def refusal(cfn: Any, name: str, body: str, **given: str) -> str:
    with pytest.raises(ClientError) as refused:
        cfn.create_stack(StackName=name, TemplateBody=body, Parameters=parameters(**given))
    error = refused.value.response["Error"]
    assert error["Code"] == "ValidationError"
    with pytest.raises(ClientError, match="does not exist"):
        cfn.describe_stacks(StackName=name)  # nothing was made
    return str(error["Message"])


def test_rules_hold_or_refuse_with_their_description(cfn: Any) -> None:
    # A rule whose condition does not hold is skipped: dev may be small.
    assert describe(cfn, create(cfn, RULES))["StackStatus"] == "CREATE_COMPLETE"
    assert (
        describe(cfn, create(cfn, RULES, Parameters=parameters(Stage="prod", Size="large")))[
            "StackStatus"
        ]
        == "CREATE_COMPLETE"
    )

    name = stack_name("rules")
    assert refusal(cfn, name, RULES, Stage="prod") == "Production stacks must be large."
    assert refusal(cfn, name, RULES, Zones="a,d") == "Zones are a, b or c."


def test_an_update_is_checked_too(cfn: Any) -> None:
    name = create(cfn, RULES)

    with pytest.raises(ClientError) as refused:
        cfn.update_stack(StackName=name, TemplateBody=RULES, Parameters=parameters(Stage="prod"))

    assert refused.value.response["Error"]["Message"] == "Production stacks must be large."
    assert describe(cfn, name)["StackStatus"] == "CREATE_COMPLETE"


BOOTSTRAP_CHECK = template(
    """
    Parameters:
      BootstrapVersion:
        Type: AWS::SSM::Parameter::Value<String>
        Default: /stratus-test/rules/bootstrap-version
    Rules:
      CheckBootstrapVersion:
        Assertions:
          - Assert:
              Fn::Not:
                - Fn::Contains: [["1", "2", "3", "4", "5"], !Ref BootstrapVersion]
            AssertDescription: CDK bootstrap stack version 6 required.
    Resources:
      Queue:
        Type: AWS::SQS::Queue
    """
)


def test_cdks_bootstrap_version_check_reads_parameter_store(server: Any, cfn: Any) -> None:
    ssm = server.client("ssm")
    version = "/stratus-test/rules/bootstrap-version"
    ssm.put_parameter(Name=version, Value="5", Type="String", Overwrite=True)

    message = refusal(cfn, stack_name("cdk-rule"), BOOTSTRAP_CHECK)

    assert message == "CDK bootstrap stack version 6 required."
    ssm.put_parameter(Name=version, Value="34", Type="String", Overwrite=True)
    assert describe(cfn, create(cfn, BOOTSTRAP_CHECK))["StackStatus"] == "CREATE_COMPLETE"


def test_rule_functions_stratus_cannot_evaluate_are_refused_by_name(cfn: Any) -> None:
    body = template(
        """
        Parameters:
          Vpc:
            Type: String
            Default: vpc-1
        Rules:
          VpcIsDefault:
            Assertions:
              - Assert: !Equals [!ValueOf [!Ref Vpc, IsDefault], "true"]
        Resources:
          Queue:
            Type: AWS::SQS::Queue
        """
    )

    message = refusal(cfn, stack_name("rule-valueof"), body)

    assert message == "Rule VpcIsDefault uses Fn::ValueOf, which Stratus does not evaluate"
