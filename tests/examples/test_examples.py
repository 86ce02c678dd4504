"""The SAM apps in examples/, each built, packaged and deployed as a stack on a real Stratus
server unchanged, then called the way their READMEs call them: over HTTP at their outputs."""

from __future__ import annotations

import itertools
import json
import shutil
import signal
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from tests.conftest import invoke_json, wait_for

from stratus.cli.package import build_and_package
from stratus.testing import serve_in_process

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
_names = itertools.count()


@pytest.fixture(scope="module")
def cfn(server: Any) -> Any:
    return server.client("cloudformation")


def package(server: Any, example: str, tmp_path: Path) -> dict[str, Any]:
    """Build and package a copy of the example (builds write .stratus/ beside the template)."""
    project = shutil.copytree(EXAMPLES / example, tmp_path / example)
    return build_and_package(
        project, server.endpoint_url, quiet=True, cache_dir=tmp_path / "cache", environ={}
    )


def deploy(server: Any, cfn: Any, example: str, tmp_path: Path, **kwargs: Any) -> dict[str, str]:
    """Create the example's stack, wait for CREATE_COMPLETE; returns its outputs."""
    name = f"example-{example}-{next(_names)}"
    cfn.create_stack(
        StackName=name,
        TemplateBody=json.dumps(package(server, example, tmp_path)),
        Capabilities=CAPABILITIES,
        **kwargs,
    )
    waiter = cfn.get_waiter("stack_create_complete")
    waiter.wait(StackName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 300})
    stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def test_http_api_example_greets_on_both_routes(server, cfn, tmp_path):
    """examples/http-api: GET /hello and GET /hello/{name} answer through the HTTP API at the
    ApiUrl output (a local URL), with the Globals' GREETING; other paths are 404."""
    url = deploy(server, cfn, "http-api", tmp_path)["ApiUrl"]

    with httpx.Client(base_url=url, timeout=30) as http:
        hello, ada, grace = http.get("hello"), http.get("hello/Ada"), http.get("hello?name=Grace")
        missing = http.get("goodbye")

    assert url.startswith(server.endpoint_url)
    assert url.endswith("/")
    assert hello.status_code == 200
    assert hello.json() == {"message": "Hello, world!", "route": "GET /hello"}
    assert ada.json() == {"message": "Hello, Ada!", "route": "GET /hello/{name}"}
    assert grace.json() == {"message": "Hello, Grace!", "route": "GET /hello"}
    assert hello.headers["content-type"] == "application/json"
    assert missing.status_code == 404


def test_rest_crud_example_packages_into_a_valid_template(server, cfn, tmp_path):
    """examples/rest-crud builds and packages (both CodeUri folders uploaded) into a template
    the CloudFormation API validates."""
    packaged = package(server, "rest-crud", tmp_path)

    validated = cfn.validate_template(TemplateBody=json.dumps(packaged))

    resources = packaged["Resources"]
    for logical_id in ("AuthFunction", "ItemsFunction"):
        assert resources[logical_id]["Properties"]["CodeUri"].startswith("s3://stratus-artifacts/")
    assert validated["DeclaredTransforms"] == ["AWS::Serverless-2016-10-31"]


