"""External issuers for the federated-credential tests: signing keys, token shapes, and the
issuer itself, served in memory (``httpx.MockTransport``) or over real HTTPS (a thread).

GitHub Actions' tokens carry ``x5t`` and ``kid``, ``sub`` ``repo:OWNER/REPO:ref:…``, and
``aud`` ``api://AzureADTokenExchange`` when asked for it; a Kubernetes service account's
projected token has ``kid`` only, ``sub`` ``system:serviceaccount:NAMESPACE:NAME`` and a
``kubernetes.io`` claim. The HTTPS issuer's certificate comes from a CA the test makes.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from credo import certs, local_ca

EXCHANGE = "api://AzureADTokenExchange"


@dataclass
class SigningKey:
    """One key of an issuer: RS256 (RSA 2048) or ES256 (P-256)."""

    alg: str
    kid: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    private: Any = None

    def __post_init__(self) -> None:
        if self.private is None:
            self.private = (ec.generate_private_key(ec.SECP256R1()) if self.alg == "ES256"
                            else rsa.generate_private_key(public_exponent=65537, key_size=2048))

    def jwk(self) -> dict[str, Any]:
        codec = ECAlgorithm if self.alg == "ES256" else RSAAlgorithm
        return {**json.loads(codec.to_jwk(self.private.public_key())), "kid": self.kid,
                "use": "sig", "alg": self.alg}

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        return jwt.encode(claims, self.private, algorithm=self.alg,
                          headers={"kid": self.kid, **header})


@dataclass
class Issuer:
    """An OpenID issuer: ``url`` (its ``iss``), its keys, and what it answers."""

    url: str
    keys: list[SigningKey] = field(default_factory=lambda: [SigningKey("RS256")])
    claimed_issuer: str | None = None
    """What its discovery document says ``issuer`` is (``url`` unless a test lies)."""
    requests: list[str] = field(default_factory=list)

    @property
    def jwks_uri(self) -> str:
        return f"{self.url.rstrip('/')}/keys"

    def discovery(self) -> dict[str, Any]:
        return {"issuer": self.claimed_issuer or self.url, "jwks_uri": self.jwks_uri,
                "response_types_supported": ["id_token"],
                "id_token_signing_alg_values_supported": sorted({k.alg for k in self.keys})}

    def answer(self, path: str) -> tuple[int, dict[str, Any]]:
        """The status and body for a GET of ``path`` (the URL's path)."""
        self.requests.append(path)
        base = httpx.URL(self.url).path.rstrip("/")
        if path == base + "/.well-known/openid-configuration":
            return 200, self.discovery()
        if path == base + "/keys":
            return 200, {"keys": [k.jwk() for k in self.keys]}
        return 404, {"error": "not found"}

    def token(self, sub: str, *, aud: str | list[str] = EXCHANGE, lifetime: int = 600,
              now: float | None = None, key: SigningKey | None = None, **claims: Any) -> str:
        issued = int(time.time() if now is None else now)
        body = {"iss": self.url, "sub": sub, "aud": aud, "iat": issued, "nbf": issued,
                "exp": issued + lifetime, **claims}
        return (key or self.keys[0]).sign({k: v for k, v in body.items() if v is not None})

    def github(self, repo: str = "contoso/mail", ref: str = "refs/heads/main", **kw: Any) -> str:
        """A GitHub-Actions-shaped token (``x5t`` in the header too, as GitHub sends)."""
        key = kw.pop("key", None) or self.keys[0]
        issued = int(kw.pop("now", None) or time.time())
        claims = {"jti": str(uuid.uuid4()), "sub": f"repo:{repo}:ref:{ref}",
                  "aud": kw.pop("aud", EXCHANGE), "ref": ref, "repository": repo,
                  "repository_owner": repo.split("/")[0], "run_id": "1", "event_name": "push",
                  "job_workflow_ref": f"{repo}/.github/workflows/deploy.yml@{ref}",
                  "iss": self.url, "nbf": issued, "iat": issued,
                  "exp": issued + kw.pop("lifetime", 300), **kw}
        return key.sign(claims, typ="JWT", x5t=key.kid)

    def kubernetes(self, namespace: str = "mail", account: str = "sender", **kw: Any) -> str:
        """A projected service-account token's shape."""
        return self.token(f"system:serviceaccount:{namespace}:{account}", **{
            "kubernetes.io": {"namespace": namespace,
                              "serviceaccount": {"name": account, "uid": str(uuid.uuid4())}},
            **kw})


def mock_transport(*issuers: Issuer, fail: Callable[[httpx.Request], None] | None = None
                   ) -> httpx.MockTransport:
    """The issuers answering by host and path, in memory."""
    by_host = {httpx.URL(i.url).host: i for i in issuers}

    def handle(request: httpx.Request) -> httpx.Response:
        if fail is not None:
            fail(request)
        issuer = by_host.get(request.url.host)
        if issuer is None:
            raise httpx.ConnectError("no such host", request=request)
        status, body = issuer.answer(request.url.path)
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handle)


class IssuerCa:
    """A CA for the test's HTTPS issuers; ``ca_path`` is what Credo is told to trust."""

    def __init__(self, directory: Path) -> None:
        self.key, self.cert = local_ca.create_ca("Credo test issuers CA")
        self.ca_path = directory / "issuers-ca.pem"
        self.ca_path.write_bytes(certs.certificate_pem(self.cert))
        self.directory = directory

    def server_context(self, host: str = "127.0.0.1") -> ssl.SSLContext:
        key, cert = local_ca.issue_server_certificate(self.key, self.cert, ["localhost"],
                                                      [host])
        name = uuid.uuid4().hex[:8]
        cert_path, key_path = self.directory / f"{name}.pem", self.directory / f"{name}.key"
        cert_path.write_bytes(certs.certificate_pem(cert))
        key_path.write_bytes(certs.private_key_pem(key))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        return context


class HttpsIssuer:
    """An ``Issuer`` served over HTTPS on loopback by a thread (``with`` stops it)."""

    def __init__(self, ca: IssuerCa, path: str = "", keys: list[SigningKey] | None = None
                 ) -> None:
        handler = _handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.socket = ca.server_context().wrap_socket(self._server.socket,
                                                               server_side=True)
        port = self._server.server_address[1]
        self.issuer = Issuer(f"https://127.0.0.1:{port}{path}",
                             keys if keys is not None else [SigningKey("RS256")])
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def __enter__(self) -> Issuer:
        return self.issuer

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(owner: HttpsIssuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = owner.issuer.answer(self.path.split("?")[0])
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def silent_port() -> tuple[Any, int]:
    """A listening socket that accepts connections and never answers: an issuer that hangs."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    return sock, int(sock.getsockname()[1])


class DripServer:
    """An HTTPS server that answers one byte every ``interval`` seconds, for ever: each read
    succeeds within any read timeout, only an overall deadline ends the request."""

    def __init__(self, ca: IssuerCa, interval: float = 0.05) -> None:
        import socket

        self._context = ca.server_context()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._interval = interval
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                raw, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(raw,), daemon=True).start()

    def _drip(self, raw: Any) -> None:
        try:
            with self._context.wrap_socket(raw, server_side=True) as conn:
                conn.recv(65536)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                while not self._stop.wait(self._interval):
                    conn.sendall(b" ")
        except OSError:
            return

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
