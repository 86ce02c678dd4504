"""The account's own REST API Gateway things, shared by all its REST APIs: the account
settings (GetAccount / UpdateAccount), client certificates and VPC links (v1).

Account: `cloudwatchRoleArn` is recorded (Stratus writes access logs without a role);
`throttleSettings` are AWS's account defaults (10,000 requests a second, bursts of 5,000),
answered as AWS answers them and not applied: a local gateway has one user.

Client certificates are real: GenerateClientCertificate makes an RSA 2048 key and a
self-signed X.509 certificate valid 365 days (AWS's lifetime), and answers its PEM; a stage
names one by `clientCertificateId`, and the stage's HTTP and HTTP_PROXY integrations present
it to HTTPS back ends (mutual TLS), as on AWS.

VPC links (NLB targets on AWS) answer `PENDING` to CreateVpcLink and `AVAILABLE` from then
on: nothing has to be provisioned here. An integration with connectionType VPC_LINK sends
its request to the link's local target, the URL in the link's `stratus:target` tag (e.g.
`http://localhost:8080`; the integration URI's path and query are kept, its host is not);
a link without that tag has nothing behind it, and the gateway answers 500
{"message": "Internal server error"}, as AWS does when a link's target is unreachable.
"""

from __future__ import annotations

import datetime
import sqlite3
from collections.abc import Callable
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pydantic import Field

from stratus.certificates import key_pem, self_signed
from stratus.errors import Invalid

from ..shape import Shape, parse_request
from .patch import SET, apply_patch, field, item, text
from .requests import Patch
from .store import AccountItems, Kind, RestStore, page

TARGET_TAG = "stratus:target"  # a VPC link's local target URL
CERTIFICATE_DAYS = 365


class ThrottleSettings(Shape):
    burstLimit: int = 5000
    rateLimit: float = 10000.0


class Account(Shape):
    cloudwatchRoleArn: str | None = None
    throttleSettings: ThrottleSettings = Field(default_factory=ThrottleSettings)
    features: list[str] = Field(default_factory=lambda: ["UsagePlans"])
    apiKeyVersion: str = "4"


class ClientCertificate(Shape):
    clientCertificateId: str
    description: str | None = None
    pemEncodedCertificate: str
    createdDate: int
    expirationDate: int
    tags: dict[str, str] | None = None


class StoredCertificate(Shape):
    """A certificate with its private key, which no call answers."""

    certificate: ClientCertificate
    privateKey: str


class VpcLink(Shape):
    id: str
    name: str
    description: str | None = None
    targetArns: list[str]
    status: Literal["AVAILABLE", "PENDING", "DELETING", "FAILED"] = "AVAILABLE"
    statusMessage: str | None = None
    tags: dict[str, str] | None = None

    @property
    def target(self) -> str | None:
        return (self.tags or {}).get(TARGET_TAG)


ACCOUNT = AccountItems(Kind("account", Account, ""))
CERTIFICATES = AccountItems(
    Kind("clientcertificate", StoredCertificate, "Invalid Client Certificate identifier specified")
)
VPC_LINKS = AccountItems(Kind("vpclink", VpcLink, "Invalid VPC link identifier specified"))
_ACCOUNT_PATCH = (field("/cloudwatchRoleArn"), item("/features", text, key=str))
_CERTIFICATE_PATCH = (field("/description"),)
_LINK_PATCH = (field("/name", ops=SET), field("/description"))


