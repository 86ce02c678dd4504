"""AWS IAM over the query protocol: the users, access keys and policies that signed requests
are checked against (iam/service.py), and roles as records.

Users: Create/Get/List/DeleteUser (GetUser without a name answers the caller). Access keys:
Create/List/Update/DeleteAccessKey, at most two per user. Inline policies of users and roles:
Put/Get/Delete/List{User,Role}Policies. Customer managed policies: Create/Get/Delete/
ListPolicies and GetPolicyVersion (one version, v1), beside a few AWS managed policies
(iam/managed.py), attached with Attach/Detach/ListAttached{User,Role}Policies. Roles:
Create/Get/List/DeleteRole. Lists page with Marker/MaxItems (default 100).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from stratus.errors import AlreadyExists, Conflict, Invalid, NotFound, Validation
from stratus.iam.model import DeleteConflict, LimitExceeded, MalformedPolicy, check_path
from stratus.paging import page

from .protocols.adapter import Api, Call
from .protocols.errors import WireError

SERVICE = "iam"
T = TypeVar("T")

ERRORS = {
    NotFound: WireError("NoSuchEntity", 404),
    AlreadyExists: WireError("EntityAlreadyExists", 409),
    LimitExceeded: WireError("LimitExceeded", 409),
    DeleteConflict: WireError("DeleteConflict", 409),
    Conflict: WireError("DeleteConflict", 409),
    MalformedPolicy: WireError("MalformedPolicyDocument", 400),
    Validation: WireError("ValidationError", 400),
    Invalid: WireError("InvalidInput", 400),
}


def _paged(
    p: dict[str, Any], member: str, items: list[T], key: Callable[[T], str]
) -> dict[str, Any]:
    found, marker = page(items, p.get("Marker"), key, p.get("MaxItems") or 100)
    out: dict[str, Any] = {member: found, "IsTruncated": marker is not None}
    if marker is not None:
        out["Marker"] = marker
    return out


# -- users ------------------------------------------------------------------------------------
async def create_user(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    path = check_path(p.get("Path", "/"))
    return {"User": await call.services.iam.create_user(p["UserName"], path)}


async def get_user(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    name = p.get("UserName") or call.identity.user_name
    if name is None:  # the root user asking about itself
        identity = call.identity
        return {"User": {"Path": "/", "UserName": identity.account, "UserId": identity.user_id,
                         "Arn": identity.arn, "CreateDate": 0.0}}  # fmt: skip
    return {"User": await call.services.iam.get_user(name)}


async def list_users(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    users = await call.services.iam.list_users(p.get("PathPrefix", "/"))
    return _paged(p, "Users", users, lambda u: str(u["UserName"]))


async def delete_user(call: Call, p: dict[str, Any]) -> None:
    await call.services.iam.delete_user(p["UserName"])


# -- access keys ------------------------------------------------------------------------------
def _key_user(call: Call, p: dict[str, Any]) -> str:
    name = p.get("UserName") or call.identity.user_name
    if name is None:
        raise Invalid("The root user's access key is the default test key; name a UserName.")
    return name


async def create_access_key(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    return {"AccessKey": await call.services.iam.create_access_key(_key_user(call, p))}


async def list_access_keys(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    keys = await call.services.iam.list_access_keys(_key_user(call, p))
    return _paged(p, "AccessKeyMetadata", keys, lambda k: str(k["AccessKeyId"]))


async def update_access_key(call: Call, p: dict[str, Any]) -> None:
    await call.services.iam.update_access_key(_key_user(call, p), p["AccessKeyId"], p["Status"])


async def delete_access_key(call: Call, p: dict[str, Any]) -> None:
    await call.services.iam.delete_access_key(_key_user(call, p), p["AccessKeyId"])


# -- inline policies --------------------------------------------------------------------------
def _inline(kind: str, owner_member: str) -> dict[str, Any]:
    async def put(call: Call, p: dict[str, Any]) -> None:
        await call.services.iam.put_inline_policy(
            kind, p[owner_member], p["PolicyName"], p["PolicyDocument"]
        )

    async def get(call: Call, p: dict[str, Any]) -> dict[str, Any]:
        document = await call.services.iam.get_inline_policy(kind, p[owner_member], p["PolicyName"])
        return {owner_member: p[owner_member], "PolicyName": p["PolicyName"],
                "PolicyDocument": document}  # fmt: skip

    async def delete(call: Call, p: dict[str, Any]) -> None:
        await call.services.iam.delete_inline_policy(kind, p[owner_member], p["PolicyName"])

    async def listed(call: Call, p: dict[str, Any]) -> dict[str, Any]:
        names = await call.services.iam.list_inline_policies(kind, p[owner_member])
        return _paged(p, "PolicyNames", names, str)

    async def attach(call: Call, p: dict[str, Any]) -> None:
        await call.services.iam.attach(kind, p[owner_member], p["PolicyArn"])

    async def detach(call: Call, p: dict[str, Any]) -> None:
        await call.services.iam.detach(kind, p[owner_member], p["PolicyArn"])

    async def attached(call: Call, p: dict[str, Any]) -> dict[str, Any]:
        found = await call.services.iam.list_attached(kind, p[owner_member])
        return _paged(p, "AttachedPolicies", found, lambda a: str(a["PolicyArn"]))

    noun = kind.capitalize()
    return {
        f"Put{noun}Policy": put,
        f"Get{noun}Policy": get,
        f"Delete{noun}Policy": delete,
        f"List{noun}Policies": listed,
        f"Attach{noun}Policy": attach,
        f"Detach{noun}Policy": detach,
        f"ListAttached{noun}Policies": attached,
    }


# -- managed policies -------------------------------------------------------------------------
async def create_policy(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    policy = await call.services.iam.create_policy(
        p["PolicyName"], p["PolicyDocument"], check_path(p.get("Path", "/")), p.get("Description")
    )
    return {"Policy": policy}


async def get_policy(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    return {"Policy": await call.services.iam.get_policy(p["PolicyArn"])}


async def get_policy_version(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    version = await call.services.iam.get_policy_document(p["PolicyArn"], p["VersionId"])
    return {"PolicyVersion": version}


async def delete_policy(call: Call, p: dict[str, Any]) -> None:
    await call.services.iam.delete_policy(p["PolicyArn"])


async def list_policies(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    found = await call.services.iam.list_policies(
        p.get("Scope", "All"), bool(p.get("OnlyAttached"))
    )
    prefix = p.get("PathPrefix", "/")
    found = [policy for policy in found if str(policy["Path"]).startswith(prefix)]
    return _paged(p, "Policies", found, lambda policy: str(policy["Arn"]))


# -- roles ------------------------------------------------------------------------------------
async def create_role(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    role = await call.services.iam.create_role(
        p["RoleName"], p["AssumeRolePolicyDocument"], check_path(p.get("Path", "/")),
        p.get("Description"), p.get("MaxSessionDuration", 3600),
    )  # fmt: skip
    return {"Role": role}


async def get_role(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    return {"Role": await call.services.iam.get_role(p["RoleName"])}


async def list_roles(call: Call, p: dict[str, Any]) -> dict[str, Any]:
    roles = await call.services.iam.list_roles()
    prefix = p.get("PathPrefix", "/")
    roles = [role for role in roles if str(role["Path"]).startswith(prefix)]
    return _paged(p, "Roles", roles, lambda role: str(role["RoleName"]))


async def delete_role(call: Call, p: dict[str, Any]) -> None:
    await call.services.iam.delete_role(p["RoleName"])


HANDLERS = {
    "CreateUser": create_user,
    "GetUser": get_user,
    "ListUsers": list_users,
    "DeleteUser": delete_user,
    "CreateAccessKey": create_access_key,
    "ListAccessKeys": list_access_keys,
    "UpdateAccessKey": update_access_key,
    "DeleteAccessKey": delete_access_key,
    **_inline("user", "UserName"),
    **_inline("role", "RoleName"),
    "CreatePolicy": create_policy,
    "GetPolicy": get_policy,
    "GetPolicyVersion": get_policy_version,
    "DeletePolicy": delete_policy,
    "ListPolicies": list_policies,
    "CreateRole": create_role,
    "GetRole": get_role,
    "ListRoles": list_roles,
    "DeleteRole": delete_role,
}

API = Api(SERVICE, HANDLERS, ERRORS)
