"""A directory on SQLite for the token service's tests, written straight to the store.

Every time in it is relative to ``T0`` and the service reads an injected ``Clock``, so a
rule about time is tested by moving the clock; token ids come from ``Ids`` (``id-0001``, …).
Contents: tenant ``contoso.example`` (entra) and ``fabrikam.example`` (strict); in each, a
Mail API (app role ``Mail.Read``, delegated scope ``Mail.Read``; v1 tokens in contoso, v2 in
fabrikam) and a daemon with a certificate and a secret, assigned ``Mail.Read``. In contoso,
a web client (secret; web and SPA redirect URIs) and the user ``pat`` who consented to
``Mail.Read`` for it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

import jwt
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric import rsa

from credo import certs, jose
from credo.aadsts import Aadsts
from credo.errors import OAuthError
from credo.model import (
    AppId,
    Application,
    AppRole,
    AppRoleAssignment,
    AuditEvent,
    DelegatedGrant,
    ObjectId,
    PasswordCredential,
    PermissionScope,
    ServicePrincipal,
    Tenant,
    TenantId,
    User,
)
from credo.protocol.client_auth import JWT_BEARER
from credo.service.audit import AuditBuffer
from credo.service.grants import Grant, GrantServices, build_grants
from credo.service.keys import KeyService
from credo.service.passwords import Passwords
from credo.service.secrets import SecretHasher
from credo.service.snapshots import DirectoryCache
from credo.service.token import TokenCall, TokenService
from credo.service.user_tokens import UserTokens
from credo.service.users import UserService
from credo.store import tables
from credo.store.migrate import upgrade
from credo.store.seal import Sealer
from credo.store.sql import SqlStore, open_store
from credo.store.sql_flows import SqlFlowStore

T0 = 1_900_000_000.0
"""2030-03-17T17:46:40Z: far from the wall clock, so only the injected clock can pass."""
T0_DT = datetime.fromtimestamp(T0, UTC)
BASE = "https://login.credo.test"
SECRET = "Ab3~x.y_z-0123456789abcdefghijklmnopqrs"
WEB = "https://app.example/callback"
SPA = "https://spa.example/"
ROLE = AppRole("4a1d7c2e-0000-4000-8000-00000000a001", "Mail.Read", "Read mail")
SCOPE = PermissionScope("4a1d7c2e-0000-4000-8000-00000000b001", "Mail.Read")


class Clock:
    """The service's clock: ``now`` until a test moves it."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Ids:
    """Deterministic token ids, in the order they were made."""

    made: list[str] = field(default_factory=list)

    def __call__(self) -> str:
        self.made.append(f"id-{len(self.made) + 1:04d}")
        return self.made[-1]


@dataclass(frozen=True)
class Daemon:
    tenant: Tenant
    app: Application
    sp: ServicePrincipal
    key: rsa.RSAPrivateKey
    x5t: str
    api: Application


