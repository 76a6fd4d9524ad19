"""The token endpoint's delegated grants: ``authorization_code`` and ``refresh_token``.

Registered in ``TokenService`` by wire name; the client is already loaded and, unless it
is public, authenticated by the same ``METHODS`` as client credentials. Pipelines, in RFC
order:

* code (RFC 6749 §4.1.3): load by hash → a used code revokes its family → check (client,
  expiry, redirect URI, PKCE) → redeem atomically → user still enabled → issue.
* refresh (RFC 6749 §6): load by hash → a retired token revokes its family → check →
  user still enabled → issue, rotating the token in the same transaction.

Issue: resolve the resource and the consent again (a consent revoked since the code was
made, or since the last refresh, is honoured now), sign the access token, the ID token
with ``openid``, and a refresh token with ``offline_access``. Access tokens are
self-contained: once issued they live until ``exp`` (revocation reaches refresh tokens).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from credo.aadsts import grant
from credo.aadsts import user as user_errors
from credo.model import RefreshToken, Tenant, User
from credo.protocol.delegated_scopes import ScopeRequest, parse_scope
from credo.protocol.grants.authorization_code import AuthorizationCodeGrant, presented
from credo.protocol.grants.refresh_token import (
    RefreshTokenGrant,
    refresh_expiry,
    requested_scopes,
)
from credo.protocol.id_token import Subject
from credo.protocol.user_consent import require_consented
from credo.protocol.user_tokens import client_info, user_token_response
from credo.service.delegated_access import DelegatedAccessService
from credo.service.token import DelegatedCall, DelegatedPipeline
from credo.store.api import FlowStore

CODE_PURPOSE = "authorization-code"
REFRESH_PURPOSE = "refresh-token"
_CODE = AuthorizationCodeGrant()
_REFRESH = RefreshTokenGrant()


class UserLookup(Protocol):
    async def by_id(self, user_id: str) -> User | None: ...


@dataclass(frozen=True)
class Issue:
    """Everything one delegated token response is made from."""

    scopes: ScopeRequest
    subject: Subject
    nonce: str | None
    family_id: str
    retire: str | None
    public: bool


def new_secret() -> str:
    """A code or refresh token: 256 random bits, base64url (RFC 6749 §10.10)."""
    return secrets.token_urlsafe(32)


class DelegatedTokens:
    """The ``authorization_code`` and ``refresh_token`` pipelines."""

    def __init__(self, *, access: DelegatedAccessService, flows: FlowStore,
                 users: UserLookup) -> None:
        self._access = access
        self._flows = flows
        self._users = users

    def pipelines(self) -> dict[str, DelegatedPipeline]:
        return {"authorization_code": self.authorization_code,
                "refresh_token": self.refresh_token}

    async def authorization_code(self, call: DelegatedCall) -> dict[str, Any]:
        """RFC 6749 §4.1.3; a replayed code revokes what it issued (§4.1.2)."""
        value = presented(call.request, "code")
        code_hash = self._access.hash(CODE_PURPOSE, value)
        code = await self._flows.authorization_code(code_hash)
        moment = datetime.fromtimestamp(call.now, UTC)
        if code is not None and code.used is not None:
            await self._flows.redeem_code(code_hash, moment)
        checked = _CODE.check(code=code, req=call.request, client=call.client,
                              app=call.snapshot.application, tenant=call.tenant, now=call.now)
        if not await self._flows.redeem_code(code_hash, moment):
            raise grant.CODE_REDEEMED()
        user = await self._user(checked.user_id, call.tenant, checked.auth_time)
        scopes = parse_scope(checked.scope)
        if checked.version == 1 and scopes.resource is None and call.request.resource:
            scopes = ScopeRequest(scopes.oidc, call.request.resource, (), True)
        subject = self._access.subject(user, checked.client_id, checked.auth_time.timestamp(),
                                       checked.session_id)
        return await self._issue(call, Issue(scopes, subject, checked.nonce,
                                             checked.family_id, None, call.client is None))

    async def refresh_token(self, call: DelegatedCall) -> dict[str, Any]:
        """RFC 6749 §6 with rotation; reuse of a retired token revokes its family."""
        value = presented(call.request, "refresh_token")
        token_hash = self._access.hash(REFRESH_PURPOSE, value)
        token = await self._flows.refresh_token(token_hash)
        if token is not None and token.used is not None and token.revoked is None:
            await self._flows.revoke_family(token.family_id, datetime.fromtimestamp(call.now,
                                                                                    UTC))
        checked = _REFRESH.check(token=token, client=call.client,
                                 app=call.snapshot.application, tenant=call.tenant,
                                 now=call.now)
        user = await self._user(checked.user_id, call.tenant, checked.auth_time)
        scopes = requested_scopes(call.request, checked, call.version)
        subject = self._access.subject(user, checked.client_id, checked.auth_time.timestamp(),
                                       checked.session_id)
        return await self._issue(call, Issue(scopes, subject, None, checked.family_id,
                                             token_hash, checked.public))

    async def _user(self, user_id: str, tenant: Tenant, auth_time: datetime) -> User:
        """The user, still enabled, whose password has not changed since signing in (a
        password change ends every refresh-token family signed in before it, as in Entra)."""
        user = await self._users.by_id(user_id)
        if user is None or user.tenant_id != tenant.id:
            raise user_errors.USER_GONE()
        if not user.account_enabled:
            raise user_errors.USER_DISABLED()
        changed = user.password_changed
        if changed is not None and int(changed.timestamp()) > int(auth_time.timestamp()):
            raise grant.GRANT_REVOKED(reason=" The user changed or reset their password.")
        return user

    async def _issue(self, call: DelegatedCall, issue: Issue) -> dict[str, Any]:
        app = call.snapshot.application
        resolved = await self._access.resolve(call.tenant, app, call.snapshot.service_principal,
                                              issue.scopes, issue.subject.user)
        if resolved.state is not None:
            require_consented(resolved.state, app)
        access = resolved.access(app, issue.scopes)
        acr = call.client.acr if call.client is not None else "0"
        access_token = self._access.mint_access(access, issue.subject, app.app_id, acr,
                                                call.now)
        id_token = (self._access.mint_id_token(
            version=call.version, subject=issue.subject, client_id=app.app_id,
            scopes=issue.scopes, nonce=issue.nonce, now=call.now)
            if issue.scopes.openid else None)
        refresh = (await self._rotate(call, issue)
                   if issue.scopes.offline_access else None)
        info = (client_info(issue.subject.user.id, call.tenant.id)
                if call.request.params.get("client_info") == "1" else None)
        return user_token_response(
            endpoint=call.version, access=access, access_token=access_token,
            oidc=issue.scopes.oidc, now=call.now, lifetime=self._access.lifetime,
            refresh_token=refresh, id_token=id_token, client_info_value=info)

    async def _rotate(self, call: DelegatedCall, issue: Issue) -> str:
        """A new refresh token in the family, retiring the presented one atomically."""
        value = new_secret()
        now = datetime.fromtimestamp(call.now, UTC)
        subject = issue.subject
        token = RefreshToken(
            token_hash=self._access.hash(REFRESH_PURPOSE, value), family_id=issue.family_id,
            tenant_id=call.tenant.id, client_id=call.snapshot.application.app_id,
            user_id=subject.user.id, scope=issue.scopes.text(), public=issue.public,
            auth_time=datetime.fromtimestamp(subject.auth_time, UTC),
            session_id=subject.session_id, created=now, expires=refresh_expiry(call.now))
        if not await self._flows.issue_refresh_token(token, retire=issue.retire, now=now):
            raise grant.GRANT_REVOKED(reason="",
                                      detail=f"family {issue.family_id} revoked or token reused")
        return value


def new_family_id() -> str:
    return str(uuid.uuid4())
