"""AWS::SecretsManager::Secret in stacks, and dynamic references
(`{{resolve:secretsmanager:...}}`, `{{resolve:ssm:...}}`) read when resources are made."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError
from tests.conftest import invoke_json, wait_for
from tests.templates.test_stacks import create, describe, outputs, template, wait

# A SAM app: a generated secret, and a function that gets its password two ways: from its
# environment (a dynamic reference) and from Secrets Manager at run time (boto3).
APP = template(
    """
    Transform: AWS::Serverless-2016-10-31
    Resources:
      DbSecret:
        Type: AWS::SecretsManager::Secret
        Properties:
          Description: the database login
          GenerateSecretString:
            SecretStringTemplate: '{"username": "admin"}'
            GenerateStringKey: password
            PasswordLength: 20
            ExcludeCharacters: '"@/\\'
          Tags:
            - Key: team
              Value: data
      Reader:
        Type: AWS::Serverless::Function
        Properties:
          Runtime: python3.11
          Handler: index.handler
          Timeout: 30
          Policies:
            - AWSSecretsManagerGetSecretValuePolicy:
                SecretArn: !Ref DbSecret
          Environment:
            Variables:
              SECRET_ARN: !Ref DbSecret
              DB_PASSWORD: !Sub "{{resolve:secretsmanager:${DbSecret}:SecretString:password}}"
          InlineCode: |
            import json, os
            import boto3
            def handler(event, context):
                client = boto3.client("secretsmanager")
                value = client.get_secret_value(SecretId=os.environ["SECRET_ARN"])
                login = json.loads(value["SecretString"])
                return {"env": os.environ["DB_PASSWORD"], "read": login["password"],
                        "user": login["username"], "stages": value["VersionStages"]}
    Outputs:
      SecretArn:
        Value: !Ref DbSecret
      SecretId:
        Value: !GetAtt DbSecret.Id
      Function:
        Value: !Ref Reader
    """
)


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


@pytest.fixture(scope="module")
def sm(server: Any) -> Any:
    return server.client("secretsmanager")


def test_a_generated_secret_reaches_a_function_by_reference_and_by_boto3(
    cfn: Any, sm: Any, lambda_client: Any
) -> None:
    """The secret is made from GenerateSecretString; the function's environment holds the
    password through a dynamic reference, and its handler reads the same one with boto3."""
    name = create(cfn, APP)
    found = outputs(cfn, name)

    _, answer = invoke_json(lambda_client, found["Function"], {})
    described = sm.describe_secret(SecretId=found["SecretArn"])
    stored = json.loads(sm.get_secret_value(SecretId=found["SecretArn"])["SecretString"])
    assert found["SecretId"] == found["SecretArn"]
    assert found["SecretArn"].startswith("arn:aws:secretsmanager:us-east-1:000000000000:secret:")
    assert described["Description"] == "the database login"
    assert described["Tags"] == [{"Key": "team", "Value": "data"}]
    assert stored["username"] == "admin"
    assert len(stored["password"]) == 20
    assert not set(stored["password"]) & set('"@/\\')
    assert answer == {
        "env": stored["password"],
        "read": stored["password"],
        "user": "admin",
        "stages": ["AWSCURRENT"],
    }
    body = cfn.get_template(StackName=name)["TemplateBody"]
    assert stored["password"] not in json.dumps(body)

    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    with pytest.raises(ClientError) as gone:
        sm.describe_secret(SecretId=found["SecretArn"])
    assert gone.value.response["Error"]["Code"] == "ResourceNotFoundException"


SECRET = template(
    """
    Parameters:
      Value:
        Type: String
        Default: one
    Resources:
      Plain:
        Type: AWS::SecretsManager::Secret
        Properties:
          Name: !Sub "${AWS::StackName}-plain"
          SecretString: !Ref Value
    Outputs:
      Arn:
        Value: !Ref Plain
    """
)


def test_a_new_secret_string_is_a_new_current_version(cfn: Any, sm: Any) -> None:
    """Changing SecretString updates the secret in place: the old value is AWSPREVIOUS."""
    name = create(cfn, SECRET)
    arn = outputs(cfn, name)["Arn"]

    cfn.update_stack(
        StackName=name, TemplateBody=SECRET,
        Parameters=[{"ParameterKey": "Value", "ParameterValue": "two"}],
    )  # fmt: skip
    wait(cfn, name, "stack_update_complete")

    assert outputs(cfn, name)["Arn"] == arn
    assert sm.get_secret_value(SecretId=f"{name}-plain")["SecretString"] == "two"
    previous = sm.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")
    assert previous["SecretString"] == "one"


REFERENCES = template(
    """
    Parameters:
      Secret:
        Type: String
      Setting:
        Type: String
    Resources:
      Inbox:
        Type: AWS::SQS::Queue
        Properties:
          Tags:
            - Key: user
              Value: !Sub "{{resolve:secretsmanager:${Secret}:SecretString:user}}"
            - Key: previous
              Value: !Sub "{{resolve:secretsmanager:${Secret}::user:AWSPREVIOUS}}"
            - Key: setting
              Value: !Sub "at {{resolve:ssm:${Setting}}} and {{resolve:ssm:${Setting}:1}}"
    Outputs:
      Url:
        Value: !Ref Inbox
    """
)


def test_dynamic_references_read_secrets_and_parameters(cfn: Any, sm: Any, server: Any) -> None:
    """secretsmanager references read a JSON key of a stage; ssm ones a parameter (and a
    version of it), inside longer strings too."""
    secret, setting = f"ref-{uuid.uuid4().hex[:8]}", f"/ref/{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=secret, SecretString='{"user": "first"}')
    sm.put_secret_value(SecretId=secret, SecretString='{"user": "second"}')
    ssm = server.client("ssm")
    ssm.put_parameter(Name=setting, Value="v1", Type="String")
    ssm.put_parameter(Name=setting, Value="v2", Overwrite=True)

    name = create(
        cfn, REFERENCES,
        Parameters=[
            {"ParameterKey": "Secret", "ParameterValue": secret},
            {"ParameterKey": "Setting", "ParameterValue": setting},
        ],
    )  # fmt: skip
    url = outputs(cfn, name)["Url"]

    tags = server.client("sqs").list_queue_tags(QueueUrl=url)["Tags"]
    assert tags == {"user": "second", "previous": "first", "setting": "at v2 and v1"}


MISSING = template(
    """
    Resources:
      Inbox:
        Type: AWS::SQS::Queue
        Properties:
          Tags:
            - Key: user
              Value: "{{resolve:secretsmanager:no-such-secret-anywhere:SecretString:user}}"
    """
)


def test_a_reference_to_a_missing_secret_fails_the_resource(cfn: Any) -> None:
    """The resource fails with Secrets Manager's words; the stack rolls back."""
    name = create(cfn, MISSING, wait=None)

    with pytest.raises(WaiterError):
        wait(cfn, name, "stack_create_complete")

    assert describe(cfn, name)["StackStatus"] == "ROLLBACK_COMPLETE"
    events = cfn.describe_stack_events(StackName=name)["StackEvents"]
    reasons = " ".join(e.get("ResourceStatusReason", "") for e in events)
    assert "Secrets Manager can't find the specified secret." in reasons


