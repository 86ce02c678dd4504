"""CreateTable's and UpdateTable's settings checked by DynamoDB's rules, into a `Table`.

Every key attribute (the table's and its indexes') must be declared in AttributeDefinitions,
and nothing else may be; a local index shares the table's partition key and needs a sort
key; PROVISIONED tables give throughput for themselves and every global index,
PAY_PER_REQUEST tables for none.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import TableValidation, invalid_parameters
from .model import Index, KeySchema, Projection, Throughput

MAX_GLOBAL = 20
MAX_LOCAL = 5
SLOTS = 64  # index ids per table: table id * SLOTS + slot
_NAME = re.compile(r"[a-zA-Z0-9_.-]{3,255}")


def check_name(name: str, what: str = "tableName") -> str:
    if not _NAME.fullmatch(name):
        raise TableValidation(
            f"1 validation error detected: Value '{name}' at '{what}' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
            if len(name) >= 3
            else "TableName must be at least 3 characters long and at most 255 characters long"
        )
    return name


def key_schema(elements: Sequence[Mapping[str, str]]) -> KeySchema:
    if not elements or len(elements) > 2:
        raise TableValidation("Invalid KeySchema: Some index key attribute have no definition")
    if elements[0]["KeyType"] != "HASH":
        raise TableValidation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"
        )
    if len(elements) == 1:
        return KeySchema(elements[0]["AttributeName"])
    if elements[1]["KeyType"] != "RANGE":
        raise TableValidation(
            "Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"
        )
    if elements[0]["AttributeName"] == elements[1]["AttributeName"]:
        raise TableValidation(
            "Both the Hash Key and the Range Key element in the KeySchema have the same name"
        )
    return KeySchema(elements[0]["AttributeName"], elements[1]["AttributeName"])


def attribute_types(definitions: Sequence[Mapping[str, str]]) -> dict[str, str]:
    found: dict[str, str] = {}
    for d in definitions:
        name = d["AttributeName"]
        if name in found:
            raise invalid_parameters("Cannot have two attributes with the same name")
        found[name] = d["AttributeType"]
    return found


def throughput(given: Mapping[str, int] | None) -> Throughput:
    if given is None:
        return Throughput()
    return Throughput(int(given["ReadCapacityUnits"]), int(given["WriteCapacityUnits"]))


def billing(mode: str | None, given: Mapping[str, int] | None) -> tuple[str, Throughput]:
    mode = mode or "PROVISIONED"
    if mode == "PROVISIONED" and given is None:
        raise invalid_parameters(
            "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode "
            "is PROVISIONED"
        )
    if mode == "PAY_PER_REQUEST" and given is not None:
        raise invalid_parameters(
            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
            "BillingMode is PAY_PER_REQUEST"
        )
    return mode, throughput(given)


def projection(given: Mapping[str, Any] | None) -> Projection:
    given = given or {}
    kind = given.get("ProjectionType", "KEYS_ONLY" if not given else "ALL")
    non_key = tuple(given.get("NonKeyAttributes", ()))
    if kind == "INCLUDE" and not non_key:
        raise invalid_parameters("ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
    if kind != "INCLUDE" and non_key:
        raise invalid_parameters(f"ProjectionType is {kind}, but NonKeyAttributes is specified")
    return Projection(kind, non_key)


def index(
    spec: Mapping[str, Any], index_id: int, is_global: bool, table_key: KeySchema, mode: str
) -> Index:
    name = check_name(spec["IndexName"], "indexName")
    key = key_schema(spec["KeySchema"])
    given = spec.get("ProvisionedThroughput")
    if not is_global:
        if table_key.range is None:
            raise invalid_parameters(
                "Table KeySchema does not have a range key, which is required when specifying "
                "a LocalSecondaryIndex"
            )
        if key.hash != table_key.hash or key.range is None:
            raise invalid_parameters(
                "Index KeySchema does not have the same leading hash key as table KeySchema "
                f"for index: {name}. index hash key: {key.hash}, table hash key: "
                f"{table_key.hash}"
            )
        return Index(index_id, name, key, projection(spec.get("Projection")), False)
    if mode == "PROVISIONED" and given is None:
        raise invalid_parameters(f"ProvisionedThroughput must be specified for index: {name}")
    if mode == "PAY_PER_REQUEST" and given is not None:
        raise invalid_parameters(
            f"ProvisionedThroughput should not be specified for index: {name} when BillingMode "
            "is PAY_PER_REQUEST"
        )
    return Index(
        index_id,
        name,
        key,
        projection(spec.get("Projection")),
        True,
        throughput(given) if mode == "PROVISIONED" else None,
    )


def indexes(
    table_id: int,
    table_key: KeySchema,
    mode: str,
    global_specs: Sequence[Mapping[str, Any]],
    local_specs: Sequence[Mapping[str, Any]],
) -> tuple[Index, ...]:
    if len(global_specs) > MAX_GLOBAL:
        raise invalid_parameters(
            f"GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GLOBAL}"
        )
    if len(local_specs) > MAX_LOCAL:
        raise invalid_parameters(
            f"LocalSecondaryIndex count exceeds the per-table limit of {MAX_LOCAL}"
        )
    made: list[Index] = []
    for slot, (spec, is_global) in enumerate(
        [(s, False) for s in local_specs] + [(s, True) for s in global_specs]
    ):
        made.append(index(spec, table_id * SLOTS + slot, is_global, table_key, mode))
    names = [i.name for i in made]
    for name in names:
        if names.count(name) > 1:
            raise invalid_parameters(f"Duplicate index name: {name}")
    return tuple(made)


def check_attributes(
    attributes: Mapping[str, str], key: KeySchema, all_indexes: Sequence[Index]
) -> None:
    """Every key attribute is defined, and nothing else is."""
    used = list(key.names())
    for i in all_indexes:
        used.extend(n for n in i.key.names() if n not in used)
    missing = [n for n in used if n not in attributes]
    if missing:
        raise invalid_parameters(
            "Some index key attributes are not defined in AttributeDefinitions. Keys: "
            f"[{', '.join(missing)}], AttributeDefinitions: [{', '.join(attributes)}]"
        )
    if len(set(used)) != len(attributes):
        if not all_indexes:
            raise invalid_parameters(
                "Number of attributes in KeySchema does not exactly match number of "
                "attributes defined in AttributeDefinitions"
            )
        raise invalid_parameters(
            "Number of attributes in KeySchema does not exactly match number of attributes "
            "defined in AttributeDefinitions"
        )


def free_slot(table_id: int, taken: Sequence[Index]) -> int:
    used = {i.id - table_id * SLOTS for i in taken}
    return table_id * SLOTS + next(s for s in range(SLOTS) if s not in used)
