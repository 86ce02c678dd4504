"""`stratus logs`: a function's log events, once or followed until Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from stratus.cli.logs import parse_since

FAILING = """
def handler(event, context):
    print("about to fail")
    raise RuntimeError("deliberate")
"""


def test_logs_print_the_handlers_lines_and_split_multi_line_records(
    stratus, new_name, code_dir, logs_showing
):
    """Each event is one line; a record's \\r separators (a traceback) become new lines."""
    name = new_name("logs")
    stratus("functions", "create", name, "--code", str(code_dir(FAILING)))
    stratus("invoke", name)

    result = logs_showing(name, "REPORT RequestId")

    assert result is not None
    assert result.exit_code == 0
    assert "about to fail" in result.stdout
    assert "\r" not in result.stdout
    lines = result.stdout.splitlines()
    error = next(i for i, line in enumerate(lines) if "[ERROR] RuntimeError: deliberate" in line)
    assert lines[error + 1] == "Traceback (most recent call last):"


def test_a_function_that_has_not_logged_prints_nothing(stratus, new_name, code_dir):
    """No log group yet is not an error: empty output, exit 0."""
    name = new_name("silent")
    stratus("functions", "create", name, "--code", str(code_dir(FAILING)))

    result = stratus("logs", name)

    assert result.exit_code == 0
    assert result.output == ""


def test_an_unknown_name_is_an_error_naming_the_functions(stratus, new_name, code_dir):
    """A name that is no function fails (exit 1) and lists the functions, closest first."""
    name = new_name("known")
    stratus("functions", "create", name, "--code", str(code_dir(FAILING)))

    result = stratus("logs", name[:-1] + "x")

    assert result.exit_code == 1
    assert f"no function named {name[:-1] + 'x'!r}; the functions are: {name}" in result.stderr


def test_since_limits_how_far_back_events_go(stratus, new_name, code_dir, logs_showing):
    """--since 1s, more than a second after the only invocation, shows none of its events."""
    name = new_name("since")
    stratus("functions", "create", name, "--code", str(code_dir(FAILING)))
    stratus("invoke", name)
    assert logs_showing(name, "about to fail") is not None
    time.sleep(1.2)

    result = stratus("logs", name, "--since", "1s")

    assert result.exit_code == 0
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("10m", 600), ("2h", 7200), ("1d", 86400), ("1w", 604800)]
)
def test_since_reads_durations(text, seconds):
    """Durations are a number and one unit of s, m, h, d or w."""
    assert parse_since(text) == seconds


def test_a_bad_since_is_bad_usage(stratus):
    """--since yesterday exits 2 with an example of what works."""
    result = stratus("logs", "f", "--since", "yesterday")

    assert result.exit_code == 2
    assert "like 30s, 10m" in result.stderr


def test_follow_prints_new_events_and_stops_cleanly_on_ctrl_c(
    server, stratus, new_name, code_dir, tmp_path
):
    """--follow waits for a group that does not exist yet, prints events as they come, and
    exits 0 without a traceback on SIGINT."""
    name = new_name("follow")
    out, err = tmp_path / "out", tmp_path / "err"
    command = [sys.executable, "-m", "stratus", "logs", name, "--follow"]
    env = {**os.environ, "STRATUS_ENDPOINT_URL": server.endpoint_url}
    with out.open("wb") as stdout, err.open("wb") as stderr:
        follower = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env)
    try:
        stratus("functions", "create", name, "--code", str(code_dir(FAILING)))
        stratus("invoke", name)
        deadline = time.monotonic() + 15
        while "REPORT RequestId" not in out.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
        follower.send_signal(signal.SIGINT)
        code = follower.wait(timeout=10)
    finally:
        follower.kill()

    assert "about to fail" in out.read_text()
    assert "REPORT RequestId" in out.read_text()
    assert code == 0
    assert "Traceback" not in err.read_text()
