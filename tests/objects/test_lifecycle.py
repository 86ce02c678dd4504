"""Lifecycle configurations: Put/Get/DeleteBucketLifecycleConfiguration as S3 checks them,
and the sweep that acts on them: expired objects go (a delete marker on a versioned
bucket), announced as s3:LifecycleExpiration events, and a delete marker left alone goes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.conftest import make_queue
from tests.objects.test_notifications import _queue_config, _receive

from stratus.objects.lifecycle_sweeper import INTERVAL_S
from stratus.testing import RunningServer

PAST = datetime(2020, 1, 1, tzinfo=UTC)


def rule(**fields: Any) -> dict[str, Any]:
    return {"Status": "Enabled", "Filter": {"Prefix": "tmp/"}, **fields}


def keys(s3: Any, bucket: str) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_the_configuration_round_trips_and_is_checked(s3: Any, bucket: str) -> None:
    rules = [
        rule(ID="tmp", Expiration={"Days": 7}),
        rule(
            ID="uploads",
            Filter={"And": {"Prefix": "big/", "ObjectSizeGreaterThan": 1024}},
            AbortIncompleteMultipartUpload={"DaysAfterInitiation": 2},
            NoncurrentVersionExpiration={"NoncurrentDays": 30, "NewerNoncurrentVersions": 2},
        ),
    ]
    with pytest.raises(ClientError, match="NoSuchLifecycleConfiguration"):
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    stored = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert stored["Rules"] == rules
    assert stored["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"

    bad = [
        ([rule(ID="a", Expiration={"Days": 0})], "InvalidArgument"),
        ([rule(ID="a")], "InvalidRequest"),
        ([rule(ID="a", Expiration={"Days": 1}), rule(ID="a", Expiration={"Days": 2})],
         "InvalidArgument"),
        ([rule(Expiration={"Date": datetime(2030, 1, 1, 12, tzinfo=UTC)})], "InvalidArgument"),
        ([rule(Filter={"Tag": {"Key": "k", "Value": "v"}},
               AbortIncompleteMultipartUpload={"DaysAfterInitiation": 1})], "InvalidRequest"),
    ]  # fmt: skip
    for given, code in bad:
        with pytest.raises(ClientError) as caught:
            s3.put_bucket_lifecycle_configuration(
                Bucket=bucket, LifecycleConfiguration={"Rules": given}
            )
        assert caught.value.response["Error"]["Code"] == code, given
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"] == rules  # unchanged

    s3.delete_bucket_lifecycle(Bucket=bucket)
    with pytest.raises(ClientError, match="NoSuchLifecycleConfiguration"):
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)


def test_expired_objects_go_with_lifecycle_events(
    server: RunningServer, s3: Any, sqs: Any, bucket: str
) -> None:
    url, arn = make_queue(sqs)
    config = {"QueueConfigurations": [_queue_config(arn, ["s3:LifecycleExpiration:*"])]}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    server.wait_idle()
    _receive(sqs, url)  # the test event
    for key in ("tmp/a", "tmp/b", "keep/c"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    s3.put_object(Bucket=bucket, Key="tmp/tagged", Body=b"x", Tagging="keep=yes")
    rules = [
        rule(ID="old", Filter={"Prefix": "tmp/"}, Expiration={"Date": PAST}),
        # Disabled rules do nothing.
        {"ID": "off", "Status": "Disabled", "Filter": {}, "Expiration": {"Date": PAST}},
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})

    assert len(keys(s3, bucket)) == 4  # nothing goes before the sweep
    server.advance(INTERVAL_S)

    assert keys(s3, bucket) == ["keep/c"]
    records = [m["Records"][0] for m in _receive(sqs, url, 3)]
    assert sorted((r["eventName"], r["s3"]["object"]["key"]) for r in records) == [
        ("LifecycleExpiration:Delete", "tmp/a"),
        ("LifecycleExpiration:Delete", "tmp/b"),
        ("LifecycleExpiration:Delete", "tmp/tagged"),
    ]


def test_a_versioned_bucket_gets_markers_and_loses_lone_markers(
    server: RunningServer, s3: Any, bucket: str
) -> None:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket, Key="tmp/a", Body=b"1")["VersionId"]
    s3.put_object(Bucket=bucket, Key="tmp/lone", Body=b"1")
    s3.delete_object(Bucket=bucket, Key="tmp/lone")  # a marker over one version
    lone = s3.list_object_versions(Bucket=bucket, Prefix="tmp/lone")["Versions"][0]["VersionId"]
    s3.delete_object(Bucket=bucket, Key="tmp/lone", VersionId=lone)  # only the marker is left
    rules = [
        rule(ID="a", Filter={"Prefix": "tmp/a"}, Expiration={"Date": PAST}),
        rule(ID="m", Filter={"Prefix": "tmp/lone"}, Expiration={"ExpiredObjectDeleteMarker": True}),
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})

    server.advance(INTERVAL_S)

    listed = s3.list_object_versions(Bucket=bucket)
    assert [v["VersionId"] for v in listed["Versions"]] == [first]  # kept, now noncurrent
    markers = [(m["Key"], m["IsLatest"]) for m in listed.get("DeleteMarkers", [])]
    assert markers == [("tmp/a", True)]  # the lone marker is gone
    assert keys(s3, bucket) == []
