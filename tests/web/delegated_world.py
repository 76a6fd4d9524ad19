"""A tenant for the delegated-flow tests, built through the management API like a real admin.

Mail API (v2 tokens) with delegated scopes ``Mail.Read``/``Mail.Send`` (User) and
``Mail.ReadAll`` (Admin) and a ``User`` app role; Files API (v1 tokens) with ``Files.Read``;
a web client (secret; web, public-client and SPA redirect URIs; ``requiredResourceAccess``
Mail.Read) and an implicit client (both implicit switches on). Users: a plain user and a
Cloud Application Administrator, both with the password ``PASSWORD``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from credo.model import DirectoryRoleName, Tenant, User
from credo.service.runtime import Services
from support import claims_of

from .conftest import TenantAdmin, add_password, call, onboard, unique_domain

PASSWORD = "Correct-Horse-Battery-9"
WEB = "https://app.example/callback"
NATIVE = "http://localhost:8400/"
SPA = "https://spa.example/"
IMPLICIT = "https://implicit.example/signin"


def scope(value: str, kind: str = "User") -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "value": value, "type": kind, "isEnabled": True,
            "adminConsentDisplayName": f"{value} (admin)", "adminConsentDescription": value,
            "userConsentDisplayName": f"Let the app use {value}",
            "userConsentDescription": f"{value} on your behalf"}


@dataclass
class World:
    admin: TenantAdmin
    tenant: Tenant
    mail: dict[str, Any]
    files: dict[str, Any]
    client: dict[str, Any]
    secret: str
    implicit: dict[str, Any]
    user: User
    cloud_admin: User
    mail_uri: str
    files_uri: str

    @property
    def tid(self) -> str:
        return self.tenant.id

    @property
    def client_id(self) -> str:
        return str(self.client["appId"])


async def build_world(client: httpx.AsyncClient, services: Services) -> World:
    domain = unique_domain("deleg")
    admin = await onboard(client, services, domain)
    suffix = domain.split(".")[0]
    mail_uri, files_uri = f"api://mail-{suffix}", f"api://files-{suffix}"
    mail = await call(client, "POST", "/applications", admin.admin, {
        "displayName": "Mail API", "identifierUris": [mail_uri],
        "appRoles": [{"allowedMemberTypes": ["User"], "value": "Mail.Admin",
                      "displayName": "Mail admins", "description": "Administers mail",
                      "isEnabled": True, "id": str(uuid.uuid4())}],
        "api": {"requestedAccessTokenVersion": 2, "oauth2PermissionScopes": [
            scope("Mail.Read"), scope("Mail.Send"), scope("Mail.ReadAll", "Admin")]}},
        expect=201)
    files = await call(client, "POST", "/applications", admin.admin, {
        "displayName": "Files API", "identifierUris": [files_uri],
        "api": {"oauth2PermissionScopes": [scope("Files.Read")]}}, expect=201)
    read_id = next(s["id"] for s in mail["api"]["oauth2PermissionScopes"]
                   if s["value"] == "Mail.Read")
    app = await call(client, "POST", "/applications", admin.admin, {
        "displayName": "Web client", "web": {"redirectUris": [WEB]},
        "publicClient": {"redirectUris": [NATIVE]}, "spa": {"redirectUris": [SPA]},
        "requiredResourceAccess": [{"resourceAppId": mail["appId"], "resourceAccess": [
            {"id": read_id, "type": "Scope"}]}]}, expect=201)
    secret = await add_password(client, admin.admin, app, "web")
    implicit = await call(client, "POST", "/applications", admin.admin, {
        "displayName": "SPA (implicit)", "web": {"redirectUris": [IMPLICIT],
        "implicitGrantSettings": {"enableAccessTokenIssuance": True,
                                  "enableIdTokenIssuance": True}}}, expect=201)
    tenant = await services.directory.tenant(admin.tenant_id)
    user = await new_user(services, tenant, "pat")
    cloud_admin = await new_user(services, tenant, "ada", "Cloud Application Administrator")
    return World(admin, tenant, mail, files, app, secret, implicit, user, cloud_admin,
                 mail_uri, files_uri)


async def new_user(services: Services, tenant: Tenant, name: str,
                   *roles: DirectoryRoleName) -> User:
    """``name@<default domain>`` with the password ``PASSWORD``, straight into the directory."""
    return await services.accounts.users.create(tenant, f"{name}@{tenant.default_domain}",
                                                name.title(), PASSWORD, roles=roles)


def verify(services: Services, token: str, *, audience: str, issuer: str) -> dict[str, Any]:
    """Check a Credo-signed JWT with PyJWT against the published key (RS256)."""
    header = jwt.get_unverified_header(token)
    key = services.keys.public_key(header["kid"])
    assert key is not None
    claims: dict[str, Any] = jwt.decode(token, key, algorithms=["RS256"], audience=audience,
                                        issuer=issuer, leeway=400)
    assert claims == claims_of(token)
    return claims


async def redeem(client: httpx.AsyncClient, world: World, code: str, *, verifier: str = "",
                 redirect_uri: str = WEB, secret: bool = True, version: int = 2,
                 **extra: str) -> httpx.Response:
    form = {"grant_type": "authorization_code", "client_id": world.client_id, "code": code,
            "redirect_uri": redirect_uri, **extra}
    if verifier:
        form["code_verifier"] = verifier
    if secret:
        form["client_secret"] = world.secret
    middle = "v2.0/" if version == 2 else ""
    return await client.post(f"/{world.tid}/oauth2/{middle}token", data=form)


async def refresh(client: httpx.AsyncClient, world: World, token: str, *, secret: bool = True,
                  **extra: str) -> httpx.Response:
    form = {"grant_type": "refresh_token", "client_id": world.client_id,
            "refresh_token": token, **extra}
    if secret:
        form["client_secret"] = world.secret
    return await client.post(f"/{world.tid}/oauth2/v2.0/token", data=form)
