"""azure-identity's ``CertificateCredential`` (sync and ``aio``) and ``ClientSecretCredential``.

Configured as a custom host needs: ``authority`` = the host,
``tenant_id`` = the domain, ``disable_instance_discovery=True``, and the private CA as
``connection_verify`` (passed per request by azure-core, so no environment variable is
involved). ``raw_request_hook`` (azure-core's ``CustomHookPolicy``, run on every try) records
what was sent.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from azure.core.pipeline import PipelineRequest
from azure.identity import CertificateCredential, ClientSecretCredential
from azure.identity.aio import CertificateCredential as AsyncCertificateCredential

from .harness import PFX_PASSWORD, Interop, jws_parts
from .recording import form

pytestmark = pytest.mark.slow


class Recorder:
    """Every request azure-core sent (each retry included), as (method, url, form)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, str]]] = []

    def __call__(self, request: PipelineRequest[Any]) -> None:
        http = request.http_request
        body = form(http.body) if http.method == "POST" else {}
        self.sent.append((http.method, http.url, body))

    @property
    def posts(self) -> list[dict[str, str]]:
        return [body for method, _, body in self.sent if method == "POST"]


def _options(interop: Interop, recorder: Recorder) -> dict[str, Any]:
    return {"authority": interop.url, "disable_instance_discovery": True,
            "connection_verify": interop.ca, "raw_request_hook": recorder}


def _check_expiry(expires_on: int, requested_at: float) -> None:
    """azure-identity computes expires_on = request time + expires_in (3599)."""
    assert requested_at + 3599 - 2 <= expires_on <= time.time() + 3599 + 1, expires_on


@pytest.mark.parametrize("shape", ["combined_pem", "pfx"])
def test_certificate_credential_sync(interop: Interop, shape: str) -> None:
    recorder = Recorder()
    files: dict[str, Any] = (
        {"certificate_path": str(interop.cert.combined_path)} if shape == "combined_pem"
        else {"certificate_path": str(interop.cert.pfx_path), "password": PFX_PASSWORD})
    credential = CertificateCredential(interop.domain, interop.daemon_app_id, **files,
                                       **_options(interop, recorder))
    with credential:
        requested_at = time.time()
        token = credential.get_token(interop.mail.scope)
        interop.validate(token.token, interop.mail, acr="2")
        _check_expiry(token.expires_on, requested_at)
        again = credential.get_token(interop.mail.scope)
    assert again.token == token.token  # from MSAL's cache: one POST in all
    (sent,) = recorder.posts
    header, claims = jws_parts(sent["client_assertion"])
    assert header["alg"] == "RS256" and len(header["x5t"]) == 28, header  # always SHA-1
    assert claims["aud"] == interop.discovery[2]["token_endpoint"], claims
    assert sent["scope"] == interop.mail.scope


async def test_certificate_credential_aio(interop: Interop) -> None:
    """The async client signs by itself: PS256, padded segments, ``aud`` from the tenant
    as configured (the domain), ``nbf`` and a 30-minute lifetime, no ``iat``."""
    recorder = Recorder()
    credential = AsyncCertificateCredential(
        interop.domain, interop.daemon_app_id,
        certificate_path=str(interop.cert.combined_path), **_options(interop, recorder))
    async with credential:
        requested_at = time.time()
        token = await credential.get_token(interop.v2.scope)
    interop.validate(token.token, interop.v2, acr="2")
    _check_expiry(token.expires_on, requested_at)
    (sent,) = recorder.posts
    assertion = sent["client_assertion"]
    assert assertion.endswith("="), assertion[-8:]  # padded base64url segments
    header, claims = jws_parts(assertion)
    assert header["alg"] == "PS256" and header["x5t#S256"].endswith("="), header
    assert claims["aud"] == interop.token_endpoint(2, "domain"), claims
    assert claims["exp"] - claims["nbf"] == 1800 and "iat" not in claims, claims
    assert sent["client_id"] == interop.daemon_app_id


def test_client_secret_credential(interop: Interop) -> None:
    recorder = Recorder()
    credential = ClientSecretCredential(interop.domain, interop.daemon_app_id, interop.secret,
                                        **_options(interop, recorder))
    with credential:
        requested_at = time.time()
        token = credential.get_token(interop.mail.scope)
    interop.validate(token.token, interop.mail, acr="1")
    _check_expiry(token.expires_on, requested_at)
    (sent,) = recorder.posts
    assert sent["client_secret"] == interop.secret and "client_assertion" not in sent
