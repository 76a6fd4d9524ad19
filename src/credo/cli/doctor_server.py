"""``credo doctor``, the running server as a client sees it: reachable, trusted, publishing
the issuer the data dir names, on time, with signing keys, and accepting the operator.

When the server does not answer, the fix fits what is there: nothing listening (start it),
another program on the port (stop it, or move this server with ``credo config set port``),
or ``--server`` naming another port than the data dir's server listens on.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from cryptography import x509

from credo.cli.api import Management
from credo.cli.common import CliError
from credo.cli.connection import (
    ca_hint,
    explain,
    foreign_certificate,
    refused,
    something_else_answers,
    trust,
    untrusted_reason,
)
from credo.cli.diagnosis import Finding, fail, ok, skip, warn
from credo.config import Settings, base_url_is_derived
from credo.errors import CredoError
from credo.protocol.metadata import issuer_v2

CLOCK_WARN_SECONDS, CLOCK_FAIL_SECONDS = 30, 240  # client assertions allow a few minutes
TIMEOUT = 10.0
"""Seconds the server may take to answer discovery."""
_CHECKS = ("server", "issuer", "clock", "signing keys", "operator")


def client_trust(settings: Settings, env: Mapping[str, str]) -> Finding:
    """Whether requests-based clients (MSAL, Authlib) will trust the local CA."""
    if settings.insecure_http or not settings.ca_path.is_file():
        return skip("client trust", "the server's TLS is not the data dir's local CA")
    ca = x509.load_pem_x509_certificate(settings.ca_path.read_bytes())
    fix = f"export REQUESTS_CA_BUNDLE={settings.ca_path}"
    name = "REQUESTS_CA_BUNDLE" if env.get("REQUESTS_CA_BUNDLE") else "CURL_CA_BUNDLE"
    bundle = env.get(name)
    if not bundle:
        return warn("client trust", "REQUESTS_CA_BUNDLE is not set: MSAL and other "
                    "requests-based clients will not trust Credo's local CA", fix)
    try:
        held = x509.load_pem_x509_certificates(Path(bundle).read_bytes())
    except (OSError, ValueError):
        held = []
    if ca not in held:
        return warn("client trust", f"{name}={bundle} does not hold Credo's CA: MSAL will "
                    "fail with CERTIFICATE_VERIFY_FAILED", fix)
    return ok("client trust", f"{name} holds Credo's local CA")


def _port(url: str) -> int:
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme == "https" else 80)


def _elsewhere(settings: Settings, server: str, named_by: str | None) -> str | None:
    """The fix when ``--server`` (or the server setting) names another port than the one
    this data dir's server listens on; None when it names that one (or a proxy is in front)."""
    port = _port(server)
    if named_by is None or port == settings.port or not base_url_is_derived(settings):
        return None
    instead = ("leave --server out" if named_by == "--server"
               else "`credo config unset server`")
    return (f"{named_by} names port {port}, but this data dir's server listens on port "
            f"{settings.port}: {instead}, or give --server {settings.base_url}")


def _taken(settings: Settings, server: str) -> str:
    where = f"--data-dir {settings.data_dir}"
    return (f"port {_port(server)} is taken by another program: stop it, or move this server "
            f"to a free port N: credo config set port N {where}, then credo serve {where}")


def _unanswered(settings: Settings, server: str, ca: Path | None, named_by: str | None,
                exc: httpx.HTTPError) -> Finding:
    """The server finding when the request got no HTTP answer: what is there, and its fix."""
    message = str(explain(server, exc, ca_hint(settings), suggest_doctor=False))
    fix = _elsewhere(settings, server, named_by)
    if fix is not None:
        return fail("server", message, fix)
    if refused(exc):
        return fail("server", message, f"start it: credo serve --data-dir {settings.data_dir}")
    if foreign_certificate(exc) and ca is not None:
        return fail("server", message, f"give this data dir's CA, --ca {settings.ca_path}, or "
                    "leave --ca out (the CLI trusts that CA by itself)")
    if foreign_certificate(exc):
        return fail("server", f"{server} is not this data dir's Credo: its TLS certificate is "
                    f"not from {settings.ca_path} ({untrusted_reason(exc)})",
                    _taken(settings, server))
    if something_else_answers(exc):
        return fail("server", message, _taken(settings, server))
    return fail("server", message, f"start it: credo serve --data-dir {settings.data_dir}")


