"""InvokeWithResponseStream: responses as an event stream, passed on while they are produced."""

import base64
import json
import time

import pytest
from tests.conftest import invoke_json

# A streaming custom runtime on the standard library: the event lists the parts to send
# ("sleep" pauses), and may ask for a mid-stream error through the trailers.
STREAMING_BOOTSTRAP = r"""#!/usr/bin/env python3
import base64, http.client, json, os, time

HOST = os.environ["AWS_LAMBDA_RUNTIME_API"]
control = http.client.HTTPConnection(HOST)
while True:
    control.request("GET", "/2018-06-01/runtime/invocation/next")
    response = control.getresponse()
    event = json.loads(response.read())
    request_id = response.getheader("Lambda-Runtime-Aws-Request-Id")
    print("streaming", event["parts"], flush=True)
    upload = http.client.HTTPConnection(HOST)
    upload.putrequest("POST", "/2018-06-01/runtime/invocation/%s/response" % request_id)
    upload.putheader("Lambda-Runtime-Function-Response-Mode", "streaming")
    upload.putheader("Transfer-Encoding", "chunked")
    upload.putheader("Content-Type", "text/plain")
    upload.putheader(
        "Trailer", "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body"
    )
    upload.endheaders()
    for part in event["parts"]:
        if part == "sleep":
            time.sleep(event.get("pause", 1.0))
            continue
        if part == "die":
            os._exit(9)
        if part == "hangup":
            break
        data = part.encode() * event.get("repeat", 1)
        upload.send(b"%x\r\n%s\r\n" % (len(data), data))
    if "hangup" in event["parts"]:
        upload.close()
        time.sleep(0.1)  # /next before the hang-up is seen would be an invalid transition
        continue
    trailers = b""
    if event.get("fail"):
        error = {"errorMessage": "the feed broke", "errorType": "Feed.Broken"}
        encoded = base64.b64encode(json.dumps(error).encode())
        trailers = (
            b"Lambda-Runtime-Function-Error-Type: Feed.Broken\r\n"
            b"Lambda-Runtime-Function-Error-Body: " + encoded + b"\r\n"
        )
    upload.send(b"0\r\n" + trailers + b"\r\n")
    upload.getresponse().read()
    upload.close()
"""


def stream(client, name, payload=None, **kwargs):
    """Invoke with a response stream; returns the response, its events, and for each event
    the time it arrived (seconds after the call began)."""
    started = time.monotonic()
    response = client.invoke_with_response_stream(
        FunctionName=name, Payload=json.dumps(payload or {}), **kwargs
    )
    events, times = [], []
    for event in response["EventStream"]:
        events.append(event)
        times.append(time.monotonic() - started)
    return response, events, times


def test_a_python_function_streams_its_result_as_one_chunk(lambda_client, deploy):
    """A buffered result (the built-in runtime) arrives whole in one PayloadChunk, then an
    empty InvokeComplete, as Lambda sends it."""
    name = deploy("def handler(event, context):\n    return {'got': event}\n")

    response, events, _ = stream(lambda_client, name, {"a": 1})

    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert response["ResponseStreamContentType"] == "application/json"
    assert events == [
        {"PayloadChunk": {"Payload": b'{"got": {"a": 1}}'}},
        {"InvokeComplete": {}},
    ]


def test_a_function_error_ends_the_stream_with_its_error(lambda_client, deploy):
    """A handler's exception is no chunk: InvokeComplete names its type and message, and
    LogType=Tail puts the log's tail there too."""
    name = deploy("def handler(event, context):\n    raise ValueError('bad input')\n")

    _, events, _ = stream(lambda_client, name, LogType="Tail")

    (complete,) = events
    assert complete["InvokeComplete"]["ErrorCode"] == "ValueError"
    assert complete["InvokeComplete"]["ErrorDetails"] == "bad input"
    log = base64.b64decode(complete["InvokeComplete"]["LogResult"]).decode()
    assert "START RequestId: " in log
    assert "REPORT RequestId: " in log


def test_chunks_reach_the_client_while_the_function_runs(lambda_client, deploy_custom):
    """A streaming runtime's chunks are passed on as they are sent: the first arrives long
    before the function finishes, and the runtime's content type is the stream's."""
    name = deploy_custom({"bootstrap": STREAMING_BOOTSTRAP})
    stream(lambda_client, name, {"parts": ["warm"]})

    response, events, times = stream(
        lambda_client, name, {"parts": ["first ", "sleep", "second"], "pause": 1.5}
    )

    assert response["ResponseStreamContentType"] == "text/plain"
    assert events == [
        {"PayloadChunk": {"Payload": b"first "}},
        {"PayloadChunk": {"Payload": b"second"}},
        {"InvokeComplete": {}},
    ]
    first_chunk, second_chunk = times[0], times[1]
    assert first_chunk < 1.0
    assert second_chunk - first_chunk >= 1.2


def test_a_mid_stream_error_arrives_in_invoke_complete(lambda_client, deploy_custom):
    """Error trailers after some chunks: the chunks are delivered, then InvokeComplete
    carries the runtime's error type and message."""
    name = deploy_custom({"bootstrap": STREAMING_BOOTSTRAP})

    _, events, _ = stream(lambda_client, name, {"parts": ["partial"], "fail": True})

    assert events == [
        {"PayloadChunk": {"Payload": b"partial"}},
        {"InvokeComplete": {"ErrorCode": "Feed.Broken", "ErrorDetails": "the feed broke"}},
    ]


