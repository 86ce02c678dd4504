"""Secret values at rest (SecureString parameters, Secrets Manager's secrets): AES-256-GCM
(the `cryptography` package) under one key per data directory, made at first use in
`<data dir>/parameters.key` (mode 0600; the name is older than the secrets that share it).

What this protects: a copy of the database alone (a backup, a file shared by mistake) does
not reveal secret values. What it does not: whoever can read the data directory has the key
too; a KMS of its own is not something Stratus offers. The caller's name for the value (a
parameter's name, a secret version's ARN and id) is bound in as associated data, so a
ciphertext moved to another parameter or secret does not decrypt.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from stratus.errors import StratusError

KEY_FILE = "parameters.key"
_NONCE_BYTES = 12


class SecretBox:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @classmethod
    def in_directory(cls, data_dir: Path) -> SecretBox:
        """The data directory's key, made (atomically, owner-only) if it has none yet."""
        path = data_dir / KEY_FILE
        if not path.exists():
            data_dir.mkdir(parents=True, exist_ok=True)
            draft = path.with_suffix(".tmp")
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(AESGCM.generate_key(bit_length=256))
                out.flush()
                os.fsync(out.fileno())
            os.replace(draft, path)
        return cls(path.read_bytes())

    def seal(self, name: str, plain: str) -> str:
        """Ciphertext as text (base64 of nonce + sealed bytes)."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plain.encode(), name.encode())
        return base64.b64encode(nonce + sealed).decode()

    def open(self, name: str, sealed: str) -> str:
        raw = base64.b64decode(sealed)
        try:
            return self._aead.decrypt(
                raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], name.encode()
            ).decode()
        except InvalidTag:
            raise StratusError(
                f"The value of {name} cannot be decrypted: {KEY_FILE} in the data directory is "
                "not the key it was encrypted with"
            ) from None
