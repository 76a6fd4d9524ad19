"""Other programs' HTTP(S) servers on a free port, for the CLI's connection diagnoses."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from credo import certs, local_ca


@contextmanager
def listening(handler: type[BaseHTTPRequestHandler],
              tls: ssl.SSLContext | None = None) -> Iterator[int]:
    """``handler`` served on 127.0.0.1 (over TLS with ``tls``); yields the port."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()


def tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def foreign_tls(directory: Path) -> ssl.SSLContext:
    """A server certificate for 127.0.0.1 from a CA nobody here trusts; the CA's certificate
    is left in ``directory/other-ca.pem``."""
    ca_key, ca_cert = local_ca.create_ca("Someone else's CA")
    key, cert = local_ca.issue_server_certificate(ca_key, ca_cert, ["localhost"], ["127.0.0.1"])
    (directory / "other.pem").write_bytes(certs.certificate_pem(cert))
    (directory / "other.key.pem").write_bytes(certs.private_key_pem(key))
    (directory / "other-ca.pem").write_bytes(certs.certificate_pem(ca_cert))
    return tls_context(directory / "other.pem", directory / "other.key.pem")
