"""CloudWatch Logs' groups, streams and events as a boto3 user sees them: resources created
and deleted, PutLogEvents from any client, retention applied, tags, and the filter patterns
of FilterLogEvents."""

import contextlib
import itertools
import json
import time

import pytest
from tests.conftest import wait_for

_names = itertools.count()
DAY_MS = 86_400_000


@pytest.fixture
def logs(server):
    return server.client("logs")


@pytest.fixture
def group(logs):
    name = f"/test/group-{time.time_ns()}-{next(_names)}"
    logs.create_log_group(logGroupName=name)
    yield name
    with contextlib.suppress(logs.exceptions.ResourceNotFoundException):
        logs.delete_log_group(logGroupName=name)


def now_ms() -> int:
    return int(time.time() * 1000)


def put(logs, group, stream, *messages, at=None):
    with contextlib.suppress(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    start = at if at is not None else now_ms()
    events = [{"timestamp": start + i, "message": m} for i, m in enumerate(messages)]
    return logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=events)


def test_log_groups_are_created_described_and_deleted(logs, group):
    described = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]

    assert [g["logGroupName"] for g in described] == [group]
    assert described[0]["arn"].endswith(f":log-group:{group}:*")
    assert described[0]["logGroupArn"] == described[0]["arn"][:-2]
    assert described[0]["storedBytes"] == 0
    assert "retentionInDays" not in described[0]
    with pytest.raises(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_group(logGroupName=group)

    logs.delete_log_group(logGroupName=group)

    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.delete_log_group(logGroupName=group)


def test_describe_log_groups_pages_and_matches_patterns(logs):
    base = f"/pages/{time.time_ns()}"
    for n in range(3):
        logs.create_log_group(logGroupName=f"{base}/g{n}")

    first = logs.describe_log_groups(logGroupNamePrefix=base, limit=2)
    rest = logs.describe_log_groups(logGroupNamePrefix=base, nextToken=first["nextToken"])
    by_pattern = logs.describe_log_groups(logGroupNamePattern=f"{base[8:]}/G1")["logGroups"]

    assert [g["logGroupName"] for g in first["logGroups"]] == [f"{base}/g0", f"{base}/g1"]
    assert [g["logGroupName"] for g in rest["logGroups"]] == [f"{base}/g2"]
    assert "nextToken" not in rest
    assert [g["logGroupName"] for g in by_pattern] == [f"{base}/g1"]
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.describe_log_groups(logGroupNamePrefix=base, logGroupNamePattern="g")


def test_put_log_events_then_get_and_describe_streams(logs, group):
    put(logs, group, "s1", "one", "two", "three")
    put(logs, group, "s2", "other")

    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    newest = logs.get_log_events(logGroupName=group, logStreamName="s1", limit=2)
    oldest = logs.get_log_events(
        logGroupName=group, logStreamName="s1", limit=2, startFromHead=True
    )
    onward = logs.get_log_events(
        logGroupName=group, logStreamName="s1", nextToken=oldest["nextForwardToken"]
    )

    assert [s["logStreamName"] for s in streams] == ["s1", "s2"]
    assert streams[0]["lastEventTimestamp"] >= streams[0]["firstEventTimestamp"]
    assert [e["message"] for e in newest["events"]] == ["two", "three"]
    assert [e["message"] for e in oldest["events"]] == ["one", "two"]
    assert [e["message"] for e in onward["events"]] == ["three"]
    described = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    assert described["storedBytes"] == len("onetwothreeother")


def test_put_log_events_needs_the_group_and_stream_and_order(logs, group):
    event = [{"timestamp": now_ms(), "message": "m"}]
    with pytest.raises(logs.exceptions.ResourceNotFoundException, match="log stream"):
        logs.put_log_events(logGroupName=group, logStreamName="nope", logEvents=event)
    with pytest.raises(logs.exceptions.ResourceNotFoundException, match="log group"):
        logs.put_log_events(logGroupName=group + "x", logStreamName="s", logEvents=event)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    with pytest.raises(logs.exceptions.ResourceAlreadyExistsException):
        logs.create_log_stream(logGroupName=group, logStreamName="s")
    with pytest.raises(logs.exceptions.InvalidParameterException, match="chronological"):
        logs.put_log_events(
            logGroupName=group,
            logStreamName="s",
            logEvents=[{"timestamp": now_ms(), "message": "b"}, {"timestamp": 1, "message": "a"}],
        )


def test_the_sequence_token_is_ignored_and_stale_events_are_rejected(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    now = now_ms()

    fresh = logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        sequenceToken="whatever",
        logEvents=[
            {"timestamp": now, "message": "kept"},
            {"timestamp": now + 3 * 3_600_000, "message": "too new"},
        ],
    )
    stale = logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": now - 15 * DAY_MS, "message": "too old"}],
    )

    assert fresh["rejectedLogEventsInfo"] == {"tooNewLogEventStartIndex": 1}
    assert stale["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 0}
    events = logs.get_log_events(logGroupName=group, logStreamName="s")["events"]
    assert [e["message"] for e in events] == ["kept"]
    with pytest.raises(logs.exceptions.InvalidParameterException, match="24 hours"):
        logs.put_log_events(
            logGroupName=group,
            logStreamName="s",
            logEvents=[
                {"timestamp": now - 2 * DAY_MS, "message": "a"},
                {"timestamp": now, "message": "b"},
            ],
        )


def test_retention_deletes_older_events(logs, group):
    put(logs, group, "old", "two days ago", at=now_ms() - 2 * DAY_MS)
    put(logs, group, "new", "just now")

    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.put_retention_policy(logGroupName=group, retentionInDays=2)
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)

    described = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    events = logs.filter_log_events(logGroupName=group)["events"]
    assert described["retentionInDays"] == 1
    assert [e["message"] for e in events] == ["just now"]
    logs.delete_retention_policy(logGroupName=group)
    described = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    assert "retentionInDays" not in described


