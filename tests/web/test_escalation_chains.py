"""The ways up that were found, each closed: every attempt is a Graph 403, writes nothing,
leaves an audit event, and the attacker's power is what it was."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from credo.service.management.policy import (
    MANAGEMENT_APP_ID,
    ROLE_APPS,
    ROLE_DIRECTORY_ROLES,
    ROLE_GRANTS,
    ROLE_READ,
    ROLE_TENANTS,
    ROLE_USERS,
    Power,
)
from credo.service.management.powers import Powers
from credo.service.runtime import Services
from support import bearer, token_with_secret

from .conftest import TenantAdmin, add_password, call, onboard, unique_domain
from .test_escalation_matrix import snapshot

DENIED = {"code": "Authorization_RequestDenied",
          "message": "Insufficient privileges to complete the operation."}
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"


async def holder(client: httpx.AsyncClient, services: Services, t: TenantAdmin,
                 *permissions: str) -> tuple[dict[str, str], dict[str, Any]]:
    """An app of tenant ``t`` holding ``permissions`` (granted by the operator)."""
    app = await call(client, "POST", "/applications", t.operator,
                     {"displayName": f"holder {' '.join(permissions)}"}, expect=201)
    secret = await add_password(client, t.operator, app, "attacker")
    sp = await call(client, "GET", f"/servicePrincipals(appId='{app['appId']}')", t.operator,
                    expect=200)
    roles = {r["value"]: r["id"] for r in t.management_sp["appRoles"]}
    for permission in permissions:
        await call(client, "POST", f"/servicePrincipals/{sp['id']}/appRoleAssignments",
                   t.operator, {"principalId": sp["id"], "resourceId": t.management_sp["id"],
                                "appRoleId": roles[permission]}, expect=201)
    return bearer(await token_with_secret(client, t.tenant_id, app["appId"], secret)), app


async def refused(client: httpx.AsyncClient, services: Services, tenant_id: str, method: str,
                  path: str, headers: dict[str, str], body: Any = None) -> None:
    """A Graph 403 that changed nothing and left a failure event naming the route."""
    before = await snapshot(services, tenant_id)
    response = await client.request(method, f"/v1.0{path}", headers=headers, json=body)
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert {"code": error["code"], "message": error["message"]} == DENIED
    assert await snapshot(services, tenant_id) == before
    await services.audit.flush()
    events = await services.store.recent(tenant_id, 20)
    assert any(e.outcome == "failure" and e.code == 403
               and e.detail.startswith(f"{method} /v1.0{path}") for e in events), path


@pytest.fixture
async def tenant(client: httpx.AsyncClient, services: Services) -> TenantAdmin:
    return await onboard(client, services, unique_domain("chain"))


async def test_no_credential_or_change_on_the_built_in_apps(
        client: httpx.AsyncClient, services: Services, operator: dict[str, str]) -> None:
    """Finding 1: Application.ReadWrite.All in the bootstrap tenant was the operator; now not
    even the operator's own token touches the built-in apps."""
    bootstrap = services.settings.bootstrap_tenant
    t = TenantAdmin(bootstrap, "", operator, operator, {}, await call(
        client, "GET", f"/servicePrincipals(appId='{MANAGEMENT_APP_ID}')", operator,
        expect=200))
    writer, _ = await holder(client, services, t, ROLE_APPS)
    op_app = services.settings.operator_app_id
    for headers in (writer, operator):
        for app_id in (op_app, MANAGEMENT_APP_ID):
            await refused(client, services, bootstrap, "POST",
                          f"/applications/{app_id}/addPassword", headers, {})
            await refused(client, services, bootstrap, "PATCH", f"/applications/{app_id}",
                          headers, {"keyCredentials": []})
            await refused(client, services, bootstrap, "DELETE", f"/applications/{app_id}",
                          headers)
    await refused(client, services, bootstrap, "POST", "/tenants", writer,
                  {"domain": unique_domain("nope")})


