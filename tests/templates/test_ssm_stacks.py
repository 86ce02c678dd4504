"""AWS::SSM::Parameter in stacks: created, read by Ref/GetAtt, updated as a new version,
deleted with the stack."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.templates.test_stacks import create, outputs, template, wait

PARAMETER = template(
    """
    Parameters:
      Value:
        Type: String
        Default: one
    Resources:
      Setting:
        Type: AWS::SSM::Parameter
        Properties:
          Type: String
          Value: !Ref Value
          Description: a setting
    Outputs:
      Name:
        Value: !Ref Setting
      Value:
        Value: !GetAtt Setting.Value
    """
)


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


@pytest.fixture(scope="module")
def ssm(server: Any) -> Any:
    return server.client("ssm")


def test_a_parameter_lives_with_its_stack(cfn: Any, ssm: Any) -> None:
    name = create(cfn, PARAMETER)
    found = outputs(cfn, name)
    parameter = ssm.get_parameter(Name=found["Name"])["Parameter"]
    assert (parameter["Value"], parameter["Version"]) == ("one", 1)
    assert found["Value"] == "one"
    assert found["Name"].startswith(f"{name}-CFN-Setting-")

    cfn.update_stack(
        StackName=name, TemplateBody=PARAMETER,
        Parameters=[{"ParameterKey": "Value", "ParameterValue": "two"}],
    )  # fmt: skip
    wait(cfn, name, "stack_update_complete")
    parameter = ssm.get_parameter(Name=found["Name"])["Parameter"]
    assert (parameter["Value"], parameter["Version"]) == ("two", 2)

    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    with pytest.raises(ClientError) as gone:
        ssm.get_parameter(Name=found["Name"])
    assert gone.value.response["Error"]["Code"] == "ParameterNotFound"


FROM_STORE = template(
    """
    Parameters:
      Version:
        Type: AWS::SSM::Parameter::Value<String>
        Default: /stratus-test/bootstrap/version
      Hosts:
        Type: AWS::SSM::Parameter::Value<List<String>>
        Default: /stratus-test/hosts
    Resources:
      Inbox:
        Type: AWS::SQS::Queue
        Properties:
          Tags:
            - Key: version
              Value: !Ref Version
    Outputs:
      Version:
        Value: !Ref Version
      SecondHost:
        Value: !Select [1, !Ref Hosts]
    """
)


def test_ssm_typed_template_parameters_read_the_store(cfn: Any, ssm: Any) -> None:
    ssm.put_parameter(Name="/stratus-test/hosts", Value="a,b", Type="StringList", Overwrite=True)
    with pytest.raises(ClientError) as missing:
        create(cfn, FROM_STORE, wait=None)
    assert "Unable to fetch parameters [/stratus-test/bootstrap/version]" in str(missing.value)
    ssm.put_parameter(Name="/stratus-test/bootstrap/version", Value="21", Type="String")

    name = create(cfn, FROM_STORE)

    assert outputs(cfn, name) == {"Version": "21", "SecondHost": "b"}
    described = cfn.describe_stacks(StackName=name)["Stacks"][0]["Parameters"]
    version = next(p for p in described if p["ParameterKey"] == "Version")
    assert version["ParameterValue"] == "/stratus-test/bootstrap/version"
    assert version["ResolvedValue"] == "21"
