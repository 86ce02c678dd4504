"""The SAM transform, offline: real SAM templates to the CloudFormation resources AWS makes."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from stratus.errors import Invalid
from stratus.templates.loader import load_template
from stratus.templates.sam import expand


def _expand(body: str, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    template = load_template(textwrap.dedent(body))
    return expand(
        template, parameters or {}, region="us-east-1", account_id="123456789012", stack_name="app"
    )


def _types(template: dict[str, Any]) -> dict[str, str]:
    return {logical_id: r["Type"] for logical_id, r in template["Resources"].items()}


def test_http_api_event() -> None:
    """An HttpApi event makes the implicit ServerlessHttpApi, its $default stage, a permission."""
    template = _expand(
        """
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Hello:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: s3://stratus-artifacts/hello.zip
              Handler: app.handler
              Runtime: python3.12
              Events:
                Get:
                  Type: HttpApi
                  Properties: {Path: /hello, Method: get}
        Outputs:
          Url:
            Value: !Sub "https://${ServerlessHttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/hello"
        """
    )

    assert _types(template) == {
        "Hello": "AWS::Lambda::Function",
        "HelloRole": "AWS::IAM::Role",
        "HelloGetPermission": "AWS::Lambda::Permission",
        "ServerlessHttpApi": "AWS::ApiGatewayV2::Api",
        "ServerlessHttpApiApiGatewayDefaultStage": "AWS::ApiGatewayV2::Stage",
    }
    assert template["Resources"]["Hello"]["Properties"]["Code"] == {
        "S3Bucket": "stratus-artifacts",
        "S3Key": "hello.zip",
    }
    route = template["Resources"]["ServerlessHttpApi"]["Properties"]["Body"]["paths"]["/hello"][
        "get"
    ]
    assert route["x-amazon-apigateway-integration"]["payloadFormatVersion"] == "2.0"
    assert (
        template["Resources"]["ServerlessHttpApiApiGatewayDefaultStage"]["Properties"]["StageName"]
        == "$default"
    )
    assert "Transform" not in template
    assert template["Outputs"]["Url"]["Value"] == {
        "Fn::Sub": "https://${ServerlessHttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/hello"
    }


def test_rest_api_with_token_authorizer() -> None:
    """An Api event on an API with a Lambda TOKEN authorizer: OpenAPI body, deployment, stage."""
    template = _expand(
        """
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Api:
            Type: AWS::Serverless::Api
            Properties:
              StageName: Prod
              Auth:
                DefaultAuthorizer: TokenAuth
                Authorizers:
                  TokenAuth:
                    FunctionArn: !GetAtt Authorizer.Arn
                    Identity: {Header: Authorization}
          Authorizer:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: {Bucket: stratus-artifacts, Key: auth.zip}
              Handler: auth.handler
              Runtime: python3.12
          Items:
            Type: AWS::Serverless::Function
            Properties:
              InlineCode: "def handler(event, context): return {'statusCode': 200}"
              Handler: index.handler
              Runtime: python3.12
              Events:
                Get:
                  Type: Api
                  Properties: {RestApiId: !Ref Api, Path: "/items/{id}", Method: get}
        """
    )

    types = _types(template)
    assert types["Api"] == "AWS::ApiGateway::RestApi"
    assert types["ApiProdStage"] == "AWS::ApiGateway::Stage"
    assert [t for t in types.values() if t == "AWS::ApiGateway::Deployment"] == [
        "AWS::ApiGateway::Deployment"
    ]
    assert types["ApiTokenAuthAuthorizerPermission"] == "AWS::Lambda::Permission"
    body = template["Resources"]["Api"]["Properties"]["Body"]
    authorizer = body["securityDefinitions"]["TokenAuth"]
    assert authorizer["x-amazon-apigateway-authtype"] == "custom"
    assert authorizer["x-amazon-apigateway-authorizer"]["type"] == "token"
    assert body["paths"]["/items/{id}"]["get"]["security"] == [{"TokenAuth": []}]
    assert template["Resources"]["Items"]["Properties"]["Code"] == {
        "ZipFile": "def handler(event, context): return {'statusCode': 200}"
    }
    assert template["Resources"]["Authorizer"]["Properties"]["Code"] == {
        "S3Bucket": "stratus-artifacts",
        "S3Key": "auth.zip",
    }


def test_alias_layer_globals_and_policy_templates() -> None:
    """AutoPublishAlias, a LayerVersion with ContentUri, Globals and DynamoDBCrudPolicy."""
    template = _expand(
        """
        Transform: [AWS::Serverless-2016-10-31]
        Parameters:
          AliasName: {Type: String, Default: live}
        Globals:
          Function:
            Runtime: python3.12
            MemorySize: 256
            Environment: {Variables: {TABLE: items}}
        Resources:
          Deps:
            Type: AWS::Serverless::LayerVersion
            Properties:
              ContentUri: s3://stratus-artifacts/deps.zip
              CompatibleRuntimes: [python3.12]
          Fn:
            Type: AWS::Serverless::Function
            Properties:
              CodeUri: s3://stratus-artifacts/fn.zip
              Handler: app.handler
              AutoPublishAlias: !Ref AliasName
              Layers: [!Ref Deps]
              Policies:
                - DynamoDBCrudPolicy: {TableName: items}
                - AWSXrayWriteOnlyAccess
                - StratusMadeUpPolicy
        """,
        {"AliasName": "live"},
    )

    resources = template["Resources"]
    types = _types(template)
    (layer,) = [k for k, t in types.items() if t == "AWS::Lambda::LayerVersion"]
    (version,) = [k for k, t in types.items() if t == "AWS::Lambda::Version"]
    assert layer.startswith("Deps")
    assert version.startswith("FnVersion")
    assert resources[layer]["Properties"]["Content"] == {
        "S3Bucket": "stratus-artifacts",
        "S3Key": "deps.zip",
    }
    assert resources["FnAliaslive"]["Properties"]["FunctionVersion"] == {
        "Fn::GetAtt": [version, "Version"]
    }
    fn = resources["Fn"]["Properties"]
    assert (fn["Runtime"], fn["MemorySize"], fn["Environment"]) == (
        "python3.12",
        256,
        {"Variables": {"TABLE": "items"}},
    )
    assert fn["Layers"] == [{"Ref": layer}]
    role = resources["FnRole"]["Properties"]
    statement = role["Policies"][0]["PolicyDocument"]["Statement"][0]
    assert "dynamodb:PutItem" in statement["Action"]
    assert role["ManagedPolicyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
        "arn:aws:iam::aws:policy/StratusMadeUpPolicy",  # not bundled: answered without IAM
    ]


def test_template_without_transform_passes_through() -> None:
    """A plain CloudFormation template comes back as it was."""
    template = load_template("Resources:\n  Q: {Type: AWS::SQS::Queue}\n")

    assert expand(template, {}, region="us-east-1", account_id="1", stack_name="s") is template


def test_translator_errors_name_the_resource() -> None:
    """The translator's causes become one ValidationError, as AWS words it."""
    with pytest.raises(Invalid) as caught:
        _expand(
            """
            Transform: AWS::Serverless-2016-10-31
            Resources:
              Fn:
                Type: AWS::Serverless::Function
                Properties:
                  InlineCode: x
                  Handler: index.handler
                  Runtime: python3.12
                  Events:
                    Get: {Type: Api, Properties: {Path: 3, Method: get}}
            """
        )

    assert caught.value.message == (
        "Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless Application "
        "Specification document. Number of errors found: 1. Resource with id [Fn] is invalid. "
        "Event with id [Get] is invalid. Property 'Path' should be a string."
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            """
            Transform: [AWS::Serverless-2016-10-31, MyMacro]
            Resources: {Q: {Type: AWS::SQS::Queue}}
            """,
            "Stratus does not run transform(s) [MyMacro]",
        ),
        (
            """
            Transform: AWS::Serverless-2016-10-31
            Resources:
              App:
                Type: AWS::Serverless::Application
                Properties:
                  Location:
                    ApplicationId: arn:aws:serverlessrepo:us-east-1:1:applications/x
                    SemanticVersion: 1.0.0
            """,
            "Resource with id [App] is invalid. Stratus cannot fetch applications from the "
            "Serverless Application Repository",
        ),
    ],
)
def test_refused(body: str, message: str) -> None:
    """Macros and repository applications are refused without any network call."""
    with pytest.raises(Invalid) as caught:
        _expand(body)

    assert message in caught.value.message
