"""API ids: how they are drawn, and the one namespace HTTP APIs and REST APIs share.

Both kinds answer on the same addresses (`{id}.execute-api.localhost`), so the gateway tells
them apart by id alone: an id names at most one API of either kind. The rule spans both
packages' tables, so it lives here, beside them, as a schema of its own created after both
(`stratus.services.SCHEMAS`); CreateRestApi draws again on a clash.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Mapping

from stratus.errors import Invalid
from stratus.store.db import Schema

_ALPHABET = string.ascii_lowercase + string.digits
# A tag that fixes a new API's id, so its URLs stay the same across redeploys (the tag
# LocalStack users know). The id must read as an AWS API id does.
CUSTOM_ID_TAG = "_custom_id_"
_CUSTOM_ID = re.compile(r"^[a-z0-9]{1,32}$")


def custom_id(tags: Mapping[str, str] | None) -> str | None:
    """The id a new API's `_custom_id_` tag asks for, if any."""
    wanted = (tags or {}).get(CUSTOM_ID_TAG)
    if wanted is None:
        return None
    if not _CUSTOM_ID.match(wanted):
        raise Invalid(
            f"Invalid {CUSTOM_ID_TAG} tag {wanted!r}: 1 to 32 lower-case letters and digits"
        )
    return wanted


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
