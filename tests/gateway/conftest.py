"""Fixtures for the gateway tests: boto3's `apigateway` client, REST APIs built with
tests.gateway.rest_apis.RestApi, API keys in usage plans; `apigatewayv2` and HTTP APIs made
from a table of routes; an echo HTTP server as the target of HTTP integrations."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from tests.gateway.rest_apis import RestApi, values


@pytest.fixture(scope="module")
def apigateway(server: Any) -> Any:
    return server.client("apigateway")


@pytest.fixture(scope="module")
def apigw(server: Any) -> Any:
    return server.client("apigatewayv2")


@pytest.fixture
def http_api(apigw: Any) -> Iterator[Callable[..., str]]:
    """make({route key: CreateIntegration members}, **CreateStage members) -> the id of an
    HTTP API with those routes on a $default stage that auto-deploys; deleted after the
    test."""
    made: list[str] = []

    def make(routes: dict[str, dict[str, Any]], **stage: Any) -> str:
        api_id: str = apigw.create_api(Name="test-api", ProtocolType="HTTP")["ApiId"]
        made.append(api_id)
        for key, integration in routes.items():
            found = apigw.create_integration(ApiId=api_id, **integration)
            apigw.create_route(
                ApiId=api_id, RouteKey=key, Target=f"integrations/{found['IntegrationId']}"
            )
        apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True, **stage)
        return api_id

    yield make
    for api_id in made:
        apigw.delete_api(ApiId=api_id)


@pytest.fixture
def rest_api(server: Any, apigateway: Any) -> Iterator[Callable[..., RestApi]]:
    """make(**CreateRestApi parameters) -> RestApi; the APIs are deleted after the test."""
    made: list[RestApi] = []

    def make(**params: Any) -> RestApi:
        made.append(RestApi(server, apigateway, **params))
        return made[-1]

    yield make
    for api in made:
        with contextlib.suppress(apigateway.exceptions.NotFoundException):
            apigateway.delete_rest_api(restApiId=api.id)


@pytest.fixture
def plans(apigateway: Any) -> Iterator[Callable[..., tuple[str, str]]]:
    """plan(api, stage, key_enabled=True, **usage plan settings) -> (key value, key id): an
    API key in a new usage plan of that API stage; both deleted after the test."""
    keys: list[str] = []
    usage_plans: list[str] = []

    def plan(api: RestApi, stage: str = "prod", *, enabled: bool = True, **settings: Any) -> Any:
        value = f"test-key-value-{next(values):08d}-{api.id}"
        key = apigateway.create_api_key(name=f"key-{api.id}", enabled=enabled, value=value)
        keys.append(key["id"])
        made = apigateway.create_usage_plan(
            name=f"plan-{api.id}", apiStages=[{"apiId": api.id, "stage": stage}], **settings
        )
        usage_plans.append(made["id"])
        apigateway.create_usage_plan_key(usagePlanId=made["id"], keyId=key["id"], keyType="API_KEY")
        return value, key["id"]

    yield plan
    for plan_id in usage_plans:
        with contextlib.suppress(apigateway.exceptions.NotFoundException):
            apigateway.delete_usage_plan(usagePlanId=plan_id)
    for key_id in keys:
        with contextlib.suppress(apigateway.exceptions.NotFoundException):
            apigateway.delete_api_key(apiKey=key_id)


# /held answers once this is set (or after 30 s): a test that needs a request in flight
# while others run sets it when it has seen what it wanted, whatever the machine's load.
HELD = threading.Event()


class _Echo(BaseHTTPRequestHandler):
    """Answers with what it saw; /slow answers after a second, /held once HELD is set."""

    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/slow"):
            time.sleep(1)
        if self.path.startswith("/held"):
            HELD.wait(30)
        seen = {
            "method": self.command,
            "path": self.path,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "body": body.decode(),
        }
        payload = json.dumps(seen).encode()
        self.send_response(207)
        self.send_header("content-type", "application/json")
        self.send_header("x-target", "echo")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the slow answer's client (the gateway) has given up: a broken pipe


@pytest.fixture(scope="module")
def target() -> Iterator[str]:
    """The echo server's base URL."""
    httpd = _Server(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()
