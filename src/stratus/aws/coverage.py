"""How much of each AWS API Stratus serves: operations implemented / operations in botocore's
model. `python -m stratus.aws.coverage` prints it; tests/aws/test_coverage.py holds each
number to a floor, so coverage never drops unnoticed.

An API on the protocol layer counts the operations its adapter's table has a handler for.
An API still served by hand-written Starlette routes (API Gateway's HTTP APIs, until they
move onto the layer) counts the operations whose method and request URI one of its routes answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from starlette.routing import BaseRoute, Match

from . import apigatewayv2_api
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


def of_routes(name: str, routes: Sequence[BaseRoute]) -> Coverage:
    model = models.service_model(name)
    answered = set()
    for operation in model.operation_names:
        http = model.operation_model(operation).http
        path = re.sub(r"\{[^}]+\}", "x", http["requestUri"].partition("?")[0])
        scope = {"type": "http", "method": http["method"], "path": path, "root_path": ""}
        if any(route.matches(scope)[0] is Match.FULL for route in routes):
            answered.add(operation)
    return Coverage(name, frozenset(answered), len(model.operation_names))


def served() -> list[Coverage]:
    """Every API the AWS endpoint serves."""
    return [
        *(of_handlers(api.name, api.handlers) for api in SERVED_APIS),
        of_routes("apigatewayv2", apigatewayv2_api.routes),
    ]


def report(coverages: Iterable[Coverage]) -> str:
    found = list(coverages)
    done = sum(len(c.implemented) for c in found)
    total = sum(c.total for c in found)
    lines = [c.line() for c in found]
    return "\n".join([*lines, f"{'all':<16} {done:>4} / {total:<4} {100 * done / total:5.1f}%"])


if __name__ == "__main__":
    print(report(served()))
