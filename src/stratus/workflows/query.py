"""JSONata states: `{% expression %}` strings evaluated with `$states` and the variables.

A value in Arguments, Output, Assign, Condition, Items, TimeoutSeconds, ... is JSONata when
it is a string that starts with `{%` and ends with `%}`; objects and arrays are walked and
every such string replaced by its value. Expressions see `$states` (`input`, `context`,
`result` after a task, `errorOutput` in a Catch) and the workflow variables as `$name`.

Engine: jsonata-python (pure Python, a port of jsonata-js). Where Step Functions differs
from plain JSONata we wrap it here:
- AWS's extra functions: `$partition`, `$range`, `$hash`, `$random([seed])`, `$uuid`,
  `$parse`; `$eval` is not available (AWS removes it).
- JSON null stays null (the library turns null into "undefined" unless told not to), and an
  expression whose value is undefined is an error, since JSON cannot hold it.
- Numbers that are whole come back as integers, as JSON from JavaScript would print them.
Every failure is States.QueryEvaluationError, the error AWS raises for JSONata.
"""

from __future__ import annotations

import functools
import hashlib
import json
import random
import uuid
from collections.abc import Mapping
from typing import Any

import jsonata
from jsonata.utils import Utils

from stratus.workflows.failure import QUERY_EVALUATION_ERROR, StatesFailure

_HASHES = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


def is_expression(value: Any) -> bool:
    return (
        isinstance(value, str)
        and value.startswith("{%")
        and value.endswith("%}")
        and len(value) >= 4
    )


def evaluate(text: str, states: Mapping[str, Any], variables: Mapping[str, Any]) -> Any:
    """The value of one `{% ... %}` string."""
    source = text[2:-2]
    expression = _compiled(source)
    bindings = {name: _to_engine(value) for name, value in variables.items()}
    bindings["states"] = _to_engine(dict(states))
    try:
        value = expression.evaluate(None, bindings)
    except StatesFailure:
        raise
    except Exception as exc:  # the engine raises JException, ValueError, TypeError, ...
        raise StatesFailure(
            QUERY_EVALUATION_ERROR,
            f"An error occurred while evaluating the expression {text!r}: {exc}",
        ) from exc
    if value is None:
        raise StatesFailure(
            QUERY_EVALUATION_ERROR,
            f"The JSONata expression {text!r} returned nothing (undefined), which JSON cannot hold",
        )
    return _from_engine(value)


def render(template: Any, states: Mapping[str, Any], variables: Mapping[str, Any]) -> Any:
    """A JSON template with every `{% %}` string replaced by its value."""
    if is_expression(template):
        return evaluate(template, states, variables)
    if isinstance(template, dict):
        return {key: render(value, states, variables) for key, value in template.items()}
    if isinstance(template, list):
        return [render(item, states, variables) for item in template]
    return template


def syntax_error(text: str) -> str | None:
    """Why `{% text %}` does not parse, or None."""
    try:
        _compiled(text[2:-2])
    except StatesFailure as exc:
        return exc.cause
    return None


@functools.lru_cache(maxsize=2048)
def _compiled(source: str) -> jsonata.Jsonata:
    try:
        expression = jsonata.Jsonata(source)
    except Exception as exc:
        raise StatesFailure(
            QUERY_EVALUATION_ERROR, f"The JSONata expression '{source.strip()}' is invalid: {exc}"
        ) from exc
    expression.set_output_convert_nulls(False)
    expression.register_lambda("partition", _partition)
    expression.register_lambda("range", _range)
    expression.register_lambda("hash", _hash)
    expression.register_lambda("random", _random)
    expression.register_lambda("uuid", lambda: str(uuid.uuid4()))
    expression.register_lambda("parse", _parse)
    expression.register_lambda("eval", _no_eval)
    return expression


def _fail(why: str) -> StatesFailure:
    return StatesFailure(QUERY_EVALUATION_ERROR, why)


def _partition(items: Any, size: Any) -> list[Any]:
    items = _from_engine(items)
    if not isinstance(items, list) or not isinstance(size, int | float) or size < 1:
        raise _fail("$partition takes an array and a chunk size greater than 0")
    size = int(size)
    return [items[i : i + size] for i in range(0, len(items), size)]


def _range(start: Any, end: Any, step: Any) -> list[int]:
    if (
        not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (start, end, step))
        or step == 0
    ):
        raise _fail("$range takes a start, an end and a step other than 0")
    start, end, step = int(start), int(end), int(step)
    out = list(range(start, end + (1 if step > 0 else -1), step))
    if len(out) > 1000:
        raise _fail("$range can make at most 1000 items")
    return out


def _hash(data: Any, algorithm: Any) -> str:
    data = _from_engine(data)
    text = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
    if algorithm not in _HASHES:
        raise _fail(f"$hash algorithm must be one of {', '.join(_HASHES)}")
    return hashlib.new(_HASHES[algorithm], text.encode()).hexdigest()


def _random(seed: Any = None) -> float:
    return random.Random(seed).random() if seed is not None else random.random()


def _parse(text: Any) -> Any:
    if not isinstance(text, str):
        raise _fail("$parse takes a string of JSON")
    try:
        return _to_engine(json.loads(text))
    except json.JSONDecodeError as exc:
        raise _fail(f"$parse: the string is not JSON ({exc.msg})") from exc


def _no_eval(*args: Any) -> Any:
    raise _fail(
        "The function $eval is not supported by Step Functions; use $parse for JSON strings"
    )


def _to_engine(value: Any) -> Any:
    if value is None:
        return Utils.NULL_VALUE
    if isinstance(value, dict):
        return {k: _to_engine(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_engine(v) for v in value]
    return value


def _from_engine(value: Any) -> Any:
    if value is Utils.NULL_VALUE:
        return None
    if isinstance(value, dict):
        return {k: _from_engine(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_from_engine(v) for v in value if v is not None]
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value
