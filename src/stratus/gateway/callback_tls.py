"""The @connections endpoint over HTTPS, for handler code that builds it from the event.

AWS's examples (and most WebSocket handlers) reach the @connections API with

    boto3.client("apigatewaymanagementapi",
                 endpoint_url=f"https://{ctx['domainName']}/{ctx['stage']}")

so the event's `domainName` must name a place that answers HTTPS. Stratus serves plain
HTTP on its port, and `*.execute-api.localhost` does not resolve everywhere; so the server
also opens a TLS door on a loopback port of its own, which forwards every connection, as
bytes, to the main port, and WebSocket events carry

    domainName = 127.0.0.1:{tls port}/_aws/execute-api/{api id}

(the path form of execute-api addresses, so `https://{domainName}/{stage}/@connections/{id}`
is the right URL). The door's certificate is self-signed, made once per data directory
(EC P-256, 10 years, for 127.0.0.1, localhost and *.execute-api.localhost); environments get
`AWS_CA_BUNDLE` (boto3: that certificate plus the usual CAs) and `NODE_EXTRA_CA_CERTS`
(Node's SDKs) naming it, so their SDKs trust it.

Trade-off: a domainName with a path in it is not a host name; code that splits it as one
(rare: handlers pass it on to build the endpoint) sees `127.0.0.1:port`.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from stratus.certificates import key_pem, self_signed

CHUNK = 64 * 1024
_YEARS = 10


@dataclass(frozen=True, slots=True)
class TlsFiles:
    certificate: Path  # the door's certificate (PEM): NODE_EXTRA_CA_CERTS
    key: Path
    bundle: Path  # the certificate and the usual CAs: AWS_CA_BUNDLE


def tls_files(directory: Path) -> TlsFiles:
    """The door's key in `directory`, its certificate and CA bundle in `directory/public`
    (what environments see), made the first time."""
    public = directory / "public"
    files = TlsFiles(public / "door.pem", directory / "door.key", public / "bundle.pem")
    if files.certificate.exists() and files.key.exists() and files.bundle.exists():
        return files
    public.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Stratus execute-api")])
    now = datetime.datetime.now(datetime.UTC)
    names = [
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.DNSName("localhost"),
        x509.DNSName("*.execute-api.localhost"),
    ]
    certificate = self_signed(
        key, name, now - datetime.timedelta(days=1), now + datetime.timedelta(days=365 * _YEARS),
        [(x509.SubjectAlternativeName(names), False),
         (x509.BasicConstraints(ca=True, path_length=None), True)],
    )  # fmt: skip
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    files.key.write_bytes(key_pem(key))
    files.key.chmod(0o600)
    files.certificate.write_bytes(pem)
    files.bundle.write_bytes(pem + _usual_cas())
    return files


def _usual_cas() -> bytes:
    """The CAs botocore trusts by default (certifi's), so other HTTPS calls still verify."""
    try:
        import certifi
    except ImportError:  # botocore then uses its own bundle; ours holds the door only
        return b""
    return Path(certifi.where()).read_bytes()


@contextlib.asynccontextmanager
async def tls_door(files: TlsFiles, target_host: str, target_port: int) -> AsyncIterator[int]:
    """A TLS listener on a free loopback port (yielded) forwarding to the main port."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(files.certificate, files.key)
    async with asyncio.TaskGroup() as tasks:
        forwards: set[asyncio.Task[None]] = set()  # the open connections, ended at the close

        def accepted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = tasks.create_task(_wait_forward(reader, writer, target_host, target_port))
            forwards.add(task)
            task.add_done_callback(forwards.discard)

        server = await asyncio.start_server(accepted, "127.0.0.1", 0, ssl=context)
        try:
            yield server.sockets[0].getsockname()[1]
        finally:
            server.close()
            for task in forwards:
                task.cancel()


async def _wait_forward(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, port: int
) -> None:
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
    except OSError:
        writer.close()
        return
    try:
        async with asyncio.TaskGroup() as pipes:
            pipes.create_task(_wait_pipe(reader, upstream_writer))
            pipes.create_task(_wait_pipe(upstream_reader, writer))
    finally:
        for end in (writer, upstream_writer):
            end.close()


async def _wait_pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(CHUNK):
            writer.write(chunk)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except OSError:  # (ssl.SSLError is one) the other end went away
        writer.close()
