"""No way up, for signed-in users: the escalation matrix with delegated tokens.

The same operations, fresh objects and checks as ``test_escalation_matrix.py`` (its tables
are reused), called by users of the bootstrap tenant holding each directory role, and none,
through the delegated token the portal gets for them (``scp``: every management
permission, pre-consented). Graph's rule makes what they may do exactly what their roles
allow (``policy.user_power``; ``GRANT_MANAGEMENT`` is no scope, so no delegated token
carries it): an allowed call is never refused, any other is Graph's 403 and changes
nothing. Then: ``scp`` narrows a user's power, and a disabled user's token stops working.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from browser import Browser, authorize_url
from credo.model import DirectoryRoleName, TenantId
from credo.service.management.policy import (
    GRANT_MANAGEMENT,
    IMPLIED,
    MANAGEMENT_APP_ID,
    ROLE_DIRECTORY_ROLES,
    user_power,
)
from credo.service.portal import Session
from credo.service.runtime import Services
from credo.web.app import build_app
from credo.web.session import SESSION_COOKIE
from support import bearer

from .conftest import call
from .test_escalation_matrix import ALLOWED, BUILD, TOGETHER, Victims, World, snapshot

PASSWORD = "Delegated matrix 1!"
ROLES: dict[str, tuple[DirectoryRoleName, ...]] = {
    "Global Administrator": ("Global Administrator",),
    "Application Administrator": ("Application Administrator",),
    "Cloud Application Administrator": ("Cloud Application Administrator",),
    "no role": (),
}
ROLE_MEMBERS = {("POST", "/directoryRoles/{role_id}/members/$ref"),
                ("DELETE", "/directoryRoles/{role_id}/members/{user_id}/$ref")}
"""Assigning or removing the Application Administrator role (the matrix's victim role)
needs RoleManagement.ReadWrite.Directory and everything that role allows."""


def allowed(operation: tuple[str, str], roles: tuple[DirectoryRoleName, ...],
            tenant: str) -> bool:
    held = {p for _, p in user_power(TenantId(tenant), roles, bootstrap=True).pairs}
    held.discard(GRANT_MANAGEMENT)
    if operation in ROLE_MEMBERS:
        return ROLE_DIRECTORY_ROLES in held and IMPLIED["Application Administrator"] <= held
    if operation in TOGETHER:
        return TOGETHER[operation] <= held
    return bool(ALLOWED[operation] & held)


async def _user(services: Services, tenant_id: str, roles: tuple[DirectoryRoleName, ...]
                ) -> tuple[str, str]:
    tenant = await services.directory.tenant(tenant_id)
    user = await services.accounts.users.create(
        tenant, f"u{uuid.uuid4().hex[:8]}@{tenant.default_domain}", "Matrix user", PASSWORD)
    for role in roles:
        await services.accounts.users.assign_role(user, role)
    return user.id, user.user_principal_name


async def portal_token(services: Services, tenant_id: str, upn: str, user_id: str) -> str:
    """The delegated token the portal holds for ``upn`` after signing them in."""
    async with Browser(services) as browser:
        landing = await browser.go(f"/portal/{tenant_id}/", credentials=(upn, PASSWORD))
        assert landing.response.status_code == 200, landing.page
        token = await services.portal.access_token(
            Session(browser.cookie(SESSION_COOKIE) or "", TenantId(tenant_id), user_id),
            correlation="matrix", address="10.9.9.9")
    assert token is not None
    return token


@pytest.fixture(scope="module")
async def delegated(services: Services, client: httpx.AsyncClient,
                    operator: dict[str, str]) -> World:
    tenant_id = services.settings.bootstrap_tenant
    w = World(services, client, operator, tenant_id)
    for name, roles in ROLES.items():
        user_id, upn = await _user(services, tenant_id, roles)
        w.headers[name] = bearer(await portal_token(services, tenant_id, upn, user_id))
    return w


CASES = [(op, role) for op in ALLOWED for role in ROLES]


@pytest.mark.parametrize(("operation", "role"), CASES,
                         ids=[f"{m} {p} as {r}" for (m, p), r in CASES])
async def test_directory_role(delegated: World, operation: tuple[str, str], role: str) -> None:
    path, body = await BUILD[operation](Victims(delegated))
    before = await snapshot(delegated.services, delegated.tenant_id)
    response = await delegated.client.request(operation[0], f"/v1.0{path}",
                                              headers=delegated.headers[role], json=body)
    assert response.status_code < 500, response.text
    if allowed(operation, ROLES[role], delegated.tenant_id):
        assert response.status_code not in (401, 403), response.text
        return
    assert response.status_code == 403, response.text
    assert response.json()["error"] == {
        "code": "Authorization_RequestDenied",
        "message": "Insufficient privileges to complete the operation.",
        "innerError": response.json()["error"]["innerError"]}
    assert await snapshot(delegated.services, delegated.tenant_id) == before


def test_the_matrix_expects_what_the_roles_imply() -> None:
    """The expectations themselves: a plain user reads, only a Global Administrator
    manages users and roles, and none of them grants a management role through the API."""
    boot = "00000000-0000-4000-8000-000000000000"
    post_app, tenants = ("POST", "/applications"), ("POST", "/tenants")
    members = ("POST", "/directoryRoles/{role_id}/members/$ref")
    assert [allowed(post_app, r, boot) for r in ROLES.values()] == [True, True, True, False]
    assert [allowed(members, r, boot) for r in ROLES.values()] == [True, False, False, False]
    assert [allowed(tenants, r, boot) for r in ROLES.values()] == [True, False, False, False]
    assert all(allowed(("GET", "/applications"), r, boot) for r in ROLES.values())


async def _token_for(services: Services, client: httpx.AsyncClient, operator: dict[str, str],
                     upn: str, scope_values: str) -> str:
    """A delegated management token through a public client granted only ``scope_values``."""
    tid = services.settings.bootstrap_tenant
    redirect = "http://localhost:8400/"
    app = await call(client, "POST", "/applications", operator, {
        "displayName": "Narrow client", "publicClient": {"redirectUris": [redirect]}},
        expect=201)
    sp = await call(client, "GET", f"/servicePrincipals(appId='{app['appId']}')", operator,
                    expect=200)
    management = await call(client, "GET", f"/servicePrincipals(appId='{MANAGEMENT_APP_ID}')",
                            operator, expect=200)
    await call(client, "POST", "/oauth2PermissionGrants", operator, {
        "clientId": sp["id"], "consentType": "AllPrincipals", "resourceId": management["id"],
        "scope": scope_values}, expect=201)
    verifier = uuid.uuid4().hex * 2
    async with Browser(services) as browser:
        landing = await browser.go(authorize_url(tid, app["appId"], redirect, verifier=verifier,
                                                 scope="api://credo/.default"),
                                   credentials=(upn, PASSWORD))
    answer = await client.post(f"/{tid}/oauth2/v2.0/token", data={
        "grant_type": "authorization_code", "client_id": app["appId"],
        "code": landing.params["code"], "redirect_uri": redirect, "code_verifier": verifier})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


async def test_scp_narrows_a_users_power_and_a_disabled_user_is_refused(
        services: Services, client: httpx.AsyncClient, operator: dict[str, str]) -> None:
    tid = services.settings.bootstrap_tenant
    user_id, upn = await _user(services, tid, ("Global Administrator",))
    reader = bearer(await _token_for(services, client, operator, upn, "Directory.Read.All"))
    await call(client, "GET", "/applications", reader, expect=200)
    refused: Any = await call(client, "POST", "/applications", reader,
                              {"displayName": "Not with this token"}, expect=403)
    assert refused["error"]["code"] == "Authorization_RequestDenied"
    user = await services.accounts.users.by_id(user_id)
    assert user is not None
    tenant = await services.directory.tenant(tid)
    await services.accounts.users.update(tenant, user, display_name=None,
                                         user_principal_name=None, account_enabled=False,
                                         password=None)
    gone = await client.get("/v1.0/applications", headers=reader)
    assert gone.status_code == 401
    assert gone.json()["error"]["code"] == "InvalidAuthenticationToken"


async def test_the_roles_are_read_on_every_call(services: Services) -> None:
    """A removed directory role stops counting at once, whatever the token was issued with."""
    tid = services.settings.bootstrap_tenant
    user_id, upn = await _user(services, tid, ("Application Administrator",))
    headers = bearer(await portal_token(services, tid, upn, user_id))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_app(services)),
                                 base_url=services.settings.base_url) as http:
        made = await http.post("/v1.0/applications", headers=headers,
                               json={"displayName": "While an administrator"})
        assert made.status_code == 201, made.text
        user = await services.accounts.users.by_id(user_id)
        assert user is not None
        await services.accounts.users.remove_role(user, "Application Administrator")
        refused = await http.post("/v1.0/applications", headers=headers,
                                  json={"displayName": "No longer"})
        assert refused.status_code == 403
        read = await http.get("/v1.0/applications", headers=headers)
        assert read.status_code == 200
