"""The workflow pages on a real server: a machine drawn from its definition, an execution's
trace following its history as the work queue's clock moves, refusals as pages."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

import pytest
from tests.conftest import unique

ROLE = "arn:aws:iam::000000000000:role/sfn"
MACHINE = {
    "Comment": "nap then decide </script><script>alert(1)</script>",
    "StartAt": "Nap",
    "States": {
        "Nap": {"Type": "Wait", "Seconds": 60, "Next": "Check"},
        "Check": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.ok", "BooleanEquals": True, "Next": "Both"}],
            "Default": "Refuse",
        },
        "Refuse": {"Type": "Fail", "Error": "NotOk", "Cause": "ok was not true"},
        "Both": {
            "Type": "Parallel",
            "Branches": [
                {"StartAt": "Left", "States": {"Left": {"Type": "Pass", "End": True}}},
                {"StartAt": "Right", "States": {"Right": {"Type": "Pass", "End": True}}},
            ],
            "End": True,
        },
    },
}


@pytest.fixture(scope="module")
def sfn(server: Any) -> Any:
    return server.client("stepfunctions")


@pytest.fixture(scope="module")
def machine(sfn: Any) -> tuple[str, str]:
    name = unique("page-machine")
    arn = sfn.create_state_machine(name=name, definition=json.dumps(MACHINE), roleArn=ROLE)[
        "stateMachineArn"
    ]
    return name, arn


def get(server: Any, path: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(server.endpoint_url + path) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def trace(server: Any, execution: str, after: int | None = None) -> dict[str, Any]:
    query = "" if after is None else f"?after={after}"
    status, kind, body = get(server, f"/_stratus/executions/{execution}/trace{query}")
    assert (status, kind) == (200, "application/json"), body
    return json.loads(body)  # type: ignore[no-any-return]


def drawn_states(page: str) -> list[str]:
    return re.findall(r'<g class="state(?: container)?" data-state="([^"]+)"', page)


def test_the_machine_page_draws_every_state_by_name_or_arn(server, machine):
    name, arn = machine

    by_name = get(server, f"/_stratus/workflows/{name}")
    by_arn = get(server, f"/_stratus/workflows/{quote(arn, safe=':')}")

    assert by_name[0] == 200
    assert by_name[1].startswith("text/html")
    assert sorted(drawn_states(by_name[2])) == ["Both", "Check", "Left", "Nap", "Refuse", "Right"]
    assert drawn_states(by_arn[2]) == drawn_states(by_name[2])
    assert 'data-from="Check" data-to="Refuse"' in by_name[2]
    assert "/_stratus/console/workflow.js" in by_name[2]


def test_a_definition_cannot_break_out_of_the_page(server, machine):
    _, _, page = get(server, f"/_stratus/workflows/{machine[0]}")

    assert "<script>alert(1)</script>" not in page
    assert page.count("</script>") == 2  # the definitions' JSON and workflow.js


def test_the_machine_list_links_each_machine(server, machine):
    status, _, page = get(server, "/_stratus/workflows")

    assert status == 200
    assert f'href="/_stratus/workflows/{machine[0]}"' in page


def test_an_execution_is_traced_as_it_advances(server, sfn, machine):
    execution = sfn.start_execution(stateMachineArn=machine[1], input='{"ok": true}')[
        "executionArn"
    ]
    server.wait_idle()
    waiting = trace(server, execution)
    unchanged = trace(server, execution, after=waiting["lastEventId"])
    server.advance(60)
    done = trace(server, execution, after=waiting["lastEventId"])
    status, _, page = get(server, f"/_stratus/executions/{execution}")

    assert waiting["status"] == "RUNNING"
    assert waiting["states"]["Nap"]["status"] == "running"
    assert "Check" not in waiting["states"]
    assert unchanged == {"unchanged": True, "lastEventId": waiting["lastEventId"], "children": []}
    assert done["status"] == "SUCCEEDED"
    assert {n: s["status"] for n, s in done["states"].items()} == dict.fromkeys(
        ["Nap", "Check", "Both", "Left", "Right"], "succeeded"
    )
    assert ["Check", "Both"] in done["transitions"]
    assert json.loads(done["states"]["Left"]["visits"][0]["input"]) == {"ok": True}
    assert status == 200
    assert f'data-trace="/_stratus/executions/{execution}/trace"' in page


def test_failed_and_stopped_executions_colour_their_states(server, sfn, machine):
    refused = sfn.start_execution(stateMachineArn=machine[1], input='{"ok": false}')["executionArn"]
    stopped = sfn.start_execution(stateMachineArn=machine[1], input="{}")["executionArn"]
    server.wait_idle()
    sfn.stop_execution(executionArn=stopped, error="Enough")
    server.advance(60)

    failed, aborted = trace(server, refused), trace(server, stopped)

    assert (failed["status"], failed["error"]) == ("FAILED", "NotOk")
    assert failed["states"]["Refuse"]["status"] == "failed"
    assert failed["states"]["Check"]["status"] == "succeeded"
    assert (aborted["status"], aborted["error"]) == ("ABORTED", "Enough")
    assert aborted["states"]["Nap"]["status"] == "aborted"


def test_unknown_machines_and_executions_are_404_pages(server, machine):
    execution = f"arn:aws:states:us-east-1:000000000000:execution:{machine[0]}:nope"

    no_machine = get(server, "/_stratus/workflows/no-such-machine")
    no_execution = get(server, f"/_stratus/executions/{execution}")
    no_trace = get(server, f"/_stratus/executions/{execution}/trace")
    bad_arn = get(server, "/_stratus/executions/not-an-arn")

    assert no_machine[0] == 404
    assert "No state machine is named &#x27;no-such-machine&#x27;" in no_machine[2]
    assert no_execution[0] == 404
    assert "Execution Does Not Exist" in no_execution[2]
    assert no_trace[0] == 404
    assert json.loads(no_trace[2])["error"] == "ExecutionDoesNotExist"
    assert bad_arn[0] == 400


def test_the_script_and_style_are_served_and_nothing_else(server):
    script = get(server, "/_stratus/console/workflow.js")
    style = get(server, "/_stratus/console/workflow.css")
    other = get(server, "/_stratus/console/..%2Fgraph.py")

    assert script[0] == 200
    assert script[1].startswith("text/javascript")
    assert "fetch(" in script[2]
    assert style[0] == 200
    assert style[1].startswith("text/css")
    assert other[0] == 404


def test_the_trace_links_the_executions_it_started_and_pages_through_visits(server, sfn):
    """A Map of 55 items: its iterator state's visits carry their item index, the trace
    holds the first KEPT_VISITS and `?state=&visit=` gives any one; the nested execution
    a startExecution.sync:2 task started is in `children` with its page's URL and in the
    task's visit."""
    child = sfn.create_state_machine(
        name=unique("page-child"),
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn=ROLE,
    )["stateMachineArn"]
    parent = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "Double",
                    "States": {"Double": {"Type": "Pass", "End": True}},
                },
                "ResultPath": None,
                "Next": "Nested",
            },
            "Nested": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {"StateMachineArn": child, "Name": unique("kid")},
                "End": True,
            },
        },
    }
    machine = sfn.create_state_machine(
        name=unique("page-parent"), definition=json.dumps(parent), roleArn=ROLE
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps(list(range(55))))[
        "executionArn"
    ]
    server.wait_idle()

    done = trace(server, execution)
    last = get(server, f"/_stratus/executions/{execution}/trace?state=Double&visit=54")
    beyond = get(server, f"/_stratus/executions/{execution}/trace?state=Double&visit=55")
    [kid] = sfn.list_executions(stateMachineArn=child)["executions"]

    assert done["status"] == "SUCCEEDED"
    double = done["states"]["Double"]
    assert [v["iteration"] for v in double["visits"][:3]] == [0, 1, 2]
    assert (len(double["visits"]), double["more"]) == (50, 5)
    assert last[0] == 200
    assert json.loads(last[2])["iteration"] == 54
    assert json.loads(json.loads(last[2])["input"]) == 54
    assert beyond[0] == 404
    assert done["children"] == [
        {
            "arn": kid["executionArn"],
            "name": kid["name"],
            "status": "SUCCEEDED",
            "url": f"/_stratus/executions/{kid['executionArn']}",
        }
    ]
    assert done["states"]["Nested"]["visits"][0]["executions"] == [kid["executionArn"]]
