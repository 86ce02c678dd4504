"""Wildcard values (`{"wildcard": "Simple*Service"}`) compiled to regular expressions.

`*` matches any run of characters, empty included. `\\*` is a literal star and `\\\\` a
literal backslash; any other escape is refused, and so are two stars in a row, with the
messages AWS gives. AWS also refuses rules whose wildcards make its matching machine too
non-deterministic ("Rule is too complex ..."); it scores that on its compiled machine, which
we do not reproduce: we refuse a field whose wildcard values hold more than
`MAX_WILDCARDS_PER_FIELD` stars in total, which is where such rules start.
"""

from __future__ import annotations

import re

MAX_WILDCARDS_PER_FIELD = 100
TOO_COMPLEX = (
    "Rule is too complex - try using fewer wildcard characters or fewer repeating character "
    "sequences after a wildcard character"
)


class WildcardError(ValueError):
    pass


def compile_wildcard(text: str) -> tuple[re.Pattern[str], int]:
    """The regular expression for a wildcard value, and how many stars it holds."""
    parts: list[str] = []
    stars = 0
    position = 0
    while position < len(text):
        char = text[position]
        if char == "\\":
            following = text[position + 1 : position + 2]
            if following not in ("*", "\\"):
                raise WildcardError(f"Invalid escape character at pos {position}")
            parts.append(re.escape(following))
            position += 2
            continue
        if char == "*":
            if text[position + 1 : position + 2] == "*":
                raise WildcardError(f"Consecutive wildcard characters at pos {position + 1}")
            parts.append(".*")
            stars += 1
        else:
            parts.append(re.escape(char))
        position += 1
    return re.compile("".join(parts), re.DOTALL), stars
