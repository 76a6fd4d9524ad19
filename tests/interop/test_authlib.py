"""Authlib's ``private_key_jwt`` (RFC 7523) against ``credo serve``.

Authlib has no discovery: the token URL is given. Its JWT header carries no thumbprint
unless the caller adds one (``headers=``), and its body has no ``client_id``: the server
identifies the client by the assertion's ``iss``/``sub``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT

from .harness import ASSERTION_TYPE, Interop, jws_parts
from .recording import form

pytestmark = pytest.mark.slow


def _check_body(body: dict[str, str], scope: str) -> tuple[dict[str, Any], dict[str, Any]]:
    assert "client_id" not in body, body
    assert body["grant_type"] == "client_credentials" and body["scope"] == scope, body
    assert body["client_assertion_type"] == ASSERTION_TYPE, body
    return jws_parts(body["client_assertion"])


def _check_claims(interop: Interop, claims: dict[str, Any], endpoint: str) -> None:
    """Authlib's claims: integer iat, exp = iat + 3600, no nbf, aud = the URL given."""
    assert claims["iss"] == claims["sub"] == interop.daemon_app_id, claims
    assert claims["aud"] == endpoint and "nbf" not in claims, claims
    assert isinstance(claims["iat"], int) and claims["exp"] - claims["iat"] == 3600, claims


@pytest.mark.parametrize("by", ["domain", "guid"])
def test_requests_session_private_key_jwt_rs256_x5t(interop: Interop, trust_ca: Path,
                                                    by: str) -> None:
    endpoint = interop.token_endpoint(2, by)
    bodies: list[dict[str, str]] = []

    def record(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        bodies.append(form(response.request.body))
        assert response.request.headers["Content-Type"].startswith(
            "application/x-www-form-urlencoded")

    with OAuth2Session(interop.daemon_app_id, interop.cert.key_pem,
                       token_endpoint_auth_method="private_key_jwt",
                       token_endpoint=endpoint, grant_type="client_credentials") as session:
        session.register_client_auth_method(
            PrivateKeyJWT(endpoint, headers={"x5t": interop.cert.thumbprints.x5t}))
        session.hooks["response"].append(record)
        token = session.fetch_token(endpoint, grant_type="client_credentials",
                                    scope=interop.mail.scope)
    interop.validate(token["access_token"], interop.mail, acr="2")
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3599, token
    (body,) = bodies
    header, claims = _check_body(body, interop.mail.scope)
    assert header == {"alg": "RS256", "typ": "JWT", "x5t": interop.cert.thumbprints.x5t}
    _check_claims(interop, claims, endpoint)


async def test_httpx_async_client_private_key_jwt_ps256(interop: Interop) -> None:
    """Authlib's httpx client over plain ``httpx`` (it prefers ``httpx2`` and warns)."""
    from authlib.integrations.httpx_client import AsyncOAuth2Client

    endpoint = interop.token_endpoint(2)
    bodies: list[dict[str, str]] = []

    async def record(response: Any) -> None:
        bodies.append(form(response.request.content))

    client = AsyncOAuth2Client(interop.daemon_app_id, interop.cert.key_pem,
                               token_endpoint_auth_method="private_key_jwt",
                               verify=interop.ssl_context(),
                               event_hooks={"response": [record]})
    client.register_client_auth_method(PrivateKeyJWT(
        endpoint, alg="PS256", headers={"x5t#S256": interop.cert.thumbprints.x5t_s256}))
    async with client:
        token = await client.fetch_token(endpoint, grant_type="client_credentials",
                                         scope=interop.v2.scope)
    interop.validate(token["access_token"], interop.v2, acr="2")
    (body,) = bodies
    header, claims = _check_body(body, interop.v2.scope)
    assert header["alg"] == "PS256" and "x5t" not in header, header
    assert header["x5t#S256"] == interop.cert.thumbprints.x5t_s256, header  # unpadded
    _check_claims(interop, claims, endpoint)
