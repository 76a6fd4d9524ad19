"""MSAL Python's ``ConfidentialClientApplication`` against ``credo serve``.

MSAL is configured as a custom authority needs: ``instance_discovery=
False`` and the private CA through ``REQUESTS_CA_BUNDLE`` (``trust_ca``), which overrides
any ``verify=``. Most tests pass a ``RecordingSession`` as ``http_client`` to see the
assertion MSAL signed; one uses MSAL's own session.
"""

from __future__ import annotations

import base64
import uuid
from pathlib import Path
from typing import Any

import msal
import pytest

from .harness import PFX_PASSWORD, Interop, jws_parts
from .recording import RecordingSession

pytestmark = pytest.mark.slow
AUTHORITIES = ["domain", "guid"]


def _app(interop: Interop, credential: Any, by: str,
         session: RecordingSession | None = None) -> msal.ConfidentialClientApplication:
    extra: dict[str, Any] = {} if session is None else {"http_client": session}
    return msal.ConfidentialClientApplication(
        interop.daemon_app_id, client_credential=credential, authority=interop.authority(by),
        instance_discovery=False, **extra)


def _token(result: dict[str, Any]) -> str:
    assert "access_token" in result, result
    assert result["token_type"] == "Bearer", result
    assert result["expires_in"] > 300, result  # MSAL caches only tokens with > 5 min left
    assert "refresh_token" not in result and "scope" not in result, result
    return str(result["access_token"])


def _padded_b64url(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).decode()


def _check_msal_claims(interop: Interop, claims: dict[str, Any]) -> None:
    """MSAL's assertion: aud = the *discovered* token endpoint, float iat, exp = iat + 600."""
    assert claims["aud"] == interop.discovery[2]["token_endpoint"], claims
    assert claims["iss"] == claims["sub"] == interop.daemon_app_id, claims
    assert "nbf" not in claims and isinstance(claims["iat"], float), claims
    assert claims["exp"] - claims["iat"] == pytest.approx(600), claims
    uuid.UUID(claims["jti"])


@pytest.mark.parametrize("by", AUTHORITIES)
def test_thumbprint_rs256_cache_and_assertion_reuse(interop: Interop, trust_ca: Path,
                                                    wire: RecordingSession, by: str) -> None:
    app = _app(interop, {"private_key": interop.cert.key_pem,
                         "thumbprint": interop.cert.sha1_hex}, by, wire)

    first = app.acquire_token_for_client([interop.mail.scope])
    interop.validate(_token(first), interop.mail, acr="2")
    assert first["token_source"] == "identity_provider", first
    header, claims = wire.assertion()
    assert header == {"alg": "RS256", "typ": "JWT",
                      "x5t": _padded_b64url(interop.cert.thumbprints.sha1)}, header
    assert len(header["x5t"]) == 28 and header["x5t"].endswith("="), header
    _check_msal_claims(interop, claims)
    assert wire.posts[-1]["client_id"] == interop.daemon_app_id
    assert wire.posts[-1]["url"] == interop.discovery[2]["token_endpoint"]

    again = app.acquire_token_for_client([interop.mail.scope])
    assert again["token_source"] == "cache", again
    assert again["access_token"] == first["access_token"]
    assert len(wire.posts) == 1

    # Another resource: MSAL re-sends the same signed assertion (same jti); `entra` accepts it.
    other = app.acquire_token_for_client([interop.v2.scope])
    interop.validate(_token(other), interop.v2, acr="2")
    assert len(wire.posts) == 2
    assert wire.posts[1]["client_assertion"] == wire.posts[0]["client_assertion"]
    assert wire.assertion(1)[1]["jti"] == claims["jti"]


@pytest.mark.parametrize("by", AUTHORITIES)
def test_public_certificate_ps256_x5c(interop: Interop, trust_ca: Path, wire: RecordingSession,
                                      by: str) -> None:
    app = _app(interop, {"private_key": interop.cert.key_pem,
                         "public_certificate": interop.cert.cert_pem}, by, wire)
    result = app.acquire_token_for_client([interop.mail.scope])
    interop.validate(_token(result), interop.mail, acr="2")
    header, claims = wire.assertion()
    assert header["alg"] == "PS256" and header["typ"] == "JWT", header
    assert header["x5t#S256"] == _padded_b64url(interop.cert.thumbprints.sha256), header
    assert "x5t" not in header, header
    (x5c,) = header["x5c"]
    assert "\n" in x5c  # MSAL keeps the PEM line breaks
    assert base64.b64decode("".join(x5c.split())) == base64.b64decode(interop.cert.der_b64)
    _check_msal_claims(interop, claims)


@pytest.mark.parametrize("by", AUTHORITIES)
def test_pfx_ps256(interop: Interop, trust_ca: Path, wire: RecordingSession,
                   by: str) -> None:
    app = _app(interop, {"private_key_pfx_path": str(interop.cert.pfx_path),
                         "passphrase": PFX_PASSWORD}, by, wire)
    interop.validate(_token(app.acquire_token_for_client([interop.v2.scope])), interop.v2,
                     acr="2")
    header, _ = wire.assertion()
    assert header["alg"] == "PS256" and "x5t#S256" in header and "x5c" not in header, header


@pytest.mark.parametrize("by", AUTHORITIES)
def test_client_secret_in_body(interop: Interop, trust_ca: Path, wire: RecordingSession,
                               by: str) -> None:
    app = _app(interop, interop.secret, by, wire)
    for resource in (interop.mail, interop.v2):
        interop.validate(_token(app.acquire_token_for_client([resource.scope])), resource,
                         acr="1")
    sent = wire.posts[-1]
    assert sent["client_secret"] == interop.secret and "client_assertion" not in sent


def test_msal_default_session_trusts_requests_ca_bundle(interop: Interop,
                                                        trust_ca: Path) -> None:
    """No ``http_client``: MSAL's own ``requests.Session``, trusting the CA via the env var."""
    app = _app(interop, {"private_key": interop.cert.key_pem,
                         "thumbprint": interop.cert.sha1_hex}, "domain")
    try:
        result = app.acquire_token_for_client([interop.mail.scope])
    finally:
        app.http_client.close()
    claims = interop.validate(_token(result), interop.mail, acr="2")
    assert claims["aud"] == "api://mail-interop"
    header, _ = jws_parts(result["access_token"])
    assert header["kid"] == header["x5t"]
