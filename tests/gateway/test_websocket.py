"""WebSocket APIs end to end: apigatewayv2 through boto3, then a real WebSocket client
(the `websockets` library) connecting, sending and being sent to, and functions calling
the @connections API the way handler code does."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.exceptions import ClientError
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from stratus.testing import RunningServer, serve_in_thread

ECHO = """
import json

def handler(event, context):
    print("EVENT " + json.dumps(event))
    return {"statusCode": 200, "body": json.dumps(event)}
"""

REFUSE = """
def handler(event, context):
    if event["queryStringParameters"] and event["queryStringParameters"].get("token") == "ok":
        offered = event["headers"].get("Sec-WebSocket-Protocol", "")
        chosen = {"Sec-WebSocket-Protocol": "chat"} if "chat" in offered else {}
        return {"statusCode": 200, "headers": chosen}
    return {"statusCode": 401, "body": "no"}
"""

FAIL = """
def handler(event, context):
    raise ValueError("boom")
"""

# Handler code as AWS's examples write it: the endpoint built from the event.
REPLY = """
import boto3

def handler(event, context):
    ctx = event["requestContext"]
    client = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url="https://" + ctx["domainName"] + "/" + ctx["stage"],
    )
    me = ctx["connectionId"]
    client.post_to_connection(ConnectionId=me, Data=b"pushed:" + event["body"].encode())
    info = client.get_connection(ConnectionId=ctx["connectionId"])
    client.post_to_connection(ConnectionId=ctx["connectionId"], Data=info["Identity"]["SourceIp"])
    try:
        client.post_to_connection(ConnectionId="Z" * 15 + "=", Data=b"x")
    except client.exceptions.GoneException:
        client.post_to_connection(ConnectionId=ctx["connectionId"], Data=b"gone ok")
    return {"statusCode": 200}
"""


@pytest.fixture(scope="module")
def apigw(server: Any) -> Any:
    return server.client("apigatewayv2")


def arn(server: Any, name: str) -> str:
    return f"arn:aws:lambda:{server.settings.region}:{server.settings.account_id}:function:{name}"


@pytest.fixture
def websocket_api(server: Any, apigw: Any) -> Iterator[Callable[..., str]]:
    """make({route key: function name or None}, two_way=(keys), stage="prod") -> API id:
    a WebSocket API (selection `$request.body.action`) with those routes on an
    auto-deployed stage; deleted after the test."""
    made: list[str] = []

    def make(routes: dict[str, str], *, two_way: tuple[str, ...] = (), stage: str = "prod") -> str:
        api_id: str = apigw.create_api(
            Name="ws", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
        )["ApiId"]
        made.append(api_id)
        for key, function in routes.items():
            integration = apigw.create_integration(
                ApiId=api_id, IntegrationType="AWS_PROXY", IntegrationUri=arn(server, function)
            )
            route = apigw.create_route(
                ApiId=api_id, RouteKey=key, Target=f"integrations/{integration['IntegrationId']}"
            )
            if key in two_way:
                apigw.create_route_response(
                    ApiId=api_id, RouteId=route["RouteId"], RouteResponseKey="$default"
                )
        apigw.create_stage(ApiId=api_id, StageName=stage, AutoDeploy=True)
        return api_id

    yield make
    for api_id in made:
        apigw.delete_api(ApiId=api_id)


def url(server: Any, api_id: str, stage: str = "prod", query: str = "") -> str:
    base = server.endpoint_url.replace("http://", "ws://")
    return f"{base}/_aws/execute-api/{api_id}/{stage}{query}"


def test_messages_are_routed_by_the_selection_expression(server, deploy, websocket_api):
    """$connect runs on the handshake; a message goes to the route its `action` names,
    else to $default; a two-way route sends the function's body back; $disconnect runs on
    close. Every event has AWS's requestContext."""
    echo = deploy(ECHO)
    api_id = websocket_api(
        {"$connect": echo, "$disconnect": echo, "$default": echo, "sendmessage": echo},
        two_way=("$default", "sendmessage"),
    )

    with connect(
        url(server, api_id, query="?name=x"), user_agent_header="test-agent", open_timeout=60
    ) as ws:
        ws.send(json.dumps({"action": "sendmessage", "data": "hi"}))
        routed = json.loads(ws.recv(timeout=20))
        ws.send("not json")
        default = json.loads(ws.recv(timeout=20))
        ws.send(b"\x00\x01")
        binary = json.loads(ws.recv(timeout=20))

    context = routed["requestContext"]
    assert routed["body"] == '{"action": "sendmessage", "data": "hi"}'
    assert routed["isBase64Encoded"] is False
    assert context["routeKey"] == "sendmessage"
    assert context["eventType"] == "MESSAGE"
    assert context["messageDirection"] == "IN"
    assert context["stage"] == "prod"
    assert context["apiId"] == api_id
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert len(context["connectionId"]) == 16
    assert {"messageId", "requestId", "extendedRequestId", "requestTimeEpoch", "connectedAt",
            "requestTime", "domainName"} <= set(context)  # fmt: skip
    assert default["requestContext"]["routeKey"] == "$default"
    assert default["body"] == "not json"
    assert binary["isBase64Encoded"] is True
    assert binary["body"] == "AAE="
    assert binary["requestContext"]["connectionId"] == context["connectionId"]
    logs = _events(server, echo, 3 + 2)
    kinds = [e["requestContext"]["eventType"] for e in logs]
    assert kinds[0] == "CONNECT"
    assert kinds[-1] == "DISCONNECT"
    connect_event = logs[0]
    assert connect_event["queryStringParameters"] == {"name": "x"}
    headers = connect_event["headers"]
    assert headers["User-Agent"] == "test-agent"
    assert headers["Sec-WebSocket-Version"] == "13"
    assert headers["X-Forwarded-For"] == "127.0.0.1"
    assert headers["X-Forwarded-Port"] == str(server.settings.port)
    assert "Upgrade" not in headers
    assert connect_event["multiValueHeaders"]["Sec-WebSocket-Key"] == [headers["Sec-WebSocket-Key"]]
    assert connect_event["requestContext"]["identity"]["userAgent"] == "test-agent"
    assert "body" not in connect_event
    assert logs[-1]["requestContext"]["disconnectStatusCode"] == 1000


