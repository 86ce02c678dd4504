"""AWS Secrets Manager (JSON 1.1, X-Amz-Target: secretsmanager.*). Each handler reads its
members, asks the secret service (stratus.secrets) once and names what it answers; lists are
paged with a NextToken naming the next item. Replication across regions is not served (one
region); RotateSecret runs the rotation function's four steps (secrets/rotation.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stratus import paging
from stratus.errors import AlreadyExists, Conflict, Invalid, NotFound, StratusError
from stratus.secrets.model import InvalidNextToken, LimitExceeded, password_for
from stratus.secrets.service import SecretService

from .protocols.adapter import Api, Call
from .protocols.errors import JSON_ERRORS, ErrorTable, WireError, wire_error

ERRORS: ErrorTable = {
    NotFound: WireError("ResourceNotFoundException", 400),
    AlreadyExists: WireError("ResourceExistsException", 400),
    Conflict: WireError("InvalidRequestException", 400),
    LimitExceeded: WireError("LimitExceededException", 400),
    InvalidNextToken: WireError("InvalidNextTokenException", 400),
    Invalid: WireError("InvalidParameterException", 400),
}
LIST_PAGE = 100  # ListSecrets' and ListSecretVersionIds' MaxResults: 1-100
BATCH_PAGE = 20  # BatchGetSecretValue's
Entry = dict[str, Any]


def _secrets(call: Call) -> SecretService:
    return call.services.secrets


def _value(body: dict[str, Any]) -> tuple[str | None, bytes | None]:
    return body.get("SecretString"), body.get("SecretBinary")


async def create_secret(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    if body.get("AddReplicaRegions"):
        raise Invalid(
            "AddReplicaRegions is not supported: Stratus serves one region "
            f"({call.services.settings.region}), so secrets are not replicated."
        )
    return await _secrets(call).create(
        body["Name"],
        body.get("ClientRequestToken") or call.request_id,
        _value(body),
        description=body.get("Description"),
        kms_key_id=body.get("KmsKeyId"),
        tags=body.get("Tags") or [],
        kind=body.get("Type"),
    )


async def get_secret_value(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _secrets(call).get_value(
        body["SecretId"], body.get("VersionId"), body.get("VersionStage")
    )


async def put_secret_value(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _secrets(call).put_value(
        body["SecretId"],
        body.get("ClientRequestToken") or call.request_id,
        _value(body),
        body.get("VersionStages"),
    )


async def update_secret(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _secrets(call).update(
        body["SecretId"],
        body.get("ClientRequestToken") or call.request_id,
        _value(body),
        description=body.get("Description"),
        kms_key_id=body.get("KmsKeyId"),
        kind=body.get("Type"),
    )


async def describe_secret(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _secrets(call).describe(body["SecretId"])


async def list_secrets(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    found = await _secrets(call).listed(body.get("IncludePlannedDeletion", False))
    keep = _filters(body.get("Filters") or [], call.services.settings.region)
    found = _sorted([s for s in found if keep(s)], body)
    return _page("SecretList", found, body, LIST_PAGE, lambda s: str(s["ARN"]))


async def delete_secret(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _secrets(call).delete(
        body["SecretId"],
        body.get("RecoveryWindowInDays"),
        body.get("ForceDeleteWithoutRecovery", False),
    )


async def restore_secret(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _secrets(call).restore(body["SecretId"])


async def tag_resource(call: Call, body: dict[str, Any]) -> None:
    await _secrets(call).tag(body["SecretId"], body["Tags"])


async def untag_resource(call: Call, body: dict[str, Any]) -> None:
    await _secrets(call).untag(body["SecretId"], body["TagKeys"])


async def list_secret_version_ids(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    found = await _secrets(call).versions(body["SecretId"], body.get("IncludeDeprecated", False))
    page = _page("Versions", found.pop("Versions"), body, LIST_PAGE, lambda v: v["VersionId"])
    return found | page


async def update_secret_version_stage(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _secrets(call).move_label(
        body["SecretId"],
        body["VersionStage"],
        body.get("RemoveFromVersionId"),
        body.get("MoveToVersionId"),
    )


async def get_random_password(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    password = password_for(body)
    return {"RandomPassword": password}


async def batch_get_secret_value(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    ids, filters = body.get("SecretIdList"), body.get("Filters")
    if (ids is None) == (filters is None):
        raise Invalid("Either SecretIdList or Filters must be provided, but not both.")
    if ids is not None and body.get("MaxResults") is not None:
        raise Invalid("MaxResults can be used only with Filters, not with SecretIdList.")
    page: dict[str, Any] = {}
    if ids is None:
        keep = _filters(filters or [], call.services.settings.region)
        listed = [s for s in await _secrets(call).listed() if keep(s)]
        page = _page("Names", listed, body, BATCH_PAGE, lambda s: str(s["ARN"]))
        ids = [s["ARN"] for s in page.pop("Names")]
    values, errors = [], []
    for secret_id in ids:
        try:
            values.append(await _secrets(call).get_value(secret_id))
        except StratusError as exc:
            code = wire_error(exc, ERRORS, JSON_ERRORS).code
            errors.append({"SecretId": secret_id, "ErrorCode": code, "Message": exc.message})
    return {"SecretValues": values, "Errors": errors} | page


async def rotate_secret(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    rules = body.get("RotationRules")
    if rules and rules.get("AutomaticallyAfterDays") and rules.get("ScheduleExpression"):
        raise Invalid(
            "You can't specify both AutomaticallyAfterDays and ScheduleExpression in RotationRules."
        )
    return await _secrets(call).rotations.start(
        body["SecretId"],
        body.get("ClientRequestToken") or call.request_id,
        body.get("RotationLambdaARN"),
        rules,
        body.get("RotateImmediately", True),
    )


async def cancel_rotate_secret(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _secrets(call).rotations.cancel(body["SecretId"])


async def put_resource_policy(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _secrets(call).put_policy(body["SecretId"], body["ResourcePolicy"])


async def get_resource_policy(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _secrets(call).policy(body["SecretId"])


async def delete_resource_policy(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return await _secrets(call).put_policy(body["SecretId"], None)


def _page(
    member: str, items: list[Entry], body: dict[str, Any], size: int, key: Callable[[Entry], str]
) -> dict[str, Any]:
    try:
        return paging.answer(member, items, body, size, key)
    except Invalid as exc:  # the NextToken: Secrets Manager has its own code for it
        raise InvalidNextToken(exc.message) from None


_SORT_KEYS: dict[str, Callable[[Entry], Any]] = {
    "created-date": lambda s: s["CreatedDate"],
    "last-accessed-date": lambda s: s.get("LastAccessedDate", 0),
    "last-changed-date": lambda s: s.get("LastChangedDate", 0),
    "name": lambda s: s["Name"],
}


def _sorted(secrets: list[Entry], body: dict[str, Any]) -> list[Entry]:
    key = _SORT_KEYS[body.get("SortBy") or "created-date"]
    return sorted(secrets, key=key, reverse=(body.get("SortOrder") or "desc") == "desc")


def _filters(filters: list[dict[str, Any]], region: str) -> Callable[[Entry], bool]:
    """ListSecrets' Filters as one predicate: every filter holds; within one, any value
    matches and no `!value` does."""
    tests = [_test(f, region) for f in filters]
    return lambda secret: all(test(secret) for test in tests)


def _test(item: dict[str, Any], region: str) -> Callable[[Entry], bool]:
    key, values = item.get("Key"), item.get("Values") or []
    fields = _FIELDS.get(str(key))
    if fields is None:
        raise Invalid(
            f"Filter key {key} is not valid; use one of: description, name, tag-key, "
            "tag-value, primary-region, owning-service, all."
        )
    sensitive = key not in ("description", "all")
    wanted = [v for v in values if not v.startswith("!")]
    unwanted = [v[1:] for v in values if v.startswith("!")]

    def matches(secret: Entry, value: str) -> bool:
        words = value.split() if key == "all" else [value]
        found = fields(secret, region)
        if not sensitive:
            found, words = [f.lower() for f in found], [w.lower() for w in words]
        if key == "all":
            return all(any(w in f for f in found) for w in words)
        return any(f.startswith(w) for f in found for w in words)

    return lambda secret: (
        (not wanted or any(matches(secret, v) for v in wanted))
        and not any(matches(secret, v) for v in unwanted)
    )


_FIELDS: dict[str, Callable[[Entry, str], list[str]]] = {
    "name": lambda s, _: [s["Name"]],
    "description": lambda s, _: [s.get("Description", "")],
    "tag-key": lambda s, _: [t["Key"] for t in s.get("Tags", [])],
    "tag-value": lambda s, _: [t["Value"] for t in s.get("Tags", [])],
    "primary-region": lambda _, region: [region],
    "owning-service": lambda s, _: [s.get("OwningService", "")] if "OwningService" in s else [],
    "all": lambda s, region: (
        [s["Name"], s.get("Description", "")]
        + [t["Key"] for t in s.get("Tags", [])]
        + [t["Value"] for t in s.get("Tags", [])]
    ),
}


API = Api(
    "secretsmanager",
    {
        "CreateSecret": create_secret,
        "GetSecretValue": get_secret_value,
        "PutSecretValue": put_secret_value,
        "UpdateSecret": update_secret,
        "DescribeSecret": describe_secret,
        "ListSecrets": list_secrets,
        "DeleteSecret": delete_secret,
        "RestoreSecret": restore_secret,
        "TagResource": tag_resource,
        "UntagResource": untag_resource,
        "ListSecretVersionIds": list_secret_version_ids,
        "UpdateSecretVersionStage": update_secret_version_stage,
        "GetRandomPassword": get_random_password,
        "BatchGetSecretValue": batch_get_secret_value,
        "RotateSecret": rotate_secret,
        "CancelRotateSecret": cancel_rotate_secret,
        "PutResourcePolicy": put_resource_policy,
        "GetResourcePolicy": get_resource_policy,
        "DeleteResourcePolicy": delete_resource_policy,
    },
    ERRORS,
)
