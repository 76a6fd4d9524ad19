"""The token endpoint's pipeline: load, verify (pure), replay-check, authorize (pure), sign.

One explicit list of steps in PROTOCOL.md's validation order (ARCHITECTURE.md §3).
Nothing here writes to the database on success: the only write on the hot path is the
strict profile's replay record (one atomic add-if-absent); the audit event is buffered.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from credo.aadsts.client import CLIENT_NOT_FOUND, REPLAYED
from credo.aadsts.grant import UNSUPPORTED_GRANT
from credo.aadsts.request import MISSING_BODY_PARAMETER
from credo.aadsts.service import TRANSIENT
from credo.errors import OAuthError, StoreUnavailable
from credo.model import AuditEvent, ClientSnapshot, Tenant
from credo.protocol import claims, forms, metadata, scopes
from credo.protocol.client_auth import METHODS, AuthContext, AuthenticatedClient, detect
from credo.protocol.grants import Grant, grant_for
from credo.protocol.grants.client_credentials import ClientCredentials
from credo.protocol.profiles import PROFILES
from credo.service.audit import AuditBuffer
from credo.service.keys import KeyService
from credo.service.snapshots import DirectoryCache
from credo.service.tenants import token_tenant
from credo.store.api import ReplayStore

log = logging.getLogger("credo.token")


@dataclass(frozen=True)
class TokenCall:
    """What the web layer hands over: the raw request parts, nothing parsed."""

    tenant_segment: str
    version: Literal[1, 2]
    body: bytes
    authorization: str | None
    query: str
    correlation_id: str


@dataclass(frozen=True)
class DelegatedCall:
    """A token request of a delegated grant, its client loaded and (unless public, when
    ``client`` is ``None``) authenticated (RFC 6749 §4.1.3, §6)."""

    request: forms.TokenRequest
    tenant: Tenant
    snapshot: ClientSnapshot
    client: AuthenticatedClient | None
    version: Literal[1, 2]
    now: float


DelegatedPipeline = Callable[[DelegatedCall], Awaitable[dict[str, Any]]]


def _has_credentials(req: forms.TokenRequest) -> bool:
    return any(v is not None for v in (req.client_assertion, req.client_assertion_type,
                                       req.client_secret, req.basic))


class TokenService:
    def __init__(self, *, base_url: str, cache: DirectoryCache, keys: KeyService,
                 replay: ReplayStore, audit: AuditBuffer, secret_hasher: Callable[[str], bytes],
                 token_lifetime: int = 3600, clock: Callable[[], float] = time.time,
                 delegated: Mapping[str, DelegatedPipeline] | None = None) -> None:
        self._delegated = dict(delegated or {})
        self._base = base_url
        self._cache = cache
        self._keys = keys
        self._replay = replay
        self._audit = audit
        self._hasher = secret_hasher
        self._lifetime = token_lifetime
        self._clock = clock

    async def token(self, call: TokenCall) -> dict[str, Any]:
        """Run the pipeline; on any ``OAuthError`` record the failure and re-raise it."""
        now = self._clock()
        tenant: Tenant | None = None
        client_id = ""
        kind = "client_credentials"
        try:
            req = forms.parse_token_request(call.body, authorization=call.authorization,
                                            query=call.query)
            tenant = await token_tenant(self._cache, call.tenant_segment)
            grant = grant_for(req.grant_type)
            kind = grant.grant_type
            public = grant.public_clients and not _has_credentials(req)
            presented = None if public else detect(req)
            client_id = presented.client_id if presented else _public_client_id(req)
            snap = await self._client(tenant, client_id)
            auth = (METHODS[presented.method].verify(presented, self._auth_context(snap, now))
                    if presented else None)
            if auth is not None:
                await self._check_replay(auth)
            if isinstance(grant, ClientCredentials) and auth is not None:
                body = await self._client_credentials(grant, req, tenant, snap, auth, now,
                                                      call.version)
            else:
                body = await self._pipeline(kind)(
                    DelegatedCall(req, tenant, snap, auth, call.version, now))
        except OAuthError as err:
            self._record(now, tenant, client_id, call, err, kind)
            raise
        self._record(now, tenant, client_id, call, None, kind)
        return body

    async def _client_credentials(self, grant: ClientCredentials, req: forms.TokenRequest,
                                  tenant: Tenant, snap: ClientSnapshot,
                                  auth: AuthenticatedClient, now: float,
                                  version: Literal[1, 2]) -> dict[str, Any]:
        """RFC 6749 §4.4: the resource, the client's roles on it, the app-only token."""
        ref = scopes.resource_from_request(req, version)
        found = await self._cache.resource(tenant, ref.identifier)
        sp = snap.service_principal
        role_ids = (await self._cache.role_ids(sp.id, found[1].id)
                    if sp is not None and found is not None and found[1] is not None
                    else frozenset())
        decision = grant.authorize(
            client=auth, client_sp=sp, resource_app=found[0] if found else None,
            resource_sp=found[1] if found else None, assigned_role_ids=role_ids,
            ref=ref, tenant=tenant)
        return self._mint(tenant, snap, auth, decision, ref, now, version)

    def _pipeline(self, grant_type: str) -> DelegatedPipeline:
        pipeline = self._delegated.get(grant_type)
        if pipeline is None:  # a deployment built without the delegated flows
            raise UNSUPPORTED_GRANT(grant_type=grant_type[:100])
        return pipeline

    async def _client(self, tenant: Tenant, client_id: str) -> ClientSnapshot:
        """PROTOCOL.md step 3: the client must have a service principal in the path's tenant."""
        snap = await self._cache.client(tenant, client_id)
        if snap is None or snap.service_principal is None:
            raise CLIENT_NOT_FOUND(client_id=client_id, tenant=tenant.default_domain)
        return snap

    def _auth_context(self, snap: ClientSnapshot, now: float) -> AuthContext:
        profile = PROFILES[snap.tenant.profile]
        return AuthContext(
            tenant=snap.tenant, application=snap.application,
            audiences=metadata.assertion_audiences(self._base, snap.tenant, snap.tenant.profile),
            profile=profile, now=now, secret_hasher=self._hasher)

    async def _check_replay(self, auth: AuthenticatedClient) -> None:
        """PROTOCOL.md step 7 (strict): one atomic add-if-absent; the store down fails closed."""
        if auth.replay_key is None or auth.replay_until is None:
            return
        try:
            fresh = await self._replay.add_if_absent(auth.replay_key, auth.replay_until)
        except StoreUnavailable as exc:
            raise TRANSIENT(detail=f"replay store unavailable: {exc}") from exc
        if not fresh:
            raise REPLAYED(detail=f"replayed jti {auth.jti!r}")

    def _mint(self, tenant: Tenant, snap: ClientSnapshot, auth: AuthenticatedClient,
              decision: Grant, ref: scopes.ResourceRef, now: float,
              endpoint: Literal[1, 2]) -> dict[str, Any]:
        """The token's shape follows the resource; the response's follows the endpoint."""
        sp = snap.service_principal
        assert sp is not None  # checked by _client
        version = decision.version
        issuer = (metadata.issuer_v1 if version == 1 else metadata.issuer_v2)(self._base, tenant.id)
        token_claims = claims.app_token_claims(
            version=version, issuer=issuer, tenant_id=tenant.id, client_app=snap.application,
            client_sp=sp, audience=decision.audience, roles=decision.roles, acr=auth.acr,
            now=now, uti=os.urandom(16).hex(), lifetime=self._lifetime)
        token = self._keys.sign(token_claims, version)
        return claims.token_response(version=endpoint, access_token=token, now=now,
                                     lifetime=self._lifetime, resource_requested=ref.requested)

    def _record(self, now: float, tenant: Tenant | None, client_id: str, call: TokenCall,
                err: OAuthError | None, kind: str) -> None:
        self._audit.add(AuditEvent(
            time=datetime.fromtimestamp(now, UTC), tenant_id=tenant.id if tenant else "",
            kind=f"token.{kind}", outcome="failure" if err else "success",
            client_id=client_id[:64], code=err.code if err else 0,
            detail=(err.detail or err.description)[:500] if err else "",
            correlation_id=call.correlation_id))
        if err is not None:
            log.info("token refused: %s %s (%s)", err.aadsts, err.description[:120], err.detail)


def _public_client_id(req: forms.TokenRequest) -> str:
    """A public client names itself with ``client_id`` only (RFC 6749 §2.1, §4.1.3)."""
    if req.client_id is None:
        raise MISSING_BODY_PARAMETER(name="client_id")
    return req.client_id
