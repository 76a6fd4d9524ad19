"""What the grants that issue delegated (user) tokens share (RFC 6749 §5.1; OIDC Core §3.1.3.3).

A ``UserGrant`` pipeline finds the user its code or refresh token was issued for, still
allowed to sign in, then ``respond`` resolves the resource and the consent again (a consent
revoked since the code was made, or since the last refresh, is honoured now), signs the
access token, the ID token with ``openid``, and a refresh token with ``offline_access``.
Access tokens are self-contained: once issued they live until ``exp`` (revocation reaches
refresh tokens).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from credo.aadsts import grant
from credo.aadsts import user as user_errors
from credo.model import RefreshToken, Tenant, User
from credo.protocol.delegated_scopes import ScopeRequest
from credo.protocol.grants.refresh_token import refresh_expiry
from credo.protocol.id_token import Subject
from credo.protocol.user_consent import require_consented
from credo.protocol.user_tokens import client_info, user_token_response
from credo.service.grants.types import GrantCall, GrantServices
from credo.service.user_tokens import REFRESH_PURPOSE, new_secret


@dataclass(frozen=True)
class Issue:
    """Everything one delegated token response is made from."""

    scopes: ScopeRequest
    subject: Subject
    nonce: str | None
    family_id: str
    retire: str | None
    """The hash of the refresh token this response retires (rotation), if any."""
    public: bool
    new_family: bool = False
    """Whether the refresh token starts its family (no code made one: on-behalf-of)."""


class UserGrant:
    """The base of a grant that issues user tokens: public clients allowed (RFC 6749 §2.1)."""

    public_clients = True

    def __init__(self, services: GrantServices) -> None:
        self._tokens = services.user_tokens
        self._flows = services.flows
        self._users = services.users

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

    async def _respond(self, call: GrantCall, issue: Issue) -> dict[str, Any]:
        app = call.snapshot.application
        tokens = self._tokens
        call.facts.user = issue.subject.user
        resolved = await tokens.resolve(call.tenant, app, call.snapshot.service_principal,
                                        issue.scopes, issue.subject.user)
        call.facts.resource = resolved.resource_app
        if resolved.state is not None:
            require_consented(resolved.state, app)
        access = resolved.access(app, issue.scopes)
        acr = call.client.acr if call.client is not None else "0"
        access_token = tokens.mint_access(access, issue.subject, app.app_id, acr, call.now)
        id_token = (tokens.mint_id_token(
            version=call.version, subject=issue.subject, client_id=app.app_id,
            scopes=issue.scopes, nonce=issue.nonce, now=call.now)
            if issue.scopes.openid else None)
        refresh = await self._rotate(call, issue) if issue.scopes.offline_access else None
        info = (client_info(issue.subject.user.id, call.tenant.id)
                if call.request.params.get("client_info") == "1" else None)
        return user_token_response(
            endpoint=call.version, access=access, access_token=access_token,
            oidc=issue.scopes.oidc, now=call.now, lifetime=tokens.lifetime,
            refresh_token=refresh, id_token=id_token, client_info_value=info)

    async def _rotate(self, call: GrantCall, issue: Issue) -> str:
        """A new refresh token in the family, retiring the presented one atomically."""
        value = new_secret()
        now = datetime.fromtimestamp(call.now, UTC)
        subject = issue.subject
        token = RefreshToken(
            token_hash=self._tokens.hash(REFRESH_PURPOSE, value), family_id=issue.family_id,
            tenant_id=call.tenant.id, client_id=call.snapshot.application.app_id,
            user_id=subject.user.id, scope=issue.scopes.text(), public=issue.public,
            auth_time=datetime.fromtimestamp(subject.auth_time, UTC),
            session_id=subject.session_id, created=now, expires=refresh_expiry(call.now))
        if issue.new_family:
            await self._flows.start_refresh_family(token)
        elif not await self._flows.issue_refresh_token(token, retire=issue.retire, now=now):
            raise grant.GRANT_REVOKED(reason="",
                                      detail=f"family {issue.family_id} revoked or token reused")
        return value
