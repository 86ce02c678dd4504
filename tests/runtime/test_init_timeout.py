"""An init past Lambda's 10 s init limit: INIT_REPORT, then the init retried inside the first
invoke under the function's own timeout (a "suppressed init"), as AWS documents it.

These run at AWS's real 10 s limit (an 11 s init), so each costs 15-25 s.
"""

import base64
import re

from tests.conftest import invoke_json

SLOW_INIT = """
import os, time
print("init starting in", os.getpid())
time.sleep(11)
def handler(event, context):
    return {"remaining_ms": context.get_remaining_time_in_millis()}
"""


def _lines(server, name: str) -> list[str]:
    logs = server.client("logs")
    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    return [event["message"].rstrip("\n") for event in events]


def _report(lines: list[str]) -> str:
    reports = [line for line in lines if line.startswith("REPORT ")]
    assert len(reports) == 1, lines
    return reports[0]


def test_an_init_past_10s_is_retried_within_the_invoke_and_succeeds(server, lambda_client, deploy):
    """11 s of init, 30 s timeout: INIT_REPORT (Phase: init, Status: timeout), then the init
    runs again inside the invoke, which succeeds; REPORT's Duration counts that init."""
    name = deploy(SLOW_INIT, Timeout=30)

    response, body = invoke_json(lambda_client, name, LogType="Tail")

    assert "FunctionError" not in response, body
    # The handler's deadline is the invoke's 30 s, part of it spent in the retried init.
    assert 0 < body["remaining_ms"] < 30_000 - 10_000
    lines = _lines(server, name)
    assert "INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout" in lines
    assert sum(line.startswith("init starting in") for line in lines) == 2  # init ran twice
    report = _report(lines)
    duration = float(re.search(r"\tDuration: ([\d.]+) ms", report).group(1))
    assert duration >= 11_000
    assert "Init Duration" not in report
    assert "Status:" not in report
    tail = base64.b64decode(response["LogResult"]).decode()
    assert "Phase: init\tStatus: timeout" in tail
    # The invoke's lines follow the retried init's start: START before the init's output.
    retried = lines[lines.index(next(ln for ln in lines if ln.startswith("START "))) :]
    assert retried[1].startswith("init starting in")
    assert retried[-2].startswith("END RequestId: ")
    # The environment is warm now: the next invoke runs no init at all.
    again, _ = invoke_json(lambda_client, name)
    assert "FunctionError" not in again
    assert sum(line.startswith("init starting in") for line in _lines(server, name)) == 2


def test_an_init_past_10s_fails_when_the_function_timeout_is_shorter(server, lambda_client, deploy):
    """11 s of init, 3 s timeout: the retried init times out as the invoke itself does."""
    name = deploy(SLOW_INIT, Timeout=3)

    response, body = invoke_json(lambda_client, name, LogType="Tail")

    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Task timed out after 3.00 seconds")
    lines = _lines(server, name)
    assert "INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout" in lines
    assert "INIT_REPORT Init Duration: 3000.00 ms\tPhase: invoke\tStatus: timeout" in lines
    assert any(line.endswith("Task timed out after 3.00 seconds") for line in lines)
    report = _report(lines)
    assert "\tDuration: 3000.00 ms" in report
    assert "Status: timeout" in report
    assert "Error Type: Sandbox.Timedout" in report
    tail = base64.b64decode(response["LogResult"]).decode()
    assert "Phase: invoke\tStatus: timeout" in tail


def test_an_init_error_writes_init_report_with_its_error_type(server, lambda_client, deploy):
    """An exception in the module's top-level code: INIT_REPORT Status: error and its type;
    the invoke answers the init's error."""
    name = deploy("raise ValueError('no config')\ndef handler(event, context):\n    return 1\n")

    response, body = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    assert body["errorMessage"] == "no config"
    init_reports = [line for line in _lines(server, name) if line.startswith("INIT_REPORT ")]
    assert len(init_reports) == 1
    assert re.fullmatch(
        r"INIT_REPORT Init Duration: [\d.]+ ms\tPhase: init\tStatus: error\t"
        + f"Error Type: {re.escape(body['errorType'])}",
        init_reports[0],
    )


SLOW_CUSTOM_BOOTSTRAP = r"""#!/bin/bash
set -euo pipefail
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
echo "init starting"
sleep 11
while true; do
  HEADERS="$(mktemp)"
  curl -sS -D "$HEADERS" "$API/invocation/next" > /dev/null
  ID="$(grep -Fi Lambda-Runtime-Aws-Request-Id "$HEADERS" | tr -d '[:space:]' | cut -d: -f2)"
  rm -f "$HEADERS"
  curl -sS "$API/invocation/$ID/response" -d '"ready"' > /dev/null
done
"""


def test_a_custom_runtime_init_past_10s_is_retried_within_the_invoke(
    server, lambda_client, deploy_custom
):
    """The same for a custom runtime: its init ends at its first /next."""
    name = deploy_custom({"bootstrap": SLOW_CUSTOM_BOOTSTRAP}, Timeout=30)

    response, body = invoke_json(lambda_client, name)

    assert "FunctionError" not in response, body
    assert body == "ready"
    lines = _lines(server, name)
    assert "INIT_REPORT Init Duration: 10000.00 ms\tPhase: init\tStatus: timeout" in lines
    assert lines.count("init starting") == 2
    report = _report(lines)
    assert float(re.search(r"\tDuration: ([\d.]+) ms", report).group(1)) >= 11_000
    assert "Init Duration" not in report


def test_a_custom_runtime_init_error_names_its_type_in_init_report(
    server, lambda_client, deploy_custom
):
    """/init/error's Lambda-Runtime-Function-Error-Type is INIT_REPORT's Error Type."""
    bootstrap = (
        "#!/bin/sh\n"
        'curl -sS "http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime/init/error" \\\n'
        '  -H "Lambda-Runtime-Function-Error-Type: Runtime.ConfigInvalid" \\\n'
        """  -d '{"errorMessage": "no config.toml", "errorType": "Runtime.ConfigInvalid"}'\n"""
        "exit 1\n"
    )
    name = deploy_custom({"bootstrap": bootstrap})

    response, _ = invoke_json(lambda_client, name)

    assert response["FunctionError"] == "Unhandled"
    init_reports = [line for line in _lines(server, name) if line.startswith("INIT_REPORT ")]
    assert len(init_reports) == 1
    assert init_reports[0].endswith(
        "\tPhase: init\tStatus: error\tError Type: Runtime.ConfigInvalid"
    )
