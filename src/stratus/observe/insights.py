"""CloudWatch Logs Insights over the stored events: the common commands of its query
language, run when the query starts (StartQuery), answered by GetQueryResults.

    fields @timestamp, @message, level        what each row shows (default: @timestamp, @message)
    filter level = "ERROR" and ms > 100       = != < > <= >=, like "text" / like /regex/,
                                              in [..], and, or, not, parentheses
    parse @message "user=* took *ms" as u, t  a glob (each * one field), or
    parse @message /user=(?<u>\\w+)/           a regex with named groups
    stats count(*) as n, avg(ms) by bin(5m), level
                                              count, sum, avg, min, max; count_distinct
    sort n desc, @timestamp                   ascending unless desc
    limit 20                                  (default 10 000 rows)

Each event has @timestamp, @message, @logStream, @log and @ingestionTime; the fields of a
JSON message are discovered as on AWS (nested keys joined with dots). Commands run in
order, `|` between them. Results are kept in memory for GetQueryResults (not across a
restart: a query is quick to run again); unknown commands and functions are refused with
MalformedQueryException's message, never ignored.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from stratus.errors import Invalid

if TYPE_CHECKING:
    from .logs import LogEvent  # logs.py owns the Queries of its events

Row = dict[str, Any]
DEFAULT_LIMIT = 10_000
MAX_KEPT_QUERIES = 100


class MalformedQuery(Invalid):
    """Logs answers MalformedQueryException for a query it cannot read."""


@dataclass
class Query:
    query_id: str
    query_string: str
    log_groups: list[str]
    created: int  # epoch ms
    status: str = "Complete"
    results: list[list[dict[str, str]]] = field(default_factory=list)
    scanned: int = 0
    matched: int = 0
    bytes_scanned: int = 0


class Queries:
    """Queries started on this server, newest last (the last MAX_KEPT_QUERIES)."""

    def __init__(self) -> None:
        self._queries: dict[str, Query] = {}

    def run(
        self,
        query_string: str,
        groups: list[str],
        events: list[LogEvent],
        now_ms: int,
        limit: int | None = None,
    ) -> Query:
        plan = compile_query(query_string, limit)
        query = Query(str(uuid.uuid4()), query_string, groups, now_ms)
        rows = [_row(e) for e in events]
        query.scanned = len(rows)
        query.bytes_scanned = sum(len(e.message) for e in events)
        out = plan(rows)
        query.matched = len(out)
        query.results = [
            [{"field": k, "value": _text(v)} for k, v in row.items() if not k.startswith("_")]
            for row in out
        ]
        self._queries[query.query_id] = query
        while len(self._queries) > MAX_KEPT_QUERIES:
            self._queries.pop(next(iter(self._queries)))
        return query

    def get(self, query_id: str) -> Query | None:
        return self._queries.get(query_id)

    def all(self) -> list[Query]:
        return list(self._queries.values())


def field_shares(events: list[LogEvent]) -> dict[str, int]:
    """GetLogGroupFields: each field the events have, and in what percent of them."""
    counts: dict[str, int] = {}
    for event in events:
        for name in _row(event):
            if name != "@ptr":
                counts[name] = counts.get(name, 0) + 1
    return {name: round(100 * n / len(events)) for name, n in counts.items()} if events else {}


def _row(event: LogEvent) -> Row:
    row: Row = {
        "@timestamp": event.timestamp,
        "@message": event.message,
        "@logStream": event.log_stream,
        "@log": event.log_group,
        "@ingestionTime": event.ingestion_time or event.timestamp,
        "@ptr": str(event.id),
    }
    text = event.message.strip()
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        if isinstance(document, dict):
            _flatten(document, "", row)
    return row


def _flatten(value: dict[str, Any], prefix: str, into: Row) -> None:
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            _flatten(item, f"{name}.", into)
        else:
            into.setdefault(name, item)


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def _timestamp(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{ms % 1000:03d}"


# --- the query, command by command ------------------------------------------------------

Stage = Callable[[list[Row]], list[Row]]


def compile_query(text: str, default_limit: int | None = None) -> Stage:
    stages: list[Stage] = []
    shown: list[str] | None = None
    limited = False
    aggregated = False
    for command in _split_commands(text):
        word, _, rest = command.strip().partition(" ")
        word = word.lower()
        rest = rest.strip()
        if word == "fields":
            names = [_field_name(n) for n in _commas(rest)]
            shown = [*(shown or []), *names]
        elif word == "display":
            shown = [_field_name(n) for n in _commas(rest)]
        elif word == "filter":
            condition = _Expression(rest).parse()
            stages.append(_filter(condition))
        elif word == "parse":
            stages.append(_parse(rest))
        elif word == "stats":
            stage, names = _stats(rest)
            stages.append(stage)
            shown = names
            aggregated = True
        elif word == "sort":
            stages.append(_sort(rest))
        elif word == "limit":
            if not rest.isdigit() or not 0 < int(rest) <= DEFAULT_LIMIT:
                raise MalformedQuery(f"limit takes a number from 1 to {DEFAULT_LIMIT}: {rest}")
            stages.append(_limit(int(rest)))
            limited = True
        elif word == "":
            continue
        else:
            raise MalformedQuery(f"Stratus does not know the query command {word!r}")
    columns = shown if shown is not None else ["@timestamp", "@message"]

    def run(rows: list[Row]) -> list[Row]:
        for stage in stages:
            rows = stage(rows)
        if not limited:
            rows = rows[: default_limit or DEFAULT_LIMIT]
        shaped = []
        for row in rows:
            out = {c: _shown(row, c) for c in columns if row.get(c) is not None}
            if not aggregated and "@ptr" in row:
                out["@ptr"] = row["@ptr"]
            shaped.append(out)
        return shaped

    return run


def _filter(condition: Evaluate) -> Stage:
    return lambda rows: [r for r in rows if _truthy(condition(r))]


def _limit(count: int) -> Stage:
    return lambda rows: rows[:count]


def _bin(width_ms: int) -> Callable[[Row], Any]:
    return lambda row: _timestamp(int(row["@timestamp"]) // width_ms * width_ms)


def _get(name: str) -> Callable[[Row], Any]:
    return lambda row: row.get(name)


def _sorted_by(name: str) -> Callable[[Row], tuple[int, Any]]:
    return lambda row: _sort_key(row[name])


def _shown(row: Row, column: str) -> Any:
    value = row[column]
    if column in ("@timestamp", "@ingestionTime") and isinstance(value, int):
        return _timestamp(value)
    return value


def _split_commands(text: str) -> list[str]:
    """The commands between `|`, leaving | inside quotes and regexes alone."""
    commands, current, quote = [], "", ""
    for char in text:
        if quote:
            current += char
            if char == quote:
                quote = ""
        elif char in "\"'/`":
            quote = char
            current += char
        elif char == "|":
            commands.append(current)
            current = ""
        else:
            current += char
    if quote:
        raise MalformedQuery(f"unclosed {quote} in the query")
    return [*commands, current]


def _commas(text: str) -> list[str]:
    parts, current, depth, quote = [], "", 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'/`":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    if current.strip():
        parts.append(current.strip())
    return parts


def _field_name(text: str) -> str:
    name = text.strip()
    if name.startswith("`") and name.endswith("`"):
        return name[1:-1]
    if not re.fullmatch(r"@?[A-Za-z_][\w.\-@]*", name):
        raise MalformedQuery(f"not a field name: {name!r}")
    return name


def _parse(text: str) -> Stage:
    found = re.fullmatch(r"(\S+)\s+(\".*\"|'.*')\s+as\s+(.+)", text, re.S)
    if found:
        source = _field_name(found.group(1))
        glob = found.group(2)[1:-1]
        names = [_field_name(n) for n in _commas(found.group(3))]
        if glob.count("*") != len(names):
            raise MalformedQuery("parse needs as many names as the pattern has *")
        regex = re.compile("(.*?)".join(map(re.escape, glob.split("*"))) + "$", re.S)

        def by_glob(rows: list[Row]) -> list[Row]:
            for row in rows:
                match = regex.search(str(row.get(source, "")))
                if match:
                    row.update(zip(names, match.groups(), strict=True))
            return rows

        return by_glob
    found = re.fullmatch(r"(\S+)\s+/(.*)/", text, re.S)
    if found:
        source = _field_name(found.group(1))
        regex = re.compile(found.group(2).replace("(?<", "(?P<"))
        if not regex.groupindex:
            raise MalformedQuery("a parse regex needs named groups: (?<name>...)")

        def by_regex(rows: list[Row]) -> list[Row]:
            for row in rows:
                match = regex.search(str(row.get(source, "")))
                if match:
                    row.update({k: v for k, v in match.groupdict().items() if v is not None})
            return rows

        return by_regex
    raise MalformedQuery(f'parse takes: field "glob * *" as a, b  or  field /regex/: {text}')


_AGGREGATE = re.compile(r"(\w+)\s*\(\s*([^)]*?)\s*\)(?:\s+as\s+(\S+))?$", re.I | re.S)
_BIN = re.compile(r"bin\s*\(\s*(\d+)\s*(ms|s|m|min|h|hr|d)\s*\)(?:\s+as\s+(\S+))?$", re.I)
_BIN_MS = {"ms": 1, "s": 1000, "m": 60_000, "min": 60_000, "h": 3_600_000, "hr": 3_600_000}
_BIN_MS["d"] = 86_400_000


def _stats(text: str) -> tuple[Stage, list[str]]:
    head, by, groups_text = _by(text)
    aggregates: list[tuple[str, str, str]] = []
    for part in _commas(head):
        found = _AGGREGATE.match(part)
        if not found:
            raise MalformedQuery(f"not an aggregation: {part!r}")
        function, argument, alias = found.group(1).lower(), found.group(2), found.group(3)
        if function not in _AGGREGATIONS:
            raise MalformedQuery(f"Stratus does not know the stats function {function!r}")
        aggregates.append((function, argument, alias or f"{function}({argument})"))
    keys: list[tuple[str, Callable[[Row], Any]]] = []
    for part in _commas(groups_text) if by else []:
        binned = _BIN.match(part)
        if binned:
            width = int(binned.group(1)) * _BIN_MS[binned.group(2).lower()]
            name = binned.group(3) or f"bin({binned.group(1)}{binned.group(2)})"
            keys.append((name, _bin(width)))
        else:
            name = _field_name(part)
            keys.append((name, _get(name)))

    def stage(rows: list[Row]) -> list[Row]:
        groups: dict[tuple[Any, ...], list[Row]] = {}
        for row in rows:
            groups.setdefault(tuple(key(row) for _, key in keys), []).append(row)
        out = []
        for values, members in groups.items():
            result: Row = dict(zip([n for n, _ in keys], values, strict=True))
            for function, argument, alias in aggregates:
                result[alias] = _AGGREGATIONS[function](argument, members)
            out.append(result)
        return out

    return stage, [n for n, _ in keys] + [a for _, _, a in aggregates]


def _by(text: str) -> tuple[str, bool, str]:
    parts = re.split(r"\s+by\s+", text, maxsplit=1, flags=re.I)
    return (parts[0], True, parts[1]) if len(parts) == 2 else (parts[0], False, "")


def _numbers(argument: str, rows: list[Row]) -> list[float]:
    name = _field_name(argument)
    values = []
    for row in rows:
        number = _number(row.get(name))
        if number is not None:
            values.append(number)
    return values


def _count(argument: str, rows: list[Row]) -> Any:
    if argument in ("", "*"):
        return len(rows)
    name = _field_name(argument)
    return sum(1 for r in rows if r.get(name) is not None)


def _count_distinct(argument: str, rows: list[Row]) -> Any:
    name = _field_name(argument)
    return len({json.dumps(r.get(name)) for r in rows if r.get(name) is not None})


def _average(argument: str, rows: list[Row]) -> Any:
    values = _numbers(argument, rows)
    return sum(values) / len(values) if values else None


_AGGREGATIONS: dict[str, Callable[[str, list[Row]], Any]] = {
    "count": _count,
    "count_distinct": _count_distinct,
    "sum": lambda a, rows: sum(_numbers(a, rows)),
    "avg": _average,
    "min": lambda a, rows: min(_numbers(a, rows), default=None),
    "max": lambda a, rows: max(_numbers(a, rows), default=None),
}


def _sort(text: str) -> Stage:
    keys: list[tuple[str, bool]] = []
    for part in _commas(text):
        words = part.split()
        if (
            not words
            or len(words) > 2
            or (len(words) == 2 and words[1].lower() not in ("asc", "desc"))
        ):
            raise MalformedQuery(f"sort takes: field [asc|desc], ...: {part!r}")
        keys.append((_field_name(words[0]), len(words) == 2 and words[1].lower() == "desc"))

    def stage(rows: list[Row]) -> list[Row]:
        for name, descending in reversed(keys):
            present = [r for r in rows if r.get(name) is not None]
            missing = [r for r in rows if r.get(name) is None]
            present.sort(key=_sorted_by(name), reverse=descending)
            rows = present + missing
        return rows

    return stage


def _sort_key(value: Any) -> tuple[int, Any]:
    number = _number(value)
    return (0, number) if number is not None else (1, str(value))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        number = float(str(value))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _truthy(value: Any) -> bool:
    return bool(value) and value is not None


# --- filter expressions -----------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<regex>/(?:[^/\\]|\\.)*/)
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>==|!=|<=|>=|=|<|>|\(|\)|\[|\]|,)
      | (?P<name>`[^`]+`|@?[A-Za-z_][\w.\-@]*)
    )""",
    re.VERBOSE,
)
Evaluate = Callable[[Row], Any]


