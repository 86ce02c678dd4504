"""PartiQL statements parsed into what the table service runs.

    SELECT * | path, ... FROM "table"[."index"] [WHERE condition]
    INSERT INTO "table" VALUE {'attribute': value, ...}
    UPDATE "table" (SET path = value [+|- value] | REMOVE path)... WHERE condition
    DELETE FROM "table" WHERE condition

Values are literals ('text', numbers, TRUE/FALSE, NULL, {maps}, [lists], <<sets>>) or ?
parameters. A WHERE condition is rewritten into DynamoDB's condition expression language
(every name a #placeholder, every value a :placeholder; != as <>, IN [..] as IN (..),
IS [NOT] MISSING as attribute_[not_]exists) and parsed by the expression parser, so the two
languages share one evaluator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..values import Value, clean
from .lexer import Token, malformed, tokens

_PASSED = {"AND", "OR", "NOT", "BETWEEN", "IN"}
_FUNCTIONS = {"begins_with", "contains", "attribute_type", "attribute_exists",
              "attribute_not_exists", "size"}  # fmt: skip


@dataclass
class Expression:
    """Expression text with its placeholders."""

    text: str = ""
    names: dict[str, str] = field(default_factory=dict)
    values: dict[str, Value] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Select:
    table: str
    index: str | None
    projection: Expression | None
    where: Expression | None


@dataclass(frozen=True, slots=True)
class Insert:
    table: str
    item: dict[str, Value]


@dataclass(frozen=True, slots=True)
class Update:
    table: str
    update: Expression
    where: Expression


@dataclass(frozen=True, slots=True)
class Delete:
    table: str
    where: Expression


Statement = Select | Insert | Update | Delete


def parse(text: str, parameters: Sequence[Value]) -> Statement:
    reader = _Reader(tokens(text), list(parameters))
    statement = reader.statement()
    reader.expect_end()
    if reader.params:
        raise malformed("Number of parameters in request and statement don't match.")
    return statement


class _Reader:
    def __init__(self, found: list[Token], params: list[Value]) -> None:
        self.tokens = found
        self.at = 0
        self.params = params

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def next(self) -> Token:
        token = self.token
        self.at = min(self.at + 1, len(self.tokens) - 1)
        return token

    def accept(self, text: str) -> bool:
        if (self.token.text == text and self.token.kind == "op") or self.token.keyword() == text:
            self.next()
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            raise malformed(f"Unexpected token: {self.token.text}, expected {text}")

    def expect_end(self) -> None:
        if self.token.kind != "eof":
            raise malformed(f"Unexpected token: {self.token.text}")

    # ---- statements -----------------------------------------------------------------

    def statement(self) -> Statement:
        word = self.token.keyword()
        self.next()
        if word == "SELECT":
            return self.select()
        if word == "INSERT":
            self.expect("INTO")
            table = self.identifier()
            self.expect("VALUE")
            item = self.value()
            if "M" not in item:
                raise malformed("INSERT takes a document: VALUE {'attribute': value, ...}")
            return Insert(table, item["M"])
        if word == "UPDATE":
            return self.update()
        if word == "DELETE":
            self.expect("FROM")
            table = self.identifier()
            self.expect("WHERE")
            return Delete(table, self.condition())
        raise malformed(f"Unsupported statement: {word or self.tokens[0].text}")

    def select(self) -> Select:
        projection: Expression | None = None
        if not self.accept("*"):
            projection = Expression()
            self.path(projection)
            while self.accept(","):
                projection.text += ", "
                self.path(projection)
        self.expect("FROM")
        table = self.identifier()
        index = self.identifier() if self.accept(".") else None
        where = self.condition() if self.accept("WHERE") else None
        return Select(table, index, projection, where)

    def update(self) -> Update:
        table = self.identifier()
        sets: list[str] = []
        removes: list[str] = []
        found = Expression()
        while self.token.keyword() in ("SET", "REMOVE"):
            if self.next().keyword() == "SET":
                start = len(found.text)
                self.path(found)
                self.expect("=")
                found.text += " = "
                self.operand(found)
                if self.token.text in ("+", "-"):
                    found.text += f" {self.next().text} "
                    self.operand(found)
                sets.append(found.text[start:])
            else:
                start = len(found.text)
                self.path(found)
                removes.append(found.text[start:])
            found.text = ""
        if not sets and not removes:
            raise malformed("UPDATE needs SET or REMOVE")
        found.text = (f"SET {', '.join(sets)} " if sets else "") + (
            f"REMOVE {', '.join(removes)}" if removes else ""
        )
        self.expect("WHERE")
        return Update(table, found, self.condition())

    # ---- names, paths, values -----------------------------------------------------------

    def identifier(self) -> str:
        token = self.next()
        if token.kind not in ("quoted", "name"):
            raise malformed(f"Unexpected token: {token.text}, expected a name")
        return token.value()

    def path(self, into: Expression) -> None:
        into.text += self.placeholder_name(into, self.identifier())
        while True:
            if self.accept("."):
                into.text += "." + self.placeholder_name(into, self.identifier())
            elif self.accept("["):
                token = self.next()
                if token.kind != "number":
                    raise malformed("A list index must be a number")
                into.text += f"[{token.text}]"
                self.expect("]")
            else:
                return

    def operand(self, into: Expression) -> None:
        token = self.token
        if token.kind in ("quoted", "name") and token.keyword() not in ("TRUE", "FALSE", "NULL"):
            self.path(into)
        else:
            into.text += self.placeholder_value(into, self.value())

    @staticmethod
    def placeholder_name(into: Expression, name: str) -> str:
        key = f"#n{len(into.names)}"
        into.names[key] = name
        return key

    @staticmethod
    def placeholder_value(into: Expression, value: Value) -> str:
        key = f":v{len(into.values)}"
        into.values[key] = value
        return key

    def value(self) -> Value:
        token = self.next()
        word = token.keyword()
        if token.kind == "param":
            if not self.params:
                raise malformed("Number of parameters in request and statement don't match.")
            return clean(self.params.pop(0))
        if token.kind == "string":
            return {"S": token.value()}
        if token.kind == "number":
            return clean({"N": str(Decimal(token.text))})
        if word in ("TRUE", "FALSE"):
            return {"BOOL": word == "TRUE"}
        if word == "NULL":
            return {"NULL": True}
        if token.text == "{":
            return self.document()
        if token.text == "[":
            return {"L": self.values_until("]")}
        if token.text == "<<":
            members = self.values_until(">>")
            kinds = {next(iter(m)) for m in members}
            if len(kinds) != 1 or not kinds <= {"S", "N", "B"}:
                raise malformed("A set holds strings, numbers or binary values of one type")
            kind = kinds.pop()
            return clean({kind + "S": [m[kind] for m in members]})
        raise malformed(f"Unexpected token: {token.text}, expected a value")

    def values_until(self, end: str) -> list[Value]:
        found: list[Value] = []
        if self.accept(end):
            return found
        found.append(self.value())
        while self.accept(","):
            found.append(self.value())
        self.expect(end)
        return found

    def document(self) -> Value:
        found: dict[str, Any] = {}
        if self.accept("}"):
            return {"M": found}
        while True:
            key = self.next()
            if key.kind not in ("string", "quoted"):
                raise malformed("A document's keys are 'strings'")
            self.expect(":")
            found[key.value()] = self.value()
            if self.accept("}"):
                return {"M": found}
            self.expect(",")

    # ---- conditions -----------------------------------------------------------------

    def condition(self) -> Expression:
        """The WHERE clause as condition expression text with placeholders."""
        into = Expression()
        depth = 0
        parts: list[str] = []
        while self.token.kind != "eof" and self.token.keyword() != "RETURNING":
            token = self.token
            word = token.keyword()
            if word in _PASSED:
                self.next()
                if word == "IN" and self.accept("["):
                    values = self.values_until("]")
                    parts.append(
                        "IN (" + ", ".join(self.placeholder_value(into, v) for v in values) + ")"
                    )
                    continue
                parts.append(word)
            elif word == "IS":
                self.next()
                negated = self.accept("NOT")
                if not self.accept("MISSING"):
                    raise malformed("Only IS [NOT] MISSING is supported")
                subject = parts.pop()
                parts.append(
                    f"{'attribute_exists' if negated else 'attribute_not_exists'}({subject})"
                )
            elif token.kind == "name" and token.text in _FUNCTIONS:
                self.next()
                parts.append(token.text)
            elif token.kind == "op" and token.text in ("(", ")", ","):
                depth += {"(": 1, ")": -1}.get(token.text, 0)
                self.next()
                parts.append(token.text)
            elif token.kind == "op" and token.text in ("=", "<>", "!=", "<", "<=", ">", ">="):
                self.next()
                parts.append("<>" if token.text == "!=" else token.text)
            elif token.kind in ("quoted", "name") and word not in ("TRUE", "FALSE", "NULL"):
                start = len(into.text)
                self.path(into)
                parts.append(into.text[start:])
            else:
                parts.append(self.placeholder_value(into, self.value()))
        if depth:
            raise malformed("Unbalanced parentheses")
        into.text = " ".join(parts)
        if not into.text:
            raise malformed("WHERE needs a condition")
        return into