async def test_no_permission_grants_itself_more(client: httpx.AsyncClient, services: Services,
                                                tenant: TenantAdmin) -> None:
    """Finding 2: AppRoleAssignment.ReadWrite.All granted itself anything it liked."""
    granter, app = await holder(client, services, tenant, ROLE_GRANTS)
    sp = await call(client, "GET", f"/servicePrincipals(appId='{app['appId']}')", granter,
                    expect=200)
    roles = {r["value"]: r["id"] for r in tenant.management_sp["appRoles"]}
    powers = Powers(services.directory, services.store.flows, operator_app_id="")
    before = await powers.of_app(app["appId"])
    for permission in (ROLE_APPS, ROLE_USERS, ROLE_DIRECTORY_ROLES, ROLE_GRANTS, ROLE_TENANTS):
        await refused(client, services, tenant.tenant_id, "POST",
                      f"/servicePrincipals/{sp['id']}/appRoleAssignments", granter,
                      {"principalId": sp["id"], "resourceId": tenant.management_sp["id"],
                       "appRoleId": roles[permission]})
    assert await powers.of_app(app["appId"]) == before


async def test_tenant_admin_app_cannot_hand_out_management_roles(
        client: httpx.AsyncClient, services: Services, tenant: TenantAdmin) -> None:
    """Grant to a second app, then use it: the tenant's admin app holds the three admin
    roles, yet grants none of them to an app it controls."""
    helper = await call(client, "POST", "/applications", tenant.admin,
                        {"displayName": "accomplice"}, expect=201)
    sp = await call(client, "GET", f"/servicePrincipals(appId='{helper['appId']}')",
                    tenant.admin, expect=200)
    roles = {r["value"]: r["id"] for r in tenant.management_sp["appRoles"]}
    for permission in (ROLE_READ, ROLE_APPS, ROLE_GRANTS):
        await refused(client, services, tenant.tenant_id, "POST",
                      f"/servicePrincipals/{tenant.management_sp['id']}/appRoleAssignedTo",
                      tenant.admin, {"principalId": sp["id"],
                                     "resourceId": tenant.management_sp["id"],
                                     "appRoleId": roles[permission]})


async def test_no_credential_on_a_stronger_app(client: httpx.AsyncClient, services: Services,
                                               tenant: TenantAdmin) -> None:
    """A secret added to (or a manifest change of) an app holding more than the caller."""
    writer, _ = await holder(client, services, tenant, ROLE_APPS)
    admin_app = tenant.admin_app["id"]
    await refused(client, services, tenant.tenant_id, "POST",
                  f"/applications/{admin_app}/addPassword", writer, {})
    await refused(client, services, tenant.tenant_id, "PATCH", f"/applications/{admin_app}",
                  writer, {"displayName": "mine now"})
    await refused(client, services, tenant.tenant_id, "DELETE", f"/applications/{admin_app}",
                  writer)
    admin_sp = await call(client, "GET",
                          f"/servicePrincipals(appId='{tenant.admin_app['appId']}')",
                          writer, expect=200)
    await refused(client, services, tenant.tenant_id, "PATCH",
                  f"/servicePrincipals/{admin_sp['id']}", writer, {"accountEnabled": False})


async def test_operator_grants_survive_a_tenant_admin(client: httpx.AsyncClient,
                                                      services: Services,
                                                      tenant: TenantAdmin) -> None:
    """Finding 6: a tenant's admin app could delete the operator's assignments there."""
    op_sp = await call(client, "GET",
                       f"/servicePrincipals(appId='{services.settings.operator_app_id}')",
                       tenant.admin, expect=200)
    granted = await call(client, "GET", f"/servicePrincipals/{op_sp['id']}/appRoleAssignments",
                         tenant.admin, expect=200)
    assert granted["value"]
    for assignment in granted["value"]:
        await refused(client, services, tenant.tenant_id, "DELETE",
                      f"/servicePrincipals/{op_sp['id']}/appRoleAssignments/{assignment['id']}",
                      tenant.admin)


