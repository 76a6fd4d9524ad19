"""A tenant for the sign-in and admin-consent tests, built through the management API.

``make_world`` onboards a tenant and registers, as an administrator would: an API with two
application permissions and one delegated scope, a daemon client whose
``requiredResourceAccess`` asks for all three and whose web redirect URI is
``REDIRECT_URI``, and three users: a Global Administrator, an Application Administrator
and a plain user (all with the password ``PASSWORD``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from credo.model import DIRECTORY_ROLE_TEMPLATES
from credo.service.runtime import Services

from .conftest import TenantAdmin, add_password, call, onboard, unique_domain

PASSWORD = "correct horse battery staple"
REDIRECT_URI = "https://daemon.example/consent/done"
READ_ID, SEND_ID, SCOPE_ID = (str(uuid.uuid4()) for _ in range(3))


@dataclass(frozen=True)
class World:
    tenant: TenantAdmin
    api: dict[str, Any]
    client: dict[str, Any]
    client_secret: str
    admin: str
    app_admin: str
    plain: str

    @property
    def tid(self) -> str:
        return self.tenant.tenant_id

    @property
    def domain(self) -> str:
        return self.tenant.domain

    def consent_url(self, *, state: str = "s-123", redirect_uri: str = REDIRECT_URI,
                    client_id: str | None = None, v2_scope: str | None = None) -> str:
        params = {"client_id": client_id or self.client["appId"], "redirect_uri": redirect_uri,
                  "state": state}
        path = f"/{self.tid}/adminconsent"
        if v2_scope is not None:
            path, params["scope"] = f"/{self.tid}/v2.0/adminconsent", v2_scope
        return path + "?" + str(httpx.QueryParams(params))


def _role(role_id: str, value: str, name: str) -> dict[str, Any]:
    return {"id": role_id, "allowedMemberTypes": ["Application"], "value": value,
            "displayName": name, "description": f"Allows the app to {name.lower()}.",
            "isEnabled": True}


async def register_api(client: httpx.AsyncClient, headers: dict[str, str], uri: str
                       ) -> dict[str, Any]:
    return await call(client, "POST", "/applications", headers, {
        "displayName": "Mail API", "identifierUris": [uri],
        "appRoles": [_role(READ_ID, "Mail.Read", "Read all mailboxes"),
                     _role(SEND_ID, "Mail.Send", "Send mail as any user")],
        "api": {"requestedAccessTokenVersion": 2, "oauth2PermissionScopes": [{
            "id": SCOPE_ID, "value": "Mail.ReadBasic", "type": "User", "isEnabled": True,
            "adminConsentDisplayName": "Read basic mail",
            "adminConsentDescription": "Read the signed-in user's mail headers."}]},
    }, expect=201)


async def register_client(client: httpx.AsyncClient, headers: dict[str, str], api_app_id: str,
                          access: list[dict[str, str]], *, multi_tenant: bool = False
                          ) -> dict[str, Any]:
    return await call(client, "POST", "/applications", headers, {
        "displayName": "Mail Daemon", "web": {"redirectUris": [REDIRECT_URI]},
        "signInAudience": "AzureADMultipleOrgs" if multi_tenant else "AzureADMyOrg",
        "requiredResourceAccess": [{"resourceAppId": api_app_id, "resourceAccess": access}],
    }, expect=201)


ALL_ACCESS = [{"id": READ_ID, "type": "Role"}, {"id": SEND_ID, "type": "Role"},
              {"id": SCOPE_ID, "type": "Scope"}]


async def add_user(client: httpx.AsyncClient, headers: dict[str, str], upn: str,
                   name: str, *roles: str, password: str = PASSWORD,
                   enabled: bool = True) -> dict[str, Any]:
    user = await call(client, "POST", "/users", headers, {
        "accountEnabled": enabled, "displayName": name, "userPrincipalName": upn,
        "passwordProfile": {"password": password}}, expect=201)
    for role in roles:
        template = DIRECTORY_ROLE_TEMPLATES[role]  # type: ignore[index]  # a role name
        await call(client, "POST", f"/directoryRoles/{template}/members/$ref", headers,
                   {"@odata.id": f"https://graph.example/v1.0/directoryObjects/{user['id']}"},
                   expect=204)
    return user


async def make_world(client: httpx.AsyncClient, services: Services, prefix: str = "consent",
                     *, access: list[dict[str, str]] | None = None) -> World:
    domain = unique_domain(prefix)
    tenant = await onboard(client, services, domain)
    op = tenant.operator
    api = await register_api(client, op, f"api://mail-{uuid.uuid4().hex[:8]}")
    daemon = await register_client(client, op, api["appId"], access or ALL_ACCESS)
    secret = await add_password(client, op, daemon, "s")
    await add_user(client, op, f"admin@{domain}", "Ada Admin", "Global Administrator")
    await add_user(client, op, f"apps@{domain}", "Abe Apps", "Application Administrator")
    await add_user(client, op, f"user@{domain}", "Uma User")
    return World(tenant, api, daemon, secret, f"admin@{domain}", f"apps@{domain}",
                 f"user@{domain}")
