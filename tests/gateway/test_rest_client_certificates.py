"""A stage's client certificate, presented to HTTPS back ends of HTTP and HTTP_PROXY
integrations (mutual TLS), and tlsConfig.insecureSkipVerification: against a real HTTPS
server that requires a client certificate signed by the one API Gateway generated."""

from __future__ import annotations

import datetime
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


class _Peer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        peer = self.connection.getpeercert() or {}
        subject = dict(item for part in peer.get("subject", ()) for item in part)
        payload = json.dumps({"client": subject.get("commonName")}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a refused handshake


def _server_certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]),
                       critical=False)
        .sign(key, hashes.SHA256())
    )  # fmt: skip
    cert_path, key_path = directory / "server.pem", directory / "server.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))  # fmt: skip
    return cert_path, key_path


@pytest.fixture
def mutual_tls(apigateway: Any, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(the HTTPS server's URL, the client certificate's id it trusts)."""
    made = apigateway.generate_client_certificate(description="mTLS")
    cert_path, key_path = _server_certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=made["pemEncodedCertificate"])
    httpd = _Server(("127.0.0.1", 0), _Peer)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}", made["clientCertificateId"]
    httpd.shutdown()
    httpd.server_close()
    thread.join()
    apigateway.delete_client_certificate(clientCertificateId=made["clientCertificateId"])


def test_a_stage_presents_its_client_certificate(rest_api, apigateway, mutual_tls):
    url, certificate_id = mutual_tls
    api = rest_api()
    api.method("/peer", "GET", integration={
        "type": "HTTP_PROXY", "integrationHttpMethod": "GET", "uri": f"{url}/peer",
        "tlsConfig": {"insecureSkipVerification": True},
    })  # fmt: skip
    api.method("/verified", "GET", integration={
        "type": "HTTP_PROXY", "integrationHttpMethod": "GET", "uri": f"{url}/peer",
    })  # fmt: skip
    api.deploy("with")
    api.deploy("without")
    use = {"op": "replace", "path": "/clientCertificateId", "value": certificate_id}
    apigateway.update_stage(restApiId=api.id, stageName="with", patchOperations=[use])

    presented = api.call("GET", "/with/peer")
    refused = api.call("GET", "/without/peer")
    unverified = api.call("GET", "/with/verified")

    assert presented.status_code == 200, presented.text
    assert presented.json() == {"client": f"ApiGateway {certificate_id}"}
    assert refused.status_code >= 500  # the back end wants a certificate the stage lacks
    assert unverified.status_code >= 500  # its certificate is self-signed: not trusted
