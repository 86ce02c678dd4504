"""Concurrent invokes get their own environments; the account limit throttles with 429."""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError
from tests.conftest import create_function

from stratus.runtime.concurrency import PEAK_WINDOW_S, ConcurrencyLimits
from stratus.testing import serve_in_thread

SLEEPER = """
import os, time
def handler(event, context):
    if event.get("mark"):
        open(event["mark"], "w").close()  # tells the test this invocation is running
    time.sleep(event.get("sleep", 0.5))
    return os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]  # one per environment
"""


def test_concurrent_invokes_run_in_parallel_environments(lambda_client, deploy):
    """Five simultaneous invokes run side by side, each in its own process."""
    name = deploy(SLEEPER)
    started = time.monotonic()

    with ThreadPoolExecutor(5) as pool:
        pids = list(
            pool.map(
                lambda _: json.loads(
                    lambda_client.invoke(FunctionName=name, Payload=b'{"sleep": 1.0}')[
                        "Payload"
                    ].read()
                ),
                range(5),
            )
        )

    assert len(set(pids)) == 5
    assert time.monotonic() - started < 4.5  # serially it would take 5 s plus init


def test_invokes_over_the_account_limit_are_throttled(shared_dir):
    """With account concurrency 1, a second simultaneous invoke gets TooManyRequestsException."""
    with serve_in_thread(shared_dir / "data", account_concurrency=1) as server:
        client = server.client("lambda")
        create_function(client, "slow", SLEEPER)
        mark = shared_dir / "running"
        payload = json.dumps({"sleep": 2, "mark": str(mark)}).encode()
        busy = threading.Thread(
            target=client.invoke, kwargs={"FunctionName": "slow", "Payload": payload}
        )
        busy.start()
        deadline = time.monotonic() + 20
        while not mark.exists() and time.monotonic() < deadline:
            time.sleep(0.02)

        with pytest.raises(ClientError) as excinfo:
            server.client("lambda").invoke(FunctionName="slow", Payload=b'{"sleep": 0}')
        busy.join()

    error = excinfo.value.response
    assert error["Error"]["Code"] == "TooManyRequestsException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert error["Reason"] == "ConcurrentInvocationLimitExceeded"


def test_idle_environments_are_reaped(tmp_path):
    """An environment idle longer than the idle limit is stopped; the next invoke is cold."""
    with serve_in_thread(tmp_path / "data", idle_seconds=0.5) as server:
        client = server.client("lambda")
        create_function(client, "idle", SLEEPER)
        first = json.loads(
            client.invoke(FunctionName="idle", Payload=b'{"sleep": 0}')["Payload"].read()
        )
        time.sleep(2.5)
        second = json.loads(
            client.invoke(FunctionName="idle", Payload=b'{"sleep": 0}')["Payload"].read()
        )

    assert first != second


def test_a_functions_recent_peak_is_the_most_it_ran_at_once_within_the_window():
    """What a new snapshot holder forks ahead for (zygote.py): the peak, for a minute."""
    now = [1000.0]
    limits = ConcurrencyLimits(10, clock=lambda: now[0])
    for _ in range(3):
        limits.enter("f")
    limits.leave("f")
    limits.leave("f")
    limits.enter("f")  # 2 running, after 3

    assert limits.recent_peak("f") == 3
    assert limits.recent_peak("g") == 0
    now[0] += PEAK_WINDOW_S + 1
    assert limits.recent_peak("f") == 0
    limits.enter("f")
    assert limits.recent_peak("f") == 3  # running now


def test_peaks_past_their_window_are_forgotten():
    """A server that has invoked many functions keeps peaks only for the recent ones."""
    now = [1000.0]
    limits = ConcurrencyLimits(10, clock=lambda: now[0])
    for name in ("a", "b", "c"):
        limits.enter(name)
        limits.leave(name)
    now[0] += PEAK_WINDOW_S + 1
    limits.enter("d")
    limits.leave("d")

    assert set(limits._peaks) == {"d"}
    assert limits.recent_peak("d") == 1