def test_rest_crud_example_functions_answer_the_events_api_gateway_sends(server, cfn, tmp_path):
    """examples/rest-crud's functions invoked directly with the events API Gateway sends:
    the authorizer answers an IAM policy on the whole stage, Allow for the token `allow` and
    Deny for others; the items function creates, reads, lists and deletes."""
    outputs = deploy(server, cfn, "rest-crud", tmp_path)
    lambda_ = server.client("lambda")
    method_arn = "arn:aws:execute-api:us-east-1:000000000000:abcdef1234/Prod/GET/items/7"

    def authorize(token: str) -> Any:
        event = {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}
        return invoke_json(lambda_, outputs["AuthFunctionName"], event)[1]

    def items(method: str, item_id: str | None = None, body: Any = None) -> Any:
        event = {
            "httpMethod": method,
            "resource": "/items/{id}" if item_id else "/items",
            "pathParameters": {"id": item_id} if item_id else None,
            "requestContext": {"authorizer": {"principalId": "demo-user", "user": "demo-user"}},
            "body": None if body is None else json.dumps(body),
        }
        answer = invoke_json(lambda_, outputs["ItemsFunctionName"], event)[1]
        return answer["statusCode"], json.loads(answer["body"] or "null")

    allowed, denied = authorize("allow"), authorize("nope")
    created = items("POST", body={"name": "pen"})
    item_id = created[1]["id"]
    read, listed = items("GET", item_id), items("GET")
    deleted, gone = items("DELETE", item_id), items("GET", item_id)

    stage = "arn:aws:execute-api:us-east-1:000000000000:abcdef1234/Prod/*"
    statement = {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": stage}
    assert allowed["policyDocument"]["Statement"] == [statement]
    assert allowed["context"] == {"user": "demo-user", "token": "allow"}
    assert denied["policyDocument"]["Statement"] == [statement | {"Effect": "Deny"}]
    pen = {"name": "pen", "id": item_id, "owner": "demo-user"}
    assert created == (201, pen)
    assert read == (200, pen)
    assert listed == (200, {"items": [pen]})
    assert deleted == (204, None)
    assert gone == (404, {"message": f"no item {item_id}"})


def test_rest_crud_example_serves_items_behind_the_token_authorizer(server, cfn, tmp_path):
    """examples/rest-crud: with `Authorization: allow` items are created, listed, read,
    replaced and deleted through /items and /items/{id}, carrying the authorizer's context;
    another token gets 403 from the authorizer's Deny policy, no token 401."""
    url = deploy(server, cfn, "rest-crud", tmp_path)["ApiUrl"]

    with httpx.Client(base_url=url, timeout=30, headers={"Authorization": "allow"}) as http:
        created = http.post("items", json={"name": "pen", "colour": "blue"})
        item_id = created.json()["id"]
        listed = http.get("items")
        read = http.get(f"items/{item_id}")
        replaced = http.put(f"items/{item_id}", json={"name": "pencil"})
        read_again = http.get(f"items/{item_id}")
        deleted = http.delete(f"items/{item_id}")
        gone = http.get(f"items/{item_id}")
        bad_body = http.post("items", content=b"not json")
        denied = http.get("items", headers={"Authorization": "nope"})
        anonymous = httpx.get(f"{url}items", timeout=30)

    pen = {"name": "pen", "colour": "blue", "id": item_id, "owner": "demo-user"}
    assert url.startswith(server.endpoint_url)
    assert url.endswith("/Prod/")
    assert created.status_code == 201
    assert created.json() == pen
    assert listed.json() == {"items": [pen]}
    assert read.json() == pen
    assert replaced.status_code == 200
    assert read_again.json() == {"name": "pencil", "id": item_id, "owner": "demo-user"}
    assert deleted.status_code == 204
    assert gone.status_code == 404
    assert gone.json() == {"message": f"no item {item_id}"}
    assert bad_body.status_code == 400
    assert denied.status_code == 403
    assert anonymous.status_code == 401


def test_layer_alias_example_answers_from_the_layer_through_alias_and_url(server, cfn, tmp_path):
    """examples/layer-alias: the alias `live` (version 1) imports its module from the built
    layer (/opt/python), invoked through the Lambda API and over the alias's function URL."""
    outputs = deploy(server, cfn, "layer-alias", tmp_path)
    lambda_ = server.client("lambda")
    function_name = outputs["LiveAliasArn"].rsplit(":", 1)[0]

    response = lambda_.invoke(FunctionName=outputs["LiveAliasArn"], Payload=b'{"name": "Ada"}')
    invoked = json.loads(response["Payload"].read())
    alias = lambda_.get_alias(FunctionName=function_name, Name="live")
    version = lambda_.get_function_configuration(FunctionName=outputs["LiveVersionArn"])
    url = lambda_.get_function_url_config(FunctionName=function_name, Qualifier="live")
    # Through the server's port with the URL's host name: *.localhost need not resolve here.
    over_http = httpx.get(
        f"{server.endpoint_url}/",
        params={"name": "Grace"},
        headers={"Host": urlsplit(url["FunctionUrl"]).netloc},
        timeout=30,
    )

    assert "FunctionError" not in response, invoked
    assert invoked == {
        "message": "Hello, Ada! (from the shared-greetings layer)",
        "layer_module": "/opt/python/greetings.py",
        "version": "1",
        "invoked_arn": outputs["LiveAliasArn"],
    }
    assert outputs["LiveAliasArn"].endswith(":live")
    assert alias["FunctionVersion"] == "1"
    assert [layer["Arn"] for layer in version["Layers"]] == [outputs["LayerArn"]]
    assert url["AuthType"] == "NONE"
    assert over_http.status_code == 200
    assert over_http.json()["message"] == "Hello, Grace! (from the shared-greetings layer)"
    assert over_http.json()["invoked_arn"] == outputs["LiveAliasArn"]


def test_layer_alias_example_function_url_output_works_on_this_machine(server, cfn, tmp_path):
    """The FunctionUrl output of examples/layer-alias is a URL any HTTP client here can call
    (the README's curl line), as its ApiUrl is for examples/http-api."""
    url = deploy(server, cfn, "layer-alias", tmp_path)["FunctionUrl"]

    answer = httpx.get(url, params={"name": "Grace"}, timeout=30)

    assert url.startswith(server.endpoint_url)
    assert answer.json()["message"] == "Hello, Grace! (from the shared-greetings layer)"


def drain_activity(sqs: Any, queue_url: str, done: Any, timeout: float = 60) -> list[dict]:
    """What the example's functions reported on its activity queue, read (and deleted) until
    `done(entries)` holds or `timeout` seconds pass."""
    entries: list[dict] = []
    deadline = time.monotonic() + timeout
    while not done(entries) and time.monotonic() < deadline:
        received = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        for message in received.get("Messages", []):
            entries.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return entries


def waiting(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def test_order_intake_example_routes_orders_through_bus_queue_topic_and_schedule(
    server, cfn, tmp_path
):
    """examples/order-intake: orders POSTed to the HTTP API go on the bus; the queue's
    consumer gets the four in one batch, processes the good ones once and reports the one
    with an unknown SKU as a batch item failure until maxReceiveCount (3) moves it to the
    dead-letter queue; the topic reaches audit with every order and notify with the express
    ones only (its filter policy), where the one without an email fails, is retried once and
    lands in the OnFailure destination queue; a day later on the server's clock the nightly
    schedule has run the report, and a redrive of the DLQ sends the bad order round again."""
    outputs = deploy(
        server,
        cfn,
        "order-intake",
        tmp_path,
        Parameters=[{"ParameterKey": "RetryDelaySeconds", "ParameterValue": "3"}],
    )
    sqs = server.client("sqs")
    activity = outputs["ActivityQueueUrl"]
    pens = {"customer": "ada", "items": [{"sku": "PEN-BLUE", "quantity": 2}]}
    express = {
        "customer": "grace",
        "items": [{"sku": "NOTEBOOK-A5", "quantity": 1}, {"sku": "INK-BLACK", "quantity": 3}],
        "shipping": "express",
        "email": "grace@example.com",
    }
    unknown_sku = {"customer": "alan", "items": [{"sku": "QUILL", "quantity": 1}]}
    no_email = {"customer": "barbara", "items": [{"sku": "PEN-RED", "quantity": 1}]}
    no_email["shipping"] = "express"

    # The consumer paused while the orders arrive, so that all four come in one batch.
    lambda_ = server.client("lambda")
    queue_arn = sqs.get_queue_attributes(
        QueueUrl=outputs["OrdersQueueUrl"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    mapping = lambda_.list_event_source_mappings(EventSourceArn=queue_arn)
    uuid = mapping["EventSourceMappings"][0]["UUID"]
    lambda_.update_event_source_mapping(UUID=uuid, Enabled=False)

    with httpx.Client(base_url=outputs["ApiUrl"], timeout=30) as http:
        orders = (pens, express, unknown_sku, no_email)
        placed = [http.post("orders", json=order) for order in orders]
        no_items = http.post("orders", json={"customer": "edsger", "items": []})
        not_json = http.post("orders", content=b"{oops")
    good, fast, bad, unreachable = (answer.json()["orderId"] for answer in placed)
    assert wait_for(lambda: waiting(sqs, outputs["OrdersQueueUrl"]) == 4)
    lambda_.update_event_source_mapping(UUID=uuid, Enabled=True)

    def settled(entries: list[dict]) -> bool:
        processed = {e["orderId"] for e in entries if e.get("status") == "processed"}
        failed = [e for e in entries if e.get("status") == "failed"]
        audited = [e for e in entries if e["function"] == "audit"]
        return processed == {good, fast, unreachable} and len(failed) == 3 and len(audited) == 4

    entries = drain_activity(sqs, activity, settled)
    # A look that leaves it there (visibility 0), for the report to count.
    dead = sqs.receive_message(
        QueueUrl=outputs["OrdersDeadLetterQueueUrl"], WaitTimeSeconds=20, VisibilityTimeout=0
    ).get("Messages", [])
    entries += drain_activity(sqs, activity, lambda _: False, timeout=2)  # nothing more comes

    def of(function: str) -> list[dict]:
        return [e for e in entries if e["function"] == function]

    assert [answer.status_code for answer in placed] == [202, 202, 202, 202]
    assert no_items.status_code == 400
    assert no_items.json() == {"message": "items: a non-empty list is required"}
    assert not_json.status_code == 400
    processed = sorted(
        (e["orderId"], e["totalCents"], e["attempt"], e["batchSize"])
        for e in of("process")
        if e["status"] == "processed"
    )
    # One batch of four: the good orders were deleted, only the bad one came back.
    assert processed == sorted(
        [(good, 300, 1, 4), (fast, 425 + 3 * 990, 1, 4), (unreachable, 150, 1, 4)]
    )
    failed = [
        (e["orderId"], e["attempt"], e["batchSize"], e["unknownSkus"])
        for e in of("process")
        if e["status"] == "failed"
    ]
    assert failed == [(bad, 1, 4, ["QUILL"]), (bad, 2, 1, ["QUILL"]), (bad, 3, 1, ["QUILL"])]
    assert [json.loads(message["Body"])["orderId"] for message in dead] == [bad]
    assert json.loads(dead[0]["Body"]) == unknown_sku | {"shipping": "standard", "orderId": bad}
    assert sorted(e["orderId"] for e in of("audit")) == sorted([good, fast, bad, unreachable])
    assert {e["topicArn"] for e in of("audit")} == {outputs["OrdersTopicArn"]}
    assert [(e["orderId"], e["email"]) for e in of("notify")] == [(fast, "grace@example.com")]
    assert of("report") == []

    # The express order without an email failed in notify (invoked asynchronously by SNS);
    # Lambda's one retry comes a minute later, then the record goes to the OnFailure queue.
    server.advance(120)
    records = sqs.receive_message(
        QueueUrl=outputs["NotifyFailuresQueueUrl"], WaitTimeSeconds=20, MaxNumberOfMessages=10
    ).get("Messages", [])

    assert len(records) == 1
    record = json.loads(records[0]["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert record["responsePayload"]["errorMessage"] == (
        f"express order {unreachable} has no email to notify"
    )
    sns_record = record["requestPayload"]["Records"][0]
    assert sns_record["Sns"]["TopicArn"] == outputs["OrdersTopicArn"]
    assert json.loads(sns_record["Sns"]["Message"])["detail"]["orderId"] == unreachable

    server.advance(24 * 3600)  # past 02:00 UTC, whenever the test runs
    reports = drain_activity(sqs, activity, lambda entries: len(entries) >= 1)
    reports += drain_activity(sqs, activity, lambda _: False, timeout=2)

    assert reports == [
        {
            "function": "report",
            "input": {"report": "nightly"},
            "waiting": 0,
            "inFlight": 0,
            "deadLettered": 1,
        }
    ]

    # The README's redrive: the dead-lettered order goes back to the orders queue, fails
    # again (its receive count starts afresh there) and returns to the dead-letter queue.
    dlq_arn = sqs.get_queue_attributes(
        QueueUrl=outputs["OrdersDeadLetterQueueUrl"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    sqs.start_message_move_task(SourceArn=dlq_arn)
    retried = drain_activity(sqs, activity, lambda entries: len(entries) >= 3)
    dead_again = sqs.receive_message(
        QueueUrl=outputs["OrdersDeadLetterQueueUrl"], WaitTimeSeconds=20, VisibilityTimeout=0
    ).get("Messages", [])
    retried += drain_activity(sqs, activity, lambda _: False, timeout=2)

    assert [(e["function"], e["orderId"], e["attempt"], e["status"]) for e in retried] == [
        ("process", bad, attempt, "failed") for attempt in (1, 2, 3)
    ]
    assert [json.loads(message["Body"])["orderId"] for message in dead_again] == [bad]

    # Deleting the stack takes everything down: no queue, bus, topic, mapping or schedule
    # of it is left (and nothing of it runs in later tests).
    (stack,) = (
        stack["StackName"]
        for stack in cfn.describe_stacks()["Stacks"]
        if {"OutputKey": "OrdersTopicArn", "OutputValue": outputs["OrdersTopicArn"]}
        in stack.get("Outputs", [])
    )
    cfn.delete_stack(StackName=stack)
    cfn.get_waiter("stack_delete_complete").wait(
        StackName=stack, WaiterConfig={"Delay": 0.2, "MaxAttempts": 300}
    )
    events, sns = server.client("events"), server.client("sns")

    assert sqs.list_queues(QueueNamePrefix=stack).get("QueueUrls", []) == []
    assert lambda_.list_event_source_mappings(EventSourceArn=queue_arn)["EventSourceMappings"] == []
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.describe_event_bus(Name=outputs["OrdersBusName"])
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.get_topic_attributes(TopicArn=outputs["OrdersTopicArn"])
    assert server.client("scheduler").list_schedules(NamePrefix="ReportFunction")["Schedules"] == []


def test_order_intake_example_loses_no_accepted_order_across_kill_9(tmp_path):
    """examples/order-intake on a `stratus server` process killed with SIGKILL right after
    it answered 202 to a burst of orders: after a restart on the same data, every accepted
    order is processed by the queue's consumer and audited through the topic (at least
    once), and the app keeps taking orders."""
    data = tmp_path / "data"
    data.mkdir()
    with serve_in_process(data) as first:
        outputs = deploy(
            first,
            first.client("cloudformation"),
            "order-intake",
            tmp_path,
            Parameters=[{"ParameterKey": "RetryDelaySeconds", "ParameterValue": "3"}],
        )
        with httpx.Client(base_url=outputs["ApiUrl"], timeout=30) as http:
            orders = [
                {"customer": f"c{i}", "items": [{"sku": "PEN-RED", "quantity": i + 1}]}
                for i in range(20)
            ]
            placed = [http.post("orders", json=order) for order in orders]
        assert first.process is not None
        first.process.send_signal(signal.SIGKILL)
        first.process.wait()
        first.client("cloudformation").close()  # its sockets to the dead server, now
    accepted = {answer.json()["orderId"] for answer in placed if answer.status_code == 202}

    with serve_in_process(data, port=first.settings.port) as again:
        sqs = again.client("sqs")

        def all_of(wanted: set[str]) -> Any:
            def done(entries: list[dict]) -> bool:
                processed = {e["orderId"] for e in entries if e.get("status") == "processed"}
                audited = {e["orderId"] for e in entries if e["function"] == "audit"}
                return processed >= wanted and audited >= wanted

            return done

        entries = drain_activity(sqs, outputs["ActivityQueueUrl"], all_of(accepted), 180)
        with httpx.Client(base_url=outputs["ApiUrl"], timeout=30) as http:
            late = http.post(
                "orders", json={"customer": "z", "items": [{"sku": "PEN-RED", "quantity": 1}]}
            )
        assert late.status_code == 202, (late.status_code, late.text)
        late_id = late.json()["orderId"]
        entries += drain_activity(sqs, outputs["ActivityQueueUrl"], all_of({late_id}), 60)
        sqs.close()

    everything = accepted | {late_id}
    assert len(accepted) == 20
    processed = {e["orderId"] for e in entries if e.get("status") == "processed"}
    audited = {e["orderId"] for e in entries if e["function"] == "audit"}
    assert processed == everything
    assert audited == everything


def png(width: int, height: int) -> bytes:
    """A real PNG (one grey pixel row per line)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg_header(width: int, height: int) -> bytes:
    """A JPEG's start: SOI, a JFIF APP0 segment, a baseline SOF0 frame header, EOI."""
    import struct

    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def test_photo_app_example_records_thumbnails_and_counts_them_through_the_stream(
    server, cfn, tmp_path
):
    """examples/photo-app: images uploaded under uploads/ get a thumbnail record (their
    dimensions read from the header) through the S3 notification; the table's stream keeps
    the counters and the audit trail; other files and other prefixes are passed over, and
    deleting an image takes it out of the counters."""
    outputs = deploy(server, cfn, "photo-app", tmp_path)
    s3, ddb = server.client("s3"), server.client("dynamodb")
    bucket, photos, stats = (
        outputs["BucketName"], outputs["PhotosTableName"], outputs["StatsTableName"],
    )  # fmt: skip
    s3.put_object(Bucket=bucket, Key="uploads/cat.png", Body=png(640, 480))
    s3.put_object(Bucket=bucket, Key="uploads/dog photo.jpg", Body=jpeg_header(1024, 2048))
    s3.put_object(Bucket=bucket, Key="uploads/notes.txt", Body=b"not an image")
    s3.put_object(Bucket=bucket, Key="elsewhere/bird.png", Body=png(10, 10))

    def item(table: str, **key: str) -> dict[str, Any]:
        found = ddb.get_item(TableName=table, Key={k: {"S": v} for k, v in key.items()})
        return found.get("Item", {})  # type: ignore[no-any-return]

    def totals() -> dict[str, str]:
        return {k: v.get("N", "") for k, v in item(stats, id="totals").items() if k != "id"}

    both = {"photos": "2", "pixels": str(640 * 480 + 1024 * 2048), "png": "1", "jpeg": "1"}
    assert wait_for(lambda: totals() == both, timeout=60), totals()
    cat, dog = item(photos, key="uploads/cat.png"), item(photos, key="uploads/dog photo.jpg")
    scanned = ddb.scan(TableName=photos)["Items"]
    audit = [i for i in ddb.scan(TableName=stats)["Items"] if i["id"]["S"].startswith("audit#")]

    assert cat["format"] == {"S": "png"}
    assert (cat["width"], cat["height"]) == ({"N": "640"}, {"N": "480"})
    assert cat["thumbnail"]["M"] == {"width": {"N": "128"}, "height": {"N": "96"}}
    assert dog["format"] == {"S": "jpeg"}
    assert dog["thumbnail"]["M"] == {"width": {"N": "64"}, "height": {"N": "128"}}
    assert sorted(i["key"]["S"] for i in scanned) == ["uploads/cat.png", "uploads/dog photo.jpg"]
    assert sorted(a["change"]["S"] for a in audit) == ["INSERT", "INSERT"]

    s3.delete_object(Bucket=bucket, Key="uploads/cat.png")

    one = {"photos": "1", "pixels": str(1024 * 2048), "png": "0", "jpeg": "1"}
    assert wait_for(lambda: totals() == one, timeout=60), totals()
    assert item(photos, key="uploads/cat.png") == {}
    sqs = server.client("sqs")
    failures = sqs.receive_message(QueueUrl=outputs["StatsFailuresQueueUrl"], WaitTimeSeconds=0)
    assert failures.get("Messages", []) == []
