"""``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer``, ``requested_token_use=
on_behalf_of``: a middle-tier API's token to a downstream API for the signed-in user.

Parse the assertion → the published key its ``kid`` names (the key ring reloaded once when
it is unknown: another node may have rotated) → the pure checks → the user, still allowed,
whose password has not changed since the token was issued → ``UserGrant._respond``: the
consent the middle tier holds on the downstream API for this user, the access token, an ID
token with ``openid`` and a refresh token with ``offline_access`` (a new family). The middle
tier authenticates as any confidential client does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from credo.protocol.grants import on_behalf_of
from credo.service.grants.types import GrantCall, GrantServices
from credo.service.grants.user_grant import Issue, UserGrant


class OnBehalfOfGrant(UserGrant):
    """``GRANTS["urn:ietf:params:oauth:grant-type:jwt-bearer"]`` (RFC 7523 §2.1)."""

    public_clients = False  # the middle tier authenticates

    def __init__(self, services: GrantServices) -> None:
        super().__init__(services)
        self._base = services.base_url
        self._keys = services.keys
        self._new_id = services.new_id

    async def issue(self, call: GrantCall) -> dict[str, Any]:
        call.confidential()
        app = call.snapshot.application
        jws = on_behalf_of.parse(call.request)
        kid = str(jws.header["kid"])
        key = self._keys.public_key(kid)
        if key is None:
            await self._keys.load()
            key = self._keys.public_key(kid)
        checked = on_behalf_of.check(jws=jws, key=key, tenant=call.tenant, base=self._base,
                                     client=app, req=call.request, version=call.version,
                                     now=call.now)
        user = await self._user(checked.user_id, call.tenant,
                                datetime.fromtimestamp(checked.issued, UTC))
        subject = self._tokens.subject(user, app.app_id, checked.issued, checked.session_id)
        return await self._respond(call, Issue(checked.scopes, subject, None, self._new_id(),
                                               None, public=False, new_family=True))
