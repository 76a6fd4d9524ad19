"""Fakes for the examples' tests: an authority that mints tokens, and the mail API on top.

The fake authority answers Credo's discovery and JWKS routes (the documents come from
``credo.protocol.metadata``, as Credo serves them) through ``httpx.MockTransport``, for the
tenants below and for ``organizations`` (Entra's templated multi-tenant issuer). Tokens are
signed with one RSA key made once per session; the validator's clock is fixed at ``NOW``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from credo import certs, jose
from credo.protocol import metadata
from credo.resource import TokenValidator

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # ``examples`` lives at the repository root, next to src/
    sys.path.insert(0, str(ROOT))

from examples.mail_api import MailStore  # noqa: E402

HOST = "https://login.credo.test"
CONTOSO = "3c9f1e52-7d4b-4a0e-9a1f-2b6c8d0e4f13"
FABRIKAM = "8a7b6c5d-4e3f-4a2b-9c1d-0e1f2a3b4c5d"
EMPTY = "f0e1d2c3-b4a5-4968-8776-655443322110"
"""A tenant the API accepts but holds no data for."""
TENANTS = {"contoso.example": CONTOSO, CONTOSO: CONTOSO, "fabrikam.example": FABRIKAM,
           FABRIKAM: FABRIKAM, EMPTY: EMPTY}
MAIL_API_URI = "api://mail"
MAIL_API_ID = "6d1f3a2b-0c4e-4f5a-8b9c-7d6e5f4a3b2c"
DAEMON_ID = "0b3c5a0e-1f0f-4f0e-9d3c-5a6b7c8d9e0f"
DAEMON_SP = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
NOW = 1_800_000_000.0


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey
    cert: x509.Certificate


def make_key(name: str) -> SigningKey:
    start = datetime.now(UTC) - timedelta(days=1)
    private, cert = certs.create_self_signed(f"CN={name}", start, start + timedelta(days=30))
    return SigningKey(certs.thumbprints(cert).x5t, private, cert)


def issuer(version: str, tenant: str) -> str:
    return (metadata.issuer_v2(HOST, tenant) if version == "2.0"
            else metadata.issuer_v1(HOST, tenant))


class FakeAuthority:
    """Discovery (v1.0 and v2.0) and JWKS for ``TENANTS`` and ``organizations``."""

    def __init__(self, key: SigningKey) -> None:
        self.key = key

    def answer(self, request: httpx.Request) -> httpx.Response:
        segment, _, rest = request.url.path.lstrip("/").partition("/")
        if rest in ("discovery/keys", "discovery/v2.0/keys"):
            return httpx.Response(200, json={"keys": [
                jose.jwk_from_certificate(self.key.cert, self.key.kid)]})
        build = {"v2.0/.well-known/openid-configuration": functools.partial(
                     metadata.discovery, version=2, grant_types=()),
                 ".well-known/openid-configuration": functools.partial(
                     metadata.discovery, version=1, grant_types=())}.get(rest)
        if build is None:
            return httpx.Response(404, json={"error": "not_found"})
        if segment == "organizations":
            return httpx.Response(200, json={**build(HOST, segment),
                                             "issuer": build(HOST, "{tenantid}")["issuer"]})
        if segment not in TENANTS:
            return httpx.Response(400, json={"error": "invalid_tenant"})
        return httpx.Response(200, json=build(HOST, TENANTS[segment]))

    def validator(self, authority: str = f"{HOST}/contoso.example",
                  **options: Any) -> TokenValidator:
        return TokenValidator(authority, (MAIL_API_URI, MAIL_API_ID),
                              http_client=httpx.AsyncClient(
                                  transport=httpx.MockTransport(self.answer)),
                              clock=lambda: NOW, **options)


def app_claims(tenant: str = CONTOSO, *, roles: tuple[str, ...] = ("Mail.Read",),
               version: str = "1.0") -> dict[str, Any]:
    """An app-only token's claims as Credo issues them (v1.0 by default, like Credo)."""
    v2 = version == "2.0"
    claims: dict[str, Any] = {
        "aud": MAIL_API_ID if v2 else MAIL_API_URI, "iss": issuer(version, tenant),
        "iat": int(NOW) - 300, "nbf": int(NOW) - 300, "exp": int(NOW) + 3600}
    claims.update({"azp": DAEMON_ID, "azpacr": "2"} if v2 else
                  {"appid": DAEMON_ID, "appidacr": "2", "idp": claims["iss"]})
    claims.update(idtyp="app", oid=DAEMON_SP, sub=DAEMON_SP, tid=tenant, ver=version)
    if roles:
        claims["roles"] = list(roles)
    return claims


def user_claims(upn: str, *, scp: str = "Mail.Read", tenant: str = CONTOSO,
                oid: str = "5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716",
                version: str = "2.0") -> dict[str, Any]:
    """A delegated token's claims: ``scp``, the user's ``oid`` and name claims."""
    claims = app_claims(tenant, roles=(), version=version)
    claims.update(scp=scp, oid=oid, sub="pairwise-subject", idtyp="user", name=upn)
    claims.update({"preferred_username": upn} if version == "2.0" else
                  {"upn": upn, "unique_name": upn})
    return claims


def sign(key: SigningKey, claims: dict[str, Any]) -> str:
    return jose.sign("RS256", key.private, {"typ": "JWT", "kid": key.kid}, claims)


@dataclass
class MailApi:
    """The API in process, a client for it, and a way to mint tokens."""

    http: httpx.AsyncClient
    store: MailStore
    key: SigningKey

    def token(self, claims: dict[str, Any]) -> dict[str, str]:
        return {"Authorization": f"Bearer {sign(self.key, claims)}"}

    async def get(self, path: str, claims: dict[str, Any] | None = None,
                  **params: str) -> httpx.Response:
        headers = self.token(claims) if claims is not None else {}
        return await self.http.get(path, headers=headers, params=params)


MakeApi = Callable[..., Any]
