"""The artifact store and its upload endpoint: content-addressed blobs that templates name."""

from __future__ import annotations

import hashlib
import http.client
import os

import httpx
import pytest

from stratus.store.artifacts import ARTIFACTS_BUCKET, ArtifactStore, NoSuchArtifact, key_of


def test_blobs_are_stored_under_their_sha256(tmp_path):
    """put() keys a blob by its SHA-256; the same bytes give the same key and one file."""
    store = ArtifactStore(tmp_path / "artifacts")
    data = b"some package bytes"

    first = store.put(data)
    second = store.put(data)

    assert first.key == second.key == hashlib.sha256(data).hexdigest()
    assert first.location == f"s3://{ARTIFACTS_BUCKET}/{first.key}"
    assert store.read(first.key) == data
    assert store.exists(first.key)
    assert os.listdir(store.root) == [first.key]  # no temporary files left behind


def test_a_discarded_upload_leaves_nothing(tmp_path):
    """An upload that is abandoned half-way is neither stored nor left as a temporary file."""
    store = ArtifactStore(tmp_path)
    writer = store.writer()
    writer.write(b"half of it")

    writer.discard()

    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    "key", ["0" * 64, "../stratus.db", "A" * 64, "", "0" * 63, f"{'0' * 64}/x"]
)
def test_unknown_or_malformed_keys_are_missing(tmp_path, key):
    """Only a stored sha256 hex is a key: anything else, paths included, is missing."""
    store = ArtifactStore(tmp_path / "artifacts")
    (tmp_path / "stratus.db").write_text("secret")

    with pytest.raises(NoSuchArtifact):
        store.read(key)

    assert not store.exists(key)


@pytest.mark.parametrize(
    ("location", "key"),
    [
        (f"s3://stratus-artifacts/{'a' * 64}", "a" * 64),
        ({"Bucket": "stratus-artifacts", "Key": "k"}, "k"),
        ({"S3Bucket": "stratus-artifacts", "S3Key": "k"}, "k"),
        ("s3://other-bucket/k", None),
        ("stratus-artifacts/k", None),
        ({"Bucket": "other", "Key": "k"}, None),
        ({"Bucket": "stratus-artifacts", "Key": {"Ref": "K"}}, None),
        (None, None),
    ],
)
def test_key_of_template_locations(location, key):
    """The forms a packaged template names an artifact in; anything else names none."""
    assert key_of(location) == key


def test_upload_then_head_then_download(server):
    """PUT answers the bucket, key and s3 location; HEAD finds it; GET returns the bytes."""
    data = os.urandom(3 * 1024 * 1024 + 17)  # more than one write batch
    base = f"{server.endpoint_url}/_stratus/artifacts"
    key = hashlib.sha256(data).hexdigest()
    missing_before = httpx.head(f"{base}/{key}").status_code

    put = httpx.put(base, content=data)
    head = httpx.head(f"{base}/{key}")
    get = httpx.get(f"{base}/{key}")

    assert missing_before == 404
    assert put.status_code == 200
    assert put.json() == {
        "Bucket": "stratus-artifacts",
        "Key": key,
        "Location": f"s3://stratus-artifacts/{key}",
    }
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(data))
    assert head.content == b""
    assert get.content == data


def test_streamed_upload_without_length(server):
    """A chunked upload (no Content-Length) is stored like any other."""
    chunks = [b"a" * 70_000, b"b" * 5, b"c" * 1_500_000]

    put = httpx.put(f"{server.endpoint_url}/_stratus/artifacts", content=iter(chunks))

    assert put.status_code == 200
    assert put.json()["Key"] == hashlib.sha256(b"".join(chunks)).hexdigest()


def test_unknown_artifact(server):
    """HEAD and GET of a key that was never uploaded answer 404."""
    base = f"{server.endpoint_url}/_stratus/artifacts"

    head = httpx.head(f"{base}/{'f' * 64}")
    get = httpx.get(f"{base}/{'e' * 64}")
    escape = httpx.get(f"{base}/..%2Fstratus.db")

    assert head.status_code == 404
    assert escape.status_code == 404
    assert get.status_code == 404
    assert get.headers["x-amzn-ErrorType"] == "ResourceNotFoundException"


def test_too_large_is_refused_before_reading(server):
    """A declared size over 250 MB is refused with 413 before any byte is read."""
    connection = http.client.HTTPConnection(server.settings.host, server.settings.port, timeout=10)
    connection.putrequest("PUT", "/_stratus/artifacts")
    connection.putheader("Content-Length", str(250 * 1024 * 1024 + 1))
    # Only one byte of the body follows: the answer must not wait for the rest.
    connection.endheaders(b"x")
    response = connection.getresponse()
    response.read()
    response.close()  # the socket lives on in the response until it is closed
    connection.close()

    assert response.status == 413
    assert response.getheader("x-amzn-ErrorType") == "RequestEntityTooLargeException"