async def test_no_administrator_is_made_or_taken_over(client: httpx.AsyncClient,
                                                      services: Services,
                                                      tenant: TenantAdmin) -> None:
    """Users and roles: a user administrator makes no Global Administrator and resets no
    stronger administrator's password (who would then sign in as them)."""
    users_admin, _ = await holder(client, services, tenant, ROLE_USERS, ROLE_DIRECTORY_ROLES,
                                  ROLE_READ)
    body = {"displayName": "Mallory", "userPrincipalName": f"mallory@{tenant.domain}",
            "passwordProfile": {"password": "Mallory password 1!"}}
    mallory = await call(client, "POST", "/users", users_admin, body, expect=201)
    await refused(client, services, tenant.tenant_id, "POST",
                  f"/directoryRoles/{GLOBAL_ADMIN}/members/$ref", users_admin,
                  {"@odata.id": f"https://graph.microsoft.com/v1.0/users/{mallory['id']}"})
    boss = await call(client, "POST", "/users", tenant.operator, {
        "displayName": "Boss", "userPrincipalName": f"boss@{tenant.domain}",
        "passwordProfile": {"password": "Boss password 1!"}}, expect=201)
    await call(client, "POST", f"/directoryRoles/{GLOBAL_ADMIN}/members/$ref", tenant.operator,
               {"@odata.id": f"https://graph.microsoft.com/v1.0/users/{boss['id']}"},
               expect=204)
    for method, body_or_none in (("PATCH", {"passwordProfile": {"password": "Taken over 1!"}}),
                                 ("PATCH", {"accountEnabled": False}), ("DELETE", None)):
        await refused(client, services, tenant.tenant_id, method, f"/users/{boss['id']}",
                      users_admin, body_or_none)
    await refused(client, services, tenant.tenant_id, "DELETE",
                  f"/directoryRoles/{GLOBAL_ADMIN}/members/{boss['id']}/$ref", users_admin)


def test_power_model() -> None:
    """The rule every refusal above applies: the caller must cover the target."""
    tid = "t"
    admin = Power.of(tid, (ROLE_APPS, ROLE_GRANTS, ROLE_READ))  # type: ignore[arg-type]
    writer = Power.of(tid, (ROLE_APPS,))  # type: ignore[arg-type]
    assert admin.covers(writer) and not writer.covers(admin)
    assert Power(everything=True).covers(admin) and not admin.covers(Power(everything=True))
    assert not Power.of("other", (ROLE_APPS,)).covers(writer)  # type: ignore[arg-type]


async def _grant(client: httpx.AsyncClient, t: TenantAdmin, headers: dict[str, str],
                 client_sp: str, scope: str) -> httpx.Response:
    return await client.post("/v1.0/oauth2PermissionGrants", headers=headers, json={
        "clientId": client_sp, "consentType": "AllPrincipals",
        "resourceId": t.management_sp["id"], "scope": scope})


async def test_no_delegated_management_permission_without_the_power(
        client: httpx.AsyncClient, services: Services, tenant: TenantAdmin) -> None:
    """Found by an attacker's probe: AppRoleAssignment.ReadWrite.All pre-consented the
    management API's delegated permissions to an app it controlled, so a Global
    Administrator signing in to that app handed it their power without a consent page. A
    management permission is granted, changed and revoked as its app role is."""
    granter, app = await holder(client, services, tenant, ROLE_GRANTS)
    sp = await call(client, "GET", f"/servicePrincipals(appId='{app['appId']}')", granter,
                    expect=200)
    powers = Powers(services.directory, services.store.flows, operator_app_id="")
    for headers in (granter, tenant.admin):
        for permission in (ROLE_READ, ROLE_APPS, ROLE_GRANTS, ROLE_USERS, ROLE_TENANTS,
                           f"{ROLE_READ} {ROLE_USERS}"):
            await refused(client, services, tenant.tenant_id, "POST",
                          "/oauth2PermissionGrants", headers,
                          {"clientId": sp["id"], "consentType": "AllPrincipals",
                           "resourceId": tenant.management_sp["id"], "scope": permission})
    assert await powers.of_app(app["appId"]) == Power.of(tenant.tenant_id, [ROLE_GRANTS])

    # Not even the operator grants Tenant.ReadWrite.All; it grants what it holds.
    response = await _grant(client, tenant, tenant.operator, sp["id"], ROLE_TENANTS)
    assert response.status_code == 403, response.text
    granted = await _grant(client, tenant, tenant.operator, sp["id"], ROLE_READ)
    assert granted.status_code == 201, granted.text
    grant_id = granted.json()["id"]
    for headers in (granter, tenant.admin):
        await refused(client, services, tenant.tenant_id, "PATCH",
                      f"/oauth2PermissionGrants/{grant_id}", headers,
                      {"scope": f"{ROLE_READ} {ROLE_APPS}"})
        await refused(client, services, tenant.tenant_id, "PATCH",
                      f"/oauth2PermissionGrants/{grant_id}", headers, {"scope": ""})
        await refused(client, services, tenant.tenant_id, "DELETE",
                      f"/oauth2PermissionGrants/{grant_id}", headers)
    await call(client, "DELETE", f"/oauth2PermissionGrants/{grant_id}", tenant.operator,
               expect=204)


