"""API destinations as rule targets: the event (the target's rendered input) sent as an
HTTP request to the destination's InvocationEndpoint, with its connection's authorization.

    BASIC       Authorization: Basic base64(Username:Password)
    API_KEY     <ApiKeyName>: <ApiKeyValue>
    OAUTH_CLIENT_CREDENTIALS   a token from AuthorizationEndpoint (client credentials grant:
                the client id and secret as Basic authorization, the connection's
                OAuthHttpParameters added), then Authorization: Bearer <access_token>
    + the connection's InvocationHttpParameters (HeaderParameters, QueryStringParameters,
      BodyParameters merged into a JSON object body)

Answers, as AWS treats them: 2xx delivered; 401, 407, 409, 429 and 5xx (and no answer)
retried under the target's RetryPolicy; any other status refused for good (to the DLQ).
A request times out after 5 s, AWS's limit for API destinations. A deauthorized connection
refuses at once.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

import httpx

from stratus.errors import Invalid, StratusError

TIMEOUT_S = 5.0
RETRIED = frozenset({401, 407, 409, 429})


class EndpointFailed(StratusError):
    """The endpoint failed in a way a retry may mend (AWS's retried statuses)."""

    code, status = "ServiceException", 502


def _params(parameters: Mapping[str, Any] | None, key: str) -> dict[str, str]:
    return {str(p["Key"]): str(p["Value"]) for p in (parameters or {}).get(key) or [] if "Key" in p}


async def wait_send(
    destination: Mapping[str, Any], connection: Mapping[str, Any], payload: bytes
) -> None:
    if connection.get("ConnectionState") != "AUTHORIZED":
        raise Invalid(f"Connection {connection['Name']} is {connection.get('ConnectionState')}.")
    auth = connection.get("AuthParameters") or {}
    extra = auth.get("InvocationHttpParameters")
    headers = {"Content-Type": "application/json; charset=utf-8",
               "User-Agent": "Amazon/EventBridge/ApiDestinations"}  # fmt: skip
    headers |= _params(extra, "HeaderParameters")
    query = _params(extra, "QueryStringParameters")
    body = _body(payload, _params(extra, "BodyParameters"))
    async with httpx.AsyncClient(timeout=TIMEOUT_S) as client:
        headers |= await _wait_authorization(client, connection["AuthorizationType"], auth)
        try:
            response = await client.request(
                destination["HttpMethod"],
                destination["InvocationEndpoint"],
                params=query,
                headers=headers,
                content=body if destination["HttpMethod"] not in ("GET", "HEAD") else None,
            )
        except httpx.HTTPError as exc:
            raise EndpointFailed(f"{destination['InvocationEndpoint']}: {exc!r}") from exc
    status = response.status_code
    if 200 <= status < 300:
        return
    reason = f"{destination['InvocationEndpoint']} answered HTTP {status}"
    if status in RETRIED or status >= 500:
        raise EndpointFailed(reason)
    raise Invalid(reason)


def _body(payload: bytes, extra: dict[str, str]) -> bytes:
    if not extra:
        return payload
    try:
        document = json.loads(payload)
    except ValueError:
        return payload
    if not isinstance(document, dict):
        return payload
    return json.dumps({**document, **extra}).encode()


async def _wait_authorization(
    client: httpx.AsyncClient, kind: str, auth: Mapping[str, Any]
) -> dict[str, str]:
    if kind == "BASIC":
        basic = auth["BasicAuthParameters"]
        token = base64.b64encode(f"{basic['Username']}:{basic['Password']}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    if kind == "API_KEY":
        key = auth["ApiKeyAuthParameters"]
        return {str(key["ApiKeyName"]): str(key["ApiKeyValue"])}
    oauth = auth["OAuthParameters"]
    client_parameters = oauth.get("ClientParameters") or {}
    secret = f"{client_parameters.get('ClientID', '')}:{client_parameters.get('ClientSecret', '')}"
    extra = oauth.get("OAuthHttpParameters")
    try:
        answer = await client.request(
            oauth.get("HttpMethod", "POST"),
            oauth["AuthorizationEndpoint"],
            params=_params(extra, "QueryStringParameters"),
            headers={"Authorization": "Basic " + base64.b64encode(secret.encode()).decode()}
            | _params(extra, "HeaderParameters"),
            data={"grant_type": "client_credentials"} | _params(extra, "BodyParameters"),
        )
        token = answer.json()["access_token"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        raise EndpointFailed(f"The OAuth token endpoint gave no access_token: {exc!r}") from exc
    return {"Authorization": f"Bearer {token}"}
