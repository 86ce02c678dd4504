"""EventBridge connections and API destinations, stored in the `events_resources` table
(resources.py) and answered as AWS answers them:

    connections    authorization for API destinations: BASIC and API_KEY are AUTHORIZED at
                   once, OAUTH_CLIENT_CREDENTIALS too (its token is fetched when an event is
                   sent, invocations.py); secrets are never answered back, as on AWS
    API destinations  an HTTP endpoint with a connection; ACTIVE. A rule target naming one
                   sends the event there (`wait_invoke`, invocations.py)
"""

from __future__ import annotations

import uuid
from typing import Any

from stratus.errors import NotFound, Validation

from . import invocations
from .resources import DocumentTable, pick, read_document, shown

AUTH_TYPES = ("BASIC", "OAUTH_CLIENT_CREDENTIALS", "API_KEY")
HTTP_METHODS = ("POST", "GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE")
DEFAULT_RATE = 300  # InvocationRateLimitPerSecond when not given
# Members of AuthParameters AWS never answers back (they live in the connection's secret).
_SECRETS = {"Password", "ApiKeyValue", "ClientSecret"}


class Connections(DocumentTable):
    # -- connections ------------------------------------------------------------------------
    async def create_connection(self, given: dict[str, Any]) -> dict[str, Any]:
        name = given["Name"]
        kind = given["AuthorizationType"]
        if kind not in AUTH_TYPES:
            raise Validation(f"Parameter AuthorizationType must be one of {', '.join(AUTH_TYPES)}.")
        _check_auth(kind, given.get("AuthParameters") or {})
        now = self._clock()
        doc = {
            "ConnectionArn": f"{self._prefix}connection/{name}/{uuid.uuid4()}",
            "Name": name,
            "Description": given.get("Description"),
            "AuthorizationType": kind,
            "AuthParameters": given.get("AuthParameters") or {},
            "InvocationConnectivityParameters": given.get("InvocationConnectivityParameters"),
            "KmsKeyIdentifier": given.get("KmsKeyIdentifier"),
            "ConnectionState": "AUTHORIZED",
            "SecretArn": f"arn:aws:secretsmanager:{self._region}:{self._account}:secret:"
            f"events!connection/{name}/{uuid.uuid4()}",
            "CreationTime": now,
            "LastModifiedTime": now,
            "LastAuthorizedTime": now,
        }
        await self._put("connection", name, doc, new=True)
        return pick(doc, "ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime")

    async def describe_connection(self, name: str) -> dict[str, Any]:
        doc = await self._get("connection", name, "Connection")
        return shown(doc | {"AuthParameters": _without_secrets(doc["AuthParameters"])})

    async def update_connection(self, given: dict[str, Any]) -> dict[str, Any]:
        doc = await self._get("connection", given["Name"], "Connection")
        kind = given.get("AuthorizationType") or doc["AuthorizationType"]
        if kind not in AUTH_TYPES:
            raise Validation(f"Parameter AuthorizationType must be one of {', '.join(AUTH_TYPES)}.")
        auth = _merged(doc["AuthParameters"], given.get("AuthParameters") or {})
        _check_auth(kind, auth)
        now = self._clock()
        doc |= {k: v for k, v in given.items() if v is not None and k != "AuthParameters"}
        doc |= {"AuthorizationType": kind, "AuthParameters": auth, "LastModifiedTime": now,
                "ConnectionState": "AUTHORIZED", "LastAuthorizedTime": now}  # fmt: skip
        await self._put("connection", doc["Name"], doc, new=False)
        return pick(doc, "ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime",
                     "LastAuthorizedTime")  # fmt: skip

    async def deauthorize_connection(self, name: str) -> dict[str, Any]:
        doc = await self._get("connection", name, "Connection")
        doc |= {"ConnectionState": "DEAUTHORIZED", "LastModifiedTime": self._clock()}
        await self._put("connection", name, doc, new=False)
        return pick(doc, "ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime",
                     "LastAuthorizedTime")  # fmt: skip

    async def delete_connection(self, name: str) -> dict[str, Any]:
        doc = await self._delete("connection", name, "Connection")
        doc["ConnectionState"] = "DELETING"
        return pick(doc, "ConnectionArn", "ConnectionState", "CreationTime", "LastModifiedTime",
                     "LastAuthorizedTime")  # fmt: skip

    async def connections(self, prefix: str, state: str | None) -> list[dict[str, Any]]:
        keep = ("ConnectionArn", "Name", "ConnectionState", "StateReason", "AuthorizationType",
                "CreationTime", "LastModifiedTime", "LastAuthorizedTime")  # fmt: skip
        return [
            pick(doc, *keep)
            for doc in await self._all("connection", prefix)
            if state is None or doc["ConnectionState"] == state
        ]

    # -- API destinations -------------------------------------------------------------------
    async def create_api_destination(self, given: dict[str, Any]) -> dict[str, Any]:
        name = given["Name"]
        await self._connection_named(given["ConnectionArn"])
        _check_destination(given)
        now = self._clock()
        doc = {
            "ApiDestinationArn": f"{self._prefix}api-destination/{name}/{uuid.uuid4()}",
            "Name": name,
            "Description": given.get("Description"),
            "ApiDestinationState": "ACTIVE",
            "ConnectionArn": given["ConnectionArn"],
            "InvocationEndpoint": given["InvocationEndpoint"],
            "HttpMethod": given["HttpMethod"],
            "InvocationRateLimitPerSecond": given.get("InvocationRateLimitPerSecond")
            or DEFAULT_RATE,
            "CreationTime": now,
            "LastModifiedTime": now,
        }
        await self._put("api-destination", name, doc, new=True)
        return pick(doc, "ApiDestinationArn", "ApiDestinationState", "CreationTime",
                     "LastModifiedTime")  # fmt: skip

    async def describe_api_destination(self, name: str) -> dict[str, Any]:
        return shown(await self._get("api-destination", name, "An api-destination"))

    async def update_api_destination(self, given: dict[str, Any]) -> dict[str, Any]:
        doc = await self._get("api-destination", given["Name"], "An api-destination")
        if given.get("ConnectionArn"):
            await self._connection_named(given["ConnectionArn"])
        doc |= {k: v for k, v in given.items() if v is not None}
        _check_destination(doc)
        doc["LastModifiedTime"] = self._clock()
        await self._put("api-destination", doc["Name"], doc, new=False)
        return pick(doc, "ApiDestinationArn", "ApiDestinationState", "CreationTime",
                     "LastModifiedTime")  # fmt: skip

    async def delete_api_destination(self, name: str) -> None:
        await self._delete("api-destination", name, "An api-destination")

    async def api_destinations(
        self, prefix: str, connection_arn: str | None
    ) -> list[dict[str, Any]]:
        keep = ("ApiDestinationArn", "Name", "ApiDestinationState", "ConnectionArn",
                "InvocationEndpoint", "HttpMethod", "InvocationRateLimitPerSecond",
                "CreationTime", "LastModifiedTime")  # fmt: skip
        return [
            pick(doc, *keep)
            for doc in await self._all("api-destination", prefix)
            if connection_arn is None or doc["ConnectionArn"] == connection_arn
        ]

    async def _connection_named(self, arn: str) -> dict[str, Any]:
        name = arn.split(":connection/", 1)[-1].split("/", 1)[0]
        doc = await self._db.run(lambda conn: read_document(conn, "connection", name))
        if doc is None or doc["ConnectionArn"] != arn:
            raise NotFound(f"Connection {arn} does not exist.")
        return doc

    async def wait_invoke(self, arn: str, payload: bytes) -> None:
        """A rule's delivery to the API destination `arn` (invocations.py)."""
        name = arn.split(":api-destination/", 1)[-1].split("/", 1)[0]
        destination = await self._db.run(lambda conn: read_document(conn, "api-destination", name))
        if destination is None or destination["ApiDestinationArn"] != arn:
            raise NotFound(f"API destination {arn} does not exist.")
        connection = await self._connection_named(destination["ConnectionArn"])
        await invocations.wait_send(destination, connection, payload)


