"""TestInvokeMethod and TestInvokeAuthorizer: what they ask and answer. The data plane runs
them (stratus.gateway.rest_test_invoke), reached through the app's `test_invoke` and
`test_authorizer` seams, since the AWS adapters and the gateway are siblings that do not
import each other."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class TestInvokeRequest:
    api_id: str
    resource_id: str
    http_method: str
    path_with_query: str | None = None
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    multi_value_headers: dict[str, list[str]] = field(default_factory=dict)
    stage_variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TestInvokeResult:
    status: int
    body: str
    headers: dict[str, str]
    multi_value_headers: dict[str, list[str]]
    log: str
    latency_ms: int


TestInvoker = Callable[[TestInvokeRequest], Awaitable[TestInvokeResult]]
TEST_STAGE = "test-invoke-stage"


@dataclass(frozen=True, slots=True)
class TestAuthorizerRequest:
    api_id: str
    authorizer_id: str
    path_with_query: str | None = None
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    multi_value_headers: dict[str, list[str]] = field(default_factory=dict)
    stage_variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TestAuthorizerResult:
    client_status: int  # 200 allowed, else what a caller would get (401, 403, 500)
    principal_id: str | None
    policy: str | None  # the policy document the function answered, as JSON text
    log: str
    latency_ms: int


TestAuthorizer = Callable[[TestAuthorizerRequest], Awaitable[TestAuthorizerResult]]
