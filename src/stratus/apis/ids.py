"""API ids: how they are drawn, and the one namespace HTTP APIs and REST APIs share.

Both kinds answer on the same addresses (`{id}.execute-api.localhost`), so the gateway tells
them apart by id alone: an id names at most one API of either kind. The rule spans both
packages' tables, so it lives here, beside them, as a schema of its own created after both
(`stratus.services.SCHEMAS`); CreateRestApi draws again on a clash.
"""

from __future__ import annotations

import secrets
import string

from stratus.store.db import Schema

_ALPHABET = string.ascii_lowercase + string.digits


def new_id(length: int) -> str:
    """An id as AWS draws them: lower-case letters and digits (APIs 10, their parts 6 or 7)."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


SCHEMA = Schema(
    "api_ids",
    """
CREATE TRIGGER IF NOT EXISTS rest_api_ids_unique BEFORE INSERT ON rest_apis
WHEN EXISTS (SELECT 1 FROM apis WHERE id = NEW.id) BEGIN
    SELECT RAISE(ABORT, 'API id already used by an HTTP API');
END;
CREATE TRIGGER IF NOT EXISTS http_api_ids_unique BEFORE INSERT ON apis
WHEN EXISTS (SELECT 1 FROM rest_apis WHERE id = NEW.id) BEGIN
    SELECT RAISE(ABORT, 'API id already used by a REST API');
END;
""",
)
