"""Credo's own ``credo.client.ConfidentialClient`` against ``credo serve``, sync and async."""

from __future__ import annotations

import time

import pytest

from credo.client import CertificateCredential, ClientSecret, ConfidentialClient

from .harness import PFX_PASSWORD, Interop, jws_parts

pytestmark = pytest.mark.slow
ALGORITHMS = ["PS256", "RS256"]


def _certificate(interop: Interop, algorithm: str) -> CertificateCredential:
    return CertificateCredential.from_files(interop.cert.cert_path, interop.cert.key_path,
                                            algorithm=algorithm)  # type: ignore[arg-type]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_sync_certificate(interop: Interop, algorithm: str) -> None:
    credential = _certificate(interop, algorithm)
    endpoint = interop.discovery[2]["token_endpoint"]
    with ConfidentialClient(interop.authority(), interop.daemon_app_id, credential=credential,
                            verify=interop.ca) as client:
        token = client.acquire_token_for_client([interop.mail.scope])
        interop.validate(token.access_token, interop.mail, acr="2")
        assert client.acquire_token_for_client([interop.mail.scope]) is token  # cached
        other = client.acquire_token_for_client([interop.v2.scope])
        interop.validate(other.access_token, interop.v2, acr="2")
        assert client.token_endpoint == endpoint
    # The assertion it sent (reused, like MSAL's, until near expiry).
    header, claims = jws_parts(credential.assertion(interop.daemon_app_id, endpoint,
                                                    time.time()))
    assert header["alg"] == algorithm, header
    assert ("x5t#S256" if algorithm == "PS256" else "x5t") in header, header
    assert claims["aud"] == endpoint and claims["exp"] - claims["iat"] == 600, claims


@pytest.mark.parametrize("algorithm", ALGORITHMS)
async def test_async_certificate(interop: Interop, algorithm: str) -> None:
    async with ConfidentialClient(interop.authority("guid"), interop.daemon_app_id,
                                  credential=_certificate(interop, algorithm),
                                  verify=interop.ca) as client:
        token = await client.acquire_token_for_client_async([interop.v2.scope])
    interop.validate(token.access_token, interop.v2, acr="2")


def test_pfx_and_secret(interop: Interop) -> None:
    pfx = CertificateCredential.from_pfx(interop.cert.pfx_path, PFX_PASSWORD)
    for credential, acr in ((pfx, "2"), (ClientSecret(interop.secret), "1")):
        with ConfidentialClient(interop.authority(), interop.daemon_app_id,
                                credential=credential, verify=interop.ca) as client:
            token = client.acquire_token_for_client([interop.mail.scope])
        interop.validate(token.access_token, interop.mail, acr=acr)
