"""Which versions and uploads a lifecycle configuration has made due, by S3's counting
(days to the next midnight UTC, noncurrency from the successor's creation, newer
noncurrent versions kept, lone delete markers), pure."""

from __future__ import annotations

from datetime import UTC, datetime

from stratus.objects.lifecycle import DAY, Version, due_versions, expires_at, upload_due


def at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


def version(vid: str, modified: str, marker: bool = False, key: str = "k") -> Version:
    return Version(key, vid, marker, 10, at(modified), {})


def test_days_count_to_the_next_midnight_utc() -> None:
    rule = {"Status": "Enabled", "Filter": {}, "Expiration": {"Days": 3}}
    assert expires_at(rule, at("2014-01-15T10:30:00")) == at("2014-01-19T00:00:00")
    assert expires_at(rule, at("2014-01-15T00:00:00")) == at("2014-01-18T00:00:00")


def test_current_versions_expire_only_once_due_and_matching() -> None:
    rules = [
        {"Status": "Enabled", "Filter": {"And": {"Prefix": "k", "ObjectSizeGreaterThan": 5}},
         "Expiration": {"Days": 1}},
    ]  # fmt: skip
    history = [version("v1", "2024-05-01T12:00:00")]
    assert due_versions(rules, history, at("2024-05-02T23:59:59")) == (False, [])
    assert due_versions(rules, history, at("2024-05-03T00:00:00")) == (True, [])
    small = [Version("k", "v1", False, 5, at("2024-05-01T12:00:00"), {})]
    assert due_versions(rules, small, at("2030-01-01T00:00:00")) == (False, [])


def test_noncurrent_versions_count_from_their_successor_and_newer_ones_stay() -> None:
    rules = [
        {"Status": "Enabled", "Filter": {},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 1, "NewerNoncurrentVersions": 1}},
    ]  # fmt: skip
    history = [
        version("v4", "2024-05-10T12:00:00"),
        version("v3", "2024-05-05T12:00:00"),  # noncurrent since v4: kept (the newest one)
        version("v2", "2024-05-02T12:00:00"),  # noncurrent since v3 (05-05): due 05-07
        version("v1", "2024-05-01T12:00:00"),  # noncurrent since v2 (05-02): due 05-04
    ]
    assert due_versions(rules, history, at("2024-05-06T00:00:00")) == (False, ["v1"])
    assert due_versions(rules, history, at("2024-05-20T00:00:00")) == (False, ["v2", "v1"])


def test_a_lone_delete_marker_goes_once_its_versions_have() -> None:
    rules = [
        {"Status": "Enabled", "Filter": {}, "Expiration": {"ExpiredObjectDeleteMarker": True},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 1}},
    ]  # fmt: skip
    history = [
        version("m", "2024-05-02T12:00:00", marker=True),
        version("v1", "2024-05-01T00:00:00"),
    ]
    assert due_versions(rules, history, at("2024-05-03T00:00:00")) == (False, [])
    assert due_versions(rules, history, at("2024-05-04T00:00:00")) == (False, ["v1", "m"])


def test_incomplete_uploads_are_aborted_after_their_days() -> None:
    rules = [{"Status": "Enabled", "Filter": {"Prefix": "big/"},
              "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 2}}]  # fmt: skip
    started = at("2024-05-01T08:00:00")
    assert not upload_due(rules, "big/x", started, at("2024-05-03T23:00:00"))
    assert upload_due(rules, "big/x", started, at("2024-05-04T00:00:00"))
    assert not upload_due(rules, "small/x", started, started + 100 * DAY)
