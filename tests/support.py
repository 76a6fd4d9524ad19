"""In-process Credo for tests: a data dir made by ``credo init``'s code, open services, tokens.

``make_services(tmp_path)`` runs the real initialisation (``credo.service.setup.initialize``:
master.key, secrets.key, local CA, migrated SQLite, signing keys, the bootstrap tenant, the
management API and the operator app with its certificate) and opens the services exactly as
``credo serve`` does. Tokens come from the real token endpoint through ``ASGITransport``:
a client assertion signed by a certificate (the operator's, or any app's), or a secret.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from credo import certs, jose
from credo.config import load_settings
from credo.service.management.policy import MANAGEMENT_SCOPE
from credo.service.runtime import Services, open_services
from credo.service.setup import initialize
from credo.web.app import build_app

BASE_URL = "https://login.credo.test"
BOOTSTRAP_DOMAIN = "credo.test"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


async def make_services(tmp_path: Path, *, domain: str = BOOTSTRAP_DOMAIN,
                        env: dict[str, str] | None = None) -> Services:
    """A freshly initialised deployment under ``tmp_path / "credo"``; close with
    ``credo.web.app.close_services``. ``services.settings`` holds ``bootstrap_tenant`` and
    ``operator_app_id``; the operator's key and certificate are in ``settings.operator_dir``.
    ``env`` holds ``CREDO_*`` settings for this deployment (none by default)."""
    data_dir = tmp_path / "credo"
    settings = load_settings(data_dir, env=env or {}, base_url=BASE_URL)
    await asyncio.to_thread(initialize, settings, domain)
    return await open_services(load_settings(data_dir, env=env or {}))


def asgi_client(services: Services) -> httpx.AsyncClient:
    """An HTTP client wired to the whole ASGI app (protocol endpoints and ``/v1.0``)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=build_app(services)),
                             base_url=services.settings.base_url)


def operator_credential(services: Services) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    folder = services.settings.operator_dir
    return (certs.load_private_key((folder / "operator.key.pem").read_bytes()),
            certs.load_certificate((folder / "operator.pem").read_bytes()))


def client_assertion(key: rsa.RSAPrivateKey, cert: x509.Certificate, client_id: str,
                     audience: str, *, lifetime: int = 600, alg: jose.Alg = "RS256") -> str:
    """An RFC 7523 client assertion as MSAL builds it (``x5t`` header, RS256 by default)."""
    now = int(time.time())
    claims = {"aud": audience, "iss": client_id, "sub": client_id, "jti": str(uuid.uuid4()),
              "nbf": now, "iat": now, "exp": now + lifetime}
    return jose.sign(alg, key, {"typ": "JWT", "x5t": certs.thumbprints(cert).x5t}, claims)


async def _token(client: httpx.AsyncClient, tenant: str, form: dict[str, str]) -> str:
    response = await client.post(f"/{tenant}/oauth2/v2.0/token", data=form)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert isinstance(token, str)
    return token


async def token_with_certificate(client: httpx.AsyncClient, tenant: str, client_id: str,
                                 key: rsa.RSAPrivateKey, cert: x509.Certificate, *,
                                 scope: str = MANAGEMENT_SCOPE, strict: bool = False) -> str:
    """``strict``: the assertion a ``strict`` tenant wants (PS256, ``aud`` = the issuer);
    otherwise MSAL's (RS256, ``aud`` = the token endpoint). ``tenant`` is the tenant's GUID."""
    base = str(client.base_url).rstrip("/")
    audience = f"{base}/{tenant}/v2.0" if strict else f"{base}/{tenant}/oauth2/v2.0/token"
    assertion = client_assertion(key, cert, client_id, audience,
                                 alg="PS256" if strict else "RS256")
    return await _token(client, tenant, {
        "grant_type": "client_credentials", "client_id": client_id, "scope": scope,
        "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion})


async def token_with_secret(client: httpx.AsyncClient, tenant: str, client_id: str,
                            secret: str, *, scope: str = MANAGEMENT_SCOPE) -> str:
    return await _token(client, tenant, {"grant_type": "client_credentials",
                                         "client_id": client_id, "client_secret": secret,
                                         "scope": scope})


async def operator_token(client: httpx.AsyncClient, services: Services,
                         tenant: str | None = None, *, strict: bool = False) -> str:
    """The operator's management token in ``tenant`` (default: the bootstrap tenant)."""
    key, cert = operator_credential(services)
    return await token_with_certificate(client, tenant or services.settings.bootstrap_tenant,
                                        services.settings.operator_app_id, key, cert,
                                        strict=strict)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def claims_of(token: str) -> dict[str, Any]:
    """The (unverified) claims of a JWT, for assertions about what a token carries."""
    return jose.parse_compact(token).claims


async def directory_rows(services: Services) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table except the audit log, replay records and the sign-in state
    (throttle counters, familiar addresses, browser sessions and the portal's tokens): a
    rejected request must leave this unchanged."""
    import sqlalchemy as sa

    from credo.store import tables

    skip = {tables.audit_events.name, tables.replay.name, tables.sign_in_throttle.name,
            tables.sign_in_familiar.name, tables.browser_sessions.name,
            tables.portal_tokens.name}
    engine = services.store._db.engine
    rows: dict[str, list[tuple[Any, ...]]] = {}
    async with engine.connect() as conn:
        for table in tables.metadata.sorted_tables:
            if table.name not in skip:
                result = await conn.execute(sa.select(table))
                rows[table.name] = sorted((tuple(r) for r in result.all()), key=repr)
    return rows
