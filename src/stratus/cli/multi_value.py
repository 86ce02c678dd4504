"""Options that take several values after one flag, as `sam deploy` writes them:

    stratus deploy --parameter-overrides Stage=dev Size=2 --tags team=a env=b

Click gives an option one value; the words after it would be arguments ("Got unexpected
extra argument(s)"). Before parsing, each word that follows such a flag and looks like one of
its values (KEY=VALUE, ParameterKey=..., or a CAPABILITY_* name) is given the flag again.
A word that does not (a template path, another option) ends the run.
"""

from __future__ import annotations

import re
from typing import Any

from typer.core import TyperCommand

_PAIR = re.compile(r"^[A-Za-z0-9_.:/@+-]+=")
_CAPABILITY = re.compile(r"^CAPABILITY_[A-Z_]+$")
MULTI_VALUE = {
    "--parameter-overrides": _PAIR,
    "--tags": _PAIR,
    "--capabilities": _CAPABILITY,
}


def spread(args: list[str]) -> list[str]:
    """`--tags a=1 b=2` -> `--tags a=1 --tags b=2`."""
    spread_args: list[str] = []
    flag: str | None = None
    for i, word in enumerate(args):
        if word == "--":
            return spread_args + args[i:]
        if word in MULTI_VALUE:
            flag = word
            spread_args.append(word)
            continue
        previous = spread_args[-1] if spread_args else None
        if flag is not None and previous != flag and MULTI_VALUE[flag].match(word):
            spread_args += [flag, word]
            continue
        if previous != flag:
            flag = None
        spread_args.append(word)
    return spread_args


class MultiValueCommand(TyperCommand):
    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # ctx: typer's own click Context (typer vendors click), passed through untouched.
        result: list[str] = super().parse_args(ctx, spread(list(args)))
        return result