def _discovery(settings: Settings, server: str, ca: Path | None, named_by: str | None,
               ) -> tuple[Finding, httpx.Response | None]:
    url = f"{server}/{settings.bootstrap_tenant}/v2.0/.well-known/openid-configuration"
    try:
        response = httpx.get(url, verify=trust(ca, settings), timeout=TIMEOUT)
    except httpx.HTTPError as exc:
        return _unanswered(settings, server, ca, named_by, exc), None
    if response.status_code != 200:
        fix = _elsewhere(settings, server, named_by) or _taken(settings, server)
        return fail("server", f"{url} answered HTTP {response.status_code}: another server (or "
                    "another data dir's Credo) answers at that address", fix), None
    return ok("server", f"{server} answers over {url.split(':', 1)[0].upper()}"), response


def _issuer(settings: Settings, document: dict[str, Any]) -> Finding:
    expected = issuer_v2(settings.base_url, settings.bootstrap_tenant)
    published = document.get("issuer")
    if published == expected:
        return ok("issuer", f"tokens are issued by {settings.base_url}, as the data dir says")
    return fail("issuer", f"the server publishes {published}, this data dir expects {expected}: "
                "it runs with another base_url (CREDO_BASE_URL in its environment?) or "
                "another data dir", "restart it with this data dir's settings")


def _clock(response: httpx.Response) -> Finding:
    date = response.headers.get("date")
    if not date:
        return skip("clock", "the server sent no Date header")
    skew = (datetime.now(UTC) - email.utils.parsedate_to_datetime(date)).total_seconds()
    text = f"this machine and the server differ by {abs(skew):.0f} s"
    fix = "synchronise both clocks (NTP): assertions and tokens carry times"
    if abs(skew) > CLOCK_FAIL_SECONDS:
        return fail("clock", text, fix)
    if abs(skew) > CLOCK_WARN_SECONDS:
        return warn("clock", text, fix)
    return ok("clock", f"{text} (at most {CLOCK_WARN_SECONDS} s is fine)")


def _keys(settings: Settings, server: str, ca: Path | None) -> list[Finding]:
    """Signing keys as the operator sees them; a token for it proves its credential works."""
    try:
        with Management(settings.data_dir, server, ca=ca) as api:
            answer = api.get(api.bootstrap_tenant, "/keys")
    except (CliError, CredoError) as exc:
        text = str(exc) if isinstance(exc, CliError) else exc.description
        return [skip("signing keys", "the operator got no answer"),
                fail("operator", f"the CLI's operator cannot manage the server: {text}",
                     "check that the server runs this data dir")]
    states = [str(k.get("state")) for k in answer.get("value") or [] if isinstance(k, dict)]
    keys = (ok("signing keys", f"active {answer.get('activeKid')}, next key published")
            if {"active", "next"} <= set(states) else
            fail("signing keys", f"key states are {', '.join(states) or 'none'}; an active and "
                 "a next key are needed", "credo keys rotate"))
    return [keys, ok("operator", "the CLI's operator certificate gets management tokens")]


def server_checks(settings: Settings, server: str, ca: Path | None,
                  named_by: str | None = None) -> list[Finding]:
    """The server's checks; ``named_by`` says where ``server`` came from (``--server``, the
    server setting) when it is not the data dir's own address."""
    reached, response = _discovery(settings, server, ca, named_by)
    if response is None:
        return [reached, *(skip(name, "the server did not answer") for name in _CHECKS[1:])]
    document = response.json()
    return [reached, _issuer(settings, document if isinstance(document, dict) else {}),
            _clock(response), *_keys(settings, server, ca)]
