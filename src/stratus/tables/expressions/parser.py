"""A recursive-descent parser for DynamoDB's expressions, with AWS's messages.

    condition  := or
    or         := and ("OR" and)*
    and        := not ("AND" not)*
    not        := "NOT" not | "(" condition ")" | function | comparison
    comparison := operand ( comparator operand | "BETWEEN" operand "AND" operand
                          | "IN" "(" operand ("," operand)* ")" )
    function   := attribute_exists(path) | attribute_not_exists(path)
                | attribute_type(path, :v) | begins_with(operand, operand)
                | contains(operand, operand)
    operand    := path | :value | size(path)
    path       := (name | #name) ("." (name | #name) | "[" digits "]")*

    update     := clause+   (each of SET, REMOVE, ADD, DELETE at most once, in any order)
    SET        := path "=" value ("," path "=" value)*
    value      := term (("+" | "-") term)?
    term       := path | :value | if_not_exists(path, term) | list_append(term, term)
    REMOVE     := path ("," path)*
    ADD/DELETE := path :value ("," path :value)*

    projection := path ("," path)*

Past 400 lines on purpose: the grammar above is one recursive descent, and its parts call
each other; split, each piece would only be read beside the others.

One Parser serves one request: it resolves #name and :value placeholders as it reads, and
remembers which it used, so `check_unused` can refuse the ones no expression named (AWS
refuses those too). Paths an update touches must neither overlap nor conflict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from ..errors import TableValidation
from .lexer import Token, tokens
from .nodes import (
    And,
    Arithmetic,
    Between,
    Compare,
    Condition,
    Function,
    IfNotExists,
    In,
    ListAppend,
    Literal,
    Not,
    Operand,
    Or,
    Path,
    Size,
    Update,
)
from .reserved import is_reserved

COMPARATORS = frozenset({"=", "<>", "<", "<=", ">", ">="})
CONDITION_FUNCTIONS = {
    "attribute_exists": 1,
    "attribute_not_exists": 1,
    "attribute_type": 2,
    "begins_with": 2,
    "contains": 2,
}
OPERAND_FUNCTIONS = {"size": 1}
UPDATE_FUNCTIONS = {"if_not_exists": 2, "list_append": 2}
ALL_FUNCTIONS = CONDITION_FUNCTIONS | OPERAND_FUNCTIONS | UPDATE_FUNCTIONS
CLAUSES = ("SET", "REMOVE", "ADD", "DELETE")
MAX_IN = 100
TYPE_NAMES = ("B", "NULL", "SS", "BOOL", "L", "BS", "N", "NS", "S", "M")
MAX_EXPRESSION = 4096


class Parser:
    def __init__(
        self,
        names: Mapping[str, str] | None = None,
        values: Mapping[str, dict[str, Any]] | None = None,
    ) -> None:
        self.names = names or {}
        self.values = values or {}
        self.used_names: set[str] = set()
        self.used_values: set[str] = set()

    def condition(self, text: str, kind: str = "ConditionExpression") -> Condition:
        reader = _Reader(self, text, kind)
        found = reader.condition()
        reader.expect_end()
        return found

    def update(self, text: str) -> Update:
        reader = _Reader(self, text, "UpdateExpression")
        found = reader.update()
        check_paths(found.paths(), "UpdateExpression")
        return found

    def projection(self, text: str, kind: str = "ProjectionExpression") -> list[Path]:
        reader = _Reader(self, text, kind)
        paths = [reader.path()]
        while reader.accept(","):
            paths.append(reader.path())
        reader.expect_end()
        check_paths(paths, kind)
        return paths

    def check_unused(self) -> None:
        unused_names = [n for n in self.names if n not in self.used_names]
        if unused_names:
            raise TableValidation(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: "
                f"{{{', '.join(unused_names)}}}"
            )
        unused_values = [v for v in self.values if v not in self.used_values]
        if unused_values:
            raise TableValidation(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: "
                f"{{{', '.join(unused_values)}}}"
            )


def check_paths(paths: list[Path], kind: str) -> None:
    """No path may be a prefix of another (overlap) or meet another where one goes through a
    map and the other through a list (conflict)."""
    for i, one in enumerate(paths):
        for two in paths[i + 1 :]:
            for a, b in zip(one.elements, two.elements, strict=False):
                if a == b:
                    continue
                if isinstance(a, int) != isinstance(b, int):
                    raise TableValidation(
                        f"Invalid {kind}: Two document paths conflict with each other; must "
                        "remove or rewrite one of these paths; path one: "
                        f"{one}, path two: {two}"
                    )
                break
            else:
                raise TableValidation(
                    f"Invalid {kind}: Two document paths overlap with each other; must remove "
                    f"or rewrite one of these paths; path one: {one}, path two: {two}"
                )


class _Reader:
    def __init__(self, parser: Parser, text: str, kind: str) -> None:
        if not text.strip():
            raise TableValidation(f"Invalid {kind}: The expression can not be empty;")
        if len(text) > MAX_EXPRESSION:
            raise TableValidation(
                f"Invalid {kind}: Expression size has exceeded the maximum allowed size; "
                f"expression size: {len(text)}"
            )
        self.parser = parser
        self.text = text
        self.kind = kind
        self.tokens = tokens(text)
        self.at = 0

    # ---- tokens -------------------------------------------------------------------------

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.at + ahead, len(self.tokens) - 1)]

    def next(self) -> Token:
        token = self.token
        if token.kind == "bad":
            self.syntax_error()
        self.at = min(self.at + 1, len(self.tokens) - 1)
        return token

    def accept(self, text: str) -> bool:
        if self.token.kind == "op" and self.token.text == text:
            self.at += 1
            return True
        return False

    def accept_keyword(self, word: str) -> bool:
        if self.token.keyword() == word:
            self.at += 1
            return True
        return False

    def expect(self, text: str) -> None:
        if not self.accept(text):
            self.syntax_error()

    def expect_end(self) -> None:
        if self.token.kind != "eof":
            self.syntax_error()

    def syntax_error(self) -> NoReturn:
        token = self.token
        before = self.tokens[self.at - 1].start if self.at else token.start
        after = self.peek()
        end = after.start + len(after.text) if after.kind != "eof" else len(self.text)
        near = self.text[before:end]
        raise TableValidation(
            f'Invalid {self.kind}: Syntax error; token: "{token.text}", near: "{near}"'
        )

    def fail(self, message: str) -> NoReturn:
        raise TableValidation(f"Invalid {self.kind}: {message}")

    # ---- paths and values -----------------------------------------------------------

    def path(self) -> Path:
        elements: list[str | int] = [self.name()]
        while True:
            if self.accept("."):
                elements.append(self.name())
            elif self.accept("["):
                token = self.token
                if token.kind != "number":
                    self.syntax_error()
                self.next()
                elements.append(int(token.text))
                self.expect("]")
            else:
                return Path(tuple(elements))

    def name(self) -> str:
        token = self.token
        if token.kind == "name_ref":
            self.next()
            if token.text not in self.parser.names:
                self.fail(
                    "An expression attribute name used in the document path is not defined; "
                    f"attribute name: {token.text}"
                )
            self.parser.used_names.add(token.text)
            return self.parser.names[token.text]
        if token.kind != "name":
            self.syntax_error()
        if is_reserved(token.text):
            self.fail(f"Attribute name is a reserved keyword; reserved keyword: {token.text}")
        self.next()
        return token.text

    def literal(self) -> Literal:
        token = self.next()
        if token.text not in self.parser.values:
            self.fail(
                "An expression attribute value used in expression is not defined; attribute "
                f"value: {token.text}"
            )
        self.parser.used_values.add(token.text)
        return Literal(self.parser.values[token.text])

    def is_function(self) -> bool:
        return self.token.kind == "name" and self.peek().text == "("

    def arguments(self, name: str, read: Callable[[], Operand]) -> tuple[Operand, ...]:
        self.next()
        self.expect("(")
        args = [read()]
        while self.accept(","):
            args.append(read())
        self.expect(")")
        wanted = ALL_FUNCTIONS[name]
        if len(args) != wanted:
            self.fail(
                "Incorrect number of operands for operator or function; operator or function: "
                f"{name}, number of operands: {len(args)}"
            )
        return tuple(args)

    def function_name(self, allowed: Mapping[str, int]) -> str:
        name = self.token.text
        if name not in ALL_FUNCTIONS:
            self.fail(f"Invalid function name; function: {name}")
        if name not in allowed:
            if self.kind == "UpdateExpression":
                self.fail(f"The function is not allowed in an update expression; function: {name}")
            self.fail(
                f"The function is not allowed to be used this way in an expression; function: "
                f"{name}"
            )
        return name

    # ---- conditions -------------------------------------------------------------------

    def condition(self) -> Condition:
        found = self.conjunction()
        while self.accept_keyword("OR"):
            found = Or(found, self.conjunction())
        return found

    def conjunction(self) -> Condition:
        found = self.negation()
        while self.accept_keyword("AND"):
            found = And(found, self.negation())
        return found

    def negation(self) -> Condition:
        if self.accept_keyword("NOT"):
            return Not(self.negation())
        if self.accept("("):
            inner = self.condition()
            self.expect(")")
            return inner
        if self.is_function() and self.token.text in CONDITION_FUNCTIONS:
            return self.condition_function()
        return self.comparison()

    def condition_function(self) -> Function:
        name = self.function_name(CONDITION_FUNCTIONS)
        if name in ("attribute_exists", "attribute_not_exists"):
            args: tuple[Operand, ...] = self.arguments(name, self.path_argument)
        elif name == "attribute_type":
            args = self.arguments(name, self.operand)
            self.check_path(name, args[0])
            kind = args[1]
            if not isinstance(kind, Literal):
                self.fail_operand(name, args[1])
            given = kind.value.get("S")
            if given not in TYPE_NAMES:
                self.fail(
                    f"Invalid attribute type name found; type: {given}, valid types: "
                    "{B,NULL,SS,BOOL,L,BS,N,NS,S,M}"
                )
        else:
            args = self.arguments(name, self.operand)
            if name == "begins_with":
                for arg in args:
                    if isinstance(arg, Literal) and next(iter(arg.value)) not in ("S", "B"):
                        self.fail_operand(name, arg)
        return Function(name, args)

    def path_argument(self) -> Operand:
        if self.token.kind == "value_ref":
            self.fail(
                "Operator or function requires a document path; operator or function: "
                f"{self.tokens[self.at - 2].text}"
            )
        return self.path()

    def check_path(self, name: str, arg: Operand) -> None:
        if not isinstance(arg, Path):
            self.fail(
                f"Operator or function requires a document path; operator or function: {name}"
            )

    def fail_operand(self, name: str, arg: Operand) -> NoReturn:
        kind = next(iter(arg.value)) if isinstance(arg, Literal) else "path"
        self.fail(
            "Incorrect operand type for operator or function; operator or function: "
            f"{name}, operand type: {kind}"
        )

    def comparison(self) -> Condition:
        left = self.operand()
        token = self.token
        if token.kind == "op" and token.text in COMPARATORS:
            self.next()
            right = self.operand()
            if token.text not in ("=", "<>"):
                for side in (left, right):
                    if isinstance(side, Literal) and next(iter(side.value)) not in ("S", "N", "B"):
                        self.fail_operand(token.text, side)
            return Compare(token.text, left, right)
        if self.accept_keyword("BETWEEN"):
            low = self.operand()
            if not self.accept_keyword("AND"):
                self.syntax_error()
            high = self.operand()
            self.check_bounds(low, high)
            return Between(left, low, high)
        if self.accept_keyword("IN"):
            self.expect("(")
            choices = [self.operand()]
            while self.accept(","):
                choices.append(self.operand())
            self.expect(")")
            if len(choices) > MAX_IN:
                self.fail(
                    "The IN operator is provided with too many operands; number of operands: "
                    f"{len(choices)}"
                )
            return In(left, tuple(choices))
        self.syntax_error()

    def check_bounds(self, low: Operand, high: Operand) -> None:
        if isinstance(low, Literal) and isinstance(high, Literal):
            from ..values import compare

            order = compare(low.value, high.value)
            if order is not None and order > 0:
                self.fail(
                    "The BETWEEN operator requires upper bound to be greater than or equal to "
                    f"lower bound; lower bound operand: AttributeValue: {_shown(low.value)}, "
                    f"upper bound operand: AttributeValue: {_shown(high.value)}"
                )

    def operand(self) -> Operand:
        token = self.token
        if token.kind == "value_ref":
            return self.literal()
        if self.is_function():
            name = self.function_name(OPERAND_FUNCTIONS)
            (arg,) = self.arguments(name, self.operand)
            if not isinstance(arg, Path):
                self.fail_operand(name, arg)
            return Size(arg)
        return self.path()

    # ---- updates ----------------------------------------------------------------------

    def update(self) -> Update:
        seen: dict[str, Any] = {}
        while self.token.kind != "eof":
            clause = self.token.keyword()
            if clause not in CLAUSES:
                self.syntax_error()
            if clause in seen:
                self.fail(f'The "{clause}" section can only be used once in an update expression;')
            self.next()
            if clause == "SET":
                seen[clause] = self.repeated(self.set_action)
            elif clause == "REMOVE":
                seen[clause] = self.repeated(self.path)
            else:
                seen[clause] = self.repeated(self.set_value_action)
        return Update(
            tuple(seen.get("SET", ())),
            tuple(seen.get("REMOVE", ())),
            tuple(seen.get("ADD", ())),
            tuple(seen.get("DELETE", ())),
        )

    def repeated(self, read: Callable[[], Any]) -> list[Any]:
        found = [read()]
        while self.accept(","):
            found.append(read())
        if self.token.kind != "eof" and self.token.keyword() not in CLAUSES:
            self.syntax_error()
        return found

    def set_action(self) -> tuple[Path, Operand]:
        path = self.path()
        self.expect("=")
        left = self.term()
        token = self.token
        if token.kind == "op" and token.text in ("+", "-"):
            self.next()
            return path, Arithmetic(token.text, left, self.term())
        return path, left

    def set_value_action(self) -> tuple[Path, Literal]:
        path = self.path()
        if self.token.kind != "value_ref":
            self.syntax_error()
        return path, self.literal()

    def term(self) -> Operand:
        token = self.token
        if token.kind == "value_ref":
            return self.literal()
        if self.is_function():
            name = self.function_name(UPDATE_FUNCTIONS)
            if name == "if_not_exists":
                path, default = self.arguments(name, self.term)
                self.check_path(name, path)
                assert isinstance(path, Path)
                return IfNotExists(path, default)
            first, second = self.arguments(name, self.term)
            for arg in (first, second):
                if isinstance(arg, Literal) and next(iter(arg.value)) != "L":
                    self.fail_operand(name, arg)
            return ListAppend(first, second)
        return self.path()


def _shown(value: dict[str, Any]) -> str:
    kind, inner = next(iter(value.items()))
    return f"{{{kind}:{inner}}}"
