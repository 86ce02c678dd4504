"""S3 event notifications through boto3: configurations checked as S3 checks them, and each
object event delivered to queues, topics, functions and the default event bus in AWS's
shapes."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import make_queue, unique

from stratus.testing import RunningServer


def _receive(sqs: Any, url: str, count: int = 1, wait: float = 20) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + wait
    while len(got) < count and time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in answer.get("Messages", []):
            got.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return got


def _queue_config(arn: str, events: list[str], **filters: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"QueueArn": arn, "Events": events}
    if filters:
        rules = [{"Name": name, "Value": value} for name, value in filters.items()]
        entry["Filter"] = {"Key": {"FilterRules": rules}}
    return entry


def test_a_put_object_reaches_the_queue_as_s3_writes_it(
    server: RunningServer, s3: Any, sqs: Any, bucket: str
) -> None:
    url, arn = make_queue(sqs)
    config = {
        "QueueConfigurations": [
            {"Id": "uploads", **_queue_config(arn, ["s3:ObjectCreated:*"], prefix="in/")}
        ]
    }
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    server.wait_idle()
    [test_event] = _receive(sqs, url)
    assert test_event["Event"] == "s3:TestEvent"
    assert test_event["Bucket"] == bucket
    assert test_event["Service"] == "Amazon S3"

    stored = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert stored["QueueConfigurations"][0]["Id"] == "uploads"
    assert stored["QueueConfigurations"][0]["Events"] == ["s3:ObjectCreated:*"]
    assert stored["QueueConfigurations"][0]["Filter"]["Key"]["FilterRules"] == [
        {"Name": "Prefix", "Value": "in/"}
    ]

    put = s3.put_object(Bucket=bucket, Key="in/a b.txt", Body=b"hello")
    s3.put_object(Bucket=bucket, Key="out/ignored.txt", Body=b"x")
    server.wait_idle()
    [message] = _receive(sqs, url)
    [record] = message["Records"]
    assert record["eventVersion"] == "2.1"
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["awsRegion"] == server.settings.region
    assert record["eventTime"].endswith("Z")
    assert set(record["responseElements"]) == {"x-amz-request-id", "x-amz-id-2"}
    # The record names the request that made the object, as its answer did.
    assert (
        record["responseElements"]["x-amz-request-id"]
        == (put["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"])
    )
    assert record["requestParameters"]["sourceIPAddress"] == "127.0.0.1"
    s3_part = record["s3"]
    assert s3_part["s3SchemaVersion"] == "1.0"
    assert s3_part["configurationId"] == "uploads"
    assert s3_part["bucket"]["name"] == bucket
    assert s3_part["bucket"]["arn"] == f"arn:aws:s3:::{bucket}"
    obj = s3_part["object"]
    assert obj["key"] == "in/a+b.txt"  # URL-encoded, spaces as +
    assert obj["size"] == 5
    assert obj["eTag"] == put["ETag"].strip('"')
    assert "versionId" not in obj
    assert len(obj["sequencer"]) >= 16
    assert _receive(sqs, url, wait=2) == []  # out/ is not under the in/ prefix


def test_deletes_and_versions_are_notified(
    server: RunningServer, s3: Any, sqs: Any, bucket: str
) -> None:
    url, arn = make_queue(sqs)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    config = {
        "QueueConfigurations": [_queue_config(arn, ["s3:ObjectCreated:Put", "s3:ObjectRemoved:*"])]
    }
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    server.wait_idle()
    _receive(sqs, url)  # the test event
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"one")
    marker = s3.delete_object(Bucket=bucket, Key="k")
    s3.delete_object(Bucket=bucket, Key="k", VersionId=put["VersionId"])
    server.wait_idle()
    records = [m["Records"][0] for m in _receive(sqs, url, 3)]
    by_name = {r["eventName"]: r["s3"]["object"] for r in records}
    assert set(by_name) == {
        "ObjectCreated:Put",
        "ObjectRemoved:DeleteMarkerCreated",
        "ObjectRemoved:Delete",
    }
    assert by_name["ObjectCreated:Put"]["versionId"] == put["VersionId"]
    assert by_name["ObjectRemoved:DeleteMarkerCreated"]["versionId"] == marker["VersionId"]
    assert by_name["ObjectRemoved:Delete"]["versionId"] == put["VersionId"]
    created = by_name["ObjectCreated:Put"]["sequencer"]
    assert by_name["ObjectRemoved:DeleteMarkerCreated"]["sequencer"] > created


def test_a_topic_gets_the_record_with_s3s_subject(
    server: RunningServer, s3: Any, sqs: Any, sns: Any, bucket: str
) -> None:
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    url, arn = make_queue(sqs)
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "false"}
    )
    config = {"TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    server.wait_idle()
    [test] = _receive(sqs, url)
    assert json.loads(test["Message"])["Event"] == "s3:TestEvent"
    s3.put_object(Bucket=bucket, Key="x.jpg", Body=b"abc")
    server.wait_idle()
    [envelope] = _receive(sqs, url)
    assert envelope["Subject"] == "Amazon S3 Notification"
    [record] = json.loads(envelope["Message"])["Records"]
    assert record["s3"]["object"]["key"] == "x.jpg"
    assert record["s3"]["configurationId"]  # S3 names an unnamed configuration


def test_the_default_bus_gets_object_created_and_deleted(
    server: RunningServer, s3: Any, sqs: Any, bucket: str
) -> None:
    events = server.client("events")
    url, arn = make_queue(sqs)
    rule = unique("s3rule")
    pattern = {"source": ["aws.s3"], "detail": {"bucket": {"name": [bucket]}}}
    events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": arn}])
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    assert "EventBridgeConfiguration" in s3.get_bucket_notification_configuration(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="doc.txt", Body=b"12345")
    s3.delete_object(Bucket=bucket, Key="doc.txt")
    server.wait_idle()
    got = _receive(sqs, url, 2)
    server.wait_idle()
    got += _receive(sqs, url, 2 - len(got)) if len(got) < 2 else []
    by_type = {e["detail-type"]: e for e in got}
    assert set(by_type) == {"Object Created", "Object Deleted"}
    created = by_type["Object Created"]
    assert created["source"] == "aws.s3"
    assert created["resources"] == [f"arn:aws:s3:::{bucket}"]
    assert created["detail"]["bucket"] == {"name": bucket}
    assert created["detail"]["object"]["key"] == "doc.txt"
    assert created["detail"]["object"]["size"] == 5
    assert created["detail"]["reason"] == "PutObject"
    assert by_type["Object Deleted"]["detail"]["reason"] == "DeleteObject"


def test_a_function_is_invoked_with_the_record(
    server: RunningServer, s3: Any, bucket: str, deploy: Any, shared_dir: Path
) -> None:
    name = deploy(
        {
            "app.py": (
                "import json, os\n"
                "def handler(event, context):\n"
                "    key = event['Records'][0]['s3']['object']['key']\n"
                "    path = os.path.join(os.environ['OUT'], key.replace('/', '_'))\n"
                "    open(path, 'w').write(json.dumps(event))\n"
            )
        },
        Handler="app.handler",
        Environment={"Variables": {"OUT": str(shared_dir)}},
    )
    lambda_client = server.client("lambda")
    function_arn = lambda_client.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    config = {
        "LambdaFunctionConfigurations": [
            {"LambdaFunctionArn": function_arn, "Events": ["s3:ObjectCreated:*"]}
        ]
    }
    # Without a resource policy letting S3 invoke it, S3 refuses the function.
    with pytest.raises(ClientError) as caught:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    assert caught.value.response["Error"]["ArgumentValue"] == (
        f"Not authorized to invoke function [{function_arn}]"
    )
    lambda_client.add_permission(
        FunctionName=name,
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn=f"arn:aws:s3:::{bucket}",
    )
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    s3.put_object(Bucket=bucket, Key="f.txt", Body=b"data")
    event = _wait_file(server, shared_dir / "f.txt")
    assert event["Records"][0]["eventName"] == "ObjectCreated:Put"
    assert event["Records"][0]["s3"]["bucket"]["name"] == bucket


def _wait_file(server: RunningServer, path: Path) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} was never written"
        server.wait_idle()
        time.sleep(0.2)
    return dict(json.loads(path.read_text()))


@pytest.mark.parametrize(
    ("configs", "message"),
    [
        (
            [["s3:ObjectCreated:*"], ["s3:ObjectCreated:Put"]],
            "Configurations overlap. Configurations on the same bucket cannot share a common "
            "event type.",
        ),
        ([["s3:ObjectCreated:Nope"]], "The event is not supported for notifications"),
    ],
)
def test_bad_configurations_are_refused_as_s3_refuses_them(
    s3: Any, sqs: Any, bucket: str, configs: list[list[str]], message: str
) -> None:
    _, arn = make_queue(sqs)
    config = {"QueueConfigurations": [_queue_config(arn, events) for events in configs]}
    with pytest.raises(ClientError) as caught:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    assert caught.value.response["Error"]["Code"] == "InvalidArgument"
    assert caught.value.response["Error"]["Message"] == message
    assert (
        s3.get_bucket_notification_configuration(Bucket=bucket).get("QueueConfigurations") is None
    )


def test_disjoint_prefixes_do_not_overlap(s3: Any, sqs: Any, bucket: str) -> None:
    _, arn = make_queue(sqs)
    config = {
        "QueueConfigurations": [
            _queue_config(arn, ["s3:ObjectCreated:*"], prefix="a/"),
            _queue_config(arn, ["s3:ObjectCreated:*"], prefix="b/"),
        ]
    }
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    assert len(s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]) == 2


def test_missing_and_fifo_destinations_are_refused(s3: Any, sqs: Any, bucket: str) -> None:
    _, fifo = make_queue(sqs, unique("q") + ".fifo")
    missing = fifo.rsplit(":", 1)[0] + ":no-such-queue"
    for arn in (missing, fifo):
        config = {"QueueConfigurations": [_queue_config(arn, ["s3:ObjectCreated:*"])]}
        with pytest.raises(ClientError) as caught:
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration=config
            )
        error = caught.value.response["Error"]
        assert error["Code"] == "InvalidArgument"
        assert error["Message"] == "Unable to validate the following destination configurations"
        assert error["ArgumentName"] == arn


def test_an_empty_configuration_turns_notifications_off(
    server: RunningServer, s3: Any, sqs: Any, bucket: str
) -> None:
    url, arn = make_queue(sqs)
    config = {"QueueConfigurations": [_queue_config(arn, ["s3:ObjectCreated:*"])]}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    assert (
        s3.get_bucket_notification_configuration(Bucket=bucket).get("QueueConfigurations") is None
    )
    server.wait_idle()
    _receive(sqs, url)  # the test event
    s3.put_object(Bucket=bucket, Key="quiet", Body=b"")
    server.wait_idle()
    assert _receive(sqs, url, wait=2) == []


def test_copies_and_multipart_uploads_have_their_event_names(
    server: RunningServer, s3: Any, sqs: Any, bucket: str
) -> None:
    url, arn = make_queue(sqs)
    config = {
        "QueueConfigurations": [
            _queue_config(
                arn, ["s3:ObjectCreated:Copy", "s3:ObjectCreated:CompleteMultipartUpload"]
            )
        ]
    }
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    server.wait_idle()
    _receive(sqs, url)  # the test event
    s3.put_object(Bucket=bucket, Key="src", Body=b"abc")  # a Put: not configured
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "src"})
    upload = s3.create_multipart_upload(Bucket=bucket, Key="big")
    part = s3.upload_part(
        Bucket=bucket, Key="big", UploadId=upload["UploadId"], PartNumber=1, Body=b"z" * 10
    )
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="big",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    server.wait_idle()
    records = [m["Records"][0] for m in _receive(sqs, url, 2)]
    assert {(r["eventName"], r["s3"]["object"]["key"]) for r in records} == {
        ("ObjectCreated:Copy", "copy"),
        ("ObjectCreated:CompleteMultipartUpload", "big"),
    }
    assert _receive(sqs, url, wait=2) == []


def test_skip_destination_validation_takes_a_missing_destination(
    s3: Any, sqs: Any, bucket: str
) -> None:
    _, arn = make_queue(sqs)
    missing = arn + "-gone"
    config = {"QueueConfigurations": [_queue_config(missing, ["s3:ObjectCreated:*"])]}
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration=config, SkipDestinationValidation=True
    )
    s3.put_object(Bucket=bucket, Key="k", Body=b"")  # its notification is dropped, not fatal
    stored = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert stored["QueueConfigurations"][0]["QueueArn"] == missing
