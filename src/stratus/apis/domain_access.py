"""Domain name access associations (apigateway CreateDomainNameAccessAssociation...): which
VPC endpoint may reach a private custom domain name. Stored as AWS answers them; nothing
is enforced, because no VPC endpoint exists here and a private domain is served to every
local caller, as its API is. An association names a PRIVATE domain by its ARN
(`arn:aws:apigateway:<region>:<account>:/domainnames/<name>+<domainNameId>`) and a
`vpce-…` source; all are this account's, so GetDomainNameAccessAssociations with
resourceOwner OTHER_ACCOUNTS finds none, and RejectDomainNameAccessAssociation removes one
of ours (what rejecting does to the association).
"""

from __future__ import annotations

import re
import sqlite3

from pydantic import Field

from stratus.errors import Conflict, Invalid, NotFound
from stratus.store.db import transaction

from .remembered import Counted
from .shape import Shape

_DOMAIN_ARN = re.compile(r"^arn:aws[\w-]*:apigateway:[\w-]*:\d*:/domainnames/([^+/]+)\+([^/]+)$")
_VPCE = re.compile(r"^vpce-[0-9a-z]{1,64}$")
NO_ASSOCIATION = "Invalid domain name access association identifier specified"


class AccessAssociation(Shape):
    domainNameAccessAssociationArn: str
    domainNameArn: str
    accessAssociationSourceType: str = "VPCE"
    accessAssociationSource: str
    tags: dict[str, str] = Field(default_factory=dict)


class DomainAccess:
    def __init__(self, store: Counted) -> None:
        self._store = store

    async def create(
        self, domain_arn: str, source_type: str, source: str, tags: dict[str, str] | None,
        *, prefix: str,
    ) -> AccessAssociation:  # fmt: skip
        """`prefix`: the account's API Gateway ARN prefix, `arn:aws:apigateway:<r>:<a>:`."""
        found = _DOMAIN_ARN.match(domain_arn)
        if found is None:
            raise Invalid(f"Invalid domainNameArn {domain_arn!r}: give a private domain's ARN")
        if source_type != "VPCE" or not _VPCE.match(source):
            raise Invalid("accessAssociationSourceType is VPCE and accessAssociationSource a "
                          "VPC endpoint id (vpce-…)")  # fmt: skip
        name, domain_id = found.groups()
        arn = (
            f"{prefix}/domainnameaccessassociations/domainname/{name}+{domain_id}"
            f"/vpcesource/{source}"
        )
        association = AccessAssociation(
            domainNameAccessAssociationArn=arn, domainNameArn=domain_arn,
            accessAssociationSource=source, tags=tags or {},
        )  # fmt: skip

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                row = conn.execute(
                    "SELECT json_extract(config, '$.endpoint_type'), "
                    "json_extract(config, '$.domain_id') FROM api_domains WHERE name = ?",
                    (name,),
                ).fetchone()
                if row is None or row[1] != domain_id:
                    raise NotFound(f"Invalid domain name identifier specified {name}+{domain_id}")
                if row[0] != "PRIVATE":
                    raise Invalid(f"Domain name {name} is not private: only private custom "
                                  "domain names take access associations")  # fmt: skip
                try:
                    conn.execute(
                        "INSERT INTO api_domain_access (arn, domain, config) VALUES (?, ?, ?)",
                        (arn, name, association.model_dump_json()),
                    )
                except sqlite3.IntegrityError:
                    raise Conflict("This domain name access association already exists") from None

        await self._store.run(write)
        return association

    async def every(self, resource_owner: str | None = None) -> list[AccessAssociation]:
        if resource_owner not in (None, "SELF", "OTHER_ACCOUNTS"):
            raise Invalid(f"Invalid resourceOwner {resource_owner!r}: SELF or OTHER_ACCOUNTS")
        if resource_owner == "OTHER_ACCOUNTS":
            return []  # one account here

        def read(conn: sqlite3.Connection) -> list[AccessAssociation]:
            rows = conn.execute("SELECT config FROM api_domain_access ORDER BY arn")
            return [AccessAssociation.model_validate_json(r[0]) for r in rows]

        return await self._store.run(read)

    async def delete(self, arn: str, domain_arn: str | None = None) -> None:
        """Delete (or reject, naming its domain too) one association."""

        def remove(conn: sqlite3.Connection) -> int:
            args: tuple[str, ...] = (arn,)
            if domain_arn is None:
                sql = "DELETE FROM api_domain_access WHERE arn = ?"
            else:
                sql = (
                    "DELETE FROM api_domain_access WHERE arn = ? "
                    "AND json_extract(config, '$.domainNameArn') = ?"
                )
                args = (arn, domain_arn)
            return conn.execute(sql, args).rowcount

        if not await self._store.run(remove):
            raise NotFound(f"{NO_ASSOCIATION} {arn}")
