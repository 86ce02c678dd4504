"""Task tokens: what `$$.Task.Token` hands a `.waitForTaskToken` integration, and what
SendTaskSuccess/Failure/Heartbeat bring back.

A token names the execution and the effect the run waits for, as base64url JSON, so a
callback finds its execution without a lookup table; it is opaque to users, as AWS's is.
A token the run no longer waits for (answered, timed out, the execution ended) is simply
not consumed by the interpreter, which the service answers as TaskTimedOut.
"""

from __future__ import annotations

import base64
import binascii
import json

MAX_TOKEN = 1024  # AWS's limit on taskToken


class BadToken(ValueError):
    """The text is not a task token Stratus made."""


def encode(execution_arn: str, token: str) -> str:
    raw = json.dumps({"e": execution_arn, "t": token}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(text: str) -> tuple[str, str]:
    """(execution ARN, effect token) of a task token; BadToken if it is not one."""
    if not text or len(text) > MAX_TOKEN:
        raise BadToken(text)
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        fields = json.loads(raw)
        return str(fields["e"]), str(fields["t"])
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise BadToken(text) from exc
