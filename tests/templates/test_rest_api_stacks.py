"""REST APIs (AWS::ApiGateway::*) from templates: what the SAM translator makes of `Api`
events with a Lambda authorizer, and plain CloudFormation resources, created, updated and
deleted over the CloudFormation API and checked through the API Gateway API."""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError, WaiterError
from tests.templates.test_stacks import (
    CAPABILITIES,
    create,
    describe,
    outputs,
    physical_id,
    template,
    wait,
)


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


@pytest.fixture(scope="module")
def apigateway(server: Any) -> Any:
    return server.client("apigateway")


SAM_ITEMS = template(
    """
    Transform: AWS::Serverless-2016-10-31
    Globals:
      Function:
        Runtime: python3.11
        Handler: index.handler
    Resources:
      Items:
        Type: AWS::Serverless::Function
        Properties:
          InlineCode: |
            import json
            def handler(event, context):
                body = {"method": event["httpMethod"], "resource": event["resource"],
                        "id": (event.get("pathParameters") or {}).get("id")}
                return {"statusCode": 200, "body": json.dumps(body)}
          Events:
            List:
              Type: Api
              Properties: {Path: /items, Method: get}
            Get:
              Type: Api
              Properties: {Path: "/items/{id}", Method: get}
            Add:
              Type: Api
              Properties: {Path: /items, Method: post}
      TokenCheck:
        Type: AWS::Serverless::Function
        Properties:
          InlineCode: |
            def handler(event, context):
                effect = "Allow" if event["authorizationToken"] == "let-me-in" else "Deny"
                return {"principalId": "user", "policyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [{"Action": "execute-api:Invoke", "Effect": effect,
                                   "Resource": event["methodArn"]}]}}
    Outputs:
      ItemsUrl:
        Value: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/items"
      ApiId:
        Value: !Ref ServerlessRestApi
    """
)

AUTH = """
  Api:
    Auth:
      DefaultAuthorizer: Tokens
      Authorizers:
        Tokens:
          FunctionArn: !GetAtt TokenCheck.Arn
"""


def _with_auth(body: str) -> str:
    return body.replace("Globals:\n", "Globals:\n" + AUTH.strip("\n") + "\n", 1)


def _methods(apigateway: Any, api_id: str) -> dict[str, dict[str, Any]]:
    found = apigateway.get_resources(restApiId=api_id, embed=["methods"])["items"]
    return {r["path"]: r.get("resourceMethods", {}) for r in found}


def test_sam_api_events_with_a_token_authorizer_become_a_rest_api(
    cfn: Any, apigateway: Any
) -> None:
    """The implicit ServerlessRestApi (an OpenAPI import) has the events' resources and
    methods behind the Lambda TOKEN authorizer, a Prod stage and SAM's extra Stage stage;
    the output URL is a local one."""
    name = create(cfn, _with_auth(SAM_ITEMS))
    found = outputs(cfn, name)
    api_id = found["ApiId"]
    methods = _methods(apigateway, api_id)
    [authorizer] = apigateway.get_authorizers(restApiId=api_id)["items"]
    stages = {s["stageName"]: s for s in apigateway.get_stages(restApiId=api_id)["item"]}

    assert physical_id(cfn, name, "ServerlessRestApi") == api_id
    assert set(methods) == {"/", "/items", "/items/{id}"}
    assert set(methods["/items"]) == {"GET", "POST"}
    assert set(methods["/items/{id}"]) == {"GET"}
    get = methods["/items/{id}"]["GET"]
    assert get["authorizationType"] == "CUSTOM"
    assert get["authorizerId"] == authorizer["id"]
    assert get["methodIntegration"]["type"] == "AWS_PROXY"
    assert authorizer["type"] == "TOKEN"
    assert authorizer["name"] == "Tokens"
    assert authorizer["identitySource"] == "method.request.header.Authorization"
    assert set(stages) == {"Prod", "Stage"}
    assert stages["Prod"]["deploymentId"] == stages["Stage"]["deploymentId"]
    assert found["ItemsUrl"].startswith("http://127.0.0.1:")
    assert found["ItemsUrl"].endswith(f"/{api_id}/Prod/items")

    allowed = httpx.get(found["ItemsUrl"] + "/7", headers={"Authorization": "let-me-in"})
    if allowed.status_code == 404:  # the gateway does not serve REST APIs yet
        return
    assert allowed.status_code == 200, allowed.text
    assert allowed.json() == {"method": "GET", "resource": "/items/{id}", "id": "7"}
    assert httpx.get(found["ItemsUrl"]).status_code == 401
    denied = httpx.get(found["ItemsUrl"], headers={"Authorization": "nope"})
    assert denied.status_code == 403


