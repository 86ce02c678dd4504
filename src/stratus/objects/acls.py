"""Access control lists, for buckets whose ownership setting allows them (ObjectWriter,
BucketOwnerPreferred). Under BucketOwnerEnforced, AWS's default, ACLs are off and setting one
is refused (AccessControlListNotSupported); the adapter checks that before anything here.

A grant names a grantee (a canonical user id, an email address or one of S3's groups) and a
permission. The owner's FULL_CONTROL is always there and not stored; canned ACLs and
x-amz-grant-* headers become the other grants:

    private                    (none)
    public-read                AllUsers READ
    public-read-write          AllUsers READ, WRITE
    authenticated-read         AuthenticatedUsers READ
    aws-exec-read              (the EC2 service's READ; none here: there is no EC2)
    bucket-owner-read,
    bucket-owner-full-control  (the bucket owner is the object's owner: one account)
    log-delivery-write         LogDelivery WRITE, READ_ACP

Block Public Access's BlockPublicAcls refuses an ACL granting anything to AllUsers or
AuthenticatedUsers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import AccessDenied, InvalidArgument

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
PERMISSIONS = ("FULL_CONTROL", "WRITE", "WRITE_ACP", "READ", "READ_ACP")
# x-amz-grant-* headers, by the API member carrying them.
GRANT_MEMBERS = {
    "GrantFullControl": "FULL_CONTROL",
    "GrantRead": "READ",
    "GrantReadACP": "READ_ACP",
    "GrantWrite": "WRITE",
    "GrantWriteACP": "WRITE_ACP",
}
_GRANTEE = re.compile(r'\s*(id|uri|emailAddress)\s*=\s*"?([^",]+)"?\s*')
_KINDS = {"id": "CanonicalUser", "uri": "Group", "emailAddress": "AmazonCustomerByEmail"}


@dataclass(frozen=True, slots=True)
class Grant:
    kind: str  # CanonicalUser | Group | AmazonCustomerByEmail
    grantee: str  # the id, URI or email address
    permission: str


CANNED: dict[str, tuple[Grant, ...]] = {
    "private": (),
    "public-read": (Grant("Group", ALL_USERS, "READ"),),
    "public-read-write": (Grant("Group", ALL_USERS, "READ"), Grant("Group", ALL_USERS, "WRITE")),
    "authenticated-read": (Grant("Group", AUTHENTICATED_USERS, "READ"),),
    "aws-exec-read": (),
    "bucket-owner-read": (),
    "bucket-owner-full-control": (),
    "log-delivery-write": (
        Grant("Group", LOG_DELIVERY, "WRITE"),
        Grant("Group", LOG_DELIVERY, "READ_ACP"),
    ),
}


def canned(acl: str) -> list[Grant]:
    if acl not in CANNED:
        raise InvalidArgument(f"Invalid canned ACL: {acl}", "x-amz-acl", acl)
    return list(CANNED[acl])


def from_header(permission: str, value: str) -> list[Grant]:
    """One x-amz-grant-* header: `id="…", uri="…", emailAddress="…"`, comma-separated."""
    grants = []
    for item in value.split(","):
        found = _GRANTEE.fullmatch(item)
        if found is None:
            raise InvalidArgument("Invalid grant header", permission, value)
        grants.append(Grant(_KINDS[found.group(1)], found.group(2), permission))
    return grants


def is_public(grants: list[Grant]) -> bool:
    return any(g.kind == "Group" and g.grantee in (ALL_USERS, AUTHENTICATED_USERS) for g in grants)


def check_public(grants: list[Grant], public_access: dict[str, bool] | None) -> None:
    """AccessDenied when Block Public Access blocks public ACLs and these are public."""
    if (public_access or {}).get("BlockPublicAcls") and is_public(grants):
        raise AccessDenied("Access Denied")


def dump(grants: list[Grant]) -> list[list[str]]:
    return [[g.kind, g.grantee, g.permission] for g in grants]


def load(raw: list[list[str]] | None) -> list[Grant]:
    return [Grant(*item) for item in raw or []]
