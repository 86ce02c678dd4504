"""Any key and metadata a client can send is either stored and read back unchanged (listed
under its own name, deleted by it) or refused with a 4xx S3 error: never a 500."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# Keys: any Unicode text botocore can put in a URL (it percent-encodes), past the 1,024-byte
# limit now and then; S3 refuses nothing else that boto3 sends.
keys = st.text(
    st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    min_size=1,
    max_size=300,
)
metadata = st.dictionaries(
    st.text(st.sampled_from("abcxyz-_09"), min_size=1, max_size=8),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20),
    max_size=3,
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(key=keys, meta=metadata, body=st.binary(max_size=2048))
def test_any_key_round_trips_or_is_refused(
    s3: Any, bucket: str, key: str, meta: dict[str, str], body: bytes
):
    """Stored keys come back byte for byte, by GET, listing and delete; refusals are 4xx."""
    refused: dict[str, Any] | None = None
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body, Metadata=meta)
    except ClientError as exc:
        refused = exc.response
    if refused is not None:
        assert 400 <= refused["ResponseMetadata"]["HTTPStatusCode"] < 500, refused
        return
    got = s3.get_object(Bucket=bucket, Key=key)
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=key).get("Contents", [])]
    s3.delete_object(Bucket=bucket, Key=key)
    after = s3.list_objects_v2(Bucket=bucket, Prefix=key).get("KeyCount")

    assert got["Body"].read() == body
    assert got["Metadata"] == {k.lower(): v.strip() for k, v in meta.items()}
    assert key in listed
    assert after == 0