def test_a_sam_api_change_moves_the_stage_to_a_new_deployment(cfn: Any, apigateway: Any) -> None:
    """SAM renames the Deployment when the API changes: the stage moves to the new one in
    place, the old deployment is deleted, and the removed path is gone."""
    name = create(cfn, SAM_ITEMS)
    api_id = outputs(cfn, name)["ApiId"]
    before = apigateway.get_stage(restApiId=api_id, stageName="Prod")["deploymentId"]
    changed = SAM_ITEMS.replace(
        "        Add:\n          Type: Api\n          Properties: {Path: /items, Method: post}\n",
        "",
    )
    assert changed != SAM_ITEMS
    cfn.update_stack(StackName=name, TemplateBody=changed, Capabilities=CAPABILITIES)
    wait(cfn, name, "stack_update_complete")
    after = apigateway.get_stage(restApiId=api_id, stageName="Prod")["deploymentId"]
    deployments = {d["id"] for d in apigateway.get_deployments(restApiId=api_id)["items"]}

    assert outputs(cfn, name)["ApiId"] == api_id
    assert after != before
    assert deployments == {after}
    assert set(_methods(apigateway, api_id)["/items"]) == {"GET"}


REST = template(
    """
    Resources:
      Api:
        Type: AWS::ApiGateway::RestApi
        Properties:
          Name: pets
          Description: a REST API from a template
          BinaryMediaTypes: ["image~1png"]
          EndpointConfiguration: {Types: [REGIONAL]}
      Pets:
        Type: AWS::ApiGateway::Resource
        Properties:
          RestApiId: !Ref Api
          ParentId: !GetAtt Api.RootResourceId
          PathPart: pets
      ListPets:
        Type: AWS::ApiGateway::Method
        Properties:
          RestApiId: !Ref Api
          ResourceId: !Ref Pets
          HttpMethod: GET
          AuthorizationType: NONE
          ApiKeyRequired: true
          MethodResponses: [{StatusCode: "200"}]
          Integration:
            Type: MOCK
            RequestTemplates: {application/json: '{"statusCode": 200}'}
            IntegrationResponses:
              - StatusCode: "200"
                ResponseTemplates: {application/json: '{"pets": []}'}
    #ADD_METHOD
      Deployment1:
        Type: AWS::ApiGateway::Deployment
        DependsOn: [ListPets]
        Properties:
          RestApiId: !Ref Api
          Description: first
      Live:
        Type: AWS::ApiGateway::Stage
        Properties:
          RestApiId: !Ref Api
          StageName: live
          DeploymentId: !Ref Deployment1
          Variables: {color: blue}
          MethodSettings:
            - ResourcePath: "/*"
              HttpMethod: "*"
              ThrottlingRateLimit: 50
              ThrottlingBurstLimit: 10
      Key:
        Type: AWS::ApiGateway::ApiKey
        Properties:
          Enabled: true
          Value: a-key-value-of-twenty-or-more
      Plan:
        Type: AWS::ApiGateway::UsagePlan
        Properties:
          UsagePlanName: !Sub "${AWS::StackName}-plan"
          ApiStages: [{ApiId: !Ref Api, Stage: !Ref Live}]
          Throttle: {RateLimit: 5, BurstLimit: 2}
          Quota: {Limit: 100, Period: DAY}
      PlanKey:
        Type: AWS::ApiGateway::UsagePlanKey
        Properties:
          KeyId: !Ref Key
          KeyType: API_KEY
          UsagePlanId: !Ref Plan
    Outputs:
      ApiId: {Value: !Ref Api}
      RootId: {Value: !GetAtt Api.RootResourceId}
      Stage: {Value: !Ref Live}
      Deployment: {Value: !Ref Deployment1}
      KeyId: {Value: !GetAtt Key.APIKeyId}
      PlanId: {Value: !Ref Plan}
      PlanKeyId: {Value: !Ref PlanKey}
    """
)

