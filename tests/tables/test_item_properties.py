"""Any item DynamoDB accepts comes back as it went in (numbers normalised, sets as sets),
through the service and its store: nested maps and lists, binary values anywhere."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stratus.config import Settings
from stratus.store.db import Database
from stratus.tables.schema import SCHEMA
from stratus.tables.service import TableService
from stratus.tables.values import number_text

names = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=8)
numbers = st.decimals(min_value=-(10**20), max_value=10**20, places=4, allow_nan=False).map(
    lambda d: str(d)
)
scalars = st.one_of(
    st.text(max_size=20).map(lambda s: {"S": s}),
    numbers.map(lambda n: {"N": n}),
    st.binary(max_size=20).map(lambda b: {"B": b}),
    st.booleans().map(lambda b: {"BOOL": b}),
    st.just({"NULL": True}),
    st.sets(st.text(max_size=5), min_size=1, max_size=4).map(lambda s: {"SS": sorted(s)}),
    st.sets(st.binary(max_size=5), min_size=1, max_size=4).map(lambda s: {"BS": sorted(s)}),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda items: {"L": items}),
        st.dictionaries(names, inner, max_size=4).map(lambda m: {"M": m}),
    ),
    max_leaves=12,
)
items = st.dictionaries(names.filter(lambda n: n not in ("pk", "sk")), values, max_size=6)


def normalised(value: dict[str, Any]) -> dict[str, Any]:
    kind, inner = next(iter(value.items()))
    if kind == "N":
        return {"N": number_text(Decimal(inner))}
    if kind in ("SS", "BS"):
        return {kind: sorted(inner)}
    if kind == "L":
        return {"L": [normalised(v) for v in inner]}
    if kind == "M":
        return {"M": {k: normalised(v) for k, v in inner.items()}}
    return value


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path: Path = tmp_path_factory.mktemp("tables")
    db = Database(path / "t.db", (SCHEMA,))
    service = TableService(Settings(data_dir=path), db)
    asyncio.run(
        service.create_table(
            {
                "TableName": "props",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST",
            }
        )
    )
    yield service
    db.close()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(items)
def test_what_goes_in_comes_out(tables: Any, item: dict[str, Any]) -> None:
    key = {"pk": {"S": "k"}}

    async def round_trip() -> Any:
        await tables.put_item("props", key | item)
        return await tables.get_item("props", key)

    got = asyncio.run(round_trip())

    expected = {n: normalised(v) for n, v in (key | item).items()}
    assert {n: normalised(v) for n, v in got.items()} == expected
