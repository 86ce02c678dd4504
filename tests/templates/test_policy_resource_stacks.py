"""Resources that attach a policy or a setting to another resource of a served API, in
templates: AWS::SQS::QueueInlinePolicy, AWS::SNS::TopicInlinePolicy,
AWS::Events::EventBusPolicy, AWS::Lambda::LayerVersionPermission and
AWS::Lambda::CodeSigningConfig (with a function naming it). Each is what the API call makes,
changes in place, and leaves with the stack."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest
from tests.templates.test_stacks import create, outputs, template, wait


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def body(principal: str, mode: str) -> str:
    return template(
        f"""
        Resources:
          Queue:
            Type: AWS::SQS::Queue
          QueuePolicy:
            Type: AWS::SQS::QueueInlinePolicy
            Properties:
              Queue: !Ref Queue
              PolicyDocument:
                Statement:
                  - {{Effect: Allow, Principal: {{Service: {principal}}},
                      Action: sqs:SendMessage, Resource: !GetAtt Queue.Arn}}
          Topic:
            Type: AWS::SNS::Topic
          TopicPolicy:
            Type: AWS::SNS::TopicInlinePolicy
            Properties:
              TopicArn: !Ref Topic
              PolicyDocument:
                Statement:
                  - {{Effect: Allow, Principal: {{Service: {principal}}},
                      Action: sns:Publish, Resource: !Ref Topic}}
          Bus:
            Type: AWS::Events::EventBus
            Properties:
              Name: !Sub "${{AWS::StackName}}-bus"
          BusPolicy:
            Type: AWS::Events::EventBusPolicy
            Properties:
              EventBusName: !Ref Bus
              StatementId: from-partner
              Statement:
                Effect: Allow
                Principal: {{AWS: "arn:aws:iam::111122223333:root"}}
                Action: events:PutEvents
                Resource: !GetAtt Bus.Arn
          Signing:
            Type: AWS::Lambda::CodeSigningConfig
            Properties:
              Description: {mode}
              AllowedPublishers:
                SigningProfileVersionArns:
                  - arn:aws:signer:us-east-1:000000000000:/signing-profiles/p/abcdefghij
              CodeSigningPolicies:
                UntrustedArtifactOnDeployment: {mode}
          Fn:
            Type: AWS::Lambda::Function
            Properties:
              Runtime: python3.12
              Handler: index.handler
              Role: arn:aws:iam::000000000000:role/r
              CodeSigningConfigArn: !Ref Signing
              Code:
                ZipFile: |
                  def handler(event, context):
                      return 1
        Outputs:
          Queue:
            Value: !Ref Queue
          Topic:
            Value: !Ref Topic
          Bus:
            Value: !Ref Bus
          Signing:
            Value: !GetAtt Signing.CodeSigningConfigArn
          Fn:
            Value: !Ref Fn
        """
    )


def test_inline_policies_bus_statements_and_code_signing_follow_the_stack(
    server: Any, cfn: Any
) -> None:
    sqs, sns, events, lam = (server.client(s) for s in ("sqs", "sns", "events", "lambda"))

    def read() -> dict[str, Any]:
        queue = sqs.get_queue_attributes(QueueUrl=out["Queue"], AttributeNames=["Policy"])
        topic = sns.get_topic_attributes(TopicArn=out["Topic"])["Attributes"]
        bus = events.describe_event_bus(Name=out["Bus"])
        signing = lam.get_code_signing_config(CodeSigningConfigArn=out["Signing"])
        return {
            "queue": json.loads(queue["Attributes"]["Policy"])["Statement"][0]["Principal"],
            "topic": json.loads(topic["Policy"])["Statement"][0]["Principal"],
            "bus": [s["Sid"] for s in json.loads(bus["Policy"])["Statement"]],
            "signing": signing["CodeSigningConfig"]["CodeSigningPolicies"],
            "fn": lam.get_function_code_signing_config(FunctionName=out["Fn"])[
                "CodeSigningConfigArn"
            ],
        }

    stack = create(cfn, body("events.amazonaws.com", "Warn"))
    out = outputs(cfn, stack)
    first = read()
    cfn.update_stack(
        StackName=stack,
        TemplateBody=body("s3.amazonaws.com", "Enforce"),
        Capabilities=["CAPABILITY_IAM"],
    )
    wait(cfn, stack, "stack_update_complete")
    second = read()
    cfn.delete_stack(StackName=stack)
    wait(cfn, stack, "stack_delete_complete")

    assert first == {
        "queue": {"Service": "events.amazonaws.com"},
        "topic": {"Service": "events.amazonaws.com"},
        "bus": ["from-partner"],
        "signing": {"UntrustedArtifactOnDeployment": "Warn"},
        "fn": out["Signing"],
    }
    assert second == first | {
        "queue": {"Service": "s3.amazonaws.com"},
        "topic": {"Service": "s3.amazonaws.com"},
        "signing": {"UntrustedArtifactOnDeployment": "Enforce"},
    }
    with pytest.raises(lam.exceptions.CodeSigningConfigNotFoundException):
        lam.get_code_signing_config(CodeSigningConfigArn=out["Signing"])


def test_a_layer_version_permission_is_a_statement_of_the_layers_policy(
    server: Any, cfn: Any
) -> None:
    lam = server.client("lambda")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("python/shared.py", "VALUE = 1\n")
    layer = lam.publish_layer_version(
        LayerName=f"shared-{id(archive)}", Content={"ZipFile": archive.getvalue()}
    )
    source = template(
        f"""
        Resources:
          Everyone:
            Type: AWS::Lambda::LayerVersionPermission
            Properties:
              LayerVersionArn: {layer["LayerVersionArn"]}
              Action: lambda:GetLayerVersion
              Principal: "*"
              OrganizationId: o-abcdefghij
        """
    )
    stack = create(cfn, source)
    policy = lam.get_layer_version_policy(
        LayerName=layer["LayerArn"], VersionNumber=layer["Version"]
    )
    cfn.delete_stack(StackName=stack)
    wait(cfn, stack, "stack_delete_complete")

    [statement] = json.loads(policy["Policy"])["Statement"]
    assert statement["Action"] == "lambda:GetLayerVersion"
    assert statement["Principal"] == "*"
    assert statement["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}}
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_layer_version_policy(LayerName=layer["LayerArn"], VersionNumber=layer["Version"])
