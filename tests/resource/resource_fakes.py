"""A fake authority behind ``httpx.MockTransport``: discovery documents, JWKS, minted tokens.

The documents are the ones Credo itself serves (``credo.protocol.metadata``); the keys are
RSA certificates made once per session (``keys`` fixture in ``conftest.py``), published as
Credo publishes them (``jose.jwk_from_certificate``: ``kty, use, kid, x5t, n, e, x5c``).
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from credo import certs, jose
from credo.protocol import metadata
from credo.resource import TokenValidator

HOST = "https://login.credo.test"
DOMAIN = "contoso.example"
TENANT_ID = "3c9f1e52-7d4b-4a0e-9a1f-2b6c8d0e4f13"
PARTNER_ID = "8a7b6c5d-4e3f-4a2b-9c1d-0e1f2a3b4c5d"
OTHER_ID = "f0e1d2c3-b4a5-4968-8776-655443322110"
TENANTS = {DOMAIN: TENANT_ID, TENANT_ID: TENANT_ID, "partner.example": PARTNER_ID,
           PARTNER_ID: PARTNER_ID, OTHER_ID: OTHER_ID}
MAIL_API_URI = "api://mail"
MAIL_API_ID = "6d1f3a2b-0c4e-4f5a-8b9c-7d6e5f4a3b2c"
DAEMON_ID = "0b3c5a0e-1f0f-4f0e-9d3c-5a6b7c8d9e0f"
DAEMON_SP = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"
USER_OID = "5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716"
NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP: Any = _Drop()
"""A claim or header override that removes the claim or header parameter."""


@dataclass(frozen=True)
class Key:
    kid: str
    private: rsa.RSAPrivateKey
    cert: x509.Certificate

    def jwk(self, **extra: Any) -> dict[str, Any]:
        return {**jose.jwk_from_certificate(self.cert, self.kid), **extra}


def make_key(name: str) -> Key:
    from datetime import UTC, datetime, timedelta

    start = datetime.now(UTC) - timedelta(days=1)
    private, cert = certs.create_self_signed(f"CN={name}", start, start + timedelta(days=30))
    return Key(certs.thumbprints(cert).x5t, private, cert)


@dataclass
class Clock:
    now: float = NOW

    def __call__(self) -> float:
        return self.now


def issuer(version: str, tenant: str = TENANT_ID, host: str = HOST) -> str:
    return metadata.issuer_v2(host, tenant) if version == "2.0" else metadata.issuer_v1(
        host, tenant)


def app_claims(version: str = "2.0", tenant: str = TENANT_ID, *,
               roles: tuple[str, ...] = ("Mail.Read",)) -> dict[str, Any]:
    """App-only access-token claims as Credo and Entra issue them (``credo.protocol.claims``)."""
    v2 = version == "2.0"
    claims: dict[str, Any] = {
        "aud": MAIL_API_ID if v2 else MAIL_API_URI, "iss": issuer(version, tenant),
        "iat": int(NOW) - 300, "nbf": int(NOW) - 300, "exp": int(NOW) + 3600}
    claims.update({"azp": DAEMON_ID, "azpacr": "2"} if v2 else
                  {"appid": DAEMON_ID, "appidacr": "2", "idp": claims["iss"]})
    claims.update(idtyp="app", oid=DAEMON_SP, roles=list(roles), sub=DAEMON_SP, tid=tenant,
                  uti="AAAAAAAAAAAAAAAAAAAAAA", ver=version)
    return claims


def user_claims(version: str = "2.0", *, scp: str = "Mail.Read User.Read") -> dict[str, Any]:
    """A delegated token: ``scp``, user object id, pairwise ``sub``, ``idtyp: user``."""
    claims = app_claims(version, roles=())
    del claims["roles"]
    claims.update(scp=scp, oid=USER_OID, sub="pairwise-subject-of-alice", idtyp="user",
                  name="Alice Example")
    claims.update({"preferred_username": "alice@contoso.example"} if version == "2.0" else
                  {"upn": "alice@contoso.example", "unique_name": "alice@contoso.example"})
    return claims


def sign(key: Key, claims: Mapping[str, Any], *, alg: jose.Alg = "RS256",
         **header: Any) -> str:
    head = {"typ": "JWT", "kid": key.kid, **header}
    return jose.sign(alg, key.private, {k: v for k, v in head.items() if v is not DROP},
                     {k: v for k, v in claims.items() if v is not DROP})


def raw_token(header: Mapping[str, Any], claims: Mapping[str, Any], signature: bytes) -> str:
    segments = [jose.b64url_encode(json.dumps(header).encode()),
                jose.b64url_encode(json.dumps(claims).encode())]
    return ".".join([*segments, jose.b64url_encode(signature)])


@dataclass
class FakeAuthority:
    """Credo's discovery and JWKS routes for ``TENANTS``, ``common`` and ``organizations``."""

    published: list[dict[str, Any]]
    host: str = HOST
    requests: list[str] = field(default_factory=list)
    failing: bool = False
    delay: float = 0.0

    def publish(self, *keys: Key, **extra: Any) -> None:
        self.published = [k.jwk(**extra) for k in keys]

    def count(self, suffix: str) -> int:
        return sum(1 for path in self.requests if path.endswith(suffix))

    @property
    def jwks_fetches(self) -> int:
        return self.count("/keys")

    def answer(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request.url.path)
        if self.failing:
            return httpx.Response(500, text="down")
        segment, _, rest = request.url.path.lstrip("/").partition("/")
        if rest in ("discovery/keys", "discovery/v2.0/keys"):
            return httpx.Response(200, json={"keys": self.published})
        build = {"v2.0/.well-known/openid-configuration": functools.partial(
                     metadata.discovery, version=2, grant_types=()),
                 ".well-known/openid-configuration": functools.partial(
                     metadata.discovery, version=1, grant_types=())}.get(rest)
        if build is None:
            return httpx.Response(404, json={"error": "not_found"})
        if segment in ("common", "organizations"):
            return httpx.Response(200, json={**build(self.host, segment),
                                             "issuer": build(self.host, "{tenantid}")["issuer"]})
        if segment not in TENANTS:
            return httpx.Response(400, json={"error": "invalid_tenant"})
        return httpx.Response(200, json=build(self.host, TENANTS[segment]))

    async def answer_async(self, request: httpx.Request) -> httpx.Response:
        if self.delay:
            await asyncio.sleep(self.delay)
        return self.answer(request)

    def answer_sync(self, request: httpx.Request) -> httpx.Response:
        if self.delay:
            time.sleep(self.delay)
        return self.answer(request)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.answer_async))

    def sync_client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self.answer_sync))

    def validator(self, authority: str = f"{HOST}/{DOMAIN}", *,
                  audiences: tuple[str, ...] = (MAIL_API_URI, MAIL_API_ID),
                  clock: Callable[[], float] | None = None, **options: Any) -> TokenValidator:
        return TokenValidator(authority, audiences, http_client=self.client(),
                              sync_http_client=self.sync_client(),
                              clock=clock or Clock(), **options)