def _events(server: Any, function: str, count: int) -> list[dict[str, Any]]:
    """The events `function` printed (EVENT {...}), once there are `count` of them."""
    logs = server.client("logs")
    deadline = time.monotonic() + 20
    found: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        try:
            messages = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}")["events"]
        except ClientError:
            messages = []
        found = [
            json.loads(m["message"].split("EVENT ", 1)[1])
            for m in messages
            if "EVENT " in m["message"]
        ]
        if len(found) >= count:
            return sorted(found, key=lambda e: e["requestContext"]["requestTimeEpoch"])
        time.sleep(0.2)
    raise AssertionError(f"{len(found)} events of {count}")


def test_no_route_and_no_default_answers_forbidden(server, deploy, websocket_api):
    """A message no route takes, without $default, gets AWS's Forbidden frame; a one-way
    route answers nothing; a function error gets the Internal server error frame."""
    echo, fail = deploy(ECHO), deploy(FAIL)
    api_id = websocket_api({"quiet": echo, "broken": fail})

    with connect(url(server, api_id), open_timeout=60) as ws:
        ws.send(json.dumps({"action": "other"}))
        forbidden = json.loads(ws.recv(timeout=20))
        ws.send(json.dumps({"action": "quiet"}))
        ws.send(json.dumps({"action": "broken"}))
        failed = json.loads(ws.recv(timeout=20))

    assert forbidden["message"] == "Forbidden"
    assert set(forbidden) == {"message", "connectionId", "requestId"}
    assert failed["message"] == "Internal server error"


