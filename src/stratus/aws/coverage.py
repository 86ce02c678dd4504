"""How much of each AWS API Stratus serves: operations implemented / operations in botocore's
model. `python -m stratus.aws.coverage` prints it (with `--missing`, the operations left out
too); tests/aws/test_coverage.py holds each number to a floor, so coverage never drops
unnoticed.

Every API is on the protocol layer: each counts the operations its adapter's table has a
handler for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .app import SERVED_APIS
from .protocols import models


@dataclass(frozen=True, slots=True)
class Coverage:
    api: str  # botocore's name of the model
    implemented: frozenset[str]
    total: int

    def line(self) -> str:
        share = 100 * len(self.implemented) / self.total if self.total else 0
        return f"{self.api:<16} {len(self.implemented):>4} / {self.total:<4} {share:5.1f}%"


def of_handlers(name: str, handlers: Iterable[str]) -> Coverage:
    operations = models.service_model(name).operation_names
    return Coverage(name, frozenset(operations).intersection(handlers), len(operations))


def served() -> list[Coverage]:
    """Every API the AWS endpoint serves."""
    return [
        *(of_handlers(api.name, api.handlers) for api in SERVED_APIS),
    ]


def report(coverages: Iterable[Coverage]) -> str:
    found = list(coverages)
    done = sum(len(c.implemented) for c in found)
    total = sum(c.total for c in found)
    lines = [c.line() for c in found]
    return "\n".join([*lines, f"{'all':<16} {done:>4} / {total:<4} {100 * done / total:5.1f}%"])


def missing(coverages: Iterable[Coverage]) -> str:
    """Each API's operations left out (they answer AWS's unknown-operation error)."""
    lines = []
    for coverage in coverages:
        left = sorted(
            set(models.service_model(coverage.api).operation_names) - coverage.implemented
        )
        lines.append(f"{coverage.api}: {', '.join(left) or '(none)'}")
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    print(report(served()))
    if "--missing" in sys.argv[1:]:
        print()
        print(missing(served()))
