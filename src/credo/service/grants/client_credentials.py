"""``grant_type=client_credentials``: an app-only token for one resource (RFC 6749 §4.4).

The resource and the client's role assignments on it come from the directory cache; the
decision is ``protocol.grants.client_credentials.authorize``. Nothing is written: the
token is signed and returned.
"""

from __future__ import annotations

from typing import Any

from credo.protocol import claims, metadata, scopes
from credo.protocol.grants.client_credentials import AppAccess, authorize
from credo.service.grants.types import GrantCall, GrantServices


class ClientCredentialsGrant:
    """``GRANTS["client_credentials"]``: confidential clients only (RFC 6749 §4.4)."""

    public_clients = False

    def __init__(self, services: GrantServices) -> None:
        self._base = services.base_url
        self._cache = services.cache
        self._keys = services.keys
        self._lifetime = services.token_lifetime
        self._new_id = services.new_id

    async def issue(self, call: GrantCall) -> dict[str, Any]:
        """The resource, the client's roles on it, the app-only token (RFC 6749 §4.4.2-3)."""
        client = call.confidential()
        ref = scopes.resource_from_request(call.request, call.version)
        found = await self._cache.resource(call.tenant, ref.identifier)
        call.facts.resource = found[0] if found is not None else None
        sp = call.snapshot.service_principal
        rsp = found[1] if found is not None else None
        role_ids = (await self._cache.role_ids(sp.id, rsp.id)
                    if sp is not None and rsp is not None else frozenset())
        access = authorize(client=client, client_sp=sp,
                           resource_app=found[0] if found else None, resource_sp=rsp,
                           assigned_role_ids=role_ids, ref=ref, tenant=call.tenant)
        return self._mint(call, access, client.acr, ref.requested)

    def _mint(self, call: GrantCall, access: AppAccess, acr: str,
              resource_requested: str) -> dict[str, Any]:
        """The token's shape follows the resource; the response's follows the endpoint."""
        tid = call.tenant.id
        version = access.version
        issuer = (metadata.issuer_v1 if version == 1 else metadata.issuer_v2)(self._base, tid)
        token_claims = claims.app_token_claims(
            version=version, issuer=issuer, tenant_id=tid, client_app=call.snapshot.application,
            client_sp=access.client_sp, audience=access.audience, roles=access.roles, acr=acr,
            now=call.now, uti=self._new_id(), lifetime=self._lifetime)
        token = self._keys.sign(token_claims, version)
        return claims.token_response(version=call.version, access_token=token, now=call.now,
                                     lifetime=self._lifetime,
                                     resource_requested=resource_requested)