def test_deleting_a_stream_deletes_its_events(logs, group):
    put(logs, group, "gone", "a")
    put(logs, group, "kept", "b")

    logs.delete_log_stream(logGroupName=group, logStreamName="gone")

    assert [e["message"] for e in logs.filter_log_events(logGroupName=group)["events"]] == ["b"]
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.delete_log_stream(logGroupName=group, logStreamName="gone")


def test_tags_through_both_apis(logs):
    name = f"/tags/{time.time_ns()}"
    logs.create_log_group(logGroupName=name, tags={"team": "a"})
    arn = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["logGroupArn"]

    logs.tag_resource(resourceArn=arn, tags={"env": "dev"})
    logs.tag_log_group(logGroupName=name, tags={"cost": "1"})
    logs.untag_resource(resourceArn=arn, tagKeys=["team"])
    legacy = logs.list_tags_log_group(logGroupName=name)["tags"]
    logs.untag_log_group(logGroupName=name, tags=["cost"])

    assert legacy == {"env": "dev", "cost": "1"}
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"env": "dev"}
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.list_tags_for_resource(resourceArn=arn + "-missing")


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("nomatchxyz", []),
        ("", ["ERROR disk full", '{"level": "ERROR", "ms": 900}', "INFO started", "WARN slow"]),
        ("ERROR", ["ERROR disk full", '{"level": "ERROR", "ms": 900}']),
        ("?WARN ?started", ["INFO started", "WARN slow"]),
        ("ERROR -disk", ['{"level": "ERROR", "ms": 900}']),
        ('"disk full"', ["ERROR disk full"]),
        ('{ $.level = "ERROR" && $.ms > 500 }', ['{"level": "ERROR", "ms": 900}']),
        ("[level = WARN, what]", ["WARN slow"]),
    ],
)
def test_filter_log_events_applies_the_pattern(logs, group, pattern, expected):
    put(logs, group, "s", "ERROR disk full", '{"level": "ERROR", "ms": 900}', "INFO started")
    put(logs, group, "t", "WARN slow")

    events = logs.filter_log_events(logGroupName=group, filterPattern=pattern)["events"]

    assert [e["message"] for e in events] == expected


