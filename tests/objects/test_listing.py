"""ListObjects v1 and v2 as S3 answers them: prefix, delimiter and CommonPrefixes, pages by
max-keys with continuation tokens or markers, StartAfter."""

from __future__ import annotations

from typing import Any

import pytest

KEYS = [
    "a.txt",
    "photos/2025/jan/1.jpg",
    "photos/2025/jan/2.jpg",
    "photos/2025/feb/1.jpg",
    "photos/2026/mar/1.jpg",
    "photos/index.html",
    "videos/v.mp4",
    "z",
]


@pytest.fixture
def filled(s3: Any, bucket: str) -> str:
    for key in KEYS:
        s3.put_object(Bucket=bucket, Key=key, Body=key.encode())
    return bucket


def v2_pages(s3: Any, bucket: str, **kwargs: Any) -> list[dict[str, Any]]:
    pages = []
    token = None
    while True:
        extra = {"ContinuationToken": token} if token else {}
        page = s3.list_objects_v2(Bucket=bucket, **kwargs, **extra)
        pages.append(page)
        if not page["IsTruncated"]:
            return pages
        token = page["NextContinuationToken"]


def names(pages: list[dict[str, Any]]) -> list[str]:
    """Keys and common prefixes of the pages, in S3's order (merged within a page)."""
    found = []
    for page in pages:
        keys = [o["Key"] for o in page.get("Contents", [])]
        found += sorted(keys + [p["Prefix"] for p in page.get("CommonPrefixes", [])])
    return found


def test_everything_in_key_order(s3: Any, filled: str):
    """Without options, every key in UTF-8 byte order, with size, ETag and storage class."""
    page = s3.list_objects_v2(Bucket=filled)

    assert [o["Key"] for o in page["Contents"]] == sorted(KEYS)
    assert page["KeyCount"] == len(KEYS)
    assert page["IsTruncated"] is False
    assert page["Contents"][0]["Size"] == len(b"a.txt")
    assert page["Contents"][0]["StorageClass"] == "STANDARD"


def test_prefix_and_delimiter(s3: Any, filled: str):
    """Keys past the delimiter roll up into CommonPrefixes, under a prefix too."""
    top = s3.list_objects_v2(Bucket=filled, Delimiter="/")
    photos = s3.list_objects_v2(Bucket=filled, Prefix="photos/", Delimiter="/")
    year = s3.list_objects_v2(Bucket=filled, Prefix="photos/2025/", Delimiter="/")

    assert [o["Key"] for o in top["Contents"]] == ["a.txt", "z"]
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["photos/", "videos/"]
    assert [o["Key"] for o in photos["Contents"]] == ["photos/index.html"]
    assert [p["Prefix"] for p in photos["CommonPrefixes"]] == ["photos/2025/", "photos/2026/"]
    assert [p["Prefix"] for p in year["CommonPrefixes"]] == ["photos/2025/feb/", "photos/2025/jan/"]
    assert "Contents" not in year


@pytest.mark.parametrize("max_keys", [1, 2, 3])
def test_pages_cover_everything_once(s3: Any, filled: str, max_keys: int):
    """Paging by max-keys with continuation tokens returns every key and prefix once, with
    and without a delimiter."""
    flat = v2_pages(s3, filled, MaxKeys=max_keys)
    rolled = v2_pages(s3, filled, MaxKeys=max_keys, Delimiter="/")

    assert names(flat) == sorted(KEYS)
    assert all(p["KeyCount"] <= max_keys for p in flat)
    assert names(rolled) == ["a.txt", "photos/", "videos/", "z"]


def test_start_after(s3: Any, filled: str):
    """StartAfter begins after that key (which need not exist)."""
    page = s3.list_objects_v2(Bucket=filled, StartAfter="photos/2025/jan/1.jpg")
    between = s3.list_objects_v2(Bucket=filled, StartAfter="q")

    assert [o["Key"] for o in page["Contents"]][:2] == [
        "photos/2025/jan/2.jpg",
        "photos/2026/mar/1.jpg",
    ]
    assert [o["Key"] for o in between["Contents"]] == ["videos/v.mp4", "z"]
    assert page["StartAfter"] == "photos/2025/jan/1.jpg"


def test_v1_markers(s3: Any, filled: str):
    """ListObjects (v1): Marker, and NextMarker only with a delimiter; the paginator walks
    every page."""
    first = s3.list_objects(Bucket=filled, MaxKeys=2)
    rest = s3.list_objects(Bucket=filled, Marker=first["Contents"][-1]["Key"])
    with_delimiter = s3.list_objects(Bucket=filled, MaxKeys=2, Delimiter="/")
    walked = [
        o["Key"]
        for page in s3.get_paginator("list_objects").paginate(
            Bucket=filled, PaginationConfig={"PageSize": 3}
        )
        for o in page.get("Contents", [])
    ]

    assert first["IsTruncated"] is True
    assert "NextMarker" not in first
    assert [o["Key"] for o in first["Contents"] + rest["Contents"]] == sorted(KEYS)
    assert with_delimiter["NextMarker"] == "photos/"
    assert walked == sorted(KEYS)


def test_max_keys_zero_and_empty_bucket(s3: Any, bucket: str):
    """An empty bucket lists nothing; KeyCount 0."""
    page = s3.list_objects_v2(Bucket=bucket)

    assert page["KeyCount"] == 0
    assert "Contents" not in page


def test_a_big_folder_costs_one_prefix(s3: Any, bucket: str):
    """Many keys under one common prefix roll into one entry, and a page of max-keys 1 still
    moves past the whole folder."""
    for i in range(30):
        s3.put_object(Bucket=bucket, Key=f"big/{i:03d}", Body=b"")
    s3.put_object(Bucket=bucket, Key="c", Body=b"")
    pages = v2_pages(s3, bucket, Delimiter="/", MaxKeys=1)

    assert names(pages) == ["big/", "c"]
