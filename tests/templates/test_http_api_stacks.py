"""HTTP APIs made of AWS::ApiGatewayV2::* resources (what CDK and hand-written templates
use): a Deployment that a Stage without AutoDeploy serves, Integration updates in place, and
AWS service integrations (also through a SAM HttpApi's DefinitionBody)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from tests.templates.test_stacks import CAPABILITIES, create, outputs, template, wait


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


HTTP_API = template(
    """
    Parameters:
      Timeout: {Type: Number, Default: 10000}
    Resources:
      Fn:
        Type: AWS::Lambda::Function
        Properties:
          Runtime: python3.11
          Handler: index.handler
          Role: arn:aws:iam::000000000000:role/lambda-role
          Code:
            ZipFile: |
              def handler(event, context):
                  return {"statusCode": 200, "body": "from " + event["rawPath"]}
      Api:
        Type: AWS::ApiGatewayV2::Api
        Properties: {Name: v2-resources, ProtocolType: HTTP}
      Integration:
        Type: AWS::ApiGatewayV2::Integration
        Properties:
          ApiId: !Ref Api
          IntegrationType: AWS_PROXY
          IntegrationUri: !GetAtt Fn.Arn
          PayloadFormatVersion: "2.0"
          TimeoutInMillis: !Ref Timeout
      Route:
        Type: AWS::ApiGatewayV2::Route
        Properties:
          ApiId: !Ref Api
          RouteKey: GET /hello
          Target: !Sub integrations/${Integration}
      Deployment:
        Type: AWS::ApiGatewayV2::Deployment
        DependsOn: Route
        Properties: {ApiId: !Ref Api, Description: first}
      Stage:
        Type: AWS::ApiGatewayV2::Stage
        Properties:
          ApiId: !Ref Api
          StageName: live
          DeploymentId: !Ref Deployment
    Outputs:
      ApiId: {Value: !Ref Api}
      IntegrationId: {Value: !Ref Integration}
      DeploymentId: {Value: !Ref Deployment}
    """
)


def test_a_deployment_resource_is_what_its_stage_serves(server: Any, cfn: Any) -> None:
    apigw = server.client("apigatewayv2")
    name = create(cfn, HTTP_API)
    found = outputs(cfn, name)
    api_id = found["ApiId"]

    answer = httpx.get(f"{server.endpoint_url}/_aws/execute-api/{api_id}/live/hello", timeout=30)
    cfn.update_stack(
        StackName=name, UsePreviousTemplate=True, Capabilities=CAPABILITIES,
        Parameters=[{"ParameterKey": "Timeout", "ParameterValue": "5000"}],
    )  # fmt: skip
    wait(cfn, name, "stack_update_complete")
    integration = apigw.get_integration(ApiId=api_id, IntegrationId=found["IntegrationId"])

    assert (answer.status_code, answer.text) == (200, "from /live/hello")
    stage = apigw.get_stage(ApiId=api_id, StageName="live")
    assert (stage["AutoDeploy"], stage["DeploymentId"]) == (False, found["DeploymentId"])
    assert (
        apigw.get_deployment(ApiId=api_id, DeploymentId=found["DeploymentId"])["Description"]
        == "first"
    )
    assert outputs(cfn, name)["IntegrationId"] == found["IntegrationId"]  # updated in place
    assert integration["TimeoutInMillis"] == 5000


SERVICE_INTEGRATIONS = template(
    """
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Bus:
        Type: AWS::Events::EventBus
        Properties: {Name: !Sub "${AWS::StackName}-bus"}
      Queue:
        Type: AWS::SQS::Queue
      Rule:
        Type: AWS::Events::Rule
        Properties:
          EventBusName: !Ref Bus
          EventPattern: {source: [{prefix: com.mycompany.}]}
          Targets: [{Id: queue, Arn: !GetAtt Queue.Arn}]
      Role:
        Type: AWS::IAM::Role
        Properties:
          AssumeRolePolicyDocument:
            Version: "2012-10-17"
            Statement:
              - {Effect: Allow, Principal: {Service: apigateway.amazonaws.com},
                 Action: sts:AssumeRole}
      Api:
        Type: AWS::ApiGatewayV2::Api
        Properties: {Name: events-api, ProtocolType: HTTP}
      Stage:
        Type: AWS::ApiGatewayV2::Stage
        Properties: {ApiId: !Ref Api, StageName: dev, AutoDeploy: true}
      Route:
        Type: AWS::ApiGatewayV2::Route
        Properties:
          ApiId: !Ref Api
          RouteKey: POST /{source}/{detailType}
          Target: !Join [/, [integrations, !Ref Integration]]
      Integration:
        Type: AWS::ApiGatewayV2::Integration
        Properties:
          ApiId: !Ref Api
          IntegrationType: AWS_PROXY
          IntegrationSubtype: EventBridge-PutEvents
          CredentialsArn: !GetAtt Role.Arn
          RequestParameters:
            Source: com.mycompany.$request.path.source
            DetailType: $request.path.detailType
            Detail: $request.body
            EventBusName: !GetAtt Bus.Arn
          PayloadFormatVersion: "1.0"
          TimeoutInMillis: 10000
      Machine:
        Type: AWS::Serverless::StateMachine
        Properties:
          Type: EXPRESS
          Role: arn:aws:iam::000000000000:role/states
          Definition:
            StartAt: Greet
            States:
              Greet: {Type: Pass, Parameters: {"greeting.$": "$.name"}, End: true}
      SyncApi:
        Type: AWS::Serverless::HttpApi
        Properties:
          DefinitionBody:
            openapi: "3.0.1"
            info: {title: sync, version: "1"}
            paths:
              /:
                post:
                  x-amazon-apigateway-integration:
                    integrationSubtype: StepFunctions-StartSyncExecution
                    credentials: !GetAtt Role.Arn
                    requestParameters:
                      Input: $request.body
                      StateMachineArn: !Ref Machine
                    payloadFormatVersion: "1.0"
                    type: aws_proxy
                    connectionType: INTERNET
    Outputs:
      ApiId: {Value: !Ref Api}
      SyncApiId: {Value: !Ref SyncApi}
      QueueUrl: {Value: !Ref Queue}
    """
)


def test_service_integrations_from_templates(server: Any, cfn: Any, sqs: Any) -> None:
    """AWS::ApiGatewayV2::Integration with an IntegrationSubtype (AWS's apigw-eventbridge
    pattern) and a SAM HttpApi whose DefinitionBody has one (apigw-sfn): both serve."""
    name = create(cfn, SERVICE_INTEGRATIONS)
    found = outputs(cfn, name)
    base = f"{server.endpoint_url}/_aws/execute-api"

    put = httpx.post(f"{base}/{found['ApiId']}/dev/shop/OrderPlaced", json={"id": 1}, timeout=30)
    messages = sqs.receive_message(QueueUrl=found["QueueUrl"], WaitTimeSeconds=10)["Messages"]
    synced = httpx.post(f"{base}/{found['SyncApiId']}/", json={"name": "ada"}, timeout=30)

    assert put.status_code == 200, put.text
    assert put.json()["FailedEntryCount"] == 0
    event = json.loads(messages[0]["Body"])
    assert (event["source"], event["detail-type"]) == ("com.mycompany.shop", "OrderPlaced")
    assert event["detail"] == {"id": 1}
    assert synced.status_code == 200, synced.text
    assert json.loads(synced.json()["output"]) == {"greeting": "ada"}
