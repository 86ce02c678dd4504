"""Mobile push: platform applications and their endpoints, with the outbox for a phone.

    platform application   arn:aws:sns:<region>:<account>:app/<Platform>/<Name>
                           Platform ADM, APNS, APNS_SANDBOX, BAIDU, GCM, MPNS, WNS; its
                           credentials (PlatformCredential, PlatformPrincipal) are stored and
                           never answered back, and never checked with the platform
    endpoint               arn:aws:sns:<region>:<account>:endpoint/<Platform>/<Name>/<id>
                           a device token, CustomUserData, Enabled

No push service is called: Publish to an endpoint (TargetArn), or a topic's delivery to an
`application` subscription, writes the message to the outbox (outbox.py) in the group
`sns/<region>/<account>/app/<Platform>/<Name>` (the group AWS gives the application's
delivery-status logs), stream the endpoint's id. MessageStructure json picks the platform's
key (GCM, APNS, ...) as AWS does. A disabled endpoint or application refuses a Publish
(EndpointDisabled, PlatformApplicationDisabled).

CreatePlatformEndpoint is idempotent as on AWS: the same token answers the same endpoint,
unless its attributes differ (InvalidParameter).
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from stratus.errors import Invalid, NotFound
from stratus.store.db import Database, transaction

from .errors import InvalidParameter
from .outbox import Outbox

T = TypeVar("T")
PLATFORMS = ("ADM", "APNS", "APNS_SANDBOX", "BAIDU", "GCM", "MPNS", "WNS")
APP_ATTRIBUTES = frozenset(
    {
        "PlatformCredential", "PlatformPrincipal", "EventEndpointCreated",
        "EventEndpointDeleted", "EventEndpointUpdated", "EventDeliveryFailure",
        "SuccessFeedbackRoleArn", "FailureFeedbackRoleArn", "SuccessFeedbackSampleRate",
        "ApplePlatformTeamID", "ApplePlatformBundleID", "Enabled",
    }
)  # fmt: skip
SECRET_ATTRIBUTES = frozenset({"PlatformCredential", "PlatformPrincipal"})
ENDPOINT_ATTRIBUTES = frozenset({"CustomUserData", "Enabled", "Token"})
PAGE = 100


class EndpointDisabled(Invalid):
    def __init__(self) -> None:
        super().__init__("Endpoint is disabled")


class ApplicationDisabled(Invalid):
    def __init__(self) -> None:
        super().__init__("Platform application is disabled")


class PlatformApps:
    def __init__(self, db: Database, outbox: Outbox, arn_prefix: str) -> None:
        self._db = db
        self._outbox = outbox
        self._prefix = arn_prefix  # arn:aws:sns:<region>:<account>:

    # ---- applications -------------------------------------------------------------------

    async def create_application(
        self, name: str, platform: str, attributes: Mapping[str, str]
    ) -> str:
        if platform not in PLATFORMS:
            raise InvalidParameter(f"Platform Reason: must be one of {', '.join(PLATFORMS)}")
        if not name or len(name) > 256 or not all(c.isalnum() or c in "-_." for c in name):
            raise InvalidParameter("Name Reason: 1-256 letters, digits, hyphens, underscores")
        _check(attributes, APP_ATTRIBUTES)
        if platform not in ("APNS", "APNS_SANDBOX") and not attributes.get("PlatformCredential"):
            raise InvalidParameter("Attributes Reason: PlatformCredential is required")
        arn = f"{self._prefix}app/{platform}/{name}"
        settled = {"Enabled": "true", **attributes}

        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO topic_push_apps VALUES (?, ?) ON CONFLICT (arn) DO UPDATE SET "
                "attributes = excluded.attributes",
                (arn, json.dumps(settled)),
            )

        await self._run(write)
        return arn

    async def application_attributes(self, arn: str) -> dict[str, str]:
        found = await self._run(lambda conn: _app(conn, arn))
        return {k: v for k, v in found.items() if k not in SECRET_ATTRIBUTES}

    async def set_application_attributes(self, arn: str, given: Mapping[str, str]) -> None:
        _check(given, APP_ATTRIBUTES)

        def write(conn: sqlite3.Connection) -> None:
            merged = {**_app(conn, arn), **given}
            conn.execute(
                "UPDATE topic_push_apps SET attributes = ? WHERE arn = ?",
                (json.dumps(merged), arn),
            )

        await self._run(write)

    async def delete_application(self, arn: str) -> None:
        """Deletes its endpoints too; a missing application is no error (AWS)."""

        def delete(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM topic_push_apps WHERE arn = ?", (arn,))
            conn.execute("DELETE FROM topic_push_endpoints WHERE app = ?", (arn,))

        await self._run(delete)

    async def applications(
        self, token: str | None
    ) -> tuple[list[tuple[str, dict[str, str]]], str | None]:
        rows = await self._run(
            lambda conn: conn.execute(
                "SELECT arn, attributes FROM topic_push_apps WHERE arn > ? ORDER BY arn LIMIT ?",
                (token or "", PAGE + 1),
            ).fetchall()
        )
        found = [
            (row[0], {k: v for k, v in json.loads(row[1]).items() if k not in SECRET_ATTRIBUTES})
            for row in rows[:PAGE]
        ]
        return found, (rows[PAGE - 1][0] if len(rows) > PAGE else None)

    # ---- endpoints ----------------------------------------------------------------------

    async def create_endpoint(
        self, app_arn: str, token: str, custom: str | None, attributes: Mapping[str, str]
    ) -> str:
        _check(attributes, ENDPOINT_ATTRIBUTES)
        if not token:
            raise InvalidParameter("Token Reason: must not be empty")
        settled = {"Enabled": "true", **attributes, "Token": token}
        if custom is not None:
            settled["CustomUserData"] = custom
        resource = app_arn.removeprefix(f"{self._prefix}app/")

        def write(conn: sqlite3.Connection) -> str:
            _app(conn, app_arn)
            row = conn.execute(
                "SELECT arn, attributes FROM topic_push_endpoints WHERE app = ? AND token = ?",
                (app_arn, token),
            ).fetchone()
            if row is not None:
                if json.loads(row[1]) != settled:
                    raise InvalidParameter(
                        f"Token Reason: Endpoint {row[0]} already exists with the same Token, "
                        "but different attributes."
                    )
                return str(row[0])
            arn = f"{self._prefix}endpoint/{resource}/{uuid.uuid4()}"
            conn.execute(
                "INSERT INTO topic_push_endpoints VALUES (?, ?, ?, ?)",
                (arn, app_arn, token, json.dumps(settled)),
            )
            return arn

        return await self._run(write)

    async def endpoint_attributes(self, arn: str) -> dict[str, str]:
        return await self._run(lambda conn: _endpoint(conn, arn)[1])

    async def set_endpoint_attributes(self, arn: str, given: Mapping[str, str]) -> None:
        _check(given, ENDPOINT_ATTRIBUTES)

        def write(conn: sqlite3.Connection) -> None:
            _, found = _endpoint(conn, arn)
            merged = {**found, **given}
            conn.execute(
                "UPDATE topic_push_endpoints SET attributes = ?, token = ? WHERE arn = ?",
                (json.dumps(merged), merged["Token"], arn),
            )

        await self._run(write)

    async def delete_endpoint(self, arn: str) -> None:
        """A missing endpoint is no error (AWS: DeleteEndpoint is idempotent)."""
        await self._run(
            lambda conn: conn.execute("DELETE FROM topic_push_endpoints WHERE arn = ?", (arn,))
        )

    async def endpoints(
        self, app_arn: str, token: str | None
    ) -> tuple[list[tuple[str, dict[str, str]]], str | None]:
        def read(conn: sqlite3.Connection) -> list[Any]:
            _app(conn, app_arn)
            return conn.execute(
                "SELECT arn, attributes FROM topic_push_endpoints WHERE app = ? AND arn > ? "
                "ORDER BY arn LIMIT ?",
                (app_arn, token or "", PAGE + 1),
            ).fetchall()

        rows = await self._run(read)
        found = [(row[0], json.loads(row[1])) for row in rows[:PAGE]]
        return found, (rows[PAGE - 1][0] if len(rows) > PAGE else None)

    # ---- sending ------------------------------------------------------------------------

    def platform_of(self, endpoint_arn: str) -> str:
        """GCM, APNS...: the key MessageStructure json picks for this endpoint."""
        return endpoint_arn.removeprefix(f"{self._prefix}endpoint/").split("/", 1)[0]

    async def wait_send(
        self,
        endpoint_arn: str,
        text: str,
        message_id: str,
        topic_arn: str | None = None,
    ) -> None:
        """One message to a device, to the outbox; EndpointDisabled if it is disabled."""

        def read(conn: sqlite3.Connection) -> tuple[str, dict[str, str], dict[str, str]]:
            app, attributes = _endpoint(conn, endpoint_arn)
            return app, attributes, _app(conn, app)

        app, attributes, app_attributes = await self._run(read)
        if app_attributes.get("Enabled") == "false":
            raise ApplicationDisabled()
        if attributes.get("Enabled") == "false":
            raise EndpointDisabled()
        group = "app/" + app.removeprefix(f"{self._prefix}app/")
        await self._outbox.wait_write(
            "application",
            endpoint_arn.rsplit("/", 1)[1],
            text,
            message_id=message_id,
            topic_arn=topic_arn,
            group=group,
        )

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def in_transaction(conn: sqlite3.Connection) -> T:
            with transaction(conn):
                return work(conn)

        return await self._db.run(in_transaction)


def _check(given: Mapping[str, str], known: frozenset[str]) -> None:
    for name in given:
        if name not in known:
            raise InvalidParameter(f"Attributes Reason: Invalid attribute name: {name}")
    if given.get("Enabled") not in (None, "true", "false"):
        raise InvalidParameter("Attributes Reason: Enabled must be true or false")


def _app(conn: sqlite3.Connection, arn: str) -> dict[str, str]:
    row = conn.execute("SELECT attributes FROM topic_push_apps WHERE arn = ?", (arn,)).fetchone()
    if row is None:
        raise NotFound("PlatformApplication does not exist")
    found: dict[str, str] = json.loads(row[0])
    return found


def _endpoint(conn: sqlite3.Connection, arn: str) -> tuple[str, dict[str, str]]:
    row = conn.execute(
        "SELECT app, attributes FROM topic_push_endpoints WHERE arn = ?", (arn,)
    ).fetchone()
    if row is None:
        raise NotFound("Endpoint does not exist")
    return str(row[0]), json.loads(row[1])
