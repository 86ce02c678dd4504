"""HTTP APIs' HTTP_PROXY integrations: the request goes on to an HTTP endpoint and its
answer comes back as it is ("Working with HTTP proxy integrations for HTTP APIs").

The integration URI names the target; its `{name}` path variables take the route's path
parameters, and `{proxy}` what a greedy `{proxy+}` matched. The request's query string is
appended, its headers are passed on (hop-by-hop ones dropped, Host set to the target's)
with its body; IntegrationMethod ANY keeps the request's method. What the client sees:

    the target's answer                                   its status, headers and body
    target unreachable (connection refused, DNS, TLS...)  500 Internal Server Error
    no answer within the integration's TimeoutInMillis    504 Gateway Timeout

each failure with the body `{"message":"<that text>"}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx

from stratus.apis.http.model import Integration
from stratus.gateway.responses import HttpResponse

_JSON = (("content-type", "application/json"),)
BAD_GATEWAY = HttpResponse(500, _JSON, b'{"message":"Internal Server Error"}')
TIMED_OUT = HttpResponse(504, _JSON, b'{"message":"Gateway Timeout"}')
# Hop-by-hop headers (RFC 9110 7.6.1) and those the client library sets for the new hop.
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
_REQUEST_DROPPED = _HOP_BY_HOP | {"host", "content-length"}
_RESPONSE_DROPPED = _HOP_BY_HOP | {"content-length"}
_VARIABLE = re.compile(r"\{([A-Za-z0-9._:-]+)\}")
# Clients kept for client certificates / unchecked back ends, least recently used first out:
# each holds an SSLContext (~0.8 MB with the default CA store), and certificates come and go.
TLS_CLIENTS_KEPT = 8


def target_url(uri: str, path_parameters: Mapping[str, str], query: str) -> str:
    """The integration URI with its path variables filled and the request's query string
    appended. A variable the route did not bind is left as written."""

    def fill(found: re.Match[str]) -> str:
        value = path_parameters.get(found.group(1))
        if value is None:
            return found.group(0)
        return quote(value, safe="/")  # bound values are decoded; re-encode them

    url = _VARIABLE.sub(fill, uri)
    if query:
        url = f"{url}{'&' if '?' in url else '?'}{query}"
    return url


class TargetFailed(Exception):
    """The target could not be reached (connection refused, DNS, TLS...)."""


class TargetTimedOut(TargetFailed):
    """No answer within the integration's timeout."""


@dataclass(frozen=True, slots=True)
class Tls:
    """How an HTTPS back end is called: the client certificate a REST stage presents
    (certificate PEM, private key PEM), and whether the back end's certificate is checked
    (a REST integration's tlsConfig.insecureSkipVerification turns that off)."""

    certificate: tuple[str, str] | None = None
    verify: bool = True


def _ssl_context(tls: Tls) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not tls.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if tls.certificate is not None:
        # load_cert_chain reads files only: written for the call, removed at once.
        with tempfile.TemporaryDirectory() as directory:
            cert, key = Path(directory, "cert.pem"), Path(directory, "key.pem")
            cert.write_text(tls.certificate[0])
            key.write_text(tls.certificate[1])
            key.chmod(0o600)
            context.load_cert_chain(cert, key)
    return context


@dataclass(slots=True)
class _TlsClient:
    client: httpx.AsyncClient
    users: int = 0  # requests under way with it
    evicted: bool = False  # out of the kept ones: closed by its last user


@dataclass(frozen=True, slots=True)
class HttpProxyStatistics:
    tls_clients: int  # kept, at most TLS_CLIENTS_KEPT
    tls_clients_closing: int  # evicted while a request still used them


