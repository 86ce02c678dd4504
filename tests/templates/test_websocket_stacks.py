"""WebSocket APIs from templates: the simple-websockets-chat-app SAM application
(aws-samples/simple-websockets-chat-app: AWS::ApiGatewayV2::* resources, a DynamoDB table of
connection ids, functions that broadcast through @connections), its handlers written in
Python, deployed with CreateStack and driven by real WebSocket clients."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from tests.templates.test_stacks import create, outputs, template
from websockets.sync.client import connect

ON_CONNECT = """
import os, boto3
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])

def handler(event, context):
    table.put_item(Item={"connectionId": event["requestContext"]["connectionId"]})
    return {"statusCode": 200, "body": "Connected."}
"""

ON_DISCONNECT = """
import os, boto3
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])

def handler(event, context):
    table.delete_item(Key={"connectionId": event["requestContext"]["connectionId"]})
    return {"statusCode": 200, "body": "Disconnected."}
"""

SEND_MESSAGE = """
import json, os, boto3
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])

def handler(event, context):
    ctx = event["requestContext"]
    api = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"https://{ctx['domainName']}/{ctx['stage']}",
    )
    data = json.loads(event["body"])["data"]
    for item in table.scan(ProjectionExpression="connectionId")["Items"]:
        try:
            api.post_to_connection(ConnectionId=item["connectionId"], Data=data.encode())
        except api.exceptions.GoneException:
            table.delete_item(Key={"connectionId": item["connectionId"]})
    return {"statusCode": 200, "body": "Data sent."}
"""


def _function(source: str, policies: str) -> str:
    code = "\n".join("          " + line for line in source.strip().splitlines())
    return f"""
    Type: AWS::Serverless::Function
    Properties:
      InlineCode: |
{code}
      Handler: index.handler
      Runtime: python3.12
      MemorySize: 256
      Timeout: 30
      Environment:
        Variables:
          TABLE_NAME: !Ref TableName
      Policies:
      - DynamoDBCrudPolicy:
          TableName: !Ref TableName{policies}"""


_MANAGE = """
      - Statement:
        - Effect: Allow
          Action:
          - 'execute-api:ManageConnections'
          Resource:
          - !Sub 'arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:${SimpleChatWebSocket}/*'"""


def _route(key: str, integration: str, function: str) -> str:
    name = key.strip("$").capitalize()
    return f"""
  {name}Route:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref SimpleChatWebSocket
      RouteKey: {key}
      AuthorizationType: NONE
      OperationName: {name}Route
      Target: !Join
        - '/'
        - - 'integrations'
          - !Ref {integration}
  {integration}:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref SimpleChatWebSocket
      Description: {name} Integration
      IntegrationType: AWS_PROXY
      IntegrationUri:
        Fn::Sub:
            arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{function}.Arn}}/invocations
  {function}Permission:
    Type: AWS::Lambda::Permission
    DependsOn:
      - SimpleChatWebSocket
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref {function}
      Principal: apigateway.amazonaws.com"""


CHAT_APP = template(
    f"""
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  TableName:
    Type: String
    Default: 'simplechat-connections-table'
Resources:
  SimpleChatWebSocket:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: SimpleChatWebSocket
      ProtocolType: WEBSOCKET
      RouteSelectionExpression: "$request.body.message"
{_route("$connect", "ConnectInteg", "OnConnectFunction")}
{_route("$disconnect", "DisconnectInteg", "OnDisconnectFunction")}
{_route("sendmessage", "SendInteg", "SendMessageFunction")}
  Deployment:
    Type: AWS::ApiGatewayV2::Deployment
    DependsOn:
    - ConnectRoute
    - SendmessageRoute
    - DisconnectRoute
    Properties:
      ApiId: !Ref SimpleChatWebSocket
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      StageName: Prod
      Description: Prod Stage
      DeploymentId: !Ref Deployment
      ApiId: !Ref SimpleChatWebSocket
  ConnectionsTable:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions:
      - AttributeName: "connectionId"
        AttributeType: "S"
      KeySchema:
      - AttributeName: "connectionId"
        KeyType: "HASH"
      BillingMode: "PAY_PER_REQUEST"
      SSESpecification:
        SSEEnabled: True
      TableName: !Ref TableName
  OnConnectFunction:{_function(ON_CONNECT, "")}
  OnDisconnectFunction:{_function(ON_DISCONNECT, "")}
  SendMessageFunction:{_function(SEND_MESSAGE, _MANAGE)}
