"""Custom domain names and their mappings to APIs' stages, shared by REST APIs (DomainName,
BasePathMapping) and HTTP APIs (DomainName, ApiMapping), as on AWS where both APIs see one
set of domain names.

A domain is served on this machine under its own name: a request whose Host is the domain
(`curl -H 'Host: api.example.com'`, or a name that resolves here such as
`api.localhost`) goes to the stage of the mapping whose key is the longest prefix of its
path (an empty key maps the whole domain), with the rest of the path, as API Gateway does.
Keys are one or more path segments (`v1`, `orders/v2`). A domain's RoutingMode may put its
routing rules (routing_rules.py: by header and base path) before, or instead of, its
mappings. Certificates are recorded, not used: the server speaks plain HTTP.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import Field

from stratus.errors import Conflict, Invalid, NotFound
from stratus.store.db import Database, Schema, transaction

from . import routing_rules as rules
from .domain_access import DomainAccess
from .http.service import ApiService
from .ids import new_id
from .remembered import Counted, Remembered
from .rest.service import RestApiService
from .routing_rules import RoutingRule
from .shape import Shape

SCHEMA = Schema(
    "api_domains",
    """
CREATE TABLE IF NOT EXISTS api_domains (         -- custom domain names; config: JSON
    name   TEXT PRIMARY KEY,
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_domain_mappings (
    domain TEXT NOT NULL REFERENCES api_domains(name) ON DELETE CASCADE,
    id     TEXT NOT NULL,
    key    TEXT NOT NULL,                         -- the base path ('' for the whole domain)
    config TEXT NOT NULL,
    PRIMARY KEY (domain, id),
    UNIQUE (domain, key)
);
CREATE TABLE IF NOT EXISTS api_domain_access (   -- access associations (domain_access.py)
    arn    TEXT PRIMARY KEY,
    domain TEXT NOT NULL REFERENCES api_domains(name) ON DELETE CASCADE,
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_domain_rules (    -- routing rules (routing_rules.py)
    domain   TEXT NOT NULL REFERENCES api_domains(name) ON DELETE CASCADE,
    id       TEXT NOT NULL,
    priority INTEGER NOT NULL,
    config   TEXT NOT NULL,
    PRIMARY KEY (domain, id),
    UNIQUE (domain, priority)
);
""",
)
_NAME = re.compile(r"^(?=.{1,253}$)(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{1,63}$")
_KEY = re.compile(r"^[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*$")
NO_DOMAIN = "Invalid domain name identifier specified"


class Domain(Shape):
    name: str
    certificate_arn: str | None = None
    endpoint_type: str = "REGIONAL"
    security_policy: str = "TLS_1_2"
    tags: dict[str, str] = Field(default_factory=dict)
    created: float
    target: str  # the name AWS gives it to point DNS at (regionalDomainName)
    routing_mode: str = "API_MAPPING_ONLY"  # or routing rules first (routing_rules.py)
    domain_id: str = ""  # AWS's domainNameId (private domains' ARNs carry it)


class Mapping(Shape):
    id: str
    domain: str
    key: str  # '' for the whole domain
    api_id: str
    stage: str


@dataclass(frozen=True, slots=True)
class Routed:
    api_id: str
    stage: str
    path: str  # the rest of the path, starting with /


class DomainService:
    def __init__(self, db: Database, rest_apis: RestApiService, apis: ApiService) -> None:
        self._store = Counted(db)
        self.access = DomainAccess(self._store)  # private domains' access associations
        self._served: Remembered[str, dict[str, Served]] = Remembered(self._store)
        self._rest_apis = rest_apis
        self._apis = apis

    async def check_target(self, api_id: str, stage: str | None) -> None:
        """The API (REST or HTTP) and its stage must exist: NotFound otherwise. A REST
        mapping without a stage leaves the stage to the request's path."""
        if await self._rest_apis.is_rest_api(api_id):
            if stage:
                await self._rest_apis.stages.get_stage(api_id, stage)
            else:
                await self._rest_apis.get_rest_api(api_id)
        elif stage:
            await self._apis.get_stage(api_id, stage)
        else:
            await self._apis.get_api(api_id)

    # -- domains ----------------------------------------------------------------------------
    async def create(
        self, name: str, *, certificate_arn: str | None = None, endpoint_type: str = "REGIONAL",
        security_policy: str | None = None, tags: dict[str, str] | None = None,
        routing_mode: str | None = None,
    ) -> Domain:  # fmt: skip
        name = name.lower()
        if not _NAME.match(name):
            raise Invalid(f"Invalid domain name {name!r}: give a DNS name such as api.example.com")
        domain = Domain(
            name=name, certificate_arn=certificate_arn, endpoint_type=endpoint_type,
            security_policy=security_policy or "TLS_1_2", tags=tags or {}, created=time.time(),
            target=f"d-{new_id(10)}.execute-api.localhost",
            routing_mode=_mode(routing_mode or "API_MAPPING_ONLY"), domain_id=new_id(8),
        )  # fmt: skip

        def write(conn: sqlite3.Connection) -> None:
            try:
                conn.execute(
                    "INSERT INTO api_domains (name, config) VALUES (?, ?)",
                    (name, domain.model_dump_json()),
                )
            except sqlite3.IntegrityError:
                raise Conflict("The domain name you provided already exists.") from None

        await self._store.run(write)
        return domain

    async def get(self, name: str) -> Domain:
        def read(conn: sqlite3.Connection) -> Domain:
            return _domain(conn, name.lower())

        return await self._store.run(read)

    async def every(self) -> list[Domain]:
        def read(conn: sqlite3.Connection) -> list[Domain]:
            rows = conn.execute("SELECT config FROM api_domains ORDER BY name")
            return [Domain.model_validate_json(r[0]) for r in rows]

        return await self._store.run(read)

    async def update(self, name: str, **changes: object) -> Domain:
        if isinstance(changes.get("routing_mode"), str):
            _mode(str(changes["routing_mode"]))

        def write(conn: sqlite3.Connection) -> Domain:
            with transaction(conn):
                found = _domain(conn, name.lower())
                changed = found.model_copy(
                    update={k: v for k, v in changes.items() if v is not None}
                )
                conn.execute(
                    "UPDATE api_domains SET config = ? WHERE name = ?",
                    (changed.model_dump_json(), found.name),
                )
                return changed

        return await self._store.run(write)

    async def delete(self, name: str) -> None:
        def remove(conn: sqlite3.Connection) -> int:
            return conn.execute("DELETE FROM api_domains WHERE name = ?", (name.lower(),)).rowcount

        if not await self._store.run(remove):
            raise NotFound(f"{NO_DOMAIN} {name}")

    # -- mappings ---------------------------------------------------------------------------
    async def map(self, domain: str, key: str, api_id: str, stage: str) -> Mapping:
        """A new mapping of `domain` to an existing API's stage."""
        await self.get(domain)
        await self.check_target(api_id, stage or None)
        key = _checked_key(key)
        mapping = Mapping(id=new_id(6), domain=domain.lower(), key=key, api_id=api_id, stage=stage)

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                _domain(conn, mapping.domain)
                try:
                    conn.execute(
                        "INSERT INTO api_domain_mappings (domain, id, key, config) "
                        "VALUES (?, ?, ?, ?)",
                        (mapping.domain, mapping.id, key, mapping.model_dump_json()),
                    )
                except sqlite3.IntegrityError:
                    raise Conflict(
                        f"Base path already exists for this domain name: {key or '(none)'}"
                    ) from None

        await self._store.run(write)
        return mapping

    async def mappings(self, domain: str) -> list[Mapping]:
        def read(conn: sqlite3.Connection) -> list[Mapping]:
            _domain(conn, domain.lower())
            rows = conn.execute(
                "SELECT config FROM api_domain_mappings WHERE domain = ? ORDER BY key",
                (domain.lower(),),
            )
            return [Mapping.model_validate_json(r[0]) for r in rows]

        return await self._store.run(read)

    async def mapping(
        self, domain: str, *, key: str | None = None, mapping_id: str | None = None
    ) -> Mapping:
        """One mapping of `domain`, by its key or its id."""
        if key is not None:
            key = _checked_key(key)
        for found in await self.mappings(domain):
            if found.key == key or found.id == mapping_id:
                return found
        raise NotFound(f"Invalid mapping identifier specified {mapping_id or key or '(none)'}")

    async def remap(self, mapping: Mapping, **changes: str | None) -> Mapping:
        fields = {k: v for k, v in changes.items() if v is not None}
        if "key" in fields:
            fields["key"] = _checked_key(fields["key"])
        changed = mapping.model_copy(update=fields)
        await self.check_target(changed.api_id, changed.stage or None)

        def write(conn: sqlite3.Connection) -> None:
            try:
                conn.execute(
                    "UPDATE api_domain_mappings SET key = ?, config = ? "
                    "WHERE domain = ? AND id = ?",
                    (changed.key, changed.model_dump_json(), mapping.domain, mapping.id),
                )
            except sqlite3.IntegrityError:
                raise Conflict(
                    f"Base path already exists for this domain name: {changed.key or '(none)'}"
                ) from None

        await self._store.run(write)
        return changed

    async def unmap(self, mapping: Mapping) -> None:
        def remove(conn: sqlite3.Connection) -> None:
            conn.execute(
                "DELETE FROM api_domain_mappings WHERE domain = ? AND id = ?",
                (mapping.domain, mapping.id),
            )

        await self._store.run(remove)

    # -- routing rules (routing_rules.py) ----------------------------------------------------
    async def create_rule(self, domain: str, fields: dict[str, Any]) -> RoutingRule:
        rule = rules.new_rule(fields)
        await self._check_action(rule)
        await self._write(lambda conn: rules.insert(conn, _domain(conn, domain.lower()).name, rule))
        return rule

    async def put_rule(self, domain: str, rule_id: str, fields: dict[str, Any]) -> RoutingRule:
        rule = rules.new_rule(fields, rule_id)
        await self._check_action(rule)
        await self._write(
            lambda conn: rules.replace(conn, _domain(conn, domain.lower()).name, rule)
        )
        return rule

    async def get_rule(self, domain: str, rule_id: str) -> RoutingRule:
        return await self._store.run(
            lambda conn: rules.require(conn, _domain(conn, domain.lower()).name, rule_id)
        )

    async def list_rules(self, domain: str) -> list[RoutingRule]:
        def read(conn: sqlite3.Connection) -> list[RoutingRule]:
            return [r for _, r in rules.every(conn, _domain(conn, domain.lower()).name)]

        return await self._store.run(read)

    async def delete_rule(self, domain: str, rule_id: str) -> None:
        await self._write(
            lambda conn: rules.delete(conn, _domain(conn, domain.lower()).name, rule_id)
        )

    async def _check_action(self, rule: RoutingRule) -> None:
        action = rule.Actions[0].InvokeApi
        await self.check_target(action.ApiId, action.Stage)

    async def _write(self, work: Callable[[sqlite3.Connection], None]) -> None:
        def run(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                work(conn)

        await self._store.run(run)

    # -- serving ----------------------------------------------------------------------------
    async def route(
        self, host: str, path: str, headers: dict[str, list[str]] | None = None
    ) -> Routed | None:
        """Where a request to `host` (without port) and `path` goes, or None; `headers` by
        lower-case name, for routing rules."""
        table = await self._served.lookup("", _read_table)
        found = table.get(host)
        if found is None:
            return None
        mode, domain_rules, mappings = found
        if mode != "API_MAPPING_ONLY":
            chosen = rules.choose(domain_rules, headers or {}, path)
            if chosen is not None:
                return Routed(chosen.api_id, chosen.stage, chosen.path)
            if mode == "ROUTING_RULE_ONLY":
                return None
        for mapping in mappings:  # longest key first
            key = mapping.key
            if not key or path == f"/{key}" or path.startswith(f"/{key}/"):
                rest = path[len(key) + 1 :] if key else path
                return Routed(mapping.api_id, mapping.stage, rest or "/")
        return None


Served = tuple[str, list[RoutingRule], list[Mapping]]  # a domain's mode, rules and mappings


def _read_table(conn: sqlite3.Connection) -> dict[str, Served]:
    table: dict[str, Served] = {}
    for (config,) in conn.execute("SELECT config FROM api_domains"):
        domain = Domain.model_validate_json(config)
        table[domain.name] = (domain.routing_mode, [], [])
    for (config,) in conn.execute("SELECT config FROM api_domain_mappings"):
        mapping = Mapping.model_validate_json(config)
        table[mapping.domain][2].append(mapping)
    for name, rule in rules.every(conn):
        table[name][1].append(rule)
    for _, _, mappings in table.values():
        mappings.sort(key=lambda m: -len(m.key))
    return table


def _mode(mode: str) -> str:
    if mode not in rules.ROUTING_MODES:
        raise Invalid(f"Invalid RoutingMode {mode!r}: one of {', '.join(rules.ROUTING_MODES)}")
    return mode


def _domain(conn: sqlite3.Connection, name: str) -> Domain:
    row = conn.execute("SELECT config FROM api_domains WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise NotFound(f"{NO_DOMAIN} {name}")
    return Domain.model_validate_json(row[0])


def _checked_key(key: str) -> str:
    key = "" if key in ("", "(none)") else key.strip("/")
    if key and not _KEY.match(key):
        raise Invalid(f"Invalid base path {key!r}: path segments of letters, digits and ._~- only")
    return key
