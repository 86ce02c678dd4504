"""The order-preserving key encoding and the number rules: bytewise order of the encoding
is DynamoDB's order of the values."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stratus.tables.errors import TableValidation
from stratus.tables.values import clean, item_size, number_bytes, number_text, sort_bytes

numbers = st.decimals(
    min_value=Decimal("-9.9999999999999999999999999999999999999E+125"),
    max_value=Decimal("9.9999999999999999999999999999999999999E+125"),
    allow_nan=False,
    allow_infinity=False,
    places=None,
).filter(lambda d: d == 0 or abs(d) >= Decimal("1E-130"))


@given(st.lists(numbers, min_size=2, max_size=20))
def test_number_bytes_sort_as_numbers(values: list[Decimal]) -> None:
    """Sorting the encodings sorts the numbers; equal numbers encode equally."""
    values = [Decimal(number_text(v)) for v in values if len(v.as_tuple().digits) <= 38]

    by_bytes = sorted(values, key=number_bytes)

    assert by_bytes == sorted(values)
    for a in values:
        for b in values:
            assert (number_bytes(a) == number_bytes(b)) == (a == b)


@given(st.lists(st.text(min_size=1), min_size=2, max_size=20))
def test_string_bytes_sort_as_utf8(values: list[str]) -> None:
    """Strings order by their UTF-8 bytes, as DynamoDB orders them."""
    assert sorted(values, key=lambda s: sort_bytes("S", s)) == sorted(
        values, key=lambda s: s.encode()
    )


@pytest.mark.parametrize(
    ("given", "stored"),
    [("1.50", "1.5"), ("1E+2", "100"), ("-0", "0"), ("0.000", "0"), ("-1.0e-3", "-0.001")],
)
def test_numbers_are_normalised(given: str, stored: str) -> None:
    assert clean({"N": given}) == {"N": stored}


@pytest.mark.parametrize("bad", ["abc", "", " 1", "NaN", "Infinity", "1e126", "1e-131"])
def test_bad_numbers_are_refused(bad: str) -> None:
    with pytest.raises(TableValidation):
        clean({"N": bad})


def test_sizes_count_names_and_values() -> None:
    """Strings by UTF-8 bytes, numbers by significant digits, containers with overhead."""
    assert item_size({"ab": {"S": "é"}}) == 2 + 2
    assert item_size({"n": {"N": "12345"}}) == 1 + 4
    assert item_size({"l": {"L": [{"BOOL": True}]}}) == 1 + 3 + 1 + 1
    assert item_size({"m": {"M": {"k": {"NULL": True}}}}) == 1 + 3 + 1 + 1 + 1