Outputs:
  ConnectionsTableArn:
    Value: !GetAtt ConnectionsTable.Arn
  WebSocketURI:
    Description: "The WSS Protocol URI to connect to"
    Value: !Join [ '', [ 'wss://', !Ref SimpleChatWebSocket, '.execute-api.',
                         !Ref 'AWS::Region','.amazonaws.com/',!Ref 'Stage'] ]
"""
)


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def test_the_chat_app_broadcasts_to_every_connection(server: Any, cfn: Any) -> None:
    """Clients connecting to the stack's WebSocketURI are recorded in the table by
    $connect; a `sendmessage` message reaches every connected client through
    PostToConnection; a closed client's $disconnect removes it from the table."""
    name = create(cfn, CHAT_APP)
    uri = outputs(cfn, name)["WebSocketURI"]
    table = server.client("dynamodb")

    with connect(uri, open_timeout=60) as alice, connect(uri, open_timeout=60) as bob:
        ids = _connection_ids(table, 2)
        alice.send(json.dumps({"message": "sendmessage", "data": "hello all"}))
        heard = [alice.recv(timeout=60), bob.recv(timeout=60)]
        bob.close()
        left = _connection_ids(table, 1)
        alice.send(json.dumps({"message": "sendmessage", "data": "still here?"}))
        again = alice.recv(timeout=60)

    assert uri.startswith("ws://127.0.0.1:")
    assert uri.endswith("/Prod")
    assert len(ids) == 2
    assert heard == ["hello all", "hello all"]
    assert len(left) == 1
    assert again == "still here?"
    assert _connection_ids(table, 0) == []
    cfn.delete_stack(StackName=name)


def _connection_ids(table: Any, count: int) -> list[str]:
    """The table's connection ids, once there are `count` of them (or after 60 s)."""
    deadline = time.monotonic() + 60
    while True:
        items = table.scan(TableName="simplechat-connections-table")["Items"]
        found = [item["connectionId"]["S"] for item in items]
        if len(found) == count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


TWO_WAY = template(
    """
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: arn:aws:iam::000000000000:role/lambda-role
      Code:
        ZipFile: |
          def handler(event, context):
              return {"statusCode": 200, "body": "echo:" + event["body"]}
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: two-way
      ProtocolType: WEBSOCKET
      RouteSelectionExpression: $request.body.action
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !GetAtt Fn.Arn
  IntegrationResponse:
    Type: AWS::ApiGatewayV2::IntegrationResponse
    Properties:
      ApiId: !Ref Api
      IntegrationId: !Ref Integration
      IntegrationResponseKey: $default
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Api
      RouteKey: echo
      RouteResponseSelectionExpression: $default
      ModelSelectionExpression: $request.body.action
      RequestModels: {echo: Message}
      Target: !Sub integrations/${Integration}
  RouteResponse:
    Type: AWS::ApiGatewayV2::RouteResponse
    Properties:
      ApiId: !Ref Api
      RouteId: !Ref Route
      RouteResponseKey: $default
  Model:
    Type: AWS::ApiGatewayV2::Model
    Properties:
      ApiId: !Ref Api
      Name: Message
      ContentType: application/json
      Schema: {type: object, required: [action]}
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: {ApiId: !Ref Api, StageName: dev, AutoDeploy: true}
Outputs:
  Url:
    Value: !Sub wss://${Api}.execute-api.${AWS::Region}.amazonaws.com/${Stage}
  ApiId: {Value: !Ref Api}
  ModelId: {Value: !Ref Model}
"""
)


def test_route_responses_and_models_from_a_template(server: Any, cfn: Any) -> None:
    """AWS::ApiGatewayV2::RouteResponse makes its route two-way; IntegrationResponse and
    Model (its Schema JSON in the template) are created on the API."""
    name = create(cfn, TWO_WAY)
    found = outputs(cfn, name)
    apigw = server.client("apigatewayv2")

    with connect(found["Url"], open_timeout=60) as ws:
        ws.send('{"action": "echo"}')
        answer = ws.recv(timeout=60)
    model = apigw.get_model(ApiId=found["ApiId"], ModelId=found["ModelId"])

    assert answer == 'echo:{"action": "echo"}'
    assert json.loads(model["Schema"]) == {"type": "object", "required": ["action"]}
    cfn.delete_stack(StackName=name)
