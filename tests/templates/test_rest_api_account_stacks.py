"""AWS::ApiGateway::DocumentationPart / DocumentationVersion / VpcLink / ClientCertificate /
Account and AWS::ApiGatewayV2::VpcLink from a template: created, updated in place and
deleted over the CloudFormation API, checked through the API Gateway API."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.templates.test_stacks import create, outputs, template, wait


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


@pytest.fixture(scope="module")
def apigateway(server: Any) -> Any:
    return server.client("apigateway")


DOCUMENTED = template(
    """
    Parameters:
      Summary: {Type: String, Default: first}
      LinkName: {Type: String, Default: nlb-link}
    Resources:
      Api:
        Type: AWS::ApiGateway::RestApi
        Properties: {Name: documented}
      Get:
        Type: AWS::ApiGateway::Method
        Properties:
          RestApiId: !Ref Api
          ResourceId: !GetAtt Api.RootResourceId
          HttpMethod: GET
          AuthorizationType: NONE
          Integration:
            Type: MOCK
            RequestTemplates: {application/json: '{"statusCode": 200}'}
      Deployment:
        Type: AWS::ApiGateway::Deployment
        DependsOn: Get
        Properties: {RestApiId: !Ref Api}
      Certificate:
        Type: AWS::ApiGateway::ClientCertificate
        Properties: {Description: to the back end}
      Stage:
        Type: AWS::ApiGateway::Stage
        Properties:
          RestApiId: !Ref Api
          DeploymentId: !Ref Deployment
          StageName: prod
          ClientCertificateId: !Ref Certificate
      Part:
        Type: AWS::ApiGateway::DocumentationPart
        Properties:
          RestApiId: !Ref Api
          Location: {Type: METHOD, Path: /, Method: GET}
          Properties: !Sub '{"summary": "${Summary}"}'
      Version:
        Type: AWS::ApiGateway::DocumentationVersion
        DependsOn: Part
        Properties: {RestApiId: !Ref Api, DocumentationVersion: v1, Description: first}
      Link:
        Type: AWS::ApiGateway::VpcLink
        Properties:
          Name: !Ref LinkName
          TargetArns: [arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/a/b]
      LinkV2:
        Type: AWS::ApiGatewayV2::VpcLink
        Properties: {Name: !Ref LinkName, SubnetIds: [subnet-1], Tags: {team: a}}
      Account:
        Type: AWS::ApiGateway::Account
        Properties: {CloudWatchRoleArn: arn:aws:iam::000000000000:role/apigw-cfn}
    Outputs:
      ApiId: {Value: !Ref Api}
      PartId: {Value: !Ref Part}
      Version: {Value: !Ref Version}
      LinkId: {Value: !GetAtt Link.VpcLinkId}
      CertificateId: {Value: !Ref Certificate}
      LinkV2Id: {Value: !Ref LinkV2}
    """
)


def test_documentation_links_certificates_and_the_account_from_a_template(server, cfn, apigateway):
    v2 = server.client("apigatewayv2")
    name = create(cfn, DOCUMENTED)
    found = outputs(cfn, name)
    api_id = found["ApiId"]

    part = apigateway.get_documentation_part(restApiId=api_id, documentationPartId=found["PartId"])
    assert json.loads(part["properties"]) == {"summary": "first"}
    assert part["location"] == {"type": "METHOD", "path": "/", "method": "GET"}
    assert found["Version"] == "v1"
    assert (
        apigateway.get_documentation_version(restApiId=api_id, documentationVersion="v1")[
            "description"
        ]
        == "first"
    )
    stage = apigateway.get_stage(restApiId=api_id, stageName="prod")
    assert stage["clientCertificateId"] == found["CertificateId"]
    assert (
        "BEGIN CERTIFICATE"
        in apigateway.get_client_certificate(clientCertificateId=found["CertificateId"])[
            "pemEncodedCertificate"
        ]
    )
    assert apigateway.get_vpc_link(vpcLinkId=found["LinkId"])["name"] == "nlb-link"
    assert v2.get_vpc_link(VpcLinkId=found["LinkV2Id"])["Tags"] == {"team": "a"}
    assert (
        apigateway.get_account()["cloudwatchRoleArn"] == "arn:aws:iam::000000000000:role/apigw-cfn"
    )

    cfn.update_stack(
        StackName=name, UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "Summary", "ParameterValue": "second"},
                    {"ParameterKey": "LinkName", "ParameterValue": "renamed"}],
    )  # fmt: skip
    wait(cfn, name, "stack_update_complete")
    after = outputs(cfn, name)

    assert after["PartId"] == found["PartId"]  # updated in place
    part = apigateway.get_documentation_part(restApiId=api_id, documentationPartId=found["PartId"])
    assert json.loads(part["properties"]) == {"summary": "second"}
    assert apigateway.get_vpc_link(vpcLinkId=found["LinkId"])["name"] == "renamed"
    assert v2.get_vpc_link(VpcLinkId=found["LinkV2Id"])["Name"] == "renamed"

    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    with pytest.raises(ClientError):
        apigateway.get_vpc_link(vpcLinkId=found["LinkId"])
    with pytest.raises(ClientError):
        v2.get_vpc_link(VpcLinkId=found["LinkV2Id"])
    with pytest.raises(ClientError):
        apigateway.get_client_certificate(clientCertificateId=found["CertificateId"])