def _without_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if k not in _SECRETS}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def _merged(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    merged = dict(old)
    for key, value in new.items():
        both = isinstance(value, dict) and isinstance(merged.get(key), dict)
        merged[key] = _merged(merged[key], value) if both else value
    return merged


_AUTH_MEMBERS = {
    "BASIC": "BasicAuthParameters",
    "API_KEY": "ApiKeyAuthParameters",
    "OAUTH_CLIENT_CREDENTIALS": "OAuthParameters",
}


def _check_auth(kind: str, auth: dict[str, Any]) -> None:
    member = _AUTH_MEMBERS[kind]
    if not auth.get(member):
        raise Validation(
            f"Parameter AuthParameters.{member} is required for AuthorizationType {kind}."
        )


def _check_destination(doc: dict[str, Any]) -> None:
    if doc["HttpMethod"] not in HTTP_METHODS:
        raise Validation(f"Parameter HttpMethod must be one of {', '.join(HTTP_METHODS)}.")
    if not _invocable(str(doc["InvocationEndpoint"])):
        raise Validation(
            "Parameter InvocationEndpoint is not valid: it must be an https:// URL (http:// "
            "is taken for this machine's own addresses, for local endpoints)."
        )


def _invocable(url: str) -> bool:
    """AWS calls HTTPS endpoints only; Stratus also calls plain HTTP on the loopback, where
    the endpoints of local development and of tests live."""
    if url.startswith("https://"):
        return True
    host = url.removeprefix("http://").split("/", 1)[0].rsplit(":", 1)[0]
    return url.startswith("http://") and host in ("localhost", "127.0.0.1", "[::1]")
