"""HTTP APIs' VPC links (apigatewayv2 CreateVpcLink...: subnets and security groups on AWS,
`VpcLinkVersion` V2), the account's, in their own table of the HTTP APIs' store.

As REST APIs' links (stratus.apis.rest.account): CreateVpcLink answers `PENDING`, every
later read `AVAILABLE`; an HTTP_PROXY integration with ConnectionType VPC_LINK sends its
request to the link's local target, the URL in its `stratus:target` tag, with the request's
path (after the stage's name, as AWS sends it) and query (a private integration's
IntegrationUri names a load balancer listener or a Cloud Map service, which do not exist
here); a link without that tag answers 500
{"message":"Internal Server Error"}, as AWS does when a link's target is unreachable.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import Field

from stratus.errors import Conflict, Invalid, NotFound

from ..ids import new_id
from ..remembered import Counted
from ..shape import Shape

TARGET_TAG = "stratus:target"


class VpcLink(Shape):
    VpcLinkId: str
    Name: str
    SubnetIds: list[str] = Field(default_factory=list)
    SecurityGroupIds: list[str] = Field(default_factory=list)
    Tags: dict[str, str] = Field(default_factory=dict)
    CreatedDate: str
    VpcLinkStatus: str = "AVAILABLE"
    VpcLinkStatusMessage: str | None = "VPC link is ready to route traffic"
    VpcLinkVersion: str = "V2"

    @property
    def target(self) -> str | None:
        return self.Tags.get(TARGET_TAG)


def _missing(link_id: str) -> NotFound:
    return NotFound(f"Unable to find VpcLink with id '{link_id}'")


class VpcLinks:
    """Create/Get/Update/Delete VpcLink(s) of HTTP APIs."""

    def __init__(self, store: Counted) -> None:
        self._store = store

    async def create(
        self, name: str, subnet_ids: list[str], security_group_ids: list[str] | None = None,
        tags: dict[str, str] | None = None,
    ) -> VpcLink:  # fmt: skip
        if not name or len(name) > 128:
            raise Invalid("Invalid VPC link name: 1 to 128 characters")
        link = VpcLink(
            VpcLinkId=new_id(6), Name=name, SubnetIds=subnet_ids,
            SecurityGroupIds=security_group_ids or [], Tags=tags or {},
            CreatedDate=datetime.now(UTC).isoformat(),
        )  # fmt: skip

        def insert(conn: sqlite3.Connection) -> None:
            try:
                conn.execute(
                    "INSERT INTO api_vpc_links (id, config) VALUES (?, ?)",
                    (link.VpcLinkId, link.model_dump_json()),
                )
            except sqlite3.IntegrityError:
                raise Conflict("A VPC link with this id exists; try again") from None

        await self._store.run(insert)
        # Nothing to provision: stored means available, but AWS answers PENDING first.
        pending = {
            "VpcLinkStatus": "PENDING",
            "VpcLinkStatusMessage": "VPC link is provisioning ENIs",
        }
        return link.model_copy(update=pending)

    async def get(self, link_id: str) -> VpcLink:
        found = await self.find(link_id)
        if found is None:
            raise _missing(link_id)
        return found

    async def find(self, link_id: str) -> VpcLink | None:
        def read(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT config FROM api_vpc_links WHERE id = ?", (link_id,)
            ).fetchone()
            return None if row is None else str(row[0])

        found = await self._store.run(read)
        return None if found is None else VpcLink.model_validate_json(found)

    async def list(self) -> list[VpcLink]:
        def read(conn: sqlite3.Connection) -> list[str]:
            return [r[0] for r in conn.execute("SELECT config FROM api_vpc_links ORDER BY id")]

        return [VpcLink.model_validate_json(c) for c in await self._store.run(read)]

    async def update(self, link_id: str, name: str | None) -> VpcLink:
        link = await self.get(link_id)
        if name is not None:
            if not name or len(name) > 128:
                raise Invalid("Invalid VPC link name: 1 to 128 characters")
            link = link.model_copy(update={"Name": name})
        await self._write(link)
        return link

    async def change_tags(
        self, link_id: str, add: dict[str, str], remove: Sequence[str] = ()
    ) -> None:
        link = await self.get(link_id)
        tags = {k: v for k, v in link.Tags.items() if k not in remove} | add
        await self._write(link.model_copy(update={"Tags": tags}))

    async def _write(self, link: VpcLink) -> None:
        def write(conn: sqlite3.Connection) -> None:
            conn.execute(
                "UPDATE api_vpc_links SET config = ? WHERE id = ?",
                (link.model_dump_json(), link.VpcLinkId),
            )

        await self._store.run(write)

    async def delete(self, link_id: str) -> None:
        def remove(conn: sqlite3.Connection) -> int:
            return conn.execute("DELETE FROM api_vpc_links WHERE id = ?", (link_id,)).rowcount

        if not await self._store.run(remove):
            raise _missing(link_id)
