"""The token endpoint's pipeline (RFC 6749 §3.2), the same for every grant.

parse → tenant → grant by wire name → client authentication (or a public client) → load
the client → failure budget → verify its credential (pure) → replay check → the grant's
pipeline → audit. A credential that does not verify is counted (``service/throttle.py``).
Nothing here writes to the database on success: the only write on the client-credentials
path is the strict profile's replay record (one atomic add-if-absent); the audit event is
buffered.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from credo import metrics
from credo.aadsts.client import CLIENT_NOT_FOUND, REPLAYED
from credo.aadsts.request import MISSING_BODY_PARAMETER
from credo.aadsts.service import TRANSIENT
from credo.errors import InvalidClient, OAuthError, StoreUnavailable
from credo.model import ClientSnapshot, Tenant, is_guid
from credo.protocol import forms, metadata
from credo.protocol.client_auth import (
    METHODS,
    AuthContext,
    AuthenticatedClient,
    ExternalKey,
    Presented,
    detect,
    presented_by,
)
from credo.protocol.profiles import PROFILES
from credo.service.audit import AuditBuffer
from credo.service.federation import FederatedKeys
from credo.service.grants import Grant, GrantCall, grant_for
from credo.service.sign_ins import SignInFacts, token_event
from credo.service.snapshots import DirectoryCache
from credo.service.tenants import token_tenant
from credo.service.throttle import TokenThrottle
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
    client_address: str = ""
    facts: SignInFacts = field(default_factory=SignInFacts)
    """Filled by the service as the request runs (the sign-in event, the access log)."""


class TokenService:
    """Runs a token request through the steps every grant shares, then its grant's pipeline."""

    def __init__(self, *, base_url: str, cache: DirectoryCache, replay: ReplayStore,
                 audit: AuditBuffer, secret_hasher: Callable[[str], bytes],
                 grants: Mapping[str, Grant], clock: Callable[[], float] = time.time,
                 throttle: TokenThrottle | None = None,
                 federation: FederatedKeys | None = None) -> None:
        self._base = base_url
        self._cache = cache
        self._replay = replay
        self._audit = audit
        self._hasher = secret_hasher
        self._grants = dict(grants)
        self._clock = clock
        self._throttle = throttle or TokenThrottle(clock=clock)
        self._federation = federation

    async def token(self, call: TokenCall) -> dict[str, Any]:
        """Run the pipeline; on any ``OAuthError`` record the failure and re-raise it."""
        now = self._clock()
        facts = call.facts
        try:
            req = forms.parse_token_request(call.body, authorization=call.authorization,
                                            query=call.query)
            tenant = facts.tenant = await token_tenant(self._cache, call.tenant_segment)
            grant = grant_for(self._grants, req.grant_type)
            facts.kind = req.grant_type
            presented = presented_by(req) if grant.public_clients else detect(req)
            facts.presented = presented
            client_id = presented.client_id if presented else _public_client_id(req)
            facts.client_id = client_id
            snap = facts.snapshot = await self._client(tenant, client_id, facts)
            auth = await self._authenticate(presented, snap, now) if presented else None
            facts.client = auth
            body = await grant.issue(GrantCall(req, tenant, snap, auth, call.version, now,
                                               facts))
        except OAuthError as err:
            self._record(now, call, err)
            raise
        except StoreUnavailable as exc:  # an uncached look-up, or the cache past its bound
            transient = TRANSIENT(detail=f"{exc.description} ({exc.detail})")
            self._record(now, call, transient)
            raise transient from exc
        self._record(now, call, None)
        return body

    async def _client(self, tenant: Tenant, client_id: str,
                      facts: SignInFacts) -> ClientSnapshot:
        """The client must have a service principal in the path's tenant (AADSTS700016); the
        id of none is shown as ``shown_client_id`` shows it."""
        snap = await self._cache.client(tenant, client_id)
        if snap is None or snap.service_principal is None:
            facts.client_id = shown_client_id(client_id)
            raise CLIENT_NOT_FOUND(client_id=facts.client_id, tenant=tenant.default_domain)
        return snap

    async def _authenticate(self, presented: Presented, snap: ClientSnapshot,
                            now: float) -> AuthenticatedClient:
        """Verify within the client's failure budget and check replay; count a failure.

        Over budget, a secret is refused unread: the right one must not be found by guessing.
        An assertion is still verified, since no number of tries forges a signature: a client
        id alone never locks out a client that holds its certificate.
        """
        tenant, client_id = snap.tenant, snap.application.app_id
        over = await self._throttle.over_budget(tenant, client_id)
        if over is not None and presented.secret is not None:
            raise self._throttle.refuse(over)
        try:
            external = (await self._federation.key_for(presented, snap.application, now)
                        if self._federation is not None else None)
            auth = self._verify(presented, snap, now, external)
            await self._check_replay(auth)
        except InvalidClient:
            if over is not None:
                raise self._throttle.refuse(over) from None
            await self._throttle.failed(tenant, client_id)
            raise
        return auth

    def _verify(self, presented: Presented, snap: ClientSnapshot, now: float,
                external: ExternalKey | None = None) -> AuthenticatedClient:
        """The presented method's verification, under the tenant's profile (RFC 6749 §2.3);
        ``external`` is a federated credential's issuer key, fetched beforehand."""
        tenant = snap.tenant
        ctx = AuthContext(
            tenant=tenant, application=snap.application,
            audiences=metadata.assertion_audiences(self._base, tenant, tenant.profile),
            profile=PROFILES[tenant.profile], now=now, secret_hasher=self._hasher,
            external_key=external)
        return METHODS[presented.method].verify(presented, ctx)

    async def _check_replay(self, auth: AuthenticatedClient) -> None:
        """Strict profile: one atomic add-if-absent per ``jti``; the store down fails closed."""
        if auth.replay_key is None or auth.replay_until is None:
            return
        try:
            fresh = await self._replay.add_if_absent(auth.replay_key, auth.replay_until)
        except StoreUnavailable as exc:
            raise TRANSIENT(detail=f"replay store unavailable: {exc}") from exc
        if not fresh:
            raise REPLAYED(detail=f"replayed jti {auth.jti!r}")

    def _record(self, now: float, call: TokenCall, err: OAuthError | None) -> None:
        self._audit.add(token_event(now, call.facts, err, correlation_id=call.correlation_id,
                                    ip_address=call.client_address))
        metrics.token_request(call.facts.kind, err.code if err else 0)
        if err is not None:
            log.info("token refused: %s %s (%s)", err.aadsts, err.description, err.detail,
                     extra={"aadsts": err.code, "correlation_id": call.correlation_id})


def shown_client_id(client_id: str) -> str:
    """A ``client_id`` as answers, logs and the sign-in log show it: an application id (a
    GUID) as given; anything else, which names no client and may be a secret pasted into the
    wrong field, as its first four characters and its length."""
    if is_guid(client_id):
        return client_id
    return f"{client_id[:4]}... ({len(client_id)} characters)"


def _public_client_id(req: forms.TokenRequest) -> str:
    """A public client names itself with ``client_id`` only (RFC 6749 §2.1, §4.1.3)."""
    if req.client_id is None:
        raise MISSING_BODY_PARAMETER(name="client_id")
    return req.client_id