def test_a_timeout_mid_stream_ends_it_with_sandbox_timedout(lambda_client, deploy_custom):
    """A function still streaming at its timeout is killed; the stream ends with the
    timeout in InvokeComplete after what was already sent."""
    name = deploy_custom({"bootstrap": STREAMING_BOOTSTRAP}, Timeout=1)

    _, events, _ = stream(lambda_client, name, {"parts": ["early", "sleep", "late"], "pause": 5})

    assert events[0] == {"PayloadChunk": {"Payload": b"early"}}
    complete = events[-1]["InvokeComplete"]
    assert complete["ErrorCode"] == "Sandbox.Timedout"
    assert complete["ErrorDetails"].endswith("Task timed out after 1.00 seconds")
    assert len(events) == 2


def test_a_runtime_dying_mid_stream_ends_it_with_runtime_exit_error(lambda_client, deploy_custom):
    """A runtime that exits while streaming: what it sent arrives, then Runtime.ExitError
    (not a complaint about the broken upload)."""
    name = deploy_custom({"bootstrap": STREAMING_BOOTSTRAP})

    _, events, _ = stream(lambda_client, name, {"parts": ["partial", "die"]})
    after, _, _ = stream(lambda_client, name, {"parts": ["again"]})

    assert events[0] == {"PayloadChunk": {"Payload": b"partial"}}
    complete = events[-1]["InvokeComplete"]
    assert complete["ErrorCode"] == "Runtime.ExitError"
    assert complete["ErrorDetails"].endswith("Runtime exited with error: exit status 9")
    assert after["StatusCode"] == 200


def test_a_runtime_hanging_up_mid_stream_ends_it_and_carries_on(lambda_client, deploy_custom):
    """A runtime that closes its upload before the end (and lives on): the stream ends with
    Runtime.TruncatedResponse, and the same runtime serves the next invocation."""
    name = deploy_custom({"bootstrap": STREAMING_BOOTSTRAP})

    _, events, _ = stream(lambda_client, name, {"parts": ["partial", "hangup"]})
    _, after, _ = stream(lambda_client, name, {"parts": ["again"]})

    assert events[0] == {"PayloadChunk": {"Payload": b"partial"}}
    assert events[-1]["InvokeComplete"]["ErrorCode"] == "Runtime.TruncatedResponse"
    assert after == [{"PayloadChunk": {"Payload": b"again"}}, {"InvokeComplete": {}}]


def test_a_large_stream_arrives_whole_and_in_order(lambda_client, deploy_custom):
    """Megabytes streamed in many chunks pass through backpressure intact."""
    name = deploy_custom({"bootstrap": STREAMING_BOOTSTRAP}, Timeout=30)
    parts = [f"{i:04d}" for i in range(200)]

    _, events, _ = stream(lambda_client, name, {"parts": parts, "repeat": 8192})

    received = b"".join(e["PayloadChunk"]["Payload"] for e in events if "PayloadChunk" in e)
    assert received == b"".join(p.encode() * 8192 for p in parts)
    assert events[-1] == {"InvokeComplete": {}}


def test_plain_invoke_of_a_streaming_function_returns_the_whole_response(
    lambda_client, deploy_custom
):
    """Invoke (not streaming) collects a streamed response into one payload."""
    name = deploy_custom({"bootstrap": STREAMING_BOOTSTRAP})

    response = lambda_client.invoke(
        FunctionName=name, Payload=json.dumps({"parts": ["a", "b", "c"]})
    )
    failed, error = invoke_json(lambda_client, name, {"parts": ["a"], "fail": True})

    assert response["Payload"].read() == b"abc"
    assert failed["FunctionError"] == "Unhandled"
    assert error == {"errorMessage": "the feed broke", "errorType": "Feed.Broken"}


BUFFERED_BASH = r"""#!/bin/bash
API="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
while true; do
  ID="$(curl -sS -D - -o /dev/null "$API/invocation/next" \
    | grep -Fi Lambda-Runtime-Aws-Request-Id | tr -d '[:space:]' | cut -d: -f2)"
  curl -sS "$API/invocation/$ID/response" -d '{"whole": true}' > /dev/null
done
"""


def test_a_buffered_custom_runtime_streams_its_result_as_one_chunk(lambda_client, deploy_custom):
    """A custom runtime that posts a plain response streams it as one chunk."""
    name = deploy_custom({"bootstrap": BUFFERED_BASH})

    _, events, _ = stream(lambda_client, name)

    assert events == [
        {"PayloadChunk": {"Payload": b'{"whole": true}'}},
        {"InvokeComplete": {}},
    ]


def test_errors_before_the_stream_are_rest_json_errors(lambda_client, deploy):
    """An unknown function or an invalid invocation type fails the call itself."""
    name = deploy("def handler(event, context):\n    return 1\n")

    with pytest.raises(lambda_client.exceptions.ResourceNotFoundException):
        lambda_client.invoke_with_response_stream(FunctionName="no-such-function")
    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException) as invalid:
        lambda_client.invoke_with_response_stream(FunctionName=name, InvocationType="Event")

    assert "[RequestResponse, DryRun]" in str(invalid.value)