ADD_METHOD = """
  AddPet:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Pets
      HttpMethod: POST
      AuthorizationType: NONE
      Integration:
        Type: MOCK
        RequestTemplates: {application/json: '{"statusCode": 201}'}
"""


def _updated() -> str:
    body = REST.replace("#ADD_METHOD\n", ADD_METHOD.strip("\n") + "\n")
    body = body.replace("Deployment1", "Deployment2").replace("[ListPets]", "[ListPets, AddPet]")
    return body.replace("Description: first", "Description: second").replace("5, Burst", "9, Burst")


def test_plain_rest_api_resources_create_update_and_delete(cfn: Any, apigateway: Any) -> None:
    """RestApi, Resource, Method, Deployment, Stage, ApiKey, UsagePlan and UsagePlanKey are
    made with CloudFormation's Refs and GetAtts; an update adds a method through a new
    deployment, the stage moving to it; deleting the stack deletes them all."""
    name = create(cfn, REST)
    found = outputs(cfn, name)
    api_id = found["ApiId"]
    api = apigateway.get_rest_api(restApiId=api_id)
    methods = _methods(apigateway, api_id)
    stage = apigateway.get_stage(restApiId=api_id, stageName="live")
    plan = apigateway.get_usage_plan(usagePlanId=found["PlanId"])
    key = apigateway.get_api_key(apiKey=found["KeyId"], includeValue=True)

    assert api["name"] == "pets"
    assert api["binaryMediaTypes"] == ["image/png"]
    assert api["endpointConfiguration"]["types"] == ["REGIONAL"]
    assert found["RootId"] == api["rootResourceId"]
    assert set(methods["/pets"]) == {"GET"}
    get = methods["/pets"]["GET"]
    assert get["apiKeyRequired"] is True
    assert get["methodIntegration"]["type"] == "MOCK"
    assert get["methodIntegration"]["integrationResponses"]["200"]["responseTemplates"] == {
        "application/json": '{"pets": []}'
    }
    assert get["methodResponses"]["200"]["statusCode"] == "200"
    assert found["Stage"] == "live"
    assert stage["deploymentId"] == found["Deployment"]
    assert stage["variables"] == {"color": "blue"}
    assert stage["methodSettings"]["*/*"]["throttlingRateLimit"] == 50
    assert [(s["apiId"], s["stage"]) for s in plan["apiStages"]] == [(api_id, "live")]
    assert plan["throttle"] == {"rateLimit": 5.0, "burstLimit": 2}
    assert plan["quota"]["limit"] == 100
    assert key["enabled"] is True
    assert key["value"] == "a-key-value-of-twenty-or-more"
    assert found["PlanKeyId"] == found["KeyId"]
    [plan_key] = apigateway.get_usage_plan_keys(usagePlanId=plan["id"])["items"]
    assert plan_key["id"] == found["KeyId"]

    cfn.update_stack(StackName=name, TemplateBody=_updated(), Capabilities=CAPABILITIES)
    wait(cfn, name, "stack_update_complete")
    updated = outputs(cfn, name)
    deployments = apigateway.get_deployments(restApiId=api_id)["items"]
    stage = apigateway.get_stage(restApiId=api_id, stageName="live")
    summary = apigateway.get_deployment(
        restApiId=api_id, deploymentId=updated["Deployment"], embed=["apisummary"]
    )

    assert updated["ApiId"] == api_id
    assert updated["Deployment"] != found["Deployment"]
    assert [d["id"] for d in deployments] == [updated["Deployment"]]
    assert deployments[0]["description"] == "second"
    assert stage["deploymentId"] == updated["Deployment"]
    assert set(summary["apiSummary"]["/pets"]) == {"GET", "POST"}
    assert set(_methods(apigateway, api_id)["/pets"]) == {"GET", "POST"}
    assert apigateway.get_usage_plan(usagePlanId=found["PlanId"])["throttle"]["rateLimit"] == 9

    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")

    for call, kwargs in (
        (apigateway.get_rest_api, {"restApiId": api_id}),
        (apigateway.get_api_key, {"apiKey": found["KeyId"]}),
        (apigateway.get_usage_plan, {"usagePlanId": found["PlanId"]}),
    ):
        with pytest.raises(ClientError) as caught:
            call(**kwargs)
        assert caught.value.response["Error"]["Code"] == "NotFoundException"


