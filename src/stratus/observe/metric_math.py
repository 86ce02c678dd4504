"""Metric math (GetMetricData's Expression), the arithmetic part: pure, no I/O.

    e1 = 100 * errors / invocations          + - * / and parentheses, numbers, query ids
    e2 = SUM([m1, m2])  AVG(...) MIN MAX     across series, per timestamp
    e3 = SUM(METRICS())                      every MetricStat query so far
    e4 = ABS(m1)   FILL(m1, 0)               per value; FILL gives missing timestamps a value

Series combine on the timestamps they share (AWS leaves a timestamp out of `m1 + m2` when one
of them lacks it); a number combines with every value. Division by zero leaves the value
out. The rest of AWS's language (SEARCH, ANOMALY_DETECTION_BAND, RATE, PERIOD, IF, …) is
refused by name, never answered wrong. The expression is read with Python's own parser and
only the node types above are accepted.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from stratus.errors import Invalid

Points = dict[int, float]  # epoch ms -> value

_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_ACROSS: dict[str, Callable[[Sequence[float]], float]] = {
    "SUM": sum,
    "AVG": lambda vs: sum(vs) / len(vs),
    "MIN": min,
    "MAX": max,
}


@dataclass(frozen=True, slots=True)
class Value:
    """A number, or a series of points."""

    number: float | None = None
    points: Points | None = None


def evaluate(expression: str, series: Mapping[str, Points], metric_ids: Sequence[str]) -> Points:
    """The points of `expression` over the named series (`metric_ids`: METRICS()'s)."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        raise _refused(expression, "it does not parse") from None
    found = _one(tree.body, expression, series, metric_ids)
    if found.points is None:
        raise _refused(expression, "it must use at least one metric")
    return found.points


def _eval(
    node: ast.AST, text: str, series: Mapping[str, Points], ids: Sequence[str]
) -> Value | list[Value]:  # fmt: skip
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return Value(number=float(node.value))
    if isinstance(node, ast.Name):
        if node.id not in series:
            raise _refused(text, f"{node.id} is not the Id of an earlier query")
        return Value(points=series[node.id])
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return _combine(Value(number=-1.0), _one(node.operand, text, series, ids), operator.mul)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _one(node.left, text, series, ids), _one(node.right, text, series, ids)
        return _combine(left, right, _BINARY[type(node.op)])
    if isinstance(node, ast.List):
        return [_one(item, text, series, ids) for item in node.elts]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        return _call(node.func.id, node.args, text, series, ids)
    raise _refused(text, f"Stratus evaluates + - * /, SUM/AVG/MIN/MAX, METRICS(), ABS, FILL; "
                         f"not {ast.unparse(node)!r}")  # fmt: skip


def _one(node: ast.AST, text: str, series: Mapping[str, Points], ids: Sequence[str]) -> Value:
    found = _eval(node, text, series, ids)
    if isinstance(found, list):
        raise _refused(text, "a list is only an argument of SUM, AVG, MIN or MAX")
    return found


def _call(
    name: str, args: list[ast.expr], text: str, series: Mapping[str, Points], ids: Sequence[str]
) -> Value:
    if name == "METRICS" and not args:
        raise _refused(text, "METRICS() is only an argument of SUM, AVG, MIN or MAX")
    if name in _ACROSS and len(args) == 1:
        arg = args[0]
        is_metrics = isinstance(arg, ast.Call) and getattr(arg.func, "id", "") == "METRICS"
        items = (
            [Value(points=series[i]) for i in ids] if is_metrics else _eval(arg, text, series, ids)
        )
        items = items if isinstance(items, list) else [items]
        return _across(items, _ACROSS[name])
    if name == "ABS" and len(args) == 1:
        return _combine(_one(args[0], text, series, ids), Value(number=0.0), lambda a, _: abs(a))
    if name == "FILL" and len(args) == 2:
        target, fill = _one(args[0], text, series, ids), _one(args[1], text, series, ids)
        if target.points is None or fill.number is None:
            raise _refused(text, "FILL takes a series and a number")
        every = {t for s in series.values() for t in s}
        return Value(points={t: target.points.get(t, fill.number) for t in sorted(every)})
    raise _refused(text, f"the function {name} is not one Stratus evaluates")


def _across(items: list[Value], reduce: Callable[[Sequence[float]], float]) -> Value:
    pointed = [i.points for i in items if i.points is not None]
    if not pointed:
        numbers = [i.number for i in items if i.number is not None]
        return Value(number=reduce(numbers)) if numbers else Value(points={})
    stamps = sorted({t for p in pointed for t in p})
    return Value(points={t: reduce([p[t] for p in pointed if t in p]) for t in stamps})


def _combine(a: Value, b: Value, op: Callable[[float, float], float]) -> Value:
    if a.number is not None and b.number is not None:
        return Value(number=op(a.number, b.number))
    left = a.points if a.points is not None else None
    right = b.points if b.points is not None else None
    stamps = (
        sorted(left.keys() & right.keys()) if left is not None and right is not None
        else sorted((left if left is not None else right or {}).keys())
    )  # fmt: skip
    out: Points = {}
    for t in stamps:
        x = left[t] if left is not None else a.number
        y = right[t] if right is not None else b.number
        assert x is not None  # (one side is a series, the other a series or a number)
        assert y is not None
        try:
            out[t] = op(x, y)
        except ZeroDivisionError:
            continue
    return Value(points=out)


def _refused(expression: str, why: str) -> Invalid:
    return Invalid(f"The expression {expression!r} is not valid: {why}.")
