"""HTTP APIs' HTTP_PROXY integrations end to end: a real HTTP server as the target, the API
made through boto3, requests through the gateway."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from tests.gateway.conftest import HELD
from tests.gateway.test_rest_client_certificates import _server_certificate

from stratus.gateway.http_proxy import TLS_CLIENTS_KEPT, HttpProxy, HttpProxyStatistics, Tls


@pytest.fixture
def proxy_api(http_api: Any) -> Any:
    """Creates an HTTP API whose routes go to HTTP_PROXY integrations; returns its id."""

    def create(routes: dict[str, dict[str, Any]]) -> str:
        proxied = {"IntegrationType": "HTTP_PROXY", "PayloadFormatVersion": "1.0"}
        return str(http_api({key: proxied | found for key, found in routes.items()}))

    return create


def _url(server: Any, api_id: str, path: str) -> str:
    return f"{server.endpoint_url}/_aws/execute-api/{api_id}{path}"


def test_greedy_path_query_headers_and_answer(server: Any, target: str, proxy_api: Any) -> None:
    api_id = proxy_api(
        {
            "GET /echo/{proxy+}": {
                "IntegrationUri": f"{target}/{{proxy}}",
                "IntegrationMethod": "GET",
            },
            "ANY /plain": {"IntegrationUri": f"{target}/fixed/path"},
        }
    )
    response = httpx.get(
        _url(server, api_id, "/echo/a/b%20c"),
        params={"x": "1", "y": "two"},
        headers={"x-custom": "hello", "keep-alive": "timeout=5", "proxy-authorization": "x"},
    )
    assert response.status_code == 207
    assert response.headers["x-target"] == "echo"
    assert response.headers["apigw-requestid"]
    seen = response.json()
    assert seen["method"] == "GET"
    assert seen["path"] == "/a/b%20c?x=1&y=two"
    assert seen["headers"]["x-custom"] == "hello"
    assert seen["headers"]["host"] == target.removeprefix("http://")
    assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert "keep-alive" not in seen["headers"]  # hop-by-hop: not passed on
    assert "proxy-authorization" not in seen["headers"]

    # ANY: the request's own method, with its body; the URI's path as written.
    response = httpx.post(_url(server, api_id, "/plain?q=1"), content=b"payload")
    assert response.status_code == 207
    seen = response.json()
    assert (seen["method"], seen["path"], seen["body"]) == ("POST", "/fixed/path?q=1", "payload")
    response = httpx.delete(_url(server, api_id, "/plain"))
    assert response.json()["method"] == "DELETE"

    # Not a route: the gateway's 404, the target never asked.
    assert httpx.get(_url(server, api_id, "/nowhere")).status_code == 404


def test_path_parameters_substituted(server: Any, target: str, proxy_api: Any) -> None:
    api_id = proxy_api({"PUT /pets/{petId}": {"IntegrationUri": f"{target}/extended/{{petId}}"}})
    response = httpx.put(_url(server, api_id, "/pets/42"), content=b"{}")
    assert response.json()["path"] == "/extended/42"
    assert response.json()["method"] == "PUT"


def test_target_down_is_500(server: Any, proxy_api: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed at once: nothing listens there
    api_id = proxy_api({"ANY /plain": {"IntegrationUri": f"http://127.0.0.1:{port}/"}})
    response = httpx.get(_url(server, api_id, "/plain"))
    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}
    assert response.headers["apigw-requestid"]


def test_slow_target_is_504(server: Any, target: str, proxy_api: Any) -> None:
    api_id = proxy_api({"ANY /plain": {"IntegrationUri": f"{target}/slow", "TimeoutInMillis": 200}})
    started = time.monotonic()
    response = httpx.get(_url(server, api_id, "/plain"))
    assert response.status_code == 504
    assert response.json() == {"message": "Gateway Timeout"}
    assert time.monotonic() - started < 0.9


def test_create_integration_checks(apigw: Any, target: str) -> None:
    api_id = apigw.create_api(Name="checks", ProtocolType="HTTP")["ApiId"]
    try:
        found = apigw.create_integration(
            ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationUri=f"{target}/x"
        )
        assert found["IntegrationMethod"] == "ANY"
        assert found["PayloadFormatVersion"] == "1.0"
        assert found["IntegrationType"] == "HTTP_PROXY"
        for bad in (
            {"IntegrationUri": "ftp://example.com/"},
            {"IntegrationUri": f"{target}/x", "PayloadFormatVersion": "2.0"},
            {"IntegrationUri": f"{target}/x", "IntegrationMethod": "FETCH"},
        ):
            with pytest.raises(ClientError) as caught:
                apigw.create_integration(ApiId=api_id, IntegrationType="HTTP_PROXY", **bad)
            assert caught.value.response["Error"]["Code"] == "BadRequestException"
    finally:
        apigw.delete_api(ApiId=api_id)


def test_openapi_import(server: Any, apigw: Any, target: str) -> None:
    document = {
        "openapi": "3.0.1",
        "info": {"title": "imported", "version": "1"},
        "paths": {
            "/echo/{proxy+}": {
                "x-amazon-apigateway-any-method": {
                    "x-amazon-apigateway-integration": {
                        "type": "http_proxy",
                        "httpMethod": "ANY",
                        "uri": f"{target}/{{proxy}}",
                        "payloadFormatVersion": "1.0",
                    }
                }
            }
        },
    }
    api_id = apigw.import_api(Body=json.dumps(document))["ApiId"]
    try:
        (integration,) = apigw.get_integrations(ApiId=api_id)["Items"]
        assert integration["IntegrationType"] == "HTTP_PROXY"
        assert integration["IntegrationMethod"] == "ANY"
        apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
        response = httpx.patch(_url(server, api_id, "/echo/z"), content=b"p")
        assert response.status_code == 207
        assert (response.json()["method"], response.json()["path"]) == ("PATCH", "/z")
    finally:
        apigw.delete_api(ApiId=api_id)


def test_tls_clients_are_bounded_and_closed_once_unused(target: str, tmp_path: Path) -> None:
    """One client per client certificate is kept for at most TLS_CLIENTS_KEPT certificates,
    the least recently used evicted; one evicted while a request reads through it serves
    that request to its end and is closed after it."""
    certificates = []
    for _ in range(TLS_CLIENTS_KEPT + 3):
        cert, key = _server_certificate(tmp_path)  # any certificate will do: a new one each
        certificates.append(Tls((cert.read_text(), key.read_text())))

    async def main() -> tuple[list[int], int, HttpProxyStatistics, HttpProxyStatistics]:
        proxy = HttpProxy()
        HELD.clear()
        slow = asyncio.create_task(
            proxy.wait_send("GET", f"{target}/held", [], b"", 60_000, certificates[0])
        )
        await asyncio.sleep(0)  # the held request takes its client and starts sending
        statuses = [
            (await proxy.wait_send("GET", f"{target}/x", [], b"", 10_000, tls)).status
            for tls in certificates[1:]
        ]
        during = proxy.statistics()
        HELD.set()  # (it was held until now, however long the others took)
        answer = await slow
        after = proxy.statistics()
        await proxy.wait_close()
        return statuses, answer.status, during, after

    statuses, slow_status, during, after = asyncio.run(main())

    assert statuses == [207] * (TLS_CLIENTS_KEPT + 2)
    assert slow_status == 207  # its client was evicted meanwhile, not closed under it
    assert during == HttpProxyStatistics(tls_clients=TLS_CLIENTS_KEPT, tls_clients_closing=1)
    assert after == HttpProxyStatistics(tls_clients=TLS_CLIENTS_KEPT, tls_clients_closing=0)