class _Expression:
    def __init__(self, text: str) -> None:
        self._tokens: list[tuple[str, str]] = []
        position = 0
        while position < len(text):
            if not text[position:].strip():
                break
            found = _TOKEN.match(text, position)
            if not found:
                raise MalformedQuery(f"cannot read the filter at {text[position:]!r}")
            position = found.end()
            kind = found.lastgroup or ""
            self._tokens.append((kind, found.group(kind)))
        self._at = 0

    def parse(self) -> Evaluate:
        result = self._or()
        if self._at != len(self._tokens):
            raise MalformedQuery(f"unexpected {self._tokens[self._at][1]!r} in the filter")
        return result

    def _peek(self) -> tuple[str, str]:
        return self._tokens[self._at] if self._at < len(self._tokens) else ("end", "")

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        self._at += 1
        return token

    def _word(self, word: str) -> bool:
        kind, text = self._peek()
        if kind == "name" and text.lower() == word:
            self._at += 1
            return True
        return False

    def _or(self) -> Evaluate:
        parts = [self._and()]
        while self._word("or"):
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else lambda r: any(_truthy(p(r)) for p in parts)

    def _and(self) -> Evaluate:
        parts = [self._not()]
        while self._word("and"):
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else lambda r: all(_truthy(p(r)) for p in parts)

    def _not(self) -> Evaluate:
        if self._word("not"):
            inner = self._not()
            return lambda r: not _truthy(inner(r))
        return self._comparison()

    def _comparison(self) -> Evaluate:
        left = self._operand()
        negate = False
        if self._word("not"):
            negate = True
        if self._word("like"):
            kind, pattern = self._take()
            if kind == "regex":
                regex = re.compile(pattern[1:-1])
            elif kind == "string":
                regex = re.compile(re.escape(_unquote(pattern)))
            else:
                raise MalformedQuery('like takes a "string" or a /regex/')

            def like(row: Row) -> bool:
                value = left(row)
                if value is None:
                    return negate
                return (regex.search(_text(value)) is not None) != negate

            return like
        if self._word("in"):
            if self._take()[1] != "[":
                raise MalformedQuery("in takes a list: in [1, 2]")
            members: list[Evaluate] = []
            while self._peek()[1] != "]":
                members.append(self._operand())
                if self._peek()[1] == ",":
                    self._take()
                elif self._peek()[1] != "]":
                    raise MalformedQuery("expected , or ] in the list")
            self._take()
            return lambda r: any(_equal(left(r), m(r)) for m in members) != negate
        if negate:
            raise MalformedQuery("not must come before like or in here")
        kind, operator = self._peek()
        if kind != "op" or operator not in ("=", "==", "!=", "<", ">", "<=", ">="):
            return left
        self._take()
        right = self._operand()
        return _compare(operator, left, right)

    def _operand(self) -> Evaluate:
        kind, text = self._take()
        if kind == "op" and text == "(":
            inner = self._or()
            if self._take()[1] != ")":
                raise MalformedQuery("expected ) in the filter")
            return inner
        if kind == "string":
            value = _unquote(text)
            return lambda r: value
        if kind == "number":
            number = float(text)
            return lambda r: number
        if kind == "name":
            name = text[1:-1] if text.startswith("`") else text
            if self._peek()[1] == "(":
                raise MalformedQuery(f"Stratus does not know the function {name!r} in filters")
            return lambda r: r.get(name)
        raise MalformedQuery(f"expected a field or a value, found {text or 'the end'!r}")


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _equal(left: Any, right: Any) -> bool:
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return a == b
    return left is not None and right is not None and _text(left) == _text(right)


def _compare(operator: str, left: Evaluate, right: Evaluate) -> Evaluate:
    if operator in ("=", "=="):
        return lambda r: _equal(left(r), right(r))
    if operator == "!=":
        return lambda r: left(r) is not None and not _equal(left(r), right(r))
    order: dict[str, Callable[[Any, Any], bool]] = {
        "<": lambda a, b: a < b,
        ">": lambda a, b: a > b,
        "<=": lambda a, b: a <= b,
        ">=": lambda a, b: a >= b,
    }
    test = order[operator]

    def compare(row: Row) -> bool:
        a, b = _number(left(row)), _number(right(row))
        if a is not None and b is not None:
            return test(a, b)
        x, y = left(row), right(row)
        return x is not None and y is not None and test(_text(x), _text(y))

    return compare


def merged(events: Iterable[list[LogEvent]]) -> list[LogEvent]:
    """Events of several groups in time order, as a query sees them."""
    return sorted((e for batch in events for e in batch), key=lambda e: (e.timestamp, e.id))
