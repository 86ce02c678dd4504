"""AWS_IAM authorization on the data plane, with signatures checked: HTTP API routes, REST
API methods and function URLs, called with requests signed by botocore's signer."""

from __future__ import annotations

import json
import uuid
from typing import Any

import boto3
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from tests.conftest import create_function

from stratus.testing import RunningServer

ECHO = """
import json

def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"])}
"""
ACCOUNT = "000000000000"
ROOT = ("test", "test")


def signed(
    method: str, url: str, service: str, key: tuple[str, str] | None, body: bytes = b""
) -> httpx.Response:
    """The request, SigV4-signed by botocore for `service` with `key` (None: unsigned)."""
    request = AWSRequest(method, url, data=body)
    if key is not None:
        SigV4Auth(Credentials(*key), service, "us-east-1").add_auth(request)
    return httpx.request(method, url, content=body, headers=dict(request.headers.items()))


def _allow(action: str, resource: str, effect: str = "Allow") -> str:
    return json.dumps(
        {"Version": "2012-10-17",
         "Statement": [{"Effect": effect, "Action": action, "Resource": resource}]}
    )  # fmt: skip


@pytest.fixture(scope="module")
def echo(verified: RunningServer) -> str:
    """A function API Gateway may invoke (the permission SAM adds for an API event)."""
    name = f"echo-{uuid.uuid4().hex[:6]}"
    create_function(verified.client("lambda"), name, ECHO)
    verified.client("lambda").add_permission(
        FunctionName=name, StatementId="apigateway", Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:*",
    )  # fmt: skip
    return name


@pytest.fixture
def key_of(verified: RunningServer) -> Any:
    """A new user's key pair, with the given inline policies (name -> document)."""

    def make(**policies: str) -> tuple[tuple[str, str], str]:
        iam = verified.client("iam")
        name = f"caller-{uuid.uuid4().hex[:8]}"
        iam.create_user(UserName=name)
        for policy, document in policies.items():
            iam.put_user_policy(UserName=name, PolicyName=policy, PolicyDocument=document)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return (key["AccessKeyId"], key["SecretAccessKey"]), f"arn:aws:iam::{ACCOUNT}:user/{name}"

    return make


# -- HTTP APIs --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def http_api(verified: RunningServer, echo: str) -> str:
    client = verified.client("apigatewayv2")
    api = client.create_api(Name="iam-http", ProtocolType="HTTP")["ApiId"]
    target = client.create_integration(
        ApiId=api, IntegrationType="AWS_PROXY", PayloadFormatVersion="2.0",
        IntegrationUri=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{echo}",
    )["IntegrationId"]  # fmt: skip
    client.create_route(
        ApiId=api, RouteKey="GET /private", AuthorizationType="AWS_IAM",
        Target=f"integrations/{target}",
    )  # fmt: skip
    client.create_stage(ApiId=api, StageName="$default", AutoDeploy=True)
    return f"{verified.endpoint_url}/_aws/execute-api/{api}/private"


def test_http_api_iam_route_refuses_an_unsigned_request(http_api: str) -> None:
    answer = signed("GET", http_api, "execute-api", None)

    assert (answer.status_code, answer.json()) == (403, {"message": "Forbidden"})