def test_filter_log_events_pages_over_matches_only(logs, group):
    put(logs, group, "s", *[f"{'hit' if n % 3 == 0 else 'miss'} {n}" for n in range(30)])

    pages, token = [], None
    while True:
        kwargs = {"nextToken": token} if token else {}
        page = logs.filter_log_events(logGroupName=group, filterPattern="hit", limit=4, **kwargs)
        pages.append([e["message"] for e in page["events"]])
        token = page.get("nextToken")
        if not token:
            break

    assert [m for page in pages for m in page] == [f"hit {n}" for n in range(0, 30, 3)]
    assert [len(p) for p in pages[:2]] == [4, 4]


def test_a_bad_filter_pattern_is_refused(logs, group):
    with pytest.raises(logs.exceptions.InvalidParameterException, match="Invalid filter pattern"):
        logs.filter_log_events(logGroupName=group, filterPattern="{ $.level = }")


def test_metric_filters_are_stored_and_tested(logs, group):
    logs.put_metric_filter(
        logGroupName=group,
        filterName="errors",
        filterPattern="[ip, user, status = 5*, bytes]",
        metricTransformations=[
            {"metricName": "Errors", "metricNamespace": "App", "metricValue": "1"}
        ],
    )

    found = logs.describe_metric_filters(logGroupName=group)["metricFilters"]
    by_metric = logs.describe_metric_filters(metricName="Errors", metricNamespace="App")
    tested = logs.test_metric_filter(
        filterPattern="[ip, user, status = 5*, bytes]",
        logEventMessages=["1.2.3.4 bob 503 12", "1.2.3.4 bob 200 12"],
    )["matches"]
    described = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]

    assert [f["filterName"] for f in found] == ["errors"]
    assert found[0]["metricTransformations"][0]["metricName"] == "Errors"
    assert group in [f["logGroupName"] for f in by_metric["metricFilters"]]
    assert described["metricFilterCount"] == 1
    assert tested == [
        {
            "eventNumber": 1,
            "eventMessage": "1.2.3.4 bob 503 12",
            "extractedValues": {"$1": "1.2.3.4", "$2": "bob", "$3": "503", "$4": "12"},
        }
    ]
    logs.delete_metric_filter(logGroupName=group, filterName="errors")
    assert logs.describe_metric_filters(logGroupName=group)["metricFilters"] == []
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.delete_metric_filter(logGroupName=group, filterName="errors")
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.test_metric_filter(filterPattern="[a, ...,", logEventMessages=["x"])


def test_a_functions_log_group_is_listed_and_a_custom_one_is_used(
    server, logs, lambda_client, deploy
):
    custom = f"/custom/{time.time_ns()}"
    plain = deploy("def handler(e, c):\n    print('plain')\n")
    routed = deploy("def handler(e, c):\n    print('routed')\n", LoggingConfig={"LogGroup": custom})

    lambda_client.invoke(FunctionName=plain, Payload=b"{}")
    lambda_client.invoke(FunctionName=routed, Payload=b"{}")

    config = lambda_client.get_function_configuration(FunctionName=routed)["LoggingConfig"]
    pages = logs.get_paginator("describe_log_groups").paginate()  # other tests' groups too
    names = [g["logGroupName"] for page in pages for g in page["logGroups"]]
    assert config == {"LogFormat": "Text", "LogGroup": custom}
    assert f"/aws/lambda/{plain}" in names
    assert custom in names
    assert f"/aws/lambda/{routed}" not in names
    messages = [e["message"] for e in logs.filter_log_events(logGroupName=custom)["events"]]
    assert "routed" in messages


