"""Delegated (user) tokens: what one may carry, and minting it (RFC 9068 §2; OIDC Core §2).

Shared by the authorization endpoint (implicit tokens, codes) and the token endpoint's
``authorization_code`` and ``refresh_token`` grants. ``resolve`` finds the resource a scope
request names, the consent the user's grants cover (``protocol/user_consent.py``) and the
user's own app roles on it; it never writes. Consent grants are read from the store on every
request (no snapshot cache), so a revoked consent stops the next token at once.
``mint_access`` / ``mint_id_token`` sign with the key ring; the secrets, ids and hashes of
codes and refresh tokens are made here too.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from credo.aadsts.client import CLIENT_DISABLED
from credo.aadsts.grant import RESOURCE_NOT_FOUND
from credo.model import Application, ServicePrincipal, Tenant, User
from credo.protocol import metadata
from credo.protocol.delegated_scopes import OFFLINE_ACCESS, ScopeRequest
from credo.protocol.id_token import Subject, id_token_claims, pairwise_subject
from credo.protocol.user_consent import ConsentState, consent_state
from credo.protocol.user_tokens import DelegatedAccess, user_access_claims
from credo.service.keys import KeyService
from credo.service.snapshots import DirectoryCache
from credo.service.sources import SYSTEM
from credo.store.api import FlowStore

Hasher = Callable[[str], bytes]
CODE_PURPOSE = "authorization-code"
REFRESH_PURPOSE = "refresh-token"
"""The ``purpose`` of ``UserTokens.hash`` for codes and refresh tokens."""


def new_secret() -> str:
    """A code or refresh token: 256 random bits, base64url (RFC 6749 §10.10)."""
    return secrets.token_urlsafe(32)




@dataclass(frozen=True)
class Resolved:
    """A scope request resolved in a tenant: the resource (``None`` for OIDC-only requests,
    whose token is for the client itself) and what the user's consent covers there."""

    resource_app: Application | None
    resource_sp: ServicePrincipal | None
    state: ConsentState | None
    roles: tuple[str, ...]

    def access(self, client: Application, scopes: ScopeRequest) -> DelegatedAccess:
        """The token's audience, version and ``scp`` (the version follows the resource)."""
        app = self.resource_app or client
        version: Literal[1, 2] = 2 if app.requested_access_token_version == 2 else 1
        if self.state is None or scopes.resource is None:
            scp = tuple(s for s in scopes.oidc if s != OFFLINE_ACCESS)
            return DelegatedAccess(app.app_id, version, scp, self.roles, "")
        audience = scopes.resource if version == 1 else app.app_id
        return DelegatedAccess(audience, version, self.state.scp, self.roles,
                               scopes.resource.rstrip("/"))


def check_client_sp(sp: ServicePrincipal | None, app: Application) -> None:
    if sp is not None and not sp.account_enabled:
        raise CLIENT_DISABLED(client_id=app.app_id, name=app.display_name[:100])


class UserTokens:
    """Resolving, minting and hashing delegated tokens; ``new_id`` makes each token's ``uti``."""

    def __init__(self, *, base_url: str, cache: DirectoryCache, flows: FlowStore,
                 keys: KeyService, hasher: Hasher, token_lifetime: int = 3600,
                 new_id: Callable[[], str] = SYSTEM.new_token_id) -> None:
        self._base = base_url
        self._cache = cache
        self._flows = flows
        self._keys = keys
        self._hasher = hasher
        self._new_id = new_id
        self.lifetime = token_lifetime

    async def resource(self, tenant: Tenant, identifier: str
                       ) -> tuple[Application, ServicePrincipal]:
        found = await self._cache.resource(tenant, identifier)
        if found is None or found[1] is None or not found[1].account_enabled:
            raise RESOURCE_NOT_FOUND(resource=identifier[:200],
                                     tenant=tenant.display_name or tenant.id)
        return found[0], found[1]

    async def resolve(self, tenant: Tenant, client: Application,
                      client_sp: ServicePrincipal | None, scopes: ScopeRequest,
                      user: User) -> Resolved:
        """The resource and the consent state of ``user`` for ``client`` on it."""
        check_client_sp(client_sp, client)
        if scopes.resource is None:
            return Resolved(None, None, None, ())
        app, sp = await self.resource(tenant, scopes.resource)
        grants = (await self._flows.delegated_grants(tenant.id, client_id=client_sp.id,
                                                     resource_id=sp.id)
                  if client_sp is not None else [])
        state = consent_state(client=client, resource=app, request=scopes, grants=grants,
                              user_id=user.id)
        return Resolved(app, sp, state, await self._user_roles(app, sp, user))

    async def _user_roles(self, app: Application, sp: ServicePrincipal,
                          user: User) -> tuple[str, ...]:
        """The values of the enabled ``User`` app roles assigned to the user on the resource."""
        ids = await self._cache.role_ids(user.id, sp.id)
        return tuple(sorted(r.value for r in app.app_roles if r.id in ids and r.is_enabled
                            and "User" in r.allowed_member_types))

    def subject(self, user: User, client_id: str, auth_time: float,
                session_id: str) -> Subject:
        sub = pairwise_subject(self._hasher, tenant_id=user.tenant_id, user_id=user.id,
                               client_id=client_id)
        return Subject(user, sub, auth_time, session_id)

    def mint_access(self, access: DelegatedAccess, subject: Subject, client_id: str,
                    acr: str, now: float) -> str:
        """A delegated access token; ``acr`` is ``"0"`` for a public client."""
        tid = subject.user.tenant_id
        issuer = (metadata.issuer_v1 if access.version == 1 else metadata.issuer_v2)(
            self._base, tid)
        claims = user_access_claims(access=access, issuer=issuer, client_id=client_id, acr=acr,
                                    subject=subject, now=now, uti=self._new_id(),
                                    lifetime=self.lifetime)
        return self._keys.sign(claims, access.version)

    def mint_id_token(self, *, version: Literal[1, 2], subject: Subject, client_id: str,
                      scopes: ScopeRequest, nonce: str | None, now: float,
                      access_token: str | None = None, code: str | None = None) -> str:
        """An ID token (OIDC Core §2); its version follows the endpoint, as in Entra."""
        tid = subject.user.tenant_id
        issuer = (metadata.issuer_v1 if version == 1 else metadata.issuer_v2)(self._base, tid)
        claims = id_token_claims(version=version, issuer=issuer, client_id=client_id,
                                 subject=subject, oidc=scopes.oidc, nonce=nonce, now=now,
                                 uti=self._new_id(), access_token=access_token, code=code,
                                 lifetime=self.lifetime)
        return self._keys.sign(claims, 2)

    def hash(self, purpose: str, value: str) -> str:
        """The stored form of a code or refresh token: keyed hash, hex (never the value)."""
        return self._hasher(f"{purpose}|{value}").hex()
