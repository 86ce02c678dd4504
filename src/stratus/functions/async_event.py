"""An accepted asynchronous event as the work queue keeps it, and its stored form.

The item's id is the event's request id and its subject the function's name (so deleting
the function purges its events); the payload is this record, as JSON:

    {"qualifier": "$LATEST", "received": 1700000000.5, "runs": 1,
     "event": "<base64>", "last": {"payload": "<base64>", "version": "1", "error": "Unhandled"}}

`last` is the last run's answer (null before the first run), kept so that a record written
when the event expires later, after a restart or throttling, still carries it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import orjson

from stratus.runtime.spec import InvokeResult


@dataclass(frozen=True, slots=True)
class AsyncEvent:
    qualifier: str
    payload: bytes
    received: float  # by the queue's clock
    runs: int = 0  # runs of the function so far (a throttled attempt does not run it)
    last: InvokeResult | None = None

    def encode(self) -> bytes:
        last = self.last
        return orjson.dumps(
            {
                "qualifier": self.qualifier,
                "received": self.received,
                "runs": self.runs,
                "event": _b64(self.payload),
                "last": last
                and {
                    "payload": _b64(last.payload),
                    "version": last.executed_version,
                    "error": last.function_error,
                },
            }
        )

    @classmethod
    def decode(cls, data: bytes) -> AsyncEvent:
        fields: dict[str, Any] = orjson.loads(data)
        last = fields["last"]
        if last is not None:
            last = InvokeResult(base64.b64decode(last["payload"]), last["version"], last["error"])
        event = base64.b64decode(fields["event"])
        return cls(fields["qualifier"], event, fields["received"], fields["runs"], last)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
