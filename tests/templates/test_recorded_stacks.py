"""Types Stratus records without serving, as CDK's stacks declare them: an ECR repository
(the bootstrap stack's, for image assets), a KMS key and its alias (`cdk bootstrap
--bootstrap-customer-key`) and CDK's AWS::CDK::Metadata. They deploy, resolve
Ref/GetAtt in AWS's shapes, replace on a new name and go with the stack."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from tests.templates.test_stacks import create, outputs, physical_id, template, wait

RECORDED = template(
    """
    Parameters:
      RepositoryName:
        Type: String
        Default: cdk-hnb659fds-container-assets-000000000000-us-east-1
    Resources:
      Named:
        Type: AWS::ECR::Repository
        Properties:
          RepositoryName: !Ref RepositoryName
          ImageTagMutability: IMMUTABLE
          LifecyclePolicy:
            LifecyclePolicyText: >-
              {"rules": [{"rulePriority": 1, "selection": {"tagStatus": "untagged",
              "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 365},
              "action": {"type": "expire"}}]}
      Unnamed:
        Type: AWS::ECR::Repository
      Key:
        Type: AWS::KMS::Key
        Properties:
          KeyPolicy:
            Statement:
              - Action: kms:*
                Effect: Allow
                Principal:
                  AWS: !Ref AWS::AccountId
                Resource: "*"
      KeyAlias:
        Type: AWS::KMS::Alias
        Properties:
          AliasName: alias/cdk-hnb659fds-assets-key
          TargetKeyId: !Ref Key
      CDKMetadata:
        Type: AWS::CDK::Metadata
        Properties:
          Analytics: v2:deflate64:H4sIAAAAAAAA/zPSMzQ0MDJQNDFOVUwuyUxPSSrIz8xRMjQ3MjAx
    Outputs:
      Name:
        Value: !Ref Named
      Arn:
        Value: !GetAtt Named.Arn
      Uri:
        Value: !GetAtt Named.RepositoryUri
      Generated:
        Value: !Ref Unnamed
      KeyId:
        Value: !Ref Key
      KeyArn:
        Value: !GetAtt Key.Arn
      Alias:
        Value: !Ref KeyAlias
    """
)


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def test_ecr_repositories_and_cdk_metadata_are_recorded(server: Any, cfn: Any) -> None:
    name = create(cfn, RECORDED)

    found = outputs(cfn, name)
    account, region = server.settings.account_id, server.settings.region
    repository = "cdk-hnb659fds-container-assets-000000000000-us-east-1"
    assert found["Name"] == repository
    assert found["Arn"] == f"arn:aws:ecr:{region}:{account}:repository/{repository}"
    assert found["Uri"] == f"{account}.dkr.ecr.{region}.amazonaws.com/{repository}"
    # A generated repository name is lower case: ECR allows nothing else.
    assert found["Generated"] == found["Generated"].lower()
    assert found["Generated"].startswith(f"{name}-unnamed-")
    assert physical_id(cfn, name, "CDKMetadata")
    assert found["KeyArn"] == f"arn:aws:kms:{region}:{account}:key/{found['KeyId']}"
    assert uuid.UUID(found["KeyId"])
    assert found["Alias"] == "alias/cdk-hnb659fds-assets-key"

    cfn.update_stack(
        StackName=name, TemplateBody=RECORDED, Capabilities=["CAPABILITY_IAM"],
        Parameters=[{"ParameterKey": "RepositoryName", "ParameterValue": "renamed"}],
    )  # fmt: skip
    wait(cfn, name, "stack_update_complete")
    assert outputs(cfn, name)["Uri"] == f"{account}.dkr.ecr.{region}.amazonaws.com/renamed"

    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
