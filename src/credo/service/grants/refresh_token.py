"""``grant_type=refresh_token`` with rotation and reuse detection (RFC 6749 §6; RFC 9700 §4.14.2).

Load the token by its hash → a retired token presented again revokes its family → check →
the user still allowed → issue, rotating the token in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from credo.protocol.grants import refresh_token
from credo.protocol.grants.authorization_code import presented
from credo.service.grants.types import GrantCall
from credo.service.grants.user_grant import Issue, UserGrant
from credo.service.user_tokens import REFRESH_PURPOSE


class RefreshTokenGrant(UserGrant):
    """``GRANTS["refresh_token"]``."""

    async def issue(self, call: GrantCall) -> dict[str, Any]:
        """RFC 6749 §6 with rotation; reuse of a retired token revokes its family."""
        value = presented(call.request, "refresh_token")
        token_hash = self._tokens.hash(REFRESH_PURPOSE, value)
        token = await self._flows.refresh_token(token_hash)
        if token is not None and token.used is not None and token.revoked is None:
            await self._flows.revoke_family(token.family_id,
                                            datetime.fromtimestamp(call.now, UTC))
        checked = refresh_token.check(token=token, client=call.client,
                                      app=call.snapshot.application, tenant=call.tenant,
                                      now=call.now)
        user = await self._user(checked.user_id, call.tenant, checked.auth_time)
        scopes = refresh_token.requested_scopes(call.request, checked, call.version)
        subject = self._tokens.subject(user, checked.client_id, checked.auth_time.timestamp(),
                                       checked.session_id)
        return await self._respond(call, Issue(scopes, subject, None, checked.family_id,
                                               token_hash, checked.public))
