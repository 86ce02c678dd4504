"""HTTP APIs made of AWS::ApiGatewayV2::* resources (what CDK and hand-written templates
use): a Deployment that a Stage without AutoDeploy serves, and Integration updates in place."""

from __future__ import annotations

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