def new_certificate(certificate_id: str, now: datetime.datetime) -> tuple[str, str, int]:
    """A self-signed certificate: (certificate PEM, private key PEM, expiry in epoch s)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f"ApiGateway {certificate_id}"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Stratus"),
    ])  # fmt: skip
    expires = now + datetime.timedelta(days=CERTIFICATE_DAYS)
    certificate = self_signed(key, name, now, expires)
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    return cert_pem, key_pem(key).decode(), int(expires.timestamp())


class AccountSettings:
    """GetAccount / UpdateAccount."""

    def __init__(self, store: RestStore) -> None:
        self._store = store

    async def get(self) -> Account:
        return await self._store.run(lambda conn: ACCOUNT.get(conn, "account") or Account())

    async def update(self, patch: Patch) -> Account:
        def work(conn: sqlite3.Connection) -> Account:
            found = ACCOUNT.get(conn, "account") or Account()
            changed = parse_request(Account, apply_patch(found.wire(), patch, _ACCOUNT_PATCH))
            ACCOUNT.put(conn, "account", changed)
            return changed

        return await self._store.transact(work)


class ClientCertificates:
    """GenerateClientCertificate and Get/Update/Delete ClientCertificate(s)."""

    def __init__(self, store: RestStore, new_id: Callable[[], str]) -> None:
        self._store = store
        self._new_id = new_id

    async def generate(
        self, description: str | None = None, tags: dict[str, str] | None = None
    ) -> ClientCertificate:
        certificate_id = self._new_id()
        now = datetime.datetime.now(datetime.UTC)
        pem, key, expires = new_certificate(certificate_id, now)
        made = ClientCertificate(
            clientCertificateId=certificate_id, description=description,
            pemEncodedCertificate=pem, createdDate=int(now.timestamp()), expirationDate=expires,
            tags=tags or None,
        )  # fmt: skip
        stored = StoredCertificate(certificate=made, privateKey=key)
        await self._store.transact(lambda conn: CERTIFICATES.put(conn, certificate_id, stored))
        return made

    async def get(self, certificate_id: str) -> ClientCertificate:
        found = await self._store.run(lambda conn: CERTIFICATES.require(conn, certificate_id))
        return found.certificate

    async def list(
        self, position: str | None = None, limit: int | None = None
    ) -> tuple[list[ClientCertificate], str | None]:
        found = await self._store.run(CERTIFICATES.all)
        return page(
            [s.certificate for s in found], lambda c: c.clientCertificateId, position, limit
        )

    async def update(self, certificate_id: str, patch: Patch) -> ClientCertificate:
        def work(conn: sqlite3.Connection) -> ClientCertificate:
            found = CERTIFICATES.require(conn, certificate_id)
            doc = apply_patch(found.certificate.wire(), patch, _CERTIFICATE_PATCH)
            changed = parse_request(ClientCertificate, doc)
            CERTIFICATES.put(
                conn, certificate_id, found.model_copy(update={"certificate": changed})
            )
            return changed

        return await self._store.transact(work)

    async def delete(self, certificate_id: str) -> None:
        await self._store.transact(lambda conn: CERTIFICATES.delete(conn, certificate_id))

    async def key_pair(self, certificate_id: str) -> tuple[str, str] | None:
        """(certificate PEM, private key PEM), or None when it is gone (for the data plane,
        whose HTTPS integrations present it)."""
        found = await self._store.run(lambda conn: CERTIFICATES.get(conn, certificate_id))
        return (
            None if found is None else (found.certificate.pemEncodedCertificate, found.privateKey)
        )

    async def exists(self, certificate_id: str) -> None:
        """NotFound unless the certificate exists (a stage names it)."""
        await self.get(certificate_id)


class VpcLinks:
    """Create/Get/Update/Delete VpcLink(s) (REST APIs' kind, for network load balancers)."""

    def __init__(self, store: RestStore, new_id: Callable[[], str]) -> None:
        self._store = store
        self._new_id = new_id

    async def create(
        self, name: str, target_arns: list[str], description: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> VpcLink:  # fmt: skip
        if not name:
            raise Invalid("Invalid VPC link: a name is required")
        if len(target_arns) != 1:
            raise Invalid("Invalid VPC link: targetArns names exactly one network load balancer")
        link = VpcLink(
            id=self._new_id(), name=name, description=description, targetArns=target_arns,
            tags=tags or None,
        )  # fmt: skip
        await self._store.transact(lambda conn: VPC_LINKS.put(conn, link.id, link))
        # Nothing to provision: it is available as soon as it is stored, but AWS's answer to
        # CreateVpcLink is PENDING, which tools (CloudFormation, Terraform) then poll.
        return link.model_copy(update={"status": "PENDING"})

    async def get(self, link_id: str) -> VpcLink:
        return await self._store.run(lambda conn: VPC_LINKS.require(conn, link_id))

    async def list(
        self, position: str | None = None, limit: int | None = None
    ) -> tuple[list[VpcLink], str | None]:
        return page(await self._store.run(VPC_LINKS.all), lambda v: v.id, position, limit)

    async def update(self, link_id: str, patch: Patch) -> VpcLink:
        def work(conn: sqlite3.Connection) -> VpcLink:
            found = VPC_LINKS.require(conn, link_id)
            changed = parse_request(VpcLink, apply_patch(found.wire(), patch, _LINK_PATCH))
            VPC_LINKS.put(conn, link_id, changed)
            return changed

        return await self._store.transact(work)

    async def delete(self, link_id: str) -> None:
        await self._store.transact(lambda conn: VPC_LINKS.delete(conn, link_id))

    async def find(self, link_id: str) -> VpcLink | None:
        """The link, or None (for the data plane)."""
        return await self._store.run(lambda conn: VPC_LINKS.get(conn, link_id))
