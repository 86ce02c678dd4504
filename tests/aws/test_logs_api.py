"""Function logs through CloudWatch Logs' API, as `aws logs` and boto3 read them."""

import json
import time


def test_filter_log_events_returns_the_functions_output(server, lambda_client, deploy):
    """START, the handler's lines and REPORT land in /aws/lambda/<name>."""
    name = deploy("def handler(e, c):\n    print('logged', e['n'])\n")
    for n in range(2):
        lambda_client.invoke(FunctionName=name, Payload=json.dumps({"n": n}))
    logs = server.client("logs")

    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    streams = logs.describe_log_streams(logGroupName=f"/aws/lambda/{name}")["logStreams"]

    messages = [e["message"] for e in events]
    assert "logged 0" in messages
    assert "logged 1" in messages
    assert sum(m.startswith("REPORT RequestId:") for m in messages) == 2
    assert all(e["timestamp"] <= time.time() * 1000 for e in events)
    assert len(streams) == 1
    assert streams[0]["logStreamName"] == events[0]["logStreamName"]


def test_a_function_never_invoked_has_no_log_group(server, deploy):
    """As on AWS, the log group appears with the first invocation."""
    name = deploy("def handler(e, c):\n    return 1\n")
    logs = server.client("logs")

    try:
        logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")
    except logs.exceptions.ResourceNotFoundException:
        return
    raise AssertionError("expected ResourceNotFoundException")