class HttpProxy:
    """The gateway's one HTTP client for HTTP_PROXY integrations, made on first use (in
    the serving loop) and closed with `wait_close`; and up to TLS_CLIENTS_KEPT more, one per
    client certificate / certificate check (`Tls`), the least recently used evicted."""

    def __init__(self) -> None:
        self._client: httpx.AsyncClient | None = None
        self._tls_clients: dict[Tls, _TlsClient] = {}  # least recently used first
        self._closing = 0

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            # Timeouts come from each integration (asyncio.timeout below); redirects and
            # compressed bodies go back to the client untouched.
            self._client = httpx.AsyncClient(timeout=None, follow_redirects=False)
        return self._client

    def statistics(self) -> HttpProxyStatistics:
        return HttpProxyStatistics(len(self._tls_clients), self._closing)

    @contextlib.asynccontextmanager
    async def _wait_client_for(self, tls: Tls | None) -> AsyncIterator[httpx.AsyncClient]:
        if tls is None or tls == Tls():
            yield self.client
            return
        held = self._tls_clients.pop(tls, None)
        if held is None:
            held = _TlsClient(
                httpx.AsyncClient(timeout=None, follow_redirects=False, verify=_ssl_context(tls))
            )
        self._tls_clients[tls] = held  # now the most recently used
        held.users += 1
        idle: list[httpx.AsyncClient] = []
        while len(self._tls_clients) > TLS_CLIENTS_KEPT:
            evicted = self._tls_clients.pop(next(iter(self._tls_clients)))
            evicted.evicted = True
            if evicted.users:
                self._closing += 1  # a request still reads through it: its last user closes it
            else:
                idle.append(evicted.client)
        try:
            for client in idle:
                await client.aclose()
            yield held.client
        finally:
            held.users -= 1
            if held.evicted and not held.users:
                self._closing -= 1
                await held.client.aclose()

    async def wait_close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()
        clients, self._tls_clients = list(self._tls_clients.values()), {}
        for held in clients:
            await held.client.aclose()

    async def wait_forward(
        self,
        integration: Integration,
        method: str,
        path_parameters: Mapping[str, str],
        query: str,
        headers: tuple[tuple[str, str], ...],
        body: bytes,
        source_ip: str,
    ) -> HttpResponse:
        """The target's answer to the request, or the gateway's 500 / 504."""
        url = target_url(integration.IntegrationUri or "", path_parameters, query)
        chosen = (integration.IntegrationMethod or "ANY").upper()
        verb = method if chosen == "ANY" else chosen
        sent = [(k, v) for k, v in headers if k.lower() not in _REQUEST_DROPPED]
        forwarded = next((v for k, v in sent if k.lower() == "x-forwarded-for"), None)
        sent = [(k, v) for k, v in sent if k.lower() != "x-forwarded-for"]
        sent.append(("x-forwarded-for", f"{forwarded}, {source_ip}" if forwarded else source_ip))
        try:
            return await self.wait_send(verb, url, sent, body, integration.TimeoutInMillis)
        except TargetTimedOut:
            return TIMED_OUT
        except TargetFailed:
            return BAD_GATEWAY

    async def wait_send(
        self,
        method: str,
        url: str,
        headers: Sequence[tuple[str, str]],
        body: bytes,
        timeout_ms: int,
        tls: Tls | None = None,
    ) -> HttpResponse:
        """The target's answer (hop-by-hop headers dropped both ways); TargetTimedOut past
        `timeout_ms`, TargetFailed when it cannot be reached (or its TLS handshake fails)."""
        sent = [(k, v) for k, v in headers if k.lower() not in _REQUEST_DROPPED]
        try:
            async with self._wait_client_for(tls) as client, asyncio.timeout(timeout_ms / 1000):
                request = client.build_request(method.upper(), url, headers=sent, content=body)
                response = await client.send(request, stream=True)
                try:
                    raw = b"".join([chunk async for chunk in response.aiter_raw()])
                finally:
                    await response.aclose()
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise TargetTimedOut(url) from exc
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            raise TargetFailed(f"{url}: {exc}") from exc
        kept = tuple(
            (k, v) for k, v in response.headers.multi_items() if k.lower() not in _RESPONSE_DROPPED
        )
        return HttpResponse(response.status_code, kept, raw)