def test_http_api_iam_route_admits_the_root_key_and_says_who_signed(http_api: str) -> None:
    answer = signed("GET", http_api, "execute-api", ROOT)

    assert answer.status_code == 200
    assert answer.json()["authorizer"]["iam"]["userArn"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_http_api_iam_route_refuses_a_user_without_permission(http_api: str, key_of: Any) -> None:
    key, arn = key_of()

    answer = signed("GET", http_api, "execute-api", key)

    api = http_api.split("/")[-2]
    assert answer.status_code == 403
    assert answer.json()["message"] == (
        f"User: arn:aws:iam::********0000:user/{arn.split('/')[-1]} is not authorized to "
        f"perform: execute-api:Invoke on resource: arn:aws:execute-api:us-east-1:********0000:"
        f"{api}/$default/GET/private"
    )


def test_http_api_iam_route_admits_a_user_its_policy_allows(http_api: str, key_of: Any) -> None:
    api = http_api.split("/")[-2]
    key, arn = key_of(invoke=_allow("execute-api:Invoke", f"arn:aws:execute-api:*:*:{api}/*/GET/*"))

    answer = signed("GET", http_api, "execute-api", key)

    assert answer.status_code == 200
    assert answer.json()["authorizer"]["iam"]["userArn"] == arn


def test_an_explicit_deny_wins_over_an_allow(http_api: str, key_of: Any) -> None:
    key, _ = key_of(admin=_allow("*", "*"), no=_allow("execute-api:Invoke", "*", effect="Deny"))

    answer = signed("GET", http_api, "execute-api", key)

    assert answer.status_code == 403


def test_http_api_iam_route_refuses_a_bad_signature(http_api: str, key_of: Any) -> None:
    (key_id, _), _ = key_of(admin=_allow("*", "*"))

    answer = signed("GET", http_api, "execute-api", (key_id, "wrong"))

    assert answer.status_code == 403
    assert answer.json()["message"].startswith("The request signature we calculated")


# -- REST APIs --------------------------------------------------------------------------------
def _rest_api(verified: RunningServer, echo: str, policy: str | None = None) -> str:
    client = verified.client("apigateway")
    api = client.create_rest_api(name="iam-rest", **({"policy": policy} if policy else {}))["id"]
    root = client.get_resources(restApiId=api)["items"][0]["id"]
    resource = client.create_resource(restApiId=api, parentId=root, pathPart="private")["id"]
    client.put_method(
        restApiId=api, resourceId=resource, httpMethod="POST", authorizationType="AWS_IAM"
    )
    uri = (
        f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{echo}/invocations"
    )
    client.put_integration(
        restApiId=api, resourceId=resource, httpMethod="POST", type="AWS_PROXY",
        integrationHttpMethod="POST", uri=uri,
    )  # fmt: skip
    client.create_deployment(restApiId=api, stageName="prod")
    return f"{verified.endpoint_url}/_aws/execute-api/{api}/prod/private"


@pytest.fixture(scope="module")
def rest_api(verified: RunningServer, echo: str) -> str:
    return _rest_api(verified, echo)


def test_rest_iam_method_refuses_an_unsigned_request(rest_api: str) -> None:
    answer = signed("POST", rest_api, "execute-api", None, b"{}")

    assert answer.status_code == 403
    assert answer.json() == {"message": "Missing Authentication Token"}


def test_rest_iam_method_admits_a_signed_body_and_names_the_caller(
    rest_api: str, key_of: Any
) -> None:
    key, arn = key_of(invoke=_allow("execute-api:Invoke", "*"))

    answer = signed("POST", rest_api, "execute-api", key, b'{"order": 1}')

    assert answer.status_code == 200
    assert answer.json()["identity"]["userArn"] == arn
    assert answer.json()["identity"]["accessKey"] == key[0]


def test_rest_iam_method_refuses_a_user_without_permission(rest_api: str, key_of: Any) -> None:
    key, arn = key_of()

    answer = signed("POST", rest_api, "execute-api", key, b"{}")

    assert answer.status_code == 403
    message = answer.json()["Message"]
    assert message.startswith(f"User: arn:aws:iam::********0000:user/{arn.split('/')[-1]} is ")
    assert "not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:" in (
        message
    )


def test_rest_resource_policy_naming_the_user_admits_them(
    verified: RunningServer, echo: str, key_of: Any
) -> None:
    """Within one account, the API's resource policy alone may allow an IAM caller."""
    key, arn = key_of()
    policy = json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": arn},
                       "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}],
    })  # fmt: skip
    url = _rest_api(verified, echo, policy)
    other, _ = key_of()

    named = signed("POST", url, "execute-api", key, b"{}")
    unnamed = signed("POST", url, "execute-api", other, b"{}")

    assert named.status_code == 200
    assert unnamed.status_code == 403


def test_rest_iam_method_refuses_a_tampered_body(rest_api: str) -> None:
    request = AWSRequest("POST", rest_api, data=b'{"amount": 1}')
    SigV4Auth(Credentials(*ROOT), "execute-api", "us-east-1").add_auth(request)

    answer = httpx.post(rest_api, content=b'{"amount": 1000}', headers=dict(request.headers))

    assert answer.status_code == 403
    assert answer.json()["message"].startswith("The request signature we calculated")


# -- function URLs ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def iam_url(verified: RunningServer, echo: str) -> str:
    config = verified.client("lambda").create_function_url_config(
        FunctionName=echo, AuthType="AWS_IAM"
    )
    url_id = config["FunctionUrl"].split("//")[1].split(".")[0]
    return f"{verified.endpoint_url}/_aws/lambda-url/{url_id}/"


def test_iam_function_url_refuses_an_unsigned_request(iam_url: str) -> None:
    answer = signed("GET", iam_url, "lambda", None)

    assert (answer.status_code, answer.json()) == (403, {"Message": "Forbidden"})


