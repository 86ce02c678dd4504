"""Clients that send too slowly get 408 and lose their connection; prompt ones are served."""

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import create_function, invoke_json
from websockets.sync.client import connect

from stratus.slow_clients import _HeldHeaders
from stratus.testing import RunningServer, serve_in_thread

DEADLINE_S = 0.5


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    # Not under /tmp: environments bind a private directory over /tmp.
    data = Path(tmp_path_factory.mktemp("slow", numbered=True))
    with serve_in_thread(data, header_timeout=DEADLINE_S, body_timeout=DEADLINE_S) as server:
        yield server


def _answer_after(server: RunningServer, sent: bytes) -> tuple[bytes, float]:
    """Send `sent`, then wait: what the server answers before it closes, and how long that
    took."""
    with socket.create_connection(("127.0.0.1", server.settings.port), timeout=10) as sock:
        started = time.monotonic()
        sock.sendall(sent)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer, time.monotonic() - started


@pytest.mark.parametrize(
    "sent",
    [
        pytest.param(b"", id="nothing"),
        pytest.param(b"GET /_stratus/health HTTP/1.1\r\nHost: x\r\n", id="half the headers"),
        pytest.param(
            b"POST /2015-03-31/functions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
            id="part of the body",
        ),
        pytest.param(
            b"POST /2015-03-31/functions HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n1\r\n{\r\n",
            id="part of a chunked body",
        ),
    ],
)
def test_a_client_that_stops_sending_gets_408_and_is_closed(strict, sent):
    """Headers not complete, or a body stalled, past the deadline: 408, then closed."""
    answer, took = _answer_after(strict, sent)

    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert DEADLINE_S * 0.8 <= took < DEADLINE_S + 5


def test_a_prompt_request_is_served_and_its_handler_has_no_deadline(strict):
    """A request sent in time is answered; the deadlines stop once it is all in."""
    request = b"GET /_stratus/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    answer, _ = _answer_after(strict, request)

    assert answer.startswith(b"HTTP/1.1 200 ")


def test_a_handler_slower_than_the_deadlines_still_answers(strict):
    """The deadlines cover reading the request, not the invocation it starts."""
    client = strict.client("lambda")
    create_function(
        client,
        "slow-handler",
        "import time\ndef handler(e, c):\n    time.sleep(1.5)\n    return 1\n",
    )

    _, body = invoke_json(client, "slow-handler")

    assert body == 1


class _Recording(asyncio.Transport):
    """A stand-in for the socket's transport: what was written, write by write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True


def test_an_answers_headers_leave_in_one_write_with_its_body():
    """The headers are held for the body: one write per small answer; a headerless step
    (HEAD) still sends them at the end of the loop's step; a large body is not copied; closing
    sends what is held first."""
    small, before_step, head, large, closing = asyncio.run(_answers())

    assert small.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
    assert before_step == []
    assert head.writes == [b"HTTP/1.1 200 OK\r\n\r\n"]
    assert large.writes == [b"HTTP/1.1 200 OK\r\n\r\n", b"x" * 200_000]
    assert closing.writes == [b"HTTP/1.1 500 Oops\r\n\r\n"]
    assert closing.closed


async def _answers() -> tuple[_Recording, list[bytes], _Recording, _Recording, _Recording]:
    loop = asyncio.get_running_loop()
    small, head, large, closing = _Recording(), _Recording(), _Recording(), _Recording()
    for transport, body in ((small, b"{}"), (large, b"x" * 200_000)):
        held = _HeldHeaders(transport, loop)
        held.write(b"HTTP/1.1 200 OK\r\n\r\n")
        held.write(body)
    _HeldHeaders(head, loop).write(b"HTTP/1.1 200 OK\r\n\r\n")
    before_step = list(head.writes)
    await asyncio.sleep(0)
    held = _HeldHeaders(closing, loop)
    held.write(b"HTTP/1.1 500 Oops\r\n\r\n")
    held.close()
    return small, before_step, head, large, closing


def test_pipelined_head_and_continue_requests_are_all_answered(strict):
    """Answers without a body write (HEAD) and requests waiting for 100 Continue are still
    answered in order on one keep-alive connection."""
    body = b'{"FunctionName": "none"}'
    sent = (
        b"HEAD /_stratus/health HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /_stratus/health HTTP/1.1\r\nHost: x\r\n\r\n"
        b"POST /2015-03-31/functions/none/invocations HTTP/1.1\r\nHost: x\r\n"
        b"Expect: 100-continue\r\nConnection: close\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n"
        + body
    )

    data, _ = _answer_after(strict, sent)  # until the server closes, after the third

    statuses = [line.split(b" ")[1] for line in data.split(b"\r\n") if line.startswith(b"HTTP/1.")]
    assert statuses[:2] == [b"200", b"200"]
    assert statuses[-1] == b"404"


def test_a_websocket_outlives_the_deadlines(strict):
    """Once a connection is upgraded to a WebSocket, the request deadlines no longer apply:
    a quiet WebSocket stays open past them and still answers."""
    apigw = strict.client("apigatewayv2")
    api_id = apigw.create_api(
        Name="quiet", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    mock = apigw.create_integration(ApiId=api_id, IntegrationType="MOCK")
    apigw.create_integration_response(
        ApiId=api_id, IntegrationId=mock["IntegrationId"], IntegrationResponseKey="$default",
        ResponseTemplates={"$default": "still here"},
    )  # fmt: skip
    route = apigw.create_route(
        ApiId=api_id, RouteKey="$default", Target=f"integrations/{mock['IntegrationId']}"
    )
    apigw.create_route_response(ApiId=api_id, RouteId=route["RouteId"], RouteResponseKey="$default")
    apigw.create_stage(ApiId=api_id, StageName="prod", AutoDeploy=True)
    base = strict.endpoint_url.replace("http://", "ws://")

    with connect(f"{base}/_aws/execute-api/{api_id}/prod") as ws:
        time.sleep(DEADLINE_S * 4)
        ws.send("hello")
        answer = ws.recv(timeout=10)

    assert answer == "still here"
