"""Tags on REST API resources by ARN (TagResource / UntagResource / GetTags):
`arn:aws:apigateway:<region>::/restapis/<id>`, `.../restapis/<id>/stages/<name>`,
`/apikeys/<id>`, `/usageplans/<id>`, `/clientcertificates/<id>`, `/vpclinks/<id>`. Each
resource keeps its tags in its own `tags` member
(what CreateRestApi, CreateStage... take and Get* return); AWS's limits apply: 50 tags,
keys of 1-128 and values of up to 256 characters, the `aws:` prefix reserved.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from stratus.errors import Invalid, NotFound

from ..shape import Shape
from .account import CERTIFICATES, VPC_LINKS
from .keys import key_of
from .plans import plan_of
from .store import STAGES, Parts, RestStore

_ARN = re.compile(r"^arn:aws[\w-]*:apigateway:[\w-]*::(/.+)$")
MAX_TAGS = 50
# (path pattern, read(conn, ids) -> resource, write(conn, ids, resource))
Reader = Callable[[sqlite3.Connection, Sequence[str]], Shape]
Writer = Callable[[sqlite3.Connection, Sequence[str], Any], None]


def _api(conn: sqlite3.Connection, ids: Sequence[str]) -> Shape:
    return Parts(conn, ids[0]).api


def _save_api(conn: sqlite3.Connection, ids: Sequence[str], api: Any) -> None:
    Parts(conn, ids[0]).save_api(api)


def _stage(conn: sqlite3.Connection, ids: Sequence[str]) -> Shape:
    return Parts(conn, ids[0]).require(STAGES, ids[1])


def _save_stage(conn: sqlite3.Connection, ids: Sequence[str], stage: Any) -> None:
    Parts(conn, ids[0]).put(STAGES, ids[1], stage)


def _account_row(table: str) -> Writer:
    def save(conn: sqlite3.Connection, ids: Sequence[str], found: Any) -> None:
        conn.execute(
            f"UPDATE {table} SET config = ? WHERE id = ?", (found.model_dump_json(), ids[0])
        )

    return save


def _certificate(conn: sqlite3.Connection, ids: Sequence[str]) -> Shape:
    return CERTIFICATES.require(conn, ids[0]).certificate


def _save_certificate(conn: sqlite3.Connection, ids: Sequence[str], found: Any) -> None:
    stored = CERTIFICATES.require(conn, ids[0])
    CERTIFICATES.put(conn, ids[0], stored.model_copy(update={"certificate": found}))


_KINDS: tuple[tuple[re.Pattern[str], Reader, Writer], ...] = (
    (re.compile(r"^/restapis/([^/]+)$"), _api, _save_api),
    (re.compile(r"^/restapis/([^/]+)/stages/([^/]+)$"), _stage, _save_stage),
    (
        re.compile(r"^/apikeys/([^/]+)$"),
        lambda c, i: key_of(c, i[0]),
        _account_row("rest_api_keys"),
    ),
    (
        re.compile(r"^/usageplans/([^/]+)$"),
        lambda c, i: plan_of(c, i[0]),
        _account_row("rest_usage_plans"),
    ),
    (re.compile(r"^/clientcertificates/([^/]+)$"), _certificate, _save_certificate),
    (
        re.compile(r"^/vpclinks/([^/]+)$"),
        lambda c, i: VPC_LINKS.require(c, i[0]),
        lambda c, i, found: VPC_LINKS.put(c, i[0], found),
    ),
)


def _resolve(arn: str) -> tuple[Reader, Writer, Sequence[str]]:
    found = _ARN.match(arn)
    if found is not None:
        for pattern, read, write in _KINDS:
            ids = pattern.match(found.group(1))
            if ids is not None:
                return read, write, ids.groups()
    raise NotFound(f"Invalid resource ARN specified: {arn}")


def check_tags(tags: Mapping[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise Invalid(f"A resource can have at most {MAX_TAGS} tags")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise Invalid(f"Invalid tag {key!r}: keys are 1 to 128 characters, values up to 256")
        if key.lower().startswith("aws:"):
            raise Invalid(f"Invalid tag key {key!r}: the aws: prefix is reserved")


class Tags:
    def __init__(self, store: RestStore) -> None:
        self._store = store

    async def get(self, arn: str) -> dict[str, str]:
        read, _, ids = _resolve(arn)
        found = await self._store.run(lambda conn: read(conn, ids))
        return dict(getattr(found, "tags", None) or {})

    async def change(self, arn: str, add: Mapping[str, str], remove: Sequence[str] = ()) -> None:
        read, write, ids = _resolve(arn)

        def work(conn: sqlite3.Connection) -> None:
            found = read(conn, ids)
            tags = {
                k: v for k, v in (getattr(found, "tags", None) or {}).items() if k not in remove
            }
            tags |= add
            check_tags(tags)
            write(conn, ids, found.model_copy(update={"tags": tags or None}))

        await self._store.transact(work)