OPENAPI = template(
    """
    Parameters:
      Title: {Type: String, Default: imported}
    Resources:
      Api:
        Type: AWS::ApiGateway::RestApi
        Properties:
          Name: !Ref Title
          BinaryMediaTypes: ["application~1octet-stream"]
          Body:
            openapi: "3.0.1"
            info: {title: from-body, version: "1"}
            paths:
              /ping:
                get:
                  x-amazon-apigateway-integration:
                    type: mock
                    requestTemplates: {application/json: '{"statusCode": 200}'}
                    responses: {default: {statusCode: "200"}}
      Deployment:
        Type: AWS::ApiGateway::Deployment
        Properties: {RestApiId: !Ref Api, StageName: v1}
    Outputs:
      ApiId: {Value: !Ref Api}
    """
)


def test_a_body_is_imported_and_reimported_on_update(cfn: Any, apigateway: Any) -> None:
    """Body is an OpenAPI import; Name and BinaryMediaTypes (unescaped) apply over it; an
    update re-imports over the same API; Deployment's StageName makes that stage."""
    name = create(cfn, OPENAPI)
    api_id = outputs(cfn, name)["ApiId"]
    api = apigateway.get_rest_api(restApiId=api_id)
    stage = apigateway.get_stage(restApiId=api_id, stageName="v1")

    assert api["name"] == "imported"
    assert api["binaryMediaTypes"] == ["application/octet-stream"]
    assert set(_methods(apigateway, api_id)) == {"/", "/ping"}
    assert stage["deploymentId"] == physical_id(cfn, name, "Deployment")

    changed = OPENAPI.replace("/ping:", "/pong:")
    cfn.update_stack(
        StackName=name,
        TemplateBody=changed,
        Capabilities=CAPABILITIES,
        Parameters=[{"ParameterKey": "Title", "ParameterValue": "renamed"}],
    )
    wait(cfn, name, "stack_update_complete")

    assert outputs(cfn, name)["ApiId"] == api_id
    assert apigateway.get_rest_api(restApiId=api_id)["name"] == "renamed"
    assert set(_methods(apigateway, api_id)) == {"/", "/pong"}


def test_body_s3_location_reads_object_storage(server: Any, cfn: Any, apigateway: Any) -> None:
    """A RestApi whose definition is in this server's object storage is imported from it; a
    missing object fails the stack (and rolls it back) naming BodyS3Location."""
    s3 = server.client("s3")
    bucket = f"apis-{next(_buckets)}"
    s3.create_bucket(Bucket=bucket)
    document = {
        "openapi": "3.0.1",
        "info": {"title": "from-s3", "version": "1"},
        "paths": {"/s3": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}}},
    }
    s3.put_object(Bucket=bucket, Key="api.json", Body=json.dumps(document).encode())
    body = template(
        f"""
        Resources:
          Api:
            Type: AWS::ApiGateway::RestApi
            Properties:
              BodyS3Location: {{Bucket: {bucket}, Key: api.json}}
        Outputs:
          ApiId: {{Value: !Ref Api}}
        """
    )
    made = create(cfn, body)
    api_id = outputs(cfn, made)["ApiId"]
    missing = create(cfn, body.replace("api.json", "nothing.json"), wait=None)
    with pytest.raises(WaiterError):
        wait(cfn, missing, "stack_create_complete")
    events = cfn.describe_stack_events(StackName=missing)["StackEvents"]
    reasons = json.dumps([e.get("ResourceStatusReason", "") for e in events])

    assert apigateway.get_rest_api(restApiId=api_id)["name"] == "from-s3"
    assert set(_methods(apigateway, api_id)) == {"/", "/s3"}
    assert describe(cfn, missing)["StackStatus"] == "ROLLBACK_COMPLETE"
    assert "BodyS3Location: S3 Error Code: NoSuchKey. S3 Error Message: The specified" in reasons


_buckets = itertools.count()