def test_a_functions_deleted_log_group_and_stream_come_back_at_its_next_invoke(
    logs, lambda_client, deploy
):
    name = deploy("def handler(e, c):\n    print(e['say'])\n")
    group = f"/aws/lambda/{name}"

    def said() -> list[str]:
        with contextlib.suppress(logs.exceptions.ResourceNotFoundException):
            events = logs.filter_log_events(logGroupName=group, filterPattern='"said"')
            return [e["message"].strip() for e in events["events"]]
        return []

    lambda_client.invoke(FunctionName=name, Payload=b'{"say": "said one"}')
    assert wait_for(lambda: said() == ["said one"])
    logs.delete_log_group(logGroupName=group)
    lambda_client.invoke(FunctionName=name, Payload=b'{"say": "said two"}')
    assert wait_for(lambda: said() == ["said two"])
    (stream,) = [
        s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"]
    ]
    logs.delete_log_stream(logGroupName=group, logStreamName=stream)
    lambda_client.invoke(FunctionName=name, Payload=b'{"say": "said three"}')

    assert wait_for(lambda: said() == ["said three"])
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert [s["logStreamName"] for s in streams] == [stream]


def test_logging_config_levels_need_the_json_format(lambda_client, deploy):
    name = deploy("def handler(e, c):\n    return 1\n")

    with pytest.raises(lambda_client.exceptions.InvalidParameterValueException):
        lambda_client.update_function_configuration(
            FunctionName=name, LoggingConfig={"ApplicationLogLevel": "DEBUG"}
        )
    wait_for(lambda: lambda_client.get_function(FunctionName=name))
    updated = lambda_client.update_function_configuration(
        FunctionName=name, LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG"}
    )

    assert updated["LoggingConfig"]["ApplicationLogLevel"] == "DEBUG"
    assert updated["LoggingConfig"]["SystemLogLevel"] == "INFO"
    assert json.dumps(updated["LoggingConfig"])


RECEIVER = """
import base64, gzip, json

def handler(event, context):
    data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    print("received", json.dumps(data, sort_keys=True))
"""


def test_subscription_filters_deliver_the_awslogs_event(server, logs, lambda_client, group, deploy):
    receiver = deploy(RECEIVER)
    arn = lambda_client.get_function(FunctionName=receiver)["Configuration"]["FunctionArn"]
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.put_subscription_filter(
            logGroupName=group, filterName="f", filterPattern="", destinationArn=arn + "-nope"
        )
    logs.put_subscription_filter(
        logGroupName=group, filterName="errors", filterPattern="ERROR", destinationArn=arn
    )

    put(logs, group, "app", "ERROR one", "INFO two", "ERROR three")

    def received():
        with contextlib.suppress(logs.exceptions.ResourceNotFoundException):
            found = logs.filter_log_events(
                logGroupName=f"/aws/lambda/{receiver}", filterPattern='"received"'
            )["events"]
            return found[0]["message"] if found else None
        return None

    assert wait_for(received)
    data = json.loads(received().removeprefix("received "))
    assert data["messageType"] == "DATA_MESSAGE"
    assert data["logGroup"] == group
    assert data["logStream"] == "app"
    assert data["subscriptionFilters"] == ["errors"]
    assert [e["message"] for e in data["logEvents"]] == ["ERROR one", "ERROR three"]
    stored = logs.filter_log_events(logGroupName=group, filterPattern="ERROR")["events"]
    assert [e["id"] for e in data["logEvents"]] == [e["eventId"] for e in stored]
    described = logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"]
    assert [(f["filterName"], f["destinationArn"]) for f in described] == [("errors", arn)]
    logs.delete_subscription_filter(logGroupName=group, filterName="errors")
    assert logs.describe_subscription_filters(logGroupName=group)["subscriptionFilters"] == []