@dataclass
class TokenWorld:
    store: SqlStore
    flows: SqlFlowStore
    users: UserService
    keys: KeyService
    audit: AuditBuffer
    clock: Clock
    ids: Ids
    cache: DirectoryCache
    hasher: SecretHasher
    grants: dict[str, Grant]
    user_tokens: UserTokens
    tokens: TokenService
    daemon: Daemon
    strict: Daemon
    client: Application
    client_sp: ServicePrincipal
    user: User

    async def token(self, form: dict[str, str], *, tenant: str | None = None,
                    version: Literal[1, 2] = 2, correlation: str = "") -> dict[str, Any]:
        """Run one token request (in contoso unless ``tenant`` says otherwise)."""
        call = TokenCall(tenant or self.daemon.tenant.id, version, urlencode(form).encode(),
                         None, "", correlation or str(uuid.uuid4()))
        return await self.tokens.token(call)

    async def events(self, correlation: str) -> list[AuditEvent]:
        """The audit events one request recorded, once the buffer is written."""
        await self.audit.flush()
        found = []
        for tenant in ("", self.daemon.tenant.id, self.strict.tenant.id):
            found += [e for e in await self.store.recent(tenant, 1000)
                      if e.correlation_id == correlation]
        return found

    async def refused(self, form: dict[str, str], entry: Aadsts,
                      **kw: Any) -> tuple[OAuthError, AuditEvent]:
        """The request fails with ``entry``, records one failure event at the clock's time
        and changes no table but the audit log."""
        correlation = str(uuid.uuid4())
        before = await self.rows()
        with pytest.raises(OAuthError) as info:
            await self.token(form, correlation=correlation, **kw)
        assert (type(info.value), info.value.code) == (entry.error, entry.code)
        assert await self.rows() == before
        [event] = await self.events(correlation)
        assert (event.outcome, event.code, event.time) == (
            "failure", entry.code, datetime.fromtimestamp(self.clock.now, UTC))
        return info.value, event

    async def rows(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table but the audit log: a refusal leaves them unchanged."""
        rows = {}
        async with self.store._db.engine.connect() as conn:
            for table in tables.metadata.sorted_tables:
                if table is not tables.audit_events:
                    found = await conn.execute(sa.select(table))
                    rows[table.name] = sorted((tuple(r) for r in found.all()), key=repr)
        return rows

    def claims(self, token: str) -> dict[str, Any]:
        """A token this world signed, its signature checked, its times against ``T0``."""
        kid = jwt.get_unverified_header(token)["kid"]
        key = self.keys.public_key(kid)
        assert key is not None
        claims: dict[str, Any] = jwt.decode(token, key, algorithms=["RS256"],
                                            options={"verify_aud": False, "verify_exp": False,
                                                     "verify_nbf": False, "verify_iat": False})
        return claims


def assertion(daemon: Daemon, now: float, *, alg: str = "RS256", **claims: Any) -> str:
    """A client assertion of ``daemon``'s certificate, ``aud`` = its tenant's v2 issuer."""
    body: dict[str, Any] = {"aud": f"{BASE}/{daemon.tenant.id}/v2.0", "iss": daemon.app.app_id,
                            "sub": daemon.app.app_id, "jti": str(uuid.uuid4()), "iat": now,
                            "exp": now + 300, **claims}
    return jose.sign(alg, daemon.key, {"typ": "JWT", "x5t": daemon.x5t},  # type: ignore[arg-type]
                     {k: v for k, v in body.items() if v is not None})


def assertion_form(daemon: Daemon, now: float, **claims: Any) -> dict[str, str]:
    alg = "PS256" if daemon.tenant.profile == "strict" else "RS256"
    return {"grant_type": "client_credentials", "client_id": daemon.app.app_id,
            "client_assertion_type": JWT_BEARER, "scope": f"{daemon.api.identifier_uris[0]}"
            "/.default", "client_assertion": assertion(daemon, now, alg=alg, **claims)}


def _id() -> str:
    return str(uuid.uuid4())


def _secret(hasher: SecretHasher) -> PasswordCredential:
    return PasswordCredential(_id(), hasher(SECRET), SECRET[:3], T0_DT - timedelta(days=1),
                              T0_DT + timedelta(days=180))


async def _app(store: SqlStore, tenant: Tenant, app: Application) -> ServicePrincipal:
    await store.save_application(app)
    sp = ServicePrincipal(ObjectId(_id()), app.app_id, tenant.id, app.display_name)
    await store.save_service_principal(sp)
    return sp


async def _daemon(store: SqlStore, hasher: SecretHasher, domain: str,
                  profile: Literal["entra", "strict"]) -> Daemon:
    tenant = Tenant(TenantId(_id()), (domain,), domain.split(".")[0].title(), profile)
    await store.add_tenant(tenant)
    api = Application(ObjectId(_id()), AppId(_id()), tenant.id, "Mail API",
                      identifier_uris=(f"api://mail.{domain}",), app_roles=(ROLE,),
                      oauth2_permission_scopes=(SCOPE,),
                      requested_access_token_version=2 if profile == "strict" else None)
    api_sp = await _app(store, tenant, api)
    key, cert = certs.create_self_signed("CN=daemon", T0_DT - timedelta(days=1),
                                         T0_DT + timedelta(days=365))
    app = Application(ObjectId(_id()), AppId(_id()), tenant.id, "Daemon",
                      key_credentials=(certs.key_credential(cert, key_id=_id()),),
                      password_credentials=(_secret(hasher),))
    sp = await _app(store, tenant, app)
    await store.add_assignment(AppRoleAssignment(_id(), tenant.id, sp.id, api_sp.id, ROLE.id))
    return Daemon(tenant, app, sp, key, certs.thumbprints(cert).x5t, api)


async def open_world(path: Path) -> TokenWorld:
    url = f"sqlite+aiosqlite:///{path / 'token.db'}"
    upgrade(url)
    store = await open_store(url, Sealer(Sealer.generate_key()))
    hasher = SecretHasher(b"p" * 32)
    daemon = await _daemon(store, hasher, "contoso.example", "entra")
    strict = await _daemon(store, hasher, "fabrikam.example", "strict")
    client = Application(ObjectId(_id()), AppId(_id()), daemon.tenant.id, "Web client",
                         web_redirect_uris=(WEB,), spa_redirect_uris=(SPA,),
                         password_credentials=(_secret(hasher),))
    client_sp = await _app(store, daemon.tenant, client)
    user = User(ObjectId(_id()), daemon.tenant.id, "pat@contoso.example", "Pat")
    users = UserService(store.users, Passwords())
    await store.users.add_user(user, "not a hash: nobody signs in here")
    flows = store.flows
    api_sp = await store.service_principal_for(daemon.tenant.id, daemon.api.app_id)
    assert api_sp is not None
    await flows.save_delegated_grant(DelegatedGrant(
        _id(), daemon.tenant.id, client_sp.id, "Principal", user.id, api_sp.id, "Mail.Read"))
    keys = KeyService(store, rotation_days=30, retention_days=2)
    await keys.ensure(T0_DT)
    await keys.load()
    cache = DirectoryCache(store)
    await cache.refresh()
    audit, clock, ids = AuditBuffer(store), Clock(T0), Ids()
    user_tokens = UserTokens(base_url=BASE, cache=cache, flows=flows, keys=keys, hasher=hasher,
                             new_id=ids)
    grants = build_grants(GrantServices(base_url=BASE, cache=cache, keys=keys,
                                        user_tokens=user_tokens, flows=flows, users=users,
                                        new_id=ids))
    tokens = TokenService(base_url=BASE, cache=cache, replay=store, audit=audit,
                          secret_hasher=hasher, grants=grants, clock=clock)
    return TokenWorld(store, flows, users, keys, audit, clock, ids, cache, hasher, grants,
                      user_tokens, tokens, daemon, strict, client, client_sp, user)
