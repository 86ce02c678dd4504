"""PartiQL text into tokens: "quoted" identifiers, 'string' literals ('' is a quote),
numbers, ? parameters, names and keywords, punctuation (<< >> for sets)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import TableValidation

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<quoted>"(?:[^"]|"")*")
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<param>\?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><<|>>|<>|!=|<=|>=|[=<>(),.\[\]{}:*+\-])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # quoted | string | number | param | name | op | eof
    text: str

    def keyword(self) -> str:
        return self.text.upper() if self.kind == "name" else ""

    def value(self) -> str:
        """A quoted identifier's or a string's text, unquoted."""
        if self.kind == "quoted":
            return self.text[1:-1].replace('""', '"')
        if self.kind == "string":
            return self.text[1:-1].replace("''", "'")
        return self.text


def tokens(text: str) -> list[Token]:
    found: list[Token] = []
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            raise malformed(f"Unexpected character: {text[at]}")
        if match.lastgroup != "space":
            found.append(Token(match.lastgroup or "op", match.group()))
        at = match.end()
    found.append(Token("eof", "<EOF>"))
    return found


def malformed(detail: str) -> TableValidation:
    return TableValidation(f"Statement wasn't well formed, can't be processed: {detail}")
