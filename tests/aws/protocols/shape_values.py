"""Values for any shape of botocore's models, for the protocol oracle tests (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.model import OperationModel, Shape
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from stratus.aws.protocols import models

ORACLE = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# What XML 1.0 can carry (the renderer replaces the rest; tested on its own).
XML_TEXT = st.text(
    st.characters(
        exclude_categories=("Cs",),
        exclude_characters=[chr(c) for c in range(0x20) if c not in (9, 10, 13)]
        + ["\ufffe", "\uffff"],
    ),
    max_size=12,
)
# What JSON can carry: any text but lone surrogates.
JSON_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)


def operation(name: str) -> OperationModel:
    """`service:Operation` from botocore's models."""
    service, _, op = name.partition(":")
    return models.service_model(service).operation_model(op)


def values(
    shape: Shape,
    depth: int = 0,
    text: st.SearchStrategy[str] = XML_TEXT,
    time_step_ms: int = 1,
    skip: frozenset[str] = frozenset(),
) -> st.SearchStrategy[Any]:
    """Any value the model allows for `shape` (constraints aside), a few levels deep.
    Timestamps are whole multiples of `time_step_ms` (what the wire carries); members whose
    `location` is in `skip` are left out."""

    def inner(child: Shape) -> st.SearchStrategy[Any]:
        return values(child, depth + 1, text, time_step_ms, skip)

    kind = shape.type_name
    if kind == "structure":
        if depth > 3 or shape.metadata.get("document"):
            return st.just({})
        optional = {
            name: inner(m)
            for name, m in shape.members.items()
            if m.serialization.get("location") not in skip
        }
        return st.fixed_dictionaries({}, optional=optional)
    if kind == "list":
        return st.lists(inner(shape.member), max_size=3)
    if kind == "map":
        return st.dictionaries(inner(shape.key), inner(shape.value), max_size=3)
    step = time_step_ms * 1000
    scalars: dict[str, st.SearchStrategy[Any]] = {
        "string": text,
        "boolean": st.booleans(),
        "integer": st.integers(-(2**31), 2**31 - 1),
        "long": st.integers(-(2**63), 2**63 - 1),
        "float": st.floats(allow_nan=False, allow_infinity=False),
        "double": st.floats(allow_nan=False, allow_infinity=False),
        "blob": st.binary(max_size=16),
        "timestamp": st.datetimes(
            datetime(1970, 1, 2), datetime(2200, 1, 1), timezones=st.just(UTC)
        ).map(lambda t: t.replace(microsecond=t.microsecond // step * step)),
    }
    return scalars[kind]


def without_unrendered(shape: Shape, value: Any) -> Any:
    """What survives XML: a flattened list or map that is empty leaves no element."""
    kind = shape.type_name
    if kind == "structure":
        kept = {k: without_unrendered(shape.members[k], v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not None}
    if kind == "list":
        if not value and shape.serialization.get("flattened"):
            return None
        return [without_unrendered(shape.member, item) for item in value]
    if kind == "map":
        if not value and shape.serialization.get("flattened"):
            return None
        return {k: without_unrendered(shape.value, v) for k, v in value.items()}
    return value
