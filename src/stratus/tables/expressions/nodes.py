"""The parsed form of expressions, placeholders already replaced by what they stand for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Element = str | int  # an attribute name, or a list index


@dataclass(frozen=True, slots=True)
class Path:
    elements: tuple[Element, ...]

    def __str__(self) -> str:
        """As AWS shows paths in its messages: [a, b, [1]]."""
        return "[" + ", ".join(f"[{e}]" if isinstance(e, int) else e for e in self.elements) + "]"


@dataclass(frozen=True, slots=True)
class Literal:
    value: dict[str, Any]  # an ExpressionAttributeValues value


@dataclass(frozen=True, slots=True)
class Size:
    path: Path


@dataclass(frozen=True, slots=True)
class IfNotExists:
    path: Path
    default: Operand


@dataclass(frozen=True, slots=True)
class ListAppend:
    first: Operand
    second: Operand


@dataclass(frozen=True, slots=True)
class Arithmetic:
    op: str  # + or -
    left: Operand
    right: Operand


Operand = Path | Literal | Size | IfNotExists | ListAppend | Arithmetic


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # = <> < <= > >=
    left: Operand
    right: Operand


@dataclass(frozen=True, slots=True)
class Between:
    operand: Operand
    low: Operand
    high: Operand


@dataclass(frozen=True, slots=True)
class In:
    operand: Operand
    choices: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class Function:
    name: str  # attribute_exists, attribute_not_exists, attribute_type, begins_with, contains
    args: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class And:
    left: Condition
    right: Condition


@dataclass(frozen=True, slots=True)
class Or:
    left: Condition
    right: Condition


@dataclass(frozen=True, slots=True)
class Not:
    operand: Condition


Condition = Compare | Between | In | Function | And | Or | Not


@dataclass(frozen=True, slots=True)
class Update:
    sets: tuple[tuple[Path, Operand], ...] = ()
    removes: tuple[Path, ...] = ()
    adds: tuple[tuple[Path, Literal], ...] = ()
    deletes: tuple[tuple[Path, Literal], ...] = ()

    def paths(self) -> list[Path]:
        return [
            *(p for p, _ in self.sets),
            *self.removes,
            *(p for p, _ in self.adds),
            *(p for p, _ in self.deletes),
        ]
