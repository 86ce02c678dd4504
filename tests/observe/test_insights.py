"""Logs Insights queries over events, command by command, as AWS's query syntax pages show
them."""

import pytest

from stratus.observe.insights import MalformedQuery, Queries
from stratus.observe.logs import LogEvent

BASE = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC
MESSAGES = [
    '{"level": "ERROR", "ms": 120, "user": {"id": "a"}}',
    '{"level": "INFO", "ms": 30, "user": {"id": "b"}}',
    '{"level": "ERROR", "ms": 300, "user": {"id": "a"}}',
    "START RequestId: r1 Version: $LATEST",
    "user=carol took 42ms",
]


def run(query: str, limit: int | None = None) -> list[dict[str, str]]:
    events = [LogEvent(n + 1, "/g", "s", BASE + n * 60_000, m) for n, m in enumerate(MESSAGES)]
    found = Queries().run(query, ["/g"], events, BASE, limit)
    return [{c["field"]: c["value"] for c in row} for row in found.results]


def test_default_fields_are_timestamp_and_message():
    rows = run("limit 1")

    assert rows == [{"@timestamp": "2023-11-14 22:13:20.000", "@message": MESSAGES[0], "@ptr": "1"}]


def test_filter_on_json_fields_and_like():
    assert [r["ms"] for r in run('fields ms | filter level = "ERROR" and ms > 200')] == ["300"]
    assert len(run("filter @message like /ERROR|INFO/")) == 3
    assert len(run('filter @message like "START"')) == 1
    assert len(run('filter @message not like "START"')) == 4
    assert [r["user.id"] for r in run('fields user.id | filter user.id in ["b"]')] == ["b"]
    assert len(run('filter not (level = "ERROR" or level = "INFO")')) == 2


def test_stats_by_field_and_bin():
    by_level = run("stats count(*) as n, avg(ms), max(ms), sum(ms) by level | sort n desc")
    by_bin = run("stats count(*) as n by bin(2m) as t | sort t")

    assert by_level[0] == {
        "level": "ERROR",
        "n": "2",
        "avg(ms)": "210",
        "max(ms)": "300",
        "sum(ms)": "420",
    }
    assert {
        "level": "INFO",
        "n": "1",
        "avg(ms)": "30",
        "max(ms)": "30",
        "sum(ms)": "30",
    } in by_level
    assert [r["n"] for r in by_bin] == ["1", "2", "2"]
    assert by_bin[0]["t"] == "2023-11-14 22:12:00.000"


def test_parse_glob_and_regex():
    glob = run(
        'parse @message "user=* took *ms" as who, took | filter who = "carol" | fields who, took'
    )
    regex = run('parse @message /RequestId: (?<rid>\\S+)/ | filter rid = "r1" | fields rid')

    assert glob == [{"who": "carol", "took": "42", "@ptr": "5"}]
    assert regex == [{"rid": "r1", "@ptr": "4"}]


def test_sort_and_limit():
    rows = run("fields ms | filter ms > 0 | sort ms desc | limit 2")
    assert [r["ms"] for r in rows] == ["300", "120"]
    assert len(run("fields @message", limit=2)) == 2


@pytest.mark.parametrize(
    "query",
    [
        "dedupe level",
        "stats median(ms)",
        "filter (ms > 1",
        "limit 0",
        'parse @message "a*" as x, y',
        "sort ms sideways",
    ],
)
def test_unknown_or_malformed_queries_are_refused(query):
    with pytest.raises(MalformedQuery):
        run(query)