def test_connect_can_refuse_the_handshake(server, deploy, websocket_api):
    """$connect answering a statusCode outside 2xx refuses the connection with it; a
    function error refuses it with 502; an unknown stage is 403; a Sec-WebSocket-Protocol
    header in its answer picks the client's subprotocol."""
    api_id = websocket_api({"$connect": deploy(REFUSE), "$default": deploy(ECHO)})
    failing = websocket_api({"$connect": deploy(FAIL)})

    with pytest.raises(InvalidStatus) as refused:
        connect(url(server, api_id, query="?token=bad"), open_timeout=60)
    with pytest.raises(InvalidStatus) as failed:
        connect(url(server, failing), open_timeout=60)
    with pytest.raises(InvalidStatus) as unknown:
        connect(url(server, api_id, stage="nostage"))
    with connect(
        url(server, api_id, query="?token=ok"), subprotocols=["v2", "chat"], open_timeout=60
    ) as ws:
        ws.send("{}")
        chosen = ws.subprotocol

    assert refused.value.response.status_code == 401
    assert failed.value.response.status_code == 502
    assert chosen == "chat"
    assert unknown.value.response.status_code == 403


def test_functions_post_to_their_connection(server, deploy, websocket_api):
    """Handler code builds the @connections endpoint from the event's domainName and stage
    and posts to its own connection while its invocation runs; GetConnection tells the
    source IP; a gone connection is GoneException."""
    api_id = websocket_api({"$default": deploy(REPLY, Timeout=30)})

    with connect(url(server, api_id), open_timeout=60) as ws:
        ws.send("hello")
        frames = [ws.recv(timeout=60) for _ in range(3)]

    assert frames == ["pushed:hello", "127.0.0.1", "gone ok"]


def test_connections_api_from_outside(server, deploy, websocket_api):
    """A backend posts to, describes and deletes a connection through
    `apigatewaymanagementapi` with the stage's URL as endpoint."""
    echo = deploy(ECHO)
    api_id = websocket_api({"$default": echo, "$disconnect": echo}, two_way=("$default",))
    management = boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=f"{server.endpoint_url}/_aws/execute-api/{api_id}/prod",
        region_name=server.settings.region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )

    with connect(url(server, api_id), open_timeout=60) as ws:
        ws.send("who")
        connection_id = json.loads(ws.recv(timeout=20))["requestContext"]["connectionId"]
        management.post_to_connection(ConnectionId=connection_id, Data=b"from outside")
        pushed = ws.recv(timeout=20)
        described = management.get_connection(ConnectionId=connection_id)
        management.delete_connection(ConnectionId=connection_id)
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=20)
    with pytest.raises(management.exceptions.GoneException):
        management.post_to_connection(ConnectionId=connection_id, Data=b"late")

    assert pushed == "from outside"
    assert described["Identity"]["SourceIp"] == "127.0.0.1"
    assert described["ConnectedAt"] <= described["LastActiveAt"]
    disconnect = _events(server, echo, 2)[-1]
    assert disconnect["requestContext"]["eventType"] == "DISCONNECT"


def test_the_host_form_reaches_the_api(server, apigw, deploy, websocket_api):
    """`ws://{api-id}.execute-api.localhost:{port}/{stage}` reaches the API as the path form
    does; a plain HTTP request to a WebSocket API is 426 Upgrade Required, a WebSocket
    handshake to an HTTP API 403."""
    api_id = websocket_api({"$default": deploy(ECHO)}, two_way=("$default",))
    port = server.settings.port
    sock = socket.create_connection(("127.0.0.1", port))

    with connect(
        f"ws://{api_id}.execute-api.localhost:{port}/prod", sock=sock, open_timeout=60
    ) as ws:
        ws.send("by host")
        event = json.loads(ws.recv(timeout=60))
    plain = httpx.get(f"{server.endpoint_url}/_aws/execute-api/{api_id}/prod")
    http_api = apigw.create_api(Name="h", ProtocolType="HTTP", Target=arn(server, deploy(ECHO)))
    with pytest.raises(InvalidStatus) as refused:
        connect(url(server, http_api["ApiId"], stage=""), open_timeout=60)
    apigw.delete_api(ApiId=http_api["ApiId"])

    assert event["body"] == "by host"
    assert plain.status_code == 426
    assert refused.value.response.status_code == 403


PONG = '{"pong": "$context.connectionId", "route": "$context.routeKey"}'
REFUSED = """#if($context.routeKey == '$connect'){"statusCode": 403}#end"""