async def test_no_credential_on_a_pre_consented_app(client: httpx.AsyncClient,
                                                    services: Services,
                                                    tenant: TenantAdmin) -> None:
    """An app pre-consented management permissions acts with them for whoever signs in to
    it: only a caller covering them adds a secret to it or changes it."""
    writer, _ = await holder(client, services, tenant, ROLE_APPS)
    wiki = await call(client, "POST", "/applications", tenant.operator,
                      {"displayName": "Innocent Wiki"}, expect=201)
    wiki_sp = await call(client, "GET", f"/servicePrincipals(appId='{wiki['appId']}')",
                         tenant.operator, expect=200)
    response = await _grant(client, tenant, tenant.operator, wiki_sp["id"],
                            f"{ROLE_READ} {ROLE_USERS}")
    assert response.status_code == 201, response.text
    powers = Powers(services.directory, services.store.flows, operator_app_id="")
    assert await powers.of_app(wiki["appId"]) == Power.of(tenant.tenant_id,
                                                          [ROLE_READ, ROLE_USERS])
    await refused(client, services, tenant.tenant_id, "POST",
                  f"/applications/{wiki['id']}/addPassword", writer, {})
    await refused(client, services, tenant.tenant_id, "PATCH", f"/applications/{wiki['id']}",
                  writer, {"web": {"redirectUris": ["https://attacker.example/cb"]}})
    await refused(client, services, tenant.tenant_id, "PATCH",
                  f"/servicePrincipals/{wiki_sp['id']}", writer, {"accountEnabled": False})


async def test_no_user_made_or_reset_to_read_what_the_caller_cannot(
        client: httpx.AsyncClient, services: Services, tenant: TenantAdmin) -> None:
    """Found by an attacker's probe: User.ReadWrite.All alone created a user (or reset a
    plain user's password) and signed in as them to read every application. Every user
    reads the directory, so managing users takes Directory.Read.All too."""
    alone, _ = await holder(client, services, tenant, ROLE_USERS)
    both, _ = await holder(client, services, tenant, ROLE_USERS, ROLE_READ)
    puppet = {"displayName": "Sock Puppet", "userPrincipalName": f"puppet@{tenant.domain}",
              "passwordProfile": {"password": "Puppet-pass-123456!"}}
    await refused(client, services, tenant.tenant_id, "POST", "/users", alone, puppet)
    made = await call(client, "POST", "/users", both, puppet, expect=201)
    reset = {"passwordProfile": {"password": "Another-pass-123456!"}}
    await refused(client, services, tenant.tenant_id, "PATCH", f"/users/{made['id']}", alone,
                  reset)
    await refused(client, services, tenant.tenant_id, "DELETE", f"/users/{made['id']}", alone)
    await call(client, "PATCH", f"/users/{made['id']}", both, reset, expect=204)
    await call(client, "DELETE", f"/users/{made['id']}", both, expect=204)
