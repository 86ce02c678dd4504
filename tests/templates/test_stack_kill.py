"""Durability of stacks: a creation cut off by `kill -9` rolls back at the next start instead
of staying half-made."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

from stratus.testing import serve_in_process

QUEUES = 300


def stack_status(cfn: Any) -> str:
    return str(cfn.describe_stacks(StackName="cut")["Stacks"][0]["StackStatus"])


def test_a_creation_cut_off_by_kill_9_rolls_back_at_the_next_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    body = "Resources:\n" + "".join(f"  Q{i}:\n    Type: AWS::SQS::Queue\n" for i in range(QUEUES))
    with serve_in_process(data) as server:
        cfn = server.client("cloudformation")
        cfn.create_stack(StackName="cut", TemplateBody=body)
        deadline = time.monotonic() + 60
        while not cfn.list_stack_resources(StackName="cut")["StackResourceSummaries"]:
            assert time.monotonic() < deadline, "no resource was created"
            time.sleep(0.01)
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()

    with serve_in_process(data) as server:
        cfn = server.client("cloudformation")
        deadline = time.monotonic() + 60
        while (status := stack_status(cfn)).endswith("_IN_PROGRESS"):
            assert time.monotonic() < deadline, status
            time.sleep(0.1)
        assert status == "ROLLBACK_COMPLETE"
        assert cfn.list_stack_resources(StackName="cut")["StackResourceSummaries"] == []
        left = server.client("sqs").list_queues(QueueNamePrefix="cut-").get("QueueUrls", [])
        # Every recorded resource is gone. One whose creation the kill cut off before the
        # engine recorded it may remain (a known gap: its generated name was never stored).
        completed = {
            e["LogicalResourceId"]
            for e in cfn.describe_stack_events(StackName="cut")["StackEvents"]
            if e["ResourceStatus"] == "CREATE_COMPLETE"
        }
        assert len(left) <= 1
        assert not [url for url in left if url.split("-")[-2] in completed]
        statuses = [
            e["ResourceStatus"]
            for e in cfn.describe_stack_events(StackName="cut")["StackEvents"]
            if e["LogicalResourceId"] == "cut"
        ]
        assert statuses[:2] == ["ROLLBACK_COMPLETE", "ROLLBACK_IN_PROGRESS"]


def test_change_sets_and_secure_parameters_survive_kill_9(tmp_path: Path) -> None:
    """What was answered is kept: a change set can be executed after a restart, and a
    SecureString still decrypts (its key lives in the data directory)."""
    data = tmp_path / "data"
    data.mkdir()
    body = "Resources:\n  Inbox:\n    Type: AWS::SQS::Queue\n"
    with serve_in_process(data) as server:
        cfn = server.client("cloudformation")
        made = cfn.create_change_set(
            StackName="later", ChangeSetName="first", ChangeSetType="CREATE", TemplateBody=body
        )
        server.client("ssm").put_parameter(Name="/db/password", Value="s3cret", Type="SecureString")
        assert server.process is not None
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()

    with serve_in_process(data) as server:
        cfn = server.client("cloudformation")
        assert cfn.describe_change_set(ChangeSetName=made["Id"])["ExecutionStatus"] == "AVAILABLE"
        cfn.execute_change_set(ChangeSetName=made["Id"])
        cfn.get_waiter("stack_create_complete").wait(
            StackName="later", WaiterConfig={"Delay": 0.2, "MaxAttempts": 300}
        )
        secret = server.client("ssm").get_parameter(Name="/db/password", WithDecryption=True)
        assert secret["Parameter"]["Value"] == "s3cret"
        assert (data / "parameters.key").stat().st_mode & 0o777 == 0o600
