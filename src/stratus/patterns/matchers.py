"""Leaf matchers: one comparison each, applied to the leaf values found at one field.

A *leaf value* is a string, number, boolean or null in the document (arrays are flattened,
objects are not leaves). A field matches its list of matchers when any matcher matches any
of its leaf values; `exists` is the one matcher that looks at the whole list (is it empty?).

Type rules, as AWS applies them: string operators (prefix, suffix, equals-ignore-case,
wildcard, cidr) never match numbers, booleans or null; numeric operators only match JSON
numbers; `anything-but` is the negation of its inner matcher, so it matches every value of
another type (`{"anything-but": "a"}` matches `5`) but never an absent field.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Protocol

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Matcher(Protocol):
    def matches(self, value: object) -> bool:
        """Whether one leaf value matches."""
        ...

    def matches_leaves(self, leaves: Sequence[object]) -> bool:
        """Whether a field with these leaf values (empty: absent) matches."""
        ...


class _AnyLeaf:
    """Most matchers: the field matches when one of its leaf values does."""

    __slots__ = ()

    def matches(self, value: object) -> bool:
        raise NotImplementedError

    def matches_leaves(self, leaves: Sequence[object]) -> bool:
        return any(self.matches(value) for value in leaves)


def is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


@dataclass(frozen=True, slots=True)
class NumericDomain:
    """The numbers a service compares numerically: |x| <= limit, `digits` after the point.

    EventBridge: ±5.0e9 with 6 decimal digits; SNS: ±1.0e9 with 5. Outside the domain a
    number only matches an exact value literally.
    """

    limit: Decimal
    digits: int

    def comparable(self, value: object) -> Decimal | None:
        if isinstance(value, Decimal):
            number = value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            # A float's exact binary value, rounded to `digits` places, is what its decimal
            # text says (0.3 -> 0.300000), and Decimal(float) is fast.
            number = Decimal(value)
        else:
            return None
        if not number.is_finite() or abs(number) > self.limit:
            return None
        return number.quantize(_quantum(self.digits), rounding=ROUND_HALF_EVEN)


@functools.cache
def _quantum(digits: int) -> Decimal:
    return Decimal(1).scaleb(-digits)


@dataclass(frozen=True, slots=True)
class ExactString(_AnyLeaf):
    text: str
    # A pattern string that is an IP address matches every spelling of that address.
    address: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None

    def matches(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        if value == self.text:
            return True
        return self.address is not None and address_or_none(value) == self.address


@dataclass(frozen=True, slots=True)
class ExactNumber(_AnyLeaf):
    number: int | float | Decimal
    domain: NumericDomain
    key: Decimal | None  # domain.comparable(number), computed once

    @classmethod
    def of(cls, number: int | float | Decimal, domain: NumericDomain) -> ExactNumber:
        return cls(number, domain, domain.comparable(number))

    def matches(self, value: object) -> bool:
        if not is_number(value):
            return False
        theirs = self.domain.comparable(value)
        if self.key is not None and theirs is not None:
            return self.key == theirs
        return value == self.number


@dataclass(frozen=True, slots=True)
class ExactLiteral(_AnyLeaf):
    """true, false or null: identity, so that `true` never equals the number 1."""

    literal: bool | None

    def matches(self, value: object) -> bool:
        return value is self.literal


@dataclass(frozen=True, slots=True)
class Prefix(_AnyLeaf):
    text: str
    ignore_case: bool = False

    def matches(self, value: object) -> bool:
        return _affix(value, self.text, self.ignore_case, str.startswith)


@dataclass(frozen=True, slots=True)
class Suffix(_AnyLeaf):
    text: str
    ignore_case: bool = False

    def matches(self, value: object) -> bool:
        return _affix(value, self.text, self.ignore_case, str.endswith)


def _affix(value: object, text: str, ignore_case: bool, test: Callable[[str, str], bool]) -> bool:
    if not isinstance(value, str):
        return False
    if ignore_case:
        return test(value.lower(), text.lower())
    return test(value, text)


@dataclass(frozen=True, slots=True)
class EqualsIgnoreCase(_AnyLeaf):
    text: str

    def matches(self, value: object) -> bool:
        return isinstance(value, str) and value.lower() == self.text.lower()


@dataclass(frozen=True, slots=True)
class Wildcard(_AnyLeaf):
    text: str
    regex: re.Pattern[str]
    stars: int  # how many `*` it holds: AWS bounds a field's total

    def matches(self, value: object) -> bool:
        return isinstance(value, str) and self.regex.fullmatch(value) is not None


@dataclass(frozen=True, slots=True)
class Numeric(_AnyLeaf):
    """A range; None for an unbounded side. `=` is the closed range [x, x]."""

    lower: Decimal | None
    lower_open: bool
    upper: Decimal | None
    upper_open: bool
    domain: NumericDomain

    def matches(self, value: object) -> bool:
        number = self.domain.comparable(value)
        if number is None:
            return False
        if self.lower is not None and (
            number < self.lower or (self.lower_open and number == self.lower)
        ):
            return False
        return self.upper is None or not (
            number > self.upper or (self.upper_open and number == self.upper)
        )


@dataclass(frozen=True, slots=True)
class Cidr(_AnyLeaf):
    network: IpNetwork

    def matches(self, value: object) -> bool:
        if not isinstance(value, str):
            return False
        address = address_or_none(value)
        return (
            address is not None
            and address.version == self.network.version
            and (address in self.network)
        )


@dataclass(frozen=True, slots=True)
class AnyOf(_AnyLeaf):
    """Several matchers as one value (the members of an anything-but list)."""

    members: tuple[Matcher, ...]

    def matches(self, value: object) -> bool:
        return any(member.matches(value) for member in self.members)


@dataclass(frozen=True, slots=True)
class AnythingBut(_AnyLeaf):
    inner: Matcher

    def matches(self, value: object) -> bool:
        return not self.inner.matches(value)


@dataclass(frozen=True, slots=True)
class Exists:
    present: bool

    def matches(self, value: object) -> bool:
        return self.present

    def matches_leaves(self, leaves: Sequence[object]) -> bool:
        return bool(leaves) == self.present


def address_or_none(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
