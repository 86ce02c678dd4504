"""Versioning: version ids, delete markers, reading and deleting by version id, suspended
buckets' "null" version, ListObjectVersions."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def versioned(s3: Any, bucket: str) -> str:
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return bucket


def test_each_put_is_a_version(s3: Any, versioned: str):
    """Every PUT gets a new version id; each version reads back by id; the newest is current."""
    v1 = s3.put_object(Bucket=versioned, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=versioned, Key="k", Body=b"two")["VersionId"]
    current = s3.get_object(Bucket=versioned, Key="k")
    old = s3.get_object(Bucket=versioned, Key="k", VersionId=v1)["Body"].read()

    assert v1 != v2
    assert current["VersionId"] == v2
    assert current["Body"].read() == b"two"
    assert old == b"one"


def test_delete_adds_a_marker_and_removing_it_restores(s3: Any, versioned: str):
    """DELETE without a version id adds a delete marker: the key reads as missing and is not
    listed, but its versions remain; deleting the marker brings the object back."""
    v1 = s3.put_object(Bucket=versioned, Key="k", Body=b"one")["VersionId"]
    deleted = s3.delete_object(Bucket=versioned, Key="k")
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=versioned, Key="k")
    listed = s3.list_objects_v2(Bucket=versioned).get("Contents", [])
    versions = s3.list_object_versions(Bucket=versioned)
    s3.delete_object(Bucket=versioned, Key="k", VersionId=deleted["VersionId"])
    back = s3.get_object(Bucket=versioned, Key="k")

    assert deleted["DeleteMarker"] is True
    assert listed == []
    assert [m["VersionId"] for m in versions["DeleteMarkers"]] == [deleted["VersionId"]]
    assert versions["DeleteMarkers"][0]["IsLatest"] is True
    assert [(v["VersionId"], v["IsLatest"]) for v in versions["Versions"]] == [(v1, False)]
    assert back["VersionId"] == v1
    assert back["Body"].read() == b"one"


def test_deleting_a_version_removes_only_it(s3: Any, versioned: str):
    """DELETE with a version id removes that version for good; the previous one becomes
    current; a missing version id is NoSuchVersion on GET."""
    v1 = s3.put_object(Bucket=versioned, Key="k", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket=versioned, Key="k", Body=b"two")["VersionId"]
    s3.delete_object(Bucket=versioned, Key="k", VersionId=v2)
    with pytest.raises(s3.exceptions.ClientError) as gone:
        s3.get_object(Bucket=versioned, Key="k", VersionId=v2)

    assert s3.get_object(Bucket=versioned, Key="k")["VersionId"] == v1
    assert gone.value.response["Error"]["Code"] == "NoSuchVersion"


def test_list_object_versions_pages(s3: Any, versioned: str):
    """ListObjectVersions lists keys in order, newest version first, and pages with key and
    version-id markers without losing or repeating one."""
    made = []
    for key in ["a", "b"]:
        for n in range(3):
            made.append(
                (key, s3.put_object(Bucket=versioned, Key=key, Body=b"%d" % n)["VersionId"])
            )
    seen = []
    kwargs: dict[str, Any] = {}
    while True:
        page = s3.list_object_versions(Bucket=versioned, MaxKeys=2, **kwargs)
        seen += [(v["Key"], v["VersionId"]) for v in page.get("Versions", [])]
        if not page["IsTruncated"]:
            break
        kwargs = {
            "KeyMarker": page["NextKeyMarker"],
            "VersionIdMarker": page["NextVersionIdMarker"],
        }

    expected = [m for m in reversed(made) if m[0] == "a"] + [
        m for m in reversed(made) if m[0] == "b"
    ]
    assert seen == expected


def test_suspended_versioning_overwrites_the_null_version(s3: Any, versioned: str):
    """While suspended, PUTs write the "null" version (replacing the previous null one) and
    keep earlier versions."""
    v1 = s3.put_object(Bucket=versioned, Key="k", Body=b"one")["VersionId"]
    s3.put_bucket_versioning(Bucket=versioned, VersioningConfiguration={"Status": "Suspended"})
    s3.put_object(Bucket=versioned, Key="k", Body=b"two")
    s3.put_object(Bucket=versioned, Key="k", Body=b"three")
    versions = s3.list_object_versions(Bucket=versioned)["Versions"]

    assert [(v["VersionId"], v["IsLatest"]) for v in versions] == [("null", True), (v1, False)]
    assert s3.get_object(Bucket=versioned, Key="k")["Body"].read() == b"three"


def test_unversioned_bucket_has_no_version_ids(s3: Any, bucket: str):
    """Without versioning, answers carry no version id and ListObjectVersions shows "null"."""
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    versions = s3.list_object_versions(Bucket=bucket)["Versions"]

    assert "VersionId" not in put
    assert [v["VersionId"] for v in versions] == ["null"]


def test_versioned_bucket_is_not_empty_until_every_version_goes(s3: Any, versioned: str):
    """DeleteBucket refuses a bucket that has only old versions and delete markers left."""
    v1 = s3.put_object(Bucket=versioned, Key="k", Body=b"x")["VersionId"]
    marker = s3.delete_object(Bucket=versioned, Key="k")["VersionId"]
    with pytest.raises(s3.exceptions.ClientError) as refused:
        s3.delete_bucket(Bucket=versioned)
    s3.delete_objects(
        Bucket=versioned,
        Delete={"Objects": [{"Key": "k", "VersionId": v1}, {"Key": "k", "VersionId": marker}]},
    )
    s3.delete_bucket(Bucket=versioned)

    assert refused.value.response["Error"]["Code"] == "BucketNotEmpty"


def test_reading_a_delete_marker(s3: Any, versioned: str):
    """A key whose current version is a delete marker is a 404 saying so
    (x-amz-delete-marker, the marker's version id); GET of the marker by its version id is
    405 MethodNotAllowed."""
    s3.put_object(Bucket=versioned, Key="k", Body=b"x")
    marker = s3.delete_object(Bucket=versioned, Key="k")["VersionId"]
    with pytest.raises(s3.exceptions.NoSuchKey) as current:
        s3.get_object(Bucket=versioned, Key="k")
    with pytest.raises(s3.exceptions.ClientError) as by_id:
        s3.get_object(Bucket=versioned, Key="k", VersionId=marker)
    with pytest.raises(s3.exceptions.ClientError) as head:
        s3.head_object(Bucket=versioned, Key="k")

    headers = current.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amz-delete-marker"] == "true"
    assert headers["x-amz-version-id"] == marker
    assert by_id.value.response["Error"]["Code"] == "MethodNotAllowed"
    assert by_id.value.response["ResponseMetadata"]["HTTPStatusCode"] == 405
    assert head.value.response["ResponseMetadata"]["HTTPHeaders"]["x-amz-delete-marker"] == "true"
