"""Fixtures for the HTTP surface: one initialised deployment per module, served in-process.

``services`` / ``client`` / ``operator`` are module-scoped (initialisation makes several RSA
keys); tests create their own tenants and apps with distinct names, so they do not collide.
``browser`` is a fresh ``browser.Browser`` per test.
``onboard(client, services, domain)`` creates a tenant with an administrator app holding the
three tenant-admin roles of the management API, authenticated by a client secret.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from browser import Browser
from credo.service.management.policy import MANAGEMENT_APP_ID, TENANT_ADMIN_ROLES
from credo.service.runtime import Services, close_services
from support import (
    asgi_client,
    bearer,
    make_services,
    operator_token,
    token_with_secret,
)


@pytest.fixture(scope="module")
async def services(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Services]:
    deployment = await make_services(tmp_path_factory.mktemp("credo-web"))
    yield deployment
    await close_services(deployment)


@pytest.fixture(scope="module")
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    async with asgi_client(services) as http:
        yield http


@pytest.fixture(scope="module")
async def operator(client: httpx.AsyncClient, services: Services) -> dict[str, str]:
    """Authorization headers of the operator in the bootstrap tenant."""
    return bearer(await operator_token(client, services))


@pytest.fixture
async def browser(services: Services) -> AsyncIterator[Browser]:
    """A fresh ``browser.Browser`` (own cookies, own client address) for one test."""
    async with Browser(services) as b:
        yield b


def unique_domain(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}.test"


async def call(client: httpx.AsyncClient, method: str, path: str, headers: dict[str, str],
               body: Any = None, *, expect: int) -> Any:
    """``method /v1.0{path}``; asserts the status and returns the JSON body (None for 204)."""
    response = await client.request(method, f"/v1.0{path}", headers=headers, json=body)
    assert response.status_code == expect, response.text
    return None if response.status_code == 204 else response.json()


async def add_password(client: httpx.AsyncClient, headers: dict[str, str], app: dict[str, Any],
                       name: str) -> str:
    """A new client secret of the application object ``app`` (``addPassword``)."""
    body = {"passwordCredential": {"displayName": name}}
    created = await call(client, "POST", f"/applications/{app['id']}/addPassword", headers, body,
                         expect=200)
    return str(created["secretText"])


@dataclass(frozen=True)
class TenantAdmin:
    tenant_id: str
    domain: str
    operator: dict[str, str]
    admin: dict[str, str]
    admin_app: dict[str, Any]
    management_sp: dict[str, Any]


async def onboard(client: httpx.AsyncClient, services: Services, domain: str) -> TenantAdmin:
    """A new tenant plus an admin app (secret) holding the tenant-admin management roles."""
    root = bearer(await operator_token(client, services))
    tenant = await call(client, "POST", "/tenants", root, {"domain": domain}, expect=201)
    op = bearer(await operator_token(client, services, tenant["id"]))
    app = await call(client, "POST", "/applications", op, {"displayName": f"{domain} admin"},
                     expect=201)
    secret = await add_password(client, op, app, "admin")
    management = await call(client, "GET", f"/servicePrincipals(appId='{MANAGEMENT_APP_ID}')",
                            op, expect=200)
    admin_sp = await call(client, "GET", f"/servicePrincipals(appId='{app['appId']}')", op,
                          expect=200)
    role_ids = {r["value"]: r["id"] for r in management["appRoles"]}
    for role in TENANT_ADMIN_ROLES:
        await call(client, "POST", f"/servicePrincipals/{management['id']}/appRoleAssignedTo",
                   op, {"principalId": admin_sp["id"], "resourceId": management["id"],
                        "appRoleId": role_ids[role]}, expect=201)
    admin = bearer(await token_with_secret(client, tenant["id"], app["appId"], secret))
    return TenantAdmin(tenant["id"], domain, op, admin, app, management)


def api_manifest(display_name: str, uri: str) -> dict[str, Any]:
    """An API with one application permission (``Thing.Read``) and one delegated scope
    (``Thing.Use``), fresh ids each time."""
    return {
        "displayName": display_name, "identifierUris": [uri],
        "appRoles": [{"allowedMemberTypes": ["Application"], "value": "Thing.Read",
                      "displayName": "Read", "description": "Read things",
                      "id": str(uuid.uuid4()), "isEnabled": True}],
        "api": {"oauth2PermissionScopes": [{
            "id": str(uuid.uuid4()), "value": "Thing.Use", "type": "User",
            "adminConsentDisplayName": "Use", "adminConsentDescription": "Use things",
            "isEnabled": True}]}}
