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
    before = await Powers(services.directory, operator_app_id="").of_app(app["appId"])
    for permission in (ROLE_APPS, ROLE_USERS, ROLE_DIRECTORY_ROLES, ROLE_GRANTS, ROLE_TENANTS):
        await refused(client, services, tenant.tenant_id, "POST",
                      f"/servicePrincipals/{sp['id']}/appRoleAssignments", granter,
                      {"principalId": sp["id"], "resourceId": tenant.management_sp["id"],
                       "appRoleId": roles[permission]})
    assert await Powers(services.directory, operator_app_id="").of_app(app["appId"]) == before


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
    users_admin, _ = await holder(client, services, tenant, ROLE_USERS, ROLE_DIRECTORY_ROLES)
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
