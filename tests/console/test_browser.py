"""The execution page in a real headless Chromium (Debian's `chromium`, driven by
Playwright through its executable_path): states take their colours and status words as
the execution advances, and a click shows a state's input and output.

Locally the test skips, saying why, when chromium or Playwright is missing; under CI
(`CI` set, as .ci/run is run) it fails instead, so CI never passes without a browser.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import make_queue, unique

ROLE = "arn:aws:iam::000000000000:role/sfn"
CHROMIUM = os.environ.get("STRATUS_CHROMIUM", "/usr/bin/chromium")
WAIT_MS = 20_000
FLAKY = """
def handler(event, context):
    if event["try"] == 0:
        raise type("Boom", (Exception,), {})("first try fails")
    return {"items": [1, 2], "try": event["try"]}
"""


def unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the browser test (.ci/run installs chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    if not (shutil.which(CHROMIUM) or Path(CHROMIUM).exists()):
        unavailable(f"no chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            # root in CI: chromium's sandbox needs an unprivileged user; /dev/shm may be small
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
        try:
            yield browser.new_page(viewport={"width": 1400, "height": 1000})
        finally:
            browser.close()


def definition(function: str, queue_url: str) -> dict[str, Any]:
    return {
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericGreaterThan": 0, "Next": "Fan"}],
                "Default": "Refuse",
            },
            "Refuse": {"Type": "Fail", "Error": "NotPositive"},
            "Fan": {
                "Type": "Parallel",
                "Branches": [
                    {
                        "StartAt": "Flaky",
                        "States": {
                            "Flaky": {
                                "Type": "Task",
                                "Resource": "arn:aws:states:::lambda:invoke",
                                "Parameters": {
                                    "FunctionName": function,
                                    "Payload": {"try.$": "$$.State.RetryCount"},
                                },
                                "Retry": [
                                    {
                                        "ErrorEquals": ["Boom"],
                                        "IntervalSeconds": 5,
                                        "MaxAttempts": 2,
                                    }
                                ],
                                "OutputPath": "$.Payload",
                                "End": True,
                            }
                        },
                    },
                    {
                        "StartAt": "Nap",
                        "States": {"Nap": {"Type": "Wait", "Seconds": 30, "End": True}},
                    },
                ],
                "Next": "Approve",
            },
            "Approve": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": queue_url, "MessageBody": {"token.$": "$$.Task.Token"}},
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }


def test_the_page_follows_an_execution_live_and_shows_a_state_on_click(
    server, sqs, deploy, page, tmp_path
):
    from playwright.sync_api import expect

    sfn = server.client("stepfunctions")
    queue_url, _ = make_queue(sqs)
    machine = sfn.create_state_machine(
        name=unique("browser"),
        definition=json.dumps(definition(deploy(FLAKY), queue_url)),
        roleArn=ROLE,
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input='{"n": 3}')["executionArn"]
    server.wait_idle()  # Flaky failed once and waits for its retry; Nap waits 30 s

    def state(name: str) -> Any:
        return page.locator(f'g.state[data-state="{name}"]')

    page.goto(f"{server.endpoint_url}/_stratus/executions/{execution}")

    expect(state("Check")).to_have_attribute("data-status", "succeeded", timeout=WAIT_MS)
    expect(state("Fan")).to_have_attribute("data-status", "running")
    expect(state("Nap")).to_have_attribute("data-status", "running")
    expect(state("Flaky")).to_have_attribute("data-status", "running")
    expect(state("Flaky").locator("text.status")).to_have_text("▶ running · ↻ retry due")
    expect(state("Refuse")).not_to_have_attribute("data-status", "failed")
    expect(state("Approve")).not_to_have_attribute("data-status", "running")
    expect(state("Check").locator("text.status")).to_have_text("✓ succeeded")
    expect(page.locator('g.edge[data-from="Check"][data-to="Fan"]')).to_have_class("edge taken")
    page.screenshot(path=tmp_path / "running.png", full_page=True)

    server.advance(5)  # the retry: Flaky succeeds on its second attempt
    expect(state("Flaky")).to_have_attribute("data-status", "succeeded", timeout=WAIT_MS)
    expect(state("Flaky")).to_have_attribute("data-retried", "true")
    expect(state("Flaky").locator("text.status")).to_have_text("✓ succeeded · ↻ 1 retry")
    expect(state("Nap")).to_have_attribute("data-status", "running")

    server.advance(30)  # Nap ends, the Parallel joins, Approve sends its token and waits
    expect(state("Fan")).to_have_attribute("data-status", "succeeded", timeout=WAIT_MS)
    expect(state("Approve")).to_have_attribute("data-status", "running")
    expect(page.locator("#execution-status")).to_have_text("RUNNING")

    [message] = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=10)["Messages"]
    token = json.loads(message["Body"])["token"]
    sfn.send_task_success(taskToken=token, output='{"approved": true}')
    expect(state("Approve")).to_have_attribute("data-status", "succeeded", timeout=WAIT_MS)
    expect(state("Done")).to_have_attribute("data-status", "succeeded")
    expect(page.locator("#execution-status")).to_have_text("SUCCEEDED")
    expect(page.locator("body")).to_have_attribute("data-followed", "done")

    state("Flaky").click()
    panel = page.locator("#details")
    expect(panel.locator("h2")).to_have_text("Flaky")
    expect(panel).to_contain_text("succeeded after 1 retry")
    expect(panel).to_contain_text("Boom")
    outputs = panel.locator(".block", has_text="Output").locator("pre")
    assert json.loads(outputs.first.inner_text()) == {"items": [1, 2], "try": 1}
    state("Approve").press("Enter")  # the keyboard reaches states too
    expect(panel.locator("h2")).to_have_text("Approve")
    assert json.loads(panel.locator(".block", has_text="Output").locator("pre").inner_text()) == {
        "approved": True
    }
    page.screenshot(path=tmp_path / "done.png", full_page=True)
    if shots := os.environ.get("STRATUS_SCREENSHOTS"):
        for shot in ("running.png", "done.png"):
            shutil.copy(tmp_path / shot, Path(shots) / shot)


def test_map_iterations_are_browsed_one_by_one_and_started_executions_link_to_theirs(server, page):
    """A Map of 55 items: its iterator state shows one visit at a time, item by item, with
    buttons and a number to go to any one (those past the 50 the trace carries are fetched);
    the nested execution a task started links to its own page, which the link opens."""
    from playwright.sync_api import expect

    sfn = server.client("stepfunctions")
    child = sfn.create_state_machine(
        name=unique("browser-child"),
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
        roleArn=ROLE,
    )["stateMachineArn"]
    kid = unique("kid")
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
                "Parameters": {"StateMachineArn": child, "Name": kid},
                "End": True,
            },
        },
    }
    machine = sfn.create_state_machine(
        name=unique("browser-map"), definition=json.dumps(parent), roleArn=ROLE
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, input=json.dumps(list(range(55))))[
        "executionArn"
    ]
    server.wait_idle()
    panel = page.locator("#details")

    page.goto(f"{server.endpoint_url}/_stratus/executions/{execution}")
    expect(page.locator("body")).to_have_attribute("data-followed", "done", timeout=WAIT_MS)
    expect(panel.locator("ul.children a")).to_have_text(kid)

    page.locator('g.state[data-state="Double"]').click()
    expect(panel.locator("h3")).to_have_text("Visit 1 of 55: ✓ succeeded · item #0")
    panel.get_by_role("button", name="Next visit").click()
    expect(panel.locator("h3")).to_have_text("Visit 2 of 55: ✓ succeeded · item #1")
    assert json.loads(panel.locator(".block", has_text="Input").locator("pre").inner_text()) == 1
    panel.get_by_role("button", name="Last visit").click()  # past the trace's 50: fetched
    expect(panel.locator("h3")).to_have_text("Visit 55 of 55: ✓ succeeded · item #54")
    assert json.loads(panel.locator(".block", has_text="Input").locator("pre").inner_text()) == 54
    panel.get_by_label("Visit number").fill("30")
    panel.get_by_label("Visit number").dispatch_event("change")
    expect(panel.locator("h3")).to_have_text("Visit 30 of 55: ✓ succeeded · item #29")

    page.locator('g.state[data-state="Nested"]').click()
    panel.locator("ul.children a").click()
    expect(page.locator("h1")).to_contain_text(kid, timeout=WAIT_MS)
    expect(page.locator("#execution-status")).to_have_text("SUCCEEDED")