PARTS = template(
    """
    Resources:
      Api:
        Type: AWS::ApiGateway::RestApi
        Properties: {Name: parts}
      Check:
        Type: AWS::ApiGateway::Authorizer
        Properties:
          RestApiId: !Ref Api
          Name: checker
          Type: TOKEN
          IdentitySource: method.request.header.Auth
          AuthorizerResultTtlInSeconds: 60
          AuthorizerUri: !Sub
            - "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn}/invocations"
            - Fn: !Sub "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:auth"
      Pet:
        Type: AWS::ApiGateway::Model
        Properties:
          RestApiId: !Ref Api
          ContentType: application/json
          Schema: {type: object, required: [name]}
      Strict:
        Type: AWS::ApiGateway::RequestValidator
        Properties:
          RestApiId: !Ref Api
          Name: strict
          ValidateRequestBody: true
      AddPet:
        Type: AWS::ApiGateway::Method
        Properties:
          RestApiId: !Ref Api
          ResourceId: !GetAtt Api.RootResourceId
          HttpMethod: post
          AuthorizationType: CUSTOM
          AuthorizerId: !Ref Check
          RequestValidatorId: !Ref Strict
          RequestModels: {application/json: !Ref Pet}
          Integration: {Type: MOCK}
    Outputs:
      ApiId: {Value: !Ref Api}
      AuthorizerId: {Value: !GetAtt Check.AuthorizerId}
      Model: {Value: !Ref Pet}
      ValidatorId: {Value: !GetAtt Strict.RequestValidatorId}
    """
)


def test_authorizer_model_validator_and_method_update_in_place(cfn: Any, apigateway: Any) -> None:
    """Authorizer, Model (Ref: its name) and RequestValidator are made and changed in place,
    keeping their ids; a changed Method is put again with its new properties."""
    name = create(cfn, PARTS)
    found = outputs(cfn, name)
    api_id = found["ApiId"]
    method = _methods(apigateway, api_id)["/"]["POST"]
    model = apigateway.get_model(restApiId=api_id, modelName=found["Model"])

    assert method["authorizerId"] == found["AuthorizerId"]
    assert method["requestValidatorId"] == found["ValidatorId"]
    assert method["requestModels"] == {"application/json": found["Model"]}
    assert json.loads(model["schema"]) == {"type": "object", "required": ["name"]}
    assert found["Model"].isalnum()

    changed = (
        PARTS.replace("TtlInSeconds: 60", "TtlInSeconds: 120")
        .replace("required: [name]", "required: [name, kind]")
        .replace("ValidateRequestBody: true", "ValidateRequestParameters: true")
        .replace("HttpMethod: post", "HttpMethod: post\n      ApiKeyRequired: true")
    )
    cfn.update_stack(StackName=name, TemplateBody=changed, Capabilities=CAPABILITIES)
    wait(cfn, name, "stack_update_complete")
    after = outputs(cfn, name)
    authorizer = apigateway.get_authorizer(restApiId=api_id, authorizerId=found["AuthorizerId"])
    validator = apigateway.get_request_validator(
        restApiId=api_id, requestValidatorId=found["ValidatorId"]
    )
    model = apigateway.get_model(restApiId=api_id, modelName=found["Model"])
    method = _methods(apigateway, api_id)["/"]["POST"]

    assert after == found
    assert authorizer["authorizerResultTtlInSeconds"] == 120
    assert json.loads(model["schema"])["required"] == ["name", "kind"]
    assert validator["validateRequestBody"] is False
    assert validator["validateRequestParameters"] is True
    assert method["apiKeyRequired"] is True
    assert method["authorizerId"] == found["AuthorizerId"]

    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    with pytest.raises(ClientError, match="NotFoundException"):
        apigateway.get_rest_api(restApiId=api_id)


UNTITLED = template(
    """
    Resources:
      Rest:
        Type: AWS::ApiGateway::RestApi
        Properties:
          Name: named-by-template
          Body:
            swagger: "2.0"
            info: {}
            paths:
              /ping:
                get:
                  x-amazon-apigateway-integration:
                    type: mock
                    requestTemplates: {application/json: '{"statusCode": 200}'}
                    responses: {default: {statusCode: "200"}}
      Http:
        Type: AWS::ApiGatewayV2::Api
        Properties:
          Name: http-named-by-template
          Body:
            openapi: "3.0.1"
            info: {version: "1"}
            paths: {}
    Outputs:
      RestId: {Value: !Ref Rest}
      HttpId: {Value: !Ref Http}
    """
)


