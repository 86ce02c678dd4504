"""Random ids (UUID version 4 text, random hex), drawn from the OS's random source in bulk.

`uuid.uuid4()` reads 16 bytes from the kernel per id; every request id, message id and
receipt handle nonce did, and on a loaded or virtualised machine that system call costs more
than the rest of making the id. Here one read of 4 KiB serves 256 UUIDs, another 256 hex
tokens: the same source of randomness (os.urandom), one system call instead of 256. The two
pools refill apart, since callers draw them at different rates (a Lambda Invoke draws UUIDs
only: one refill for both grew the other pool without end). A child process must not hand
out its parent's ids: the pools are emptied in the child at fork.
"""

from __future__ import annotations

import os

_BATCH = 256
_pool: list[str] = []
_hex_pool: list[str] = []


def uuid4() -> str:
    """A random UUID, as `str(uuid.uuid4())`."""
    try:
        return _pool.pop()
    except IndexError:
        _refill_uuids()
        return _pool.pop()


def token_hex(nbytes: int = 6) -> str:
    """Random hex text of `nbytes` bytes (up to 16), as `os.urandom(nbytes).hex()`."""
    try:
        return _hex_pool.pop()[: nbytes * 2]
    except IndexError:
        _refill_tokens()
        return _hex_pool.pop()[: nbytes * 2]


def token_bytes(nbytes: int = 6) -> bytes:
    """Random bytes (up to 16), as `os.urandom(nbytes)`, from the same pool."""
    return bytes.fromhex(token_hex(nbytes))


def _refill_uuids() -> None:
    raw = bytearray(os.urandom(16 * _BATCH))
    for start in range(0, len(raw), 16):
        raw[start + 6] = raw[start + 6] & 0x0F | 0x40  # version 4
        raw[start + 8] = raw[start + 8] & 0x3F | 0x80  # RFC 4122 variant
    text = raw.hex()
    _pool.extend(
        f"{text[i : i + 8]}-{text[i + 8 : i + 12]}-{text[i + 12 : i + 16]}-"
        f"{text[i + 16 : i + 20]}-{text[i + 20 : i + 32]}"
        for i in range(0, len(text), 32)
    )


def _refill_tokens() -> None:
    text = os.urandom(16 * _BATCH).hex()
    _hex_pool.extend(text[i : i + 32] for i in range(0, len(text), 32))


def _forget() -> None:
    _pool.clear()
    _hex_pool.clear()


os.register_at_fork(after_in_child=_forget)