def test_iam_function_url_admits_the_root_key(iam_url: str) -> None:
    answer = signed("GET", iam_url, "lambda", ROOT)

    assert answer.status_code == 200
    assert answer.json()["accountId"] == ACCOUNT
    assert answer.json()["authorizer"]["iam"]["userArn"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_iam_function_url_needs_invoke_function_url(
    verified: RunningServer, echo: str, iam_url: str, key_of: Any
) -> None:
    """A user is admitted by its own policy, or by the function's (AddPermission)."""
    stranger, _ = key_of()
    by_identity, _ = key_of(url=_allow("lambda:InvokeFunctionUrl", "*"))
    by_resource, arn = key_of()
    verified.client("lambda").add_permission(
        FunctionName=echo, StatementId=f"user-{uuid.uuid4().hex[:6]}", Principal=arn,
        Action="lambda:InvokeFunctionUrl", FunctionUrlAuthType="AWS_IAM",
    )  # fmt: skip

    refused = signed("GET", iam_url, "lambda", stranger)
    allowed = [
        signed("GET", iam_url, "lambda", key).status_code for key in (by_identity, by_resource)
    ]

    assert (refused.status_code, refused.json()) == (403, {"Message": "Forbidden"})
    assert allowed == [200, 200]


def test_a_public_function_url_needs_its_public_permission(
    verified: RunningServer, key_of: Any
) -> None:
    """With signatures checked, a NONE URL serves only once the function's policy allows
    everyone (what SAM's FunctionUrlConfig adds), as on AWS."""
    lambda_ = verified.client("lambda")
    name = f"public-{uuid.uuid4().hex[:6]}"
    create_function(lambda_, name, ECHO)
    url_id = (
        lambda_.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
        .split("//")[1]
        .split(".")[0]
    )
    url = f"{verified.endpoint_url}/_aws/lambda-url/{url_id}/"

    before = httpx.get(url)
    lambda_.add_permission(
        FunctionName=name, StatementId="public", Principal="*",
        Action="lambda:InvokeFunctionUrl", FunctionUrlAuthType="NONE",
    )  # fmt: skip
    after = httpx.get(url)

    assert before.status_code == 403
    assert after.status_code == 200


# -- WebSocket APIs' @connections -------------------------------------------------------------
def test_connections_need_manage_connections(verified: RunningServer, key_of: Any) -> None:
    """@connections calls are signed: unsigned is ForbiddenException; a user needs
    execute-api:ManageConnections on the connection's ARN; the root key may."""
    client = verified.client("apigatewayv2")
    api = client.create_api(
        Name="iam-ws", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.a"
    )["ApiId"]
    mock = client.create_integration(ApiId=api, IntegrationType="MOCK")["IntegrationId"]
    client.create_route(ApiId=api, RouteKey="$default", Target=f"integrations/{mock}")
    client.create_stage(ApiId=api, StageName="prod", AutoDeploy=True)
    stage_url = f"{verified.endpoint_url}/_aws/execute-api/{api}/prod"
    allowed, _ = key_of(
        manage=_allow("execute-api:ManageConnections", f"arn:aws:execute-api:*:*:{api}/prod/*")
    )
    other, other_arn = key_of(
        manage=_allow("execute-api:ManageConnections", "arn:aws:execute-api:*:*:other/*")
    )

    def management(key: tuple[str, str]) -> Any:
        return boto3.client(
            "apigatewaymanagementapi", endpoint_url=stage_url, region_name="us-east-1",
            aws_access_key_id=key[0], aws_secret_access_key=key[1],
        )  # fmt: skip

    unsigned = httpx.post(f"{stage_url}/@connections/AAAAAAAAAAAAAAA=", content=b"x")
    with pytest.raises(ClientError) as refused:
        management(other).post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"x")
    with pytest.raises(ClientError) as gone:
        management(allowed).post_to_connection(ConnectionId="AAAAAAAAAAAAAAA=", Data=b"x")
    with pytest.raises(ClientError) as root_gone:
        management(("test", "test")).get_connection(ConnectionId="AAAAAAAAAAAAAAA=")
    client.delete_api(ApiId=api)

    assert unsigned.status_code == 403
    assert unsigned.headers["x-amzn-ErrorType"] == "ForbiddenException"
    assert refused.value.response["Error"]["Code"] == "ForbiddenException"
    assert other_arn in refused.value.response["Error"]["Message"]
    assert gone.value.response["Error"]["Code"] == "GoneException"
    assert root_gone.value.response["Error"]["Code"] == "GoneException"
