"""What every item call checks before it reads anything: its placeholders, its ReturnValues
and its expressions, parsed once into what the call then evaluates."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import TableValidation
from .expressions.nodes import Condition, Path, Update
from .expressions.parser import Parser
from .values import Value, clean

_PLACEHOLDER = re.compile(r"[#:][A-Za-z0-9_]+")
RETURN_VALUES = {
    "PutItem": ("NONE", "ALL_OLD"),
    "DeleteItem": ("NONE", "ALL_OLD"),
    "UpdateItem": ("NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"),
}


@dataclass(frozen=True, slots=True)
class Expressions:
    """The parsed expressions of one call (None where the call gave none)."""

    condition: Condition | None = None
    update: Update | None = None
    projection: list[Path] | None = None
    filter: Condition | None = None
    key_condition: Condition | None = None


def parse(
    names: Mapping[str, str] | None,
    values: Mapping[str, Value] | None,
    *,
    condition: str | None = None,
    update: str | None = None,
    projection: str | None = None,
    filter: str | None = None,
    key_condition: str | None = None,
) -> Expressions:
    given = [e for e in (condition, update, projection, filter, key_condition) if e is not None]
    if names is not None and not names:
        raise TableValidation("ExpressionAttributeNames must not be empty")
    if values is not None and not values:
        raise TableValidation("ExpressionAttributeValues must not be empty")
    if names and not given:
        raise TableValidation(
            "ExpressionAttributeNames can only be specified when using expressions"
        )
    if values and not [e for e in (condition, update, filter, key_condition) if e is not None]:
        raise TableValidation(
            "ExpressionAttributeValues can only be specified when using expressions"
        )
    for kind, placeholders, prefix in (("Names", names, "#"), ("Values", values, ":")):
        for key in placeholders or {}:
            if not _PLACEHOLDER.fullmatch(key) or not key.startswith(prefix):
                raise TableValidation(
                    f'ExpressionAttribute{kind} contains invalid key: Syntax error; key: "{key}"'
                )
    parser = Parser(names, _clean_values(values or {}))
    found = Expressions(
        condition=parser.condition(condition) if condition is not None else None,
        update=parser.update(update) if update is not None else None,
        projection=parser.projection(projection) if projection is not None else None,
        filter=parser.condition(filter, "FilterExpression") if filter is not None else None,
        key_condition=(
            parser.condition(key_condition, "KeyConditionExpression")
            if key_condition is not None
            else None
        ),
    )
    parser.check_unused()
    return found


def _clean_values(values: Mapping[str, Value]) -> dict[str, Value]:
    cleaned = {}
    for name, value in values.items():
        try:
            cleaned[name] = clean(value)
        except TableValidation as exc:
            raise TableValidation(
                f"ExpressionAttributeValues contains invalid value: {exc.message} for key {name}"
            ) from None
    return cleaned


# The parameters DynamoDB had before expressions, and the expression each gave way to.
LEGACY = {
    "Expected": "ConditionExpression",
    "AttributeUpdates": "UpdateExpression",
    "KeyConditions": "KeyConditionExpression",
    "QueryFilter": "FilterExpression",
    "ScanFilter": "FilterExpression",
    "AttributesToGet": "ProjectionExpression",
    "ConditionalOperator": "ConditionExpression",
}


def refuse_legacy(params: Mapping[str, Any]) -> None:
    """Stratus serves the expression parameters only: a legacy one is refused by name rather
    than ignored (ignoring an Expected would write what the caller meant to guard)."""
    for name, instead in LEGACY.items():
        if name in params:
            raise TableValidation(
                f"Stratus does not support the legacy parameter {name}; use {instead}"
            )


def return_values(operation: str, given: str | None) -> str:
    wanted = given or "NONE"
    if wanted not in RETURN_VALUES[operation]:
        raise TableValidation("Return values set to invalid value")
    return wanted


def consumed(table: str, units: float, wanted: str | None) -> dict[str, Any] | None:
    """ConsumedCapacity, when ReturnConsumedCapacity asked for it."""
    if wanted not in ("TOTAL", "INDEXES"):
        return None
    return {"TableName": table, "CapacityUnits": units}
