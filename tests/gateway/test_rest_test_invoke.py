"""TestInvokeMethod and TestInvokeAuthorizer: a REST API's method and authorizer run by the
data plane's own code without a deployment, through boto3 against a real server."""

from __future__ import annotations

import json

ECHO = """
import json

def handler(event, context):
    return {"statusCode": 201, "headers": {"X-Seen": event["path"]},
            "body": json.dumps({"stage": event["requestContext"]["stage"],
                                "params": event["pathParameters"],
                                "query": event["queryStringParameters"],
                                "variables": event["stageVariables"],
                                "body": event["body"]})}
"""
AUTHORIZER = """
def handler(event, context):
    token = event["authorizationToken"]
    if token == "unauthorized":
        raise Exception("Unauthorized")
    effect = "Deny" if token == "deny" else "Allow"
    return {"principalId": "user-" + token, "policyDocument": {"Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect,
                           "Resource": event["methodArn"]}]}}
"""


def test_invoke_method_runs_the_method_undeployed(rest_api, deploy, apigateway):
    """No deployment exists: the method answers with the test stage, path parameters, query,
    stage variables and body of the call, and the log says what happened."""
    function = deploy(ECHO)
    api = rest_api()
    resource_id = api.method("/pets/{id}", "POST", function,
                             authorizationType="CUSTOM",
                             authorizerId=api.authorizer(deploy(AUTHORIZER)))  # fmt: skip

    found = apigateway.test_invoke_method(
        restApiId=api.id, resourceId=resource_id, httpMethod="POST",
        pathWithQueryString="/pets/7?color=red", body='{"name": "rex"}',
        headers={"Content-Type": "application/json"}, stageVariables={"env": "test"},
    )  # fmt: skip

    assert found["status"] == 201, found["log"]
    assert json.loads(found["body"]) == {
        "stage": "test-invoke-stage", "params": {"id": "7"}, "query": {"color": "red"},
        "variables": {"env": "test"}, "body": '{"name": "rex"}',
    }  # fmt: skip
    assert found["headers"]["X-Seen"] == "/pets/7"
    assert found["multiValueHeaders"]["X-Seen"] == ["/pets/7"]
    assert found["log"].startswith("Execution log for request ")
    assert "Method completed with status: 201" in found["log"]
    assert found["latency"] >= 0


def test_invoke_method_applies_templates_and_validation(rest_api, apigateway):
    api = rest_api()
    validator = apigateway.create_request_validator(
        restApiId=api.id, name="params", validateRequestParameters=True
    )["id"]
    resource_id = api.method(
        "/mock", "GET", requestValidatorId=validator,
        requestParameters={"method.request.querystring.q": True},
        integration={"type": "MOCK",
                     "requestTemplates": {"application/json": '{"statusCode": 200}'}},
    )  # fmt: skip
    apigateway.put_method_response(
        restApiId=api.id, resourceId=resource_id, httpMethod="GET", statusCode="200"
    )
    apigateway.put_integration_response(
        restApiId=api.id, resourceId=resource_id, httpMethod="GET", statusCode="200",
        responseTemplates={"application/json": '{"q": "$input.params(\'q\')"}'},
    )  # fmt: skip

    answered = apigateway.test_invoke_method(
        restApiId=api.id, resourceId=resource_id, httpMethod="GET", pathWithQueryString="/mock?q=1"
    )
    refused = apigateway.test_invoke_method(
        restApiId=api.id, resourceId=resource_id, httpMethod="GET", pathWithQueryString="/mock"
    )

    assert (answered["status"], json.loads(answered["body"])) == (200, {"q": "1"})
    assert refused["status"] == 400


def test_invoke_authorizer_answers_status_principal_and_policy(rest_api, deploy, apigateway):
    api = rest_api()
    api.method("/", "GET", integration={"type": "MOCK"})
    authorizer = api.authorizer(deploy(AUTHORIZER))

    def test(token: str) -> dict:
        return apigateway.test_invoke_authorizer(
            restApiId=api.id, authorizerId=authorizer, headers={"Authorization": token},
        )  # fmt: skip

    allowed, denied, unauthorized = test("alice"), test("deny"), test("unauthorized")
    missing = apigateway.test_invoke_authorizer(restApiId=api.id, authorizerId=authorizer)

    assert allowed["clientStatus"] == 200, allowed["log"]
    assert allowed["principalId"] == "user-alice"
    statement = json.loads(allowed["policy"])["Statement"][0]
    assert statement["Effect"] == "Allow"
    assert statement["Resource"].endswith(f"{api.id}/test-invoke-stage/GET/")
    assert denied["clientStatus"] == 403
    assert unauthorized["clientStatus"] == 401
    assert missing["clientStatus"] == 401
