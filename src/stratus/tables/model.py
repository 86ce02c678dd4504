"""A table's settings as frozen values, and the JSON they are stored as."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from .values import Item, sort_bytes


@dataclass(frozen=True, slots=True)
class KeySchema:
    hash: str
    range: str | None = None

    def names(self) -> tuple[str, ...]:
        return (self.hash,) if self.range is None else (self.hash, self.range)

    def wire(self) -> list[dict[str, str]]:
        keys = [{"AttributeName": self.hash, "KeyType": "HASH"}]
        if self.range is not None:
            keys.append({"AttributeName": self.range, "KeyType": "RANGE"})
        return keys


@dataclass(frozen=True, slots=True)
class Throughput:
    read: int = 0
    write: int = 0


@dataclass(frozen=True, slots=True)
class Projection:
    type: str = "ALL"  # ALL | KEYS_ONLY | INCLUDE
    non_key: tuple[str, ...] = ()

    def wire(self) -> dict[str, Any]:
        found: dict[str, Any] = {"ProjectionType": self.type}
        if self.type == "INCLUDE":
            found["NonKeyAttributes"] = list(self.non_key)
        return found


@dataclass(frozen=True, slots=True)
class Index:
    id: int  # its rows' index_id: the table's id * 64 + a slot
    name: str
    key: KeySchema
    projection: Projection
    is_global: bool
    throughput: Throughput | None = None


@dataclass(frozen=True, slots=True)
class Table:
    id: int
    name: str
    arn: str
    table_id: str  # AWS's TableId (a UUID)
    key: KeySchema
    attributes: dict[str, str]  # AttributeDefinitions: name -> S | N | B
    indexes: tuple[Index, ...] = ()
    billing_mode: str = "PROVISIONED"
    throughput: Throughput = Throughput()
    created: float = 0.0
    stream: dict[str, Any] | None = None  # StreamSpecification, when enabled
    stream_label: str | None = None
    ttl_attribute: str | None = None
    deletion_protection: bool = False
    table_class: str = "STANDARD"
    tags: dict[str, str] = field(default_factory=dict)

    def index(self, name: str) -> Index | None:
        return next((i for i in self.indexes if i.name == name), None)

    def key_of(self, item: Item, key: KeySchema | None = None) -> tuple[bytes, bytes] | None:
        """The encoded (partition, sort) key of an item under `key` (the table's by
        default); None when the item lacks one of its attributes or holds another type."""
        key = key or self.key
        hashed = item.get(key.hash)
        kind = self.attributes[key.hash]
        if hashed is None or kind not in hashed:
            return None
        if key.range is None:
            return sort_bytes(kind, hashed[kind]), b""
        ranged = item.get(key.range)
        range_kind = self.attributes[key.range]
        if ranged is None or range_kind not in ranged:
            return None
        return sort_bytes(kind, hashed[kind]), sort_bytes(range_kind, ranged[range_kind])

    def key_names(self) -> set[str]:
        """Every attribute a key (the table's or an index's) is made of."""
        names = set(self.key.names())
        for index in self.indexes:
            names.update(index.key.names())
        return names

    def with_changes(self, **changes: Any) -> Table:
        return replace(self, **changes)


def to_json(table: Table) -> dict[str, Any]:
    return {
        "table_id": table.table_id,
        "key": [table.key.hash, table.key.range],
        "attributes": table.attributes,
        "indexes": [
            {
                "id": i.id,
                "name": i.name,
                "key": [i.key.hash, i.key.range],
                "projection": [i.projection.type, list(i.projection.non_key)],
                "global": i.is_global,
                "throughput": [i.throughput.read, i.throughput.write] if i.throughput else None,
            }
            for i in table.indexes
        ],
        "billing_mode": table.billing_mode,
        "throughput": [table.throughput.read, table.throughput.write],
        "stream": table.stream,
        "stream_label": table.stream_label,
        "ttl_attribute": table.ttl_attribute,
        "deletion_protection": table.deletion_protection,
        "table_class": table.table_class,
        "tags": table.tags,
    }


def from_json(row_id: int, name: str, arn: str, created: float, data: dict[str, Any]) -> Table:
    return Table(
        id=row_id,
        name=name,
        arn=arn,
        table_id=data["table_id"],
        key=KeySchema(*data["key"]),
        attributes=data["attributes"],
        indexes=tuple(
            Index(
                i["id"],
                i["name"],
                KeySchema(*i["key"]),
                Projection(i["projection"][0], tuple(i["projection"][1])),
                i["global"],
                Throughput(*i["throughput"]) if i["throughput"] else None,
            )
            for i in data["indexes"]
        ),
        billing_mode=data["billing_mode"],
        throughput=Throughput(*data["throughput"]),
        created=created,
        stream=data["stream"],
        stream_label=data["stream_label"],
        ttl_attribute=data["ttl_attribute"],
        deletion_protection=data["deletion_protection"],
        table_class=data["table_class"],
        tags=data["tags"],
    )
