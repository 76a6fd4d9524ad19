"""``grant_type=authorization_code`` (RFC 6749 §4.1.3; RFC 7636 §4.6).

Load the code by its hash → a used code revokes what it issued (RFC 6749 §4.1.2) → check
(client, expiry, redirect URI, PKCE) → redeem atomically → the user still allowed → issue.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from credo.aadsts import grant
from credo.protocol.delegated_scopes import ScopeRequest, parse_scope
from credo.protocol.grants import authorization_code
from credo.service.grants.types import GrantCall
from credo.service.grants.user_grant import Issue, UserGrant
from credo.service.user_tokens import CODE_PURPOSE


class AuthorizationCodeGrant(UserGrant):
    """``GRANTS["authorization_code"]``."""

    async def issue(self, call: GrantCall) -> dict[str, Any]:
        """RFC 6749 §4.1.3; a replayed code revokes what it issued (§4.1.2)."""
        value = authorization_code.presented(call.request, "code")
        code_hash = self._tokens.hash(CODE_PURPOSE, value)
        code = await self._flows.authorization_code(code_hash)
        moment = datetime.fromtimestamp(call.now, UTC)
        if code is not None and code.used is not None:
            await self._flows.redeem_code(code_hash, moment)
        checked = authorization_code.check(
            code=code, req=call.request, client=call.client, app=call.snapshot.application,
            tenant=call.tenant, now=call.now)
        if not await self._flows.redeem_code(code_hash, moment):
            raise grant.CODE_REDEEMED()
        user = await self._user(checked.user_id, call.tenant, checked.auth_time)
        scopes = parse_scope(checked.scope)
        if checked.version == 1 and scopes.resource is None and call.request.resource:
            scopes = ScopeRequest(scopes.oidc, call.request.resource, (), True)
        subject = self._tokens.subject(user, checked.client_id, checked.auth_time.timestamp(),
                                       checked.session_id)
        return await self._respond(call, Issue(scopes, subject, checked.nonce,
                                               checked.family_id, None, call.client is None))
