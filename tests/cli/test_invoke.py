"""`stratus invoke`: the result on stdout, the log tail and errors on stderr, exit codes."""

from __future__ import annotations

import json

import pytest

from stratus.testing import free_port

HANDLER = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    print("got", event)
    return {"echo": event}
"""


@pytest.fixture
def function(stratus, new_name, code_dir):
    name = new_name("invoke")
    created = stratus("functions", "create", name, "--code", str(code_dir(HANDLER)))
    assert created.exit_code == 0, created.output
    return name


def test_the_result_is_printed_as_pretty_json_on_stdout(stratus, function):
    """stdout holds only the payload, indented, so it can be piped into jq."""
    result = stratus("invoke", function, "--payload", '{"a": [1, 2]}')

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"echo": {"a": [1, 2]}}
    assert result.stdout.startswith('{\n  "echo": {')
    assert result.stderr == ""


def test_log_prints_the_decoded_tail_with_the_report_line_to_stderr(stratus, function):
    """--log asks for the tail (LogType=Tail) and prints it, not base64, on stderr."""
    result = stratus("invoke", function, "-p", '{"b": 2}', "--log")

    assert result.exit_code == 0, result.output
    assert "got {'b': 2}" in result.stderr
    assert "\nREPORT RequestId: " in result.stderr
    assert "Billed Duration" in result.stderr
    assert "REPORT" not in result.stdout


def test_payload_can_come_from_a_file(stratus, function, tmp_path):
    """-p @file sends the file's JSON."""
    event = tmp_path / "event.json"
    event.write_text('{"from": "file"}')

    result = stratus("invoke", function, "-p", f"@{event}")

    assert json.loads(result.stdout) == {"echo": {"from": "file"}}


def test_bad_json_is_bad_usage_reported_before_calling_the_server(stratus, function):
    """Invalid JSON exits 2 and says so, even when no server is there to ask."""
    nowhere = f"http://127.0.0.1:{free_port()}"

    result = stratus("invoke", function, "-p", "{not json", "--endpoint-url", nowhere)

    assert result.exit_code == 2
    assert "not valid JSON" in result.stderr
    assert "no Stratus server" not in result.stderr


def test_a_missing_payload_file_is_bad_usage(stratus, function, tmp_path):
    """-p @missing exits 2 naming the file."""
    result = stratus("invoke", function, "-p", f"@{tmp_path / 'missing.json'}")

    assert result.exit_code == 2
    assert "missing.json" in result.stderr


def test_log_with_async_is_bad_usage_not_a_traceback(stratus):
    """--log with --async exits 2 and says why; it never reaches the server."""
    nowhere = f"http://127.0.0.1:{free_port()}"

    result = stratus("invoke", "f", "--async", "--log", "--endpoint-url", nowhere)

    assert result.exit_code == 2
    assert "--log" in result.stderr
    assert "only a synchronous invoke returns a log tail" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_function_exits_1_naming_the_functions(stratus):
    """An unknown name becomes one red line naming the functions there are, no traceback."""
    result = stratus("invoke", "no-such-function-anywhere")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("error: no function named 'no-such-function-anywhere'; ")
    assert len(result.stderr.splitlines()) == 1


def test_a_function_error_is_printed_then_exits_1(stratus, function):
    """An exception in the handler: its error payload on stdout, a summary on stderr, exit 1."""
    result = stratus("invoke", function, "-p", '{"fail": true}')

    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert (body["errorType"], body["errorMessage"]) == ("ValueError", "asked to fail")
    assert result.stderr == "error: function failed (Unhandled): ValueError: asked to fail\n"


def test_async_prints_the_request_id_and_the_event_runs(stratus, function, logs_showing):
    """--async queues the event (InvocationType Event) and prints its request id."""
    result = stratus("invoke", function, "--async", "-p", '{"queued": 1}')

    assert result.exit_code == 0, result.output
    request_id = result.stdout.strip()
    assert len(request_id) == 36
    assert logs_showing(function, f"START RequestId: {request_id}") is not None


def test_qualifier_selects_the_version(stratus, function):
    """--qualifier is passed through: $LATEST works, an unknown version is not found."""
    latest = stratus("invoke", function, "--qualifier", "$LATEST")
    missing = stratus("invoke", function, "--qualifier", "42")

    assert latest.exit_code == 0
    assert missing.exit_code == 1
    assert missing.stderr.startswith("error: ResourceNotFoundException: ")


def test_no_server_is_one_line_that_says_how_to_start_one(stratus):
    """Connection refused: `no Stratus server at URL; start one with stratus server`."""
    nowhere = f"http://127.0.0.1:{free_port()}"

    result = stratus("invoke", "anything", "--endpoint-url", nowhere)

    assert result.exit_code == 1
    assert result.stderr == (
        f"error: no Stratus server at {nowhere}; start one with `stratus server`\n"
    )