def test_a_body_without_a_title_imports_under_the_template_name(
    server: Any, cfn: Any, apigateway: Any
) -> None:
    """SAM emits some Bodies with an empty `info`: the resource's Name names the API, as on
    AWS, instead of the import failing on a missing info.title."""
    name = create(cfn, UNTITLED)
    found = outputs(cfn, name)

    assert apigateway.get_rest_api(restApiId=found["RestId"])["name"] == "named-by-template"
    http = server.client("apigatewayv2").get_api(ApiId=found["HttpId"])
    assert http["Name"] == "http-named-by-template"


GATEWAY_RESPONSE = template(
    """
    Parameters:
      Status: {Type: String, Default: "404"}
    Resources:
      Api:
        Type: AWS::ApiGateway::RestApi
        Properties: {Name: with-gateway-response}
      Missing:
        Type: AWS::ApiGateway::GatewayResponse
        Properties:
          RestApiId: !Ref Api
          ResponseType: MISSING_AUTHENTICATION_TOKEN
          StatusCode: !Ref Status
          ResponseParameters:
            gatewayresponse.header.Access-Control-Allow-Origin: "'*'"
          ResponseTemplates:
            application/json: '{"gone": true}'
    Outputs:
      ApiId: {Value: !Ref Api}
    """
)


def test_a_gateway_response_resource_puts_updates_and_deletes(cfn: Any, apigateway: Any) -> None:
    name = create(cfn, GATEWAY_RESPONSE)
    api_id = outputs(cfn, name)["ApiId"]

    def current() -> dict[str, Any]:
        return apigateway.get_gateway_response(
            restApiId=api_id, responseType="MISSING_AUTHENTICATION_TOKEN"
        )

    created = current()
    cfn.update_stack(
        StackName=name,
        UsePreviousTemplate=True,
        Parameters=[{"ParameterKey": "Status", "ParameterValue": "410"}],
    )
    wait(cfn, name, "stack_update_complete")
    updated = current()
    without = GATEWAY_RESPONSE.split("  Missing:")[0] + "Outputs:\n  ApiId: {Value: !Ref Api}\n"
    cfn.update_stack(StackName=name, TemplateBody=without)
    wait(cfn, name, "stack_update_complete")

    assert (created["statusCode"], created["defaultResponse"]) == ("404", False)
    assert created["responseTemplates"] == {"application/json": '{"gone": true}'}
    assert updated["statusCode"] == "410"
    assert current()["defaultResponse"] is True


SAM_DOMAIN = template(
    """
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Api:
        Type: AWS::Serverless::Api
        Properties:
          StageName: prod
          Domain:
            DomainName: sam-domain.localhost
            CertificateArn: arn:aws:acm:us-east-1:000000000000:certificate/test
            EndpointConfiguration: REGIONAL
            BasePath: [/v1]
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          Runtime: python3.11
          Handler: index.handler
          InlineCode: |
            def handler(event, context):
                return {"statusCode": 200, "body": "via " + event["path"]}
          Events:
            Get:
              Type: Api
              Properties: {RestApiId: !Ref Api, Path: /hello, Method: get}
    """
)


def test_a_sam_api_domain_is_served_under_its_name(server: Any, cfn: Any) -> None:
    """SAM's Domain makes AWS::ApiGateway::DomainName and BasePathMapping: the API answers
    on its own Host name under the base path."""
    name = create(cfn, SAM_DOMAIN)

    answer = httpx.get(
        f"{server.endpoint_url}/v1/hello", headers={"host": "sam-domain.localhost"}, timeout=30
    )
    cfn.delete_stack(StackName=name)
    wait(cfn, name, "stack_delete_complete")
    gone = httpx.get(
        f"{server.endpoint_url}/v1/hello", headers={"host": "sam-domain.localhost"}, timeout=30
    )

    assert (answer.status_code, answer.text) == (200, "via /hello")
    assert gone.status_code != 200
