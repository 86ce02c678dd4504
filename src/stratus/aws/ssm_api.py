"""SSM Parameter Store (JSON 1.1, X-Amz-Target: AmazonSSM.*): the subset CDK's bootstrap and
handlers use. Each handler reads its members, asks the parameter service (stratus.parameters)
once and names what it answers; lists are paged with a NextToken naming the next item."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

from stratus import paging
from stratus.errors import AlreadyExists, Invalid, NotFound
from stratus.parameters.model import (
    HierarchyTooDeep,
    ParameterVersionNotFound,
    PatternMismatch,
    TooManyVersions,
    Version,
)
from stratus.parameters.service import ParameterService

from .protocols.adapter import Api, Call
from .protocols.errors import ErrorTable, WireError

ERRORS: ErrorTable = {
    ParameterVersionNotFound: WireError("ParameterVersionNotFound", 400),
    PatternMismatch: WireError("ParameterPatternMismatchException", 400),
    TooManyVersions: WireError("ParameterMaxVersionLimitExceeded", 400),
    HierarchyTooDeep: WireError("HierarchyLevelLimitExceededException", 400),
    NotFound: WireError("ParameterNotFound", 400),
    AlreadyExists: WireError("ParameterAlreadyExists", 400),
    Invalid: WireError("ValidationException", 400),
}
BY_PATH_PAGE = 10  # GetParametersByPath's MaxResults: 1-10
DESCRIBE_PAGE = 50  # DescribeParameters' and GetParameterHistory's: 1-50
MAX_NAMES = 10  # GetParameters / DeleteParameters


def _ssm(call: Call) -> ParameterService:
    return call.services.parameters


async def put_parameter(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    version, tier = await _ssm(call).put(
        body["Name"],
        body["Value"],
        body.get("Type"),
        overwrite=body.get("Overwrite", False),
        description=body.get("Description"),
        allowed_pattern=body.get("AllowedPattern"),
        key_id=body.get("KeyId"),
        tier=body.get("Tier"),
        data_type=body.get("DataType"),
    )
    return {"Version": version, "Tier": tier}


async def get_parameter(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    return {"Parameter": await _ssm(call).get(body["Name"], body.get("WithDecryption", False))}


async def get_parameters(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    found, invalid = await _ssm(call).get_many(body["Names"], body.get("WithDecryption", False))
    return {"Parameters": found, "InvalidParameters": invalid}


async def get_parameters_by_path(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    found = await _ssm(call).by_path(
        body["Path"],
        body.get("Recursive", False),
        body.get("WithDecryption", False),
        _filters(body.get("ParameterFilters") or []),
    )
    return _paged("Parameters", found, body, BY_PATH_PAGE)


async def delete_parameter(call: Call, body: dict[str, Any]) -> None:
    await _ssm(call).delete(body["Name"])


async def delete_parameters(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    deleted, invalid = await _ssm(call).delete_many(body["Names"])
    return {"DeletedParameters": deleted, "InvalidParameters": invalid}


async def describe_parameters(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    legacy = [
        {"Key": f["Key"], "Option": "Equals", "Values": f.get("Values", [])}
        for f in body.get("Filters") or []
    ]
    keep = _filters(legacy + (body.get("ParameterFilters") or []))
    return _paged("Parameters", await _ssm(call).describe(keep), body, DESCRIBE_PAGE)


async def label_parameter_version(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    version, invalid = await _ssm(call).label(
        body["Name"], body.get("ParameterVersion"), body["Labels"]
    )
    return {"InvalidLabels": invalid, "ParameterVersion": version}


async def get_parameter_history(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    history = await _ssm(call).history(body["Name"], body.get("WithDecryption", False))
    return _paged("Parameters", history, body, DESCRIBE_PAGE, key=lambda p: str(p["Version"]))


def _paged(
    member: str,
    items: list[dict[str, Any]],
    body: dict[str, Any],
    size: int,
    key: Callable[[dict[str, Any]], str] = lambda p: str(p["Name"]),
) -> dict[str, Any]:
    return paging.answer(member, items, body, size, key)


def _filters(filters: list[dict[str, Any]]) -> Callable[[Version], bool]:
    """ParameterFilters as one predicate (all must hold)."""
    tests = [_test(f) for f in filters]
    return lambda record: all(test(record) for test in tests)


def _test(item: dict[str, Any]) -> Callable[[Version], bool]:
    key, option, values = item["Key"], item.get("Option", "Equals"), item.get("Values") or []
    if key == "Path":
        recursive = option == "Recursive"

        def under(record: Version) -> bool:
            for path in values:
                prefix = path.rstrip("/") + "/"
                rest = record.name[len(prefix) :] if record.name.startswith(prefix) else None
                if rest is not None and (recursive or "/" not in rest):
                    return True
            return False

        return under
    fields: dict[str, Callable[[Version], str]] = {
        "Name": lambda r: r.name,
        "Type": lambda r: r.type,
        "KeyId": lambda r: r.key_id or "",
        "Tier": lambda r: r.tier,
        "DataType": lambda r: r.data_type,
    }
    field = fields.get(key)
    if field is None:
        raise Invalid(
            f"The following filter key is not valid: {key}. Valid filter keys include: "
            "[Path, Name, Type, KeyId, Tier, DataType]."
        )
    if option not in ("Equals", "BeginsWith", "Contains"):
        raise Invalid(f"The following filter option is not valid: {option}.")

    def matches(record: Version) -> bool:
        value = field(record)
        if key == "Name" and option != "Contains":  # names match with or without the slash
            value = value.lstrip("/")
            wanted = [v.lstrip("/") for v in values]
        else:
            wanted = values
        if option == "Equals":
            return value in wanted
        if option == "BeginsWith":
            return any(value.startswith(v) for v in wanted)
        return any(fnmatch.fnmatchcase(value, f"*{v}*") for v in wanted)

    return matches


API = Api(
    "ssm",
    {
        "PutParameter": put_parameter,
        "GetParameter": get_parameter,
        "GetParameters": get_parameters,
        "GetParametersByPath": get_parameters_by_path,
        "DeleteParameter": delete_parameter,
        "DeleteParameters": delete_parameters,
        "DescribeParameters": describe_parameters,
        "LabelParameterVersion": label_parameter_version,
        "GetParameterHistory": get_parameter_history,
    },
    ERRORS,
)