def test_mock_integrations_answer_from_their_templates(server, apigw, websocket_api):
    """A MOCK integration's request template gives the status (a $connect mock answering
    403 refuses the handshake); the matching integration response's template, with
    $context, is what a two-way route sends back."""
    api_id = websocket_api({})
    mock = apigw.create_integration(
        ApiId=api_id, IntegrationType="MOCK", TemplateSelectionExpression="\\$default",
        RequestTemplates={"$default": '{"statusCode": 200}'},
    )  # fmt: skip
    apigw.create_integration_response(
        ApiId=api_id, IntegrationId=mock["IntegrationId"], IntegrationResponseKey="$default",
        ResponseTemplates={"$default": PONG},
    )  # fmt: skip
    route = apigw.create_route(
        ApiId=api_id, RouteKey="ping", Target=f"integrations/{mock['IntegrationId']}"
    )
    apigw.create_route_response(ApiId=api_id, RouteId=route["RouteId"], RouteResponseKey="$default")
    closed = websocket_api({})
    door = apigw.create_integration(
        ApiId=closed, IntegrationType="MOCK",
        RequestTemplates={"$default": REFUSED},
    )  # fmt: skip
    apigw.create_route(
        ApiId=closed, RouteKey="$connect", Target=f"integrations/{door['IntegrationId']}"
    )

    with connect(url(server, api_id), open_timeout=60) as ws:
        ws.send(json.dumps({"action": "ping"}))
        answer = json.loads(ws.recv(timeout=60))
    with pytest.raises(InvalidStatus) as refused:
        connect(url(server, closed), open_timeout=60)

    assert answer["route"] == "ping"
    assert len(answer["pong"]) == 16
    assert refused.value.response.status_code == 403


def test_a_custom_domain_name_reaches_the_api(server, apigw, deploy, websocket_api):
    """A custom domain name mapped to a WebSocket API's stage takes its connections."""
    api_id = websocket_api({"$default": deploy(ECHO)}, two_way=("$default",))
    apigw.create_domain_name(
        DomainName="chat.example.localhost",
        DomainNameConfigurations=[
            {"CertificateArn": "arn:aws:acm:us-east-1:000000000000:certificate/x"}
        ],
    )
    try:
        apigw.create_api_mapping(DomainName="chat.example.localhost", ApiId=api_id, Stage="prod")
        port = server.settings.port
        sock = socket.create_connection(("127.0.0.1", port))
        with connect(f"ws://chat.example.localhost:{port}/", sock=sock, open_timeout=60) as ws:
            ws.send("by domain")
            event = json.loads(ws.recv(timeout=60))
    finally:
        apigw.delete_domain_name(DomainName="chat.example.localhost")

    assert event["body"] == "by domain"
    assert event["requestContext"]["stage"] == "prod"


def _chat_until_closed(ws: Any, seconds: float) -> None:
    """A message every 0.3 s for `seconds` (the send raises once the server has closed)."""
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        ws.send("still here")
        time.sleep(0.3)


@pytest.fixture(scope="module")
def short_lived(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server whose WebSocket connections may idle 1 s and live 3 s."""
    data = Path(tmp_path_factory.mktemp("websocket", numbered=True))
    with serve_in_thread(data, websocket_idle_timeout=1.0, websocket_max_duration=3.0) as found:
        yield found


def test_idle_and_long_connections_are_closed(short_lived):
    """A connection without messages for the idle timeout, or open for the maximum
    duration, is closed with 1001 (Going away); until then messages keep it open."""
    apigw = short_lived.client("apigatewayv2")
    api_id = apigw.create_api(
        Name="quotas", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    mock = apigw.create_integration(ApiId=api_id, IntegrationType="MOCK")
    apigw.create_route(
        ApiId=api_id, RouteKey="$default", Target=f"integrations/{mock['IntegrationId']}"
    )
    apigw.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)
    address = url(short_lived, api_id)

    with connect(address) as quiet:
        started = time.monotonic()
        with pytest.raises(ConnectionClosed) as idle:
            quiet.recv(timeout=10)
        idle_after = time.monotonic() - started
    with connect(address) as busy:
        started = time.monotonic()
        with pytest.raises(ConnectionClosed) as old:
            _chat_until_closed(busy, 10)
        lived = time.monotonic() - started

    assert idle.value.rcvd.code == 1001
    assert 0.8 < idle_after < 2.5
    assert old.value.rcvd.code == 1001
    assert 2.8 < lived < 5