def test_logs_insights_queries_over_stored_events(logs, group):
    put(logs, group, "s", '{"level": "ERROR", "ms": 120}', '{"level": "INFO", "ms": 30}', "plain")
    now_s = now_ms() // 1000

    query_id = logs.start_query(
        logGroupName=group,
        startTime=now_s - 60,
        endTime=now_s + 60,
        queryString="stats count(*) as n, avg(ms) as mean by level | filter level = 'ERROR'",
    )["queryId"]
    answer = logs.get_query_results(queryId=query_id)

    assert answer["status"] == "Complete"
    assert answer["results"] == [
        [
            {"field": "level", "value": "ERROR"},
            {"field": "n", "value": "1"},
            {"field": "mean", "value": "120"},
        ]
    ]
    assert answer["statistics"]["recordsScanned"] == 3
    assert query_id in [q["queryId"] for q in logs.describe_queries(logGroupName=group)["queries"]]
    assert logs.stop_query(queryId=query_id)["success"] is False
    with pytest.raises(logs.exceptions.MalformedQueryException):
        logs.start_query(
            logGroupName=group, startTime=now_s - 60, endTime=now_s, queryString="dedupe x"
        )
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.start_query(
            logGroupName=group + "-missing", startTime=0, endTime=now_s, queryString="limit 1"
        )


def test_live_tail_streams_matching_events(server, logs, group):
    tail = server.client("logs", inject_host_prefix=False)
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupArn"]
    put(logs, group, "s", "before the tail")

    answer = tail.start_live_tail(logGroupIdentifiers=[arn], logEventFilterPattern="ERROR")
    stream = answer["responseStream"]
    events = iter(stream)
    start = next(events)
    put(logs, group, "s", "INFO skipped", "ERROR shown")
    update = next(events)
    stream.close()

    assert start["sessionStart"]["logGroupIdentifiers"] == [arn]
    results = update["sessionUpdate"]["sessionResults"]
    assert [r["message"] for r in results] == ["ERROR shown"]
    assert results[0]["logGroupIdentifier"] == arn
    with pytest.raises(tail.exceptions.ResourceNotFoundException):
        tail.start_live_tail(logGroupIdentifiers=[arn + "-missing"])


def test_deletion_protection_refuses_delete(logs, group):
    logs.put_log_group_deletion_protection(logGroupIdentifier=group, deletionProtectionEnabled=True)

    with pytest.raises(logs.exceptions.OperationAbortedException):
        logs.delete_log_group(logGroupName=group)
    described = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]
    assert described["deletionProtectionEnabled"] is True
    logs.put_log_group_deletion_protection(
        logGroupIdentifier=group, deletionProtectionEnabled=False
    )
    logs.delete_log_group(logGroupName=group)


def test_log_group_fields_are_discovered(logs, group):
    put(logs, group, "s", '{"level": "INFO", "user": {"id": 1}}', "plain text")

    fields = logs.get_log_group_fields(logGroupName=group)["logGroupFields"]

    shares = {f["name"]: f["percent"] for f in fields}
    assert shares["@message"] == 100
    assert shares["level"] == 50
    assert shares["user.id"] == 50


def test_query_definitions_are_saved_updated_and_deleted(logs):
    name = f"saved/{time.time_ns()}"
    definition = logs.put_query_definition(
        name=name, queryString="fields @message | limit 5", logGroupNames=["/a"]
    )["queryDefinitionId"]

    logs.put_query_definition(queryDefinitionId=definition, name=name, queryString="stats count(*)")
    found = logs.describe_query_definitions(queryDefinitionNamePrefix=name)["queryDefinitions"]

    assert [(d["queryDefinitionId"], d["queryString"]) for d in found] == [
        (definition, "stats count(*)")
    ]
    assert logs.delete_query_definition(queryDefinitionId=definition)["success"] is True
    assert logs.describe_query_definitions(queryDefinitionNamePrefix=name)["queryDefinitions"] == []
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.delete_query_definition(queryDefinitionId=definition)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.put_query_definition(queryDefinitionId=definition, name=name, queryString="x")
