"""Signing out: where the browser goes afterwards (OpenID Connect RP-Initiated Logout 1.0)."""

from __future__ import annotations

from collections.abc import Mapping

from credo.model import Application, Tenant, is_guid
from credo.protocol import logout
from credo.store.api import Directory


class SignOutService:
    def __init__(self, directory: Directory) -> None:
        self._directory = directory

    async def redirect_target(self, tenant: Tenant, params: Mapping[str, str]) -> str | None:
        """The registered ``post_logout_redirect_uri`` of the named (or hinted) client: an app
        of this tenant, or another tenant's multi-tenant app installed here (it has a service
        principal). Otherwise anyone who registers a multi-tenant app anywhere would have a
        redirector on this tenant's sign-out URL."""
        uri = params.get("post_logout_redirect_uri")
        client_id = params.get("client_id") or logout.hinted_client(params.get("id_token_hint"))
        if not uri or not client_id:
            return None
        app: Application | None = (
            await self._directory.application_by_app_id(client_id.lower()[:64])
            if is_guid(client_id) else None)
        if app is not None and app.tenant_id != tenant.id \
                and await self._directory.service_principal_for(tenant.id, app.app_id) is None:
            return None
        return logout.redirect_target(app, client_id=client_id, uri=uri,
                                      state=params.get("state"), tenant_id=tenant.id,
                                      tenant_name=tenant.default_domain)
