"""A server the CLI cannot talk to is named for why: no scheme, nothing listening, plain HTTP
to the HTTPS port (or TLS to a plain one), a TLS certificate the CLI does not trust."""

from __future__ import annotations

import ssl
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from credo.client import ConfidentialClient
from credo.errors import TlsTrustError
from live import free_port

from . import servers
from .conftest import failed, ok


class _Answer(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def foreign_tls(tmp_path: Path) -> ssl.SSLContext:
    """A server certificate for 127.0.0.1 from a CA nobody here trusts."""
    return servers.foreign_tls(tmp_path)


def _trust_message(url: str, reason: str, ca: Path) -> str:
    return (f"error: the TLS certificate of {url} is not trusted ({reason}). This is a trust "
            f"setting, not an outage: give the CLI the server's CA with --ca {ca} (or that "
            f"server's --data-dir); for MSAL and other requests-based clients export "
            f"REQUESTS_CA_BUNDLE={ca}; Credo's client takes verify=\"{ca}\"\n")


def test_an_untrusted_certificate_is_not_called_an_outage(initialized: Path,
                                                          foreign_tls: ssl.SSLContext) -> None:
    with servers.listening(_Answer, foreign_tls) as port:
        url = f"https://127.0.0.1:{port}"
        result = failed("tenant", "list", "--data-dir", initialized, "--server", url)
        token = failed("token", "get", "SuperApp", "--tenant", "contoso.example", "--secret",
                       "s", "--scope", "api://mail/.default", "--data-dir", initialized,
                       "--server", url)
    expected = _trust_message(url, "unable to get local issuer certificate",
                              initialized / "tls" / "ca.pem")
    assert (result.exit_code, result.stderr) == (1, expected)
    assert "is `credo serve` running?" not in result.stderr
    assert token.stderr.startswith(f"error: the TLS certificate of {url} is not trusted")


def test_the_clients_tls_trust_error_is_explained_too(initialized: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    description = "the server's certificate is not trusted: pass verify= with its CA"

    def refuse(*args: object, **kwargs: object) -> None:
        raise TlsTrustError(description)

    monkeypatch.setattr(ConfidentialClient, "acquire_token_for_client", refuse)
    result = failed("tenant", "list", "--data-dir", initialized)
    assert result.stderr == _trust_message("https://127.0.0.1:18443", description,
                                           initialized / "tls" / "ca.pem")


def test_plain_http_sent_to_the_https_port(initialized: Path,
                                           foreign_tls: ssl.SSLContext) -> None:
    with servers.listening(_Answer, foreign_tls) as port:
        result = failed("tenant", "list", "--data-dir", initialized, "--server",
                        f"http://127.0.0.1:{port}")
    assert (result.exit_code, result.stderr) == (1, (
        f"error: http://127.0.0.1:{port} closed the connection without answering plain HTTP: "
        f"Credo serves HTTPS unless started with --insecure-http; use https://127.0.0.1:{port}\n"))


def test_tls_sent_to_a_plain_http_port(initialized: Path) -> None:
    with servers.listening(_Answer) as port:
        result = failed("tenant", "list", "--data-dir", initialized, "--server",
                        f"https://127.0.0.1:{port}")
    assert result.stderr.startswith(f"error: https://127.0.0.1:{port} does not speak TLS (")
    assert result.stderr.endswith(
        "): a server started with --insecure-http is reached through its TLS proxy, or as "
        f"http://127.0.0.1:{port}\n")


def test_nothing_listening(initialized: Path) -> None:
    port = free_port()
    result = failed("tenant", "list", "--data-dir", initialized, "--server",
                    f"https://127.0.0.1:{port}")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: cannot reach Credo at https://127.0.0.1:{port} (")
    assert result.stderr.endswith(") — is `credo serve` running? `credo doctor` checks the data "
                                  "dir and the server\n")


@pytest.mark.parametrize(("given", "hint"), [
    ("127.0.0.1:8443", "did you mean https://127.0.0.1:8443?"),
    ("localhost", "did you mean https://localhost?"),
    ("ftp://example.com/", "did you mean https://example.com?"),
    ("https://", "e.g. https://127.0.0.1:8443")])
def test_a_server_that_is_not_a_url(initialized: Path, given: str, hint: str) -> None:
    for args in (("tenant", "list"), ("doctor",),
                 ("token", "get", "x", "--secret", "s", "--scope", "api://x/.default")):
        result = failed(*args, "--server", given, "--data-dir", initialized)
        assert (result.exit_code, result.stderr) == (
            2, f"error: --server: {given!r} is not a URL; {hint}\n"), args


def test_token_get_without_an_operator_needs_the_appid_and_tenant(tmp_path: Path) -> None:
    result = failed("token", "get", "SuperApp daemon", "--secret", "s", "--scope",
                    "api://mail/.default", "--data-dir", tmp_path)
    assert (result.exit_code, result.stderr) == (2, (
        f"error: give the app's appId and --tenant: {tmp_path} has no operator to look up "
        "'SuperApp daemon'\n"))


def test_a_pfx_or_key_is_refused_before_any_upload(initialized: Path, tmp_path: Path) -> None:
    ok("cert", "create", "--subject", "CN=x", "--out", tmp_path / "x")
    for suffix, what in ((".pfx", "it is a PKCS#12 (.pfx) bundle"),
                         (".key.pem", "it is a private key (PEM PRIVATE KEY)")):
        path = tmp_path / f"x{suffix}"
        result = failed("app", "cert", "add", "SuperApp daemon", path, "--data-dir",
                        initialized, "--server", f"https://127.0.0.1:{free_port()}")
        assert result.stderr.startswith(
            f"error: {path}: not a PEM or DER X.509 certificate: {what}"), result.stderr
