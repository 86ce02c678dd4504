"""The pure rules: what a ReportBatchItemFailures answer means, and how a batch is split
under Lambda's 6 MB payload limit."""

from __future__ import annotations

import json

import pytest

from stratus.mappings import records

IDS = ["a", "b", "c"]


@pytest.mark.parametrize(
    ("answer", "failed"),
    [
        (b"null", set()),
        (b"", set()),
        (b"{}", set()),
        (b'{"batchItemFailures": null}', set()),
        (b'{"batchItemFailures": []}', set()),
        (b'"done"', set()),
        (b'{"batchItemFailures": [{"itemIdentifier": "b"}]}', {"b"}),
        (b'{"batchItemFailures": [{"itemIdentifier": "a"}, {"itemIdentifier": "c"}]}',
         {"a", "c"}),
        (b"{not json", None),
        (b'{"batchItemFailures": [{"itemIdentifier": null}]}', None),
        (b'{"batchItemFailures": [{"itemIdentifier": ""}]}', None),
        (b'{"batchItemFailures": [{"itemIdentifier": "zzz"}]}', None),
        (b'{"batchItemFailures": [{"id": "a"}]}', None),
        (b'{"batchItemFailures": "a"}', None),
    ],
)  # fmt: skip
def test_batch_item_failures(answer, failed):
    """AWS's table: empty or null means success; unreadable or unknown ids fail it all."""
    assert records.failed_items(answer, IDS) == failed


def test_payloads_split_under_the_limit():
    """A batch whose event would pass 6 MB goes as several events, each under it, in order."""
    big = [{"messageId": str(i), "body": "x" * 1_000_000} for i in range(10)]

    chunks = records.payloads(big)

    assert len(chunks) == 2
    assert all(len(payload) <= records.PAYLOAD_LIMIT for _, payload in chunks)
    assert [r["messageId"] for part, _ in chunks for r in part] == [str(i) for i in range(10)]
    assert json.loads(chunks[0][1])["Records"] == chunks[0][0]
