"""Self-signed X.509 certificates (`cryptography`), for what Stratus signs itself: REST APIs'
client certificates (apis/rest/account.py) and the gateway's TLS door
(gateway/callback_tls.py)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes


def self_signed(
    key: CertificateIssuerPrivateKeyTypes,
    name: x509.Name,
    not_before: datetime.datetime,
    not_after: datetime.datetime,
    extensions: Sequence[tuple[x509.ExtensionType, bool]] = (),
) -> x509.Certificate:
    """A certificate for `key`'s public half, issued by itself; (extension, critical)."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(key, hashes.SHA256())


def key_pem(key: CertificateIssuerPrivateKeyTypes) -> bytes:
    """The private key as unencrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