ROTATED = template(
    """
    Resources:
      Login:
        Type: AWS::SecretsManager::Secret
        Properties:
          SecretString: first
      Rotator:
        Type: AWS::Lambda::Function
        Properties:
          Runtime: python3.11
          Handler: index.handler
          Timeout: 30
          Role: arn:aws:iam::000000000000:role/rotator
          Code:
            ZipFile: |
              import boto3
              client = boto3.client("secretsmanager")
              def handler(event, context):
                  arn, token = event["SecretId"], event["ClientRequestToken"]
                  if event["Step"] == "createSecret":
                      client.put_secret_value(SecretId=arn, ClientRequestToken=token,
                                              SecretString="rotated",
                                              VersionStages=["AWSPENDING"])
                  elif event["Step"] == "finishSecret":
                      stages = client.describe_secret(SecretId=arn)["VersionIdsToStages"]
                      current = next(v for v, s in stages.items() if "AWSCURRENT" in s)
                      client.update_secret_version_stage(
                          SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token,
                          RemoveFromVersionId=current)
      Schedule:
        Type: AWS::SecretsManager::RotationSchedule
        Properties:
          SecretId: !Ref Login
          RotationLambdaARN: !GetAtt Rotator.Arn
          RotationRules:
            AutomaticallyAfterDays: 7
      Policy:
        Type: AWS::SecretsManager::ResourcePolicy
        Properties:
          SecretId: !Ref Login
          ResourcePolicy:
            Version: "2012-10-17"
            Statement:
              - Effect: Deny
                Principal: "*"
                Action: secretsmanager:DeleteSecret
                Resource: "*"
    Outputs:
      Arn:
        Value: !Ref Login
    """
)


def test_a_rotation_schedule_rotates_the_secret_with_its_function(cfn: Any, sm: Any) -> None:
    """AWS::SecretsManager::RotationSchedule turns rotation on and rotates at once; the
    ResourcePolicy is kept."""
    name = create(cfn, ROTATED)
    arn = outputs(cfn, name)["Arn"]

    def rotated() -> bool:
        return sm.get_secret_value(SecretId=arn)["SecretString"] == "rotated"

    assert wait_for(rotated, 60)
    described = sm.describe_secret(SecretId=arn)
    assert described["RotationEnabled"] is True
    assert described["RotationRules"] == {"AutomaticallyAfterDays": 7}
    policy = json.loads(sm.get_resource_policy(SecretId=arn)["ResourcePolicy"])
    assert policy["Statement"][0]["Action"] == "secretsmanager:DeleteSecret"
    assert sm.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")["SecretString"] == (
        "first"
    )
