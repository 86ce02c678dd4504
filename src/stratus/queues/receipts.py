"""Receipt handles: which message, of which queue, from which receive.

    base64url("<queue id>:<seq>:<receive count>:<received, epoch ms>:<nonce>")

The receive count tells a current handle from an older one of the same message (AWS gives
a new handle on every receive); the receive time bounds ChangeMessageVisibility (12 hours
from the receive, in all); the nonce keeps handles from being guessed from each other.
Handles given before the receive time was added (four parts) still decode, unbounded.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from stratus import ids

from .errors import ReceiptHandleInvalid


@dataclass(slots=True)  # not frozen: made per message (queues/model.py says why)
class Receipt:
    queue_id: int
    seq: int
    receives: int
    received: int | None = None  # epoch ms of the receive that gave the handle


def encode(queue_id: int, seq: int, receives: int, received: int) -> str:
    raw = f"{queue_id}:{seq}:{receives}:{received}:{ids.token_hex(6)}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode(handle: str, queue_id: int) -> Receipt:
    try:
        parts = base64.urlsafe_b64decode(handle.encode()).decode().split(":")
        received = int(parts[3]) if len(parts) == 5 else None
        receipt = Receipt(int(parts[0]), int(parts[1]), int(parts[2]), received)
    except (ValueError, IndexError, binascii.Error, UnicodeError):
        raise ReceiptHandleInvalid(handle) from None
    if len(parts) not in (4, 5) or receipt.queue_id != queue_id:
        raise ReceiptHandleInvalid(handle)
    return receipt
