"""A TLS trust failure is named as such, with its fix, never "no answer" (issue 13, item 1).

``credo.client`` and the resource SDK's metadata fetch, against a real HTTPS server on
127.0.0.1 whose certificate comes from a CA nobody trusts (slow: real sockets and TLS
handshakes); then the same diagnosis from a synthetic error, in the fast suite.
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from credo import certs, local_ca
from credo.client import ClientSecret, ConfidentialClient
from credo.errors import TemporarilyUnavailable, TlsTrustError
from credo.httpflow import TRUST_FIX
from credo.jose import b64url_encode
from credo.resource import MetadataUnavailable, TokenValidator


class Handler(BaseHTTPRequestHandler):
    """Discovery and a token endpoint, enough for a client to succeed once trusted."""

    def _json(self, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        base = f"https://127.0.0.1:{self.server.server_address[1]}/contoso"
        self._json({"issuer": f"{base}/v2.0", "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "jwks_uri": f"{base}/discovery/v2.0/keys"})

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self._json({"token_type": "Bearer", "expires_in": 3599, "access_token": "opaque"})

    def log_message(self, *args: object) -> None:
        pass


@dataclass
class TlsServer:
    url: str
    ca: Path


def serve(tmp: Path, *, hostnames: list[str], ips: list[str]) -> Iterator[TlsServer]:
    ca_key, ca_cert = local_ca.create_ca("Untrusted test CA")
    key, cert = local_ca.issue_server_certificate(ca_key, ca_cert, hostnames, ips)
    (tmp / "server.pem").write_bytes(certs.certificate_pem(cert))
    (tmp / "server.key").write_bytes(certs.private_key_pem(key))
    (tmp / "ca.pem").write_bytes(certs.certificate_pem(ca_cert))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp / "server.pem", tmp / "server.key")
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield TlsServer(f"https://127.0.0.1:{server.server_address[1]}/contoso", tmp / "ca.pem")
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def untrusted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    yield from serve(tmp_path_factory.mktemp("tls"), hostnames=[], ips=["127.0.0.1"])


@pytest.fixture(scope="module")
def wrong_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    yield from serve(tmp_path_factory.mktemp("tls-host"), hostnames=["credo.test"], ips=[])


def untrusted_description(server: TlsServer, problem: str) -> str:
    port = httpx.URL(server.url).port
    return f"The TLS certificate of 127.0.0.1:{port} is not trusted ({problem}). {TRUST_FIX}"


@pytest.mark.slow
def test_client_names_an_untrusted_ca_and_its_fix(untrusted: TlsServer) -> None:
    client = ConfidentialClient(untrusted.url, "app", credential=ClientSecret("s"),
                                max_retries=3)
    with pytest.raises(TlsTrustError) as caught:
        client.acquire_token_for_client(["api://mail/.default"])
    assert caught.value.description == untrusted_description(
        untrusted, "unable to get local issuer certificate")
    assert 'verify="<data dir>/tls/ca.pem"' in caught.value.description
    assert "--ca" in caught.value.description and "SSL_CERT_FILE" in caught.value.description
    assert not isinstance(caught.value, TemporarilyUnavailable)
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


@pytest.mark.slow
async def test_async_client_too(untrusted: TlsServer) -> None:
    client = ConfidentialClient(untrusted.url, "app", credential=ClientSecret("s"))
    with pytest.raises(TlsTrustError, match="is not trusted"):
        await client.acquire_token_for_client_async(["api://mail/.default"])


@pytest.mark.slow
def test_the_named_fix_works(untrusted: TlsServer) -> None:
    client = ConfidentialClient(untrusted.url, "app", credential=ClientSecret("s"),
                                verify=str(untrusted.ca))
    assert client.acquire_token_for_client(["api://mail/.default"]).access_token == "opaque"


@pytest.mark.slow
def test_a_certificate_for_another_host_is_named(wrong_host: TlsServer) -> None:
    client = ConfidentialClient(wrong_host.url, "app", credential=ClientSecret("s"),
                                verify=str(wrong_host.ca))
    with pytest.raises(TlsTrustError) as caught:
        client.acquire_token_for_client(["api://mail/.default"])
    port = httpx.URL(wrong_host.url).port
    assert caught.value.description == (
        f"The TLS certificate of 127.0.0.1:{port} was refused (IP address mismatch, "
        "certificate is not valid for '127.0.0.1'). Connect to a host name the certificate "
        "names, within its validity dates; for Credo, the address its data dir was "
        "initialised with.")


@pytest.mark.slow
async def test_resource_sdk_metadata_fetch(untrusted: TlsServer) -> None:
    validator = TokenValidator(untrusted.url, "api://mail")
    with pytest.raises(TlsTrustError) as caught:
        await validator.validate(_any_v2_token())
    assert isinstance(caught.value, MetadataUnavailable)  # still a 503 for the API
    assert caught.value.description == untrusted_description(
        untrusted, "unable to get local issuer certificate")
    with pytest.raises(TlsTrustError):
        validator.validate_sync(_any_v2_token())
    await validator.aclose()


def _any_v2_token() -> str:
    def segment(value: dict[str, object]) -> str:
        return b64url_encode(json.dumps(value).encode())
    return ".".join([segment({"alg": "RS256", "kid": "k"}), segment({"ver": "2.0"}),
                     b64url_encode(b"x" * 256)])


def test_the_diagnosis_without_a_socket() -> None:
    """httpx chains the ``ssl`` error under its ``ConnectError``; a plain outage stays one."""
    def refuse(request: httpx.Request) -> httpx.Response:
        cause = ssl.SSLCertVerificationError(1, "certificate verify failed")
        cause.verify_code, cause.verify_message = 19, "self-signed certificate in certificate chain"
        raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]", request=request) from cause

    client = ConfidentialClient("https://login.test:8443/contoso", "app",
                                credential=ClientSecret("s"),
                                http_client=httpx.Client(transport=httpx.MockTransport(refuse)))
    with pytest.raises(TlsTrustError) as caught:
        client.acquire_token_for_client(["api://mail/.default"])
    assert caught.value.description == (
        "The TLS certificate of login.test:8443 is not trusted (self-signed certificate in "
        f"certificate chain). {TRUST_FIX}")

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = ConfidentialClient("https://login.test/contoso", "app",
                                credential=ClientSecret("s"),
                                http_client=httpx.Client(transport=httpx.MockTransport(down)))
    with pytest.raises(TemporarilyUnavailable) as down_error:
        client.acquire_token_for_client(["api://mail/.default"])
    assert down_error.value.description == (
        "cannot reach Credo at https://login.test:443 (connection refused) - is credo serve "
        "running, and on that port?")


def test_a_stopped_server_is_named_with_its_port_and_the_refusal() -> None:
    """Nothing listens on the port: the error says where it looked and what happened."""
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    client = ConfidentialClient(f"https://127.0.0.1:{port}/contoso", "app",
                                credential=ClientSecret("s"), max_retries=0)
    with pytest.raises(TemporarilyUnavailable) as caught:
        client.acquire_token_for_client(["api://mail/.default"])
    assert str(caught.value) == (
        f"temporarily_unavailable: AADSTS0: cannot reach Credo at https://127.0.0.1:{port} "
        "([Errno 111] Connection refused) - is credo serve running, and on that port?")
    assert caught.value.detail == "ConnectError: [Errno 111] Connection refused"
