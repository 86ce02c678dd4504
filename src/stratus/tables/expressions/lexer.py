"""Expression text into tokens: names, #name and :value placeholders, list indexes,
punctuation and comparators. Keywords are names; the parser tells them apart."""

from __future__ import annotations

import re
from dataclasses import dataclass

EOF_TOKEN = "<EOF>"

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<name_ref>\#[A-Za-z0-9_]+)
  | (?P<value_ref>:[A-Za-z0-9_]+)
  | (?P<number>[0-9]+)
  | (?P<op><>|<=|>=|[=<>(),.\[\]+\-])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # name | name_ref | value_ref | number | op | eof | bad
    text: str
    start: int

    def keyword(self) -> str:
        return self.text.upper() if self.kind == "name" else ""


def tokens(text: str) -> list[Token]:
    found: list[Token] = []
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            found.append(Token("bad", text[at], at))
            break
        kind = match.lastgroup or "bad"
        if kind != "space":
            found.append(Token(kind, match.group(), at))
        at = match.end()
    found.append(Token("eof", EOF_TOKEN, len(text)))
    return found
