"""``/v1.0/users`` and ``/v1.0/directoryRoles`` in Graph shapes, and who may call them."""

from __future__ import annotations

import httpx
import pytest

from credo.service.runtime import Services
from support import bearer, token_with_secret

from .conftest import TenantAdmin, call, onboard, unique_domain

GA = "62e90394-69f5-4237-9190-012177145e10"
PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
async def tenant(client: httpx.AsyncClient, services: Services) -> TenantAdmin:
    return await onboard(client, services, unique_domain("users"))


def _new(upn: str, **extra: object) -> dict[str, object]:
    return {"accountEnabled": True, "displayName": "Alice", "mailNickname": "alice",
            "userPrincipalName": upn, "passwordProfile": {
                "forceChangePasswordNextSignIn": False, "password": PASSWORD}, **extra}


async def test_user_life_cycle(client: httpx.AsyncClient, tenant: TenantAdmin) -> None:
    op = tenant.operator
    created = await call(client, "POST", "/users", op, _new(f"Alice@{tenant.domain}"),
                         expect=201)
    assert created["@odata.context"].endswith("$metadata#users/$entity")
    assert {k: created[k] for k in ("userPrincipalName", "displayName", "accountEnabled",
                                    "userType", "mail")} == {
        "userPrincipalName": f"alice@{tenant.domain}", "displayName": "Alice",
        "accountEnabled": True, "userType": "Member", "mail": None}
    assert "passwordProfile" not in created and PASSWORD not in str(created)
    by_upn = await call(client, "GET", f"/users/ALICE@{tenant.domain}", op, expect=200)
    assert by_upn["id"] == created["id"]
    await call(client, "PATCH", f"/users/{created['id']}", op,
               {"displayName": "Alice Liddell", "accountEnabled": False,
                "passwordProfile": {"password": "another long password"}}, expect=204)
    changed = await call(client, "GET", f"/users/{created['id']}", op, expect=200)
    assert (changed["displayName"], changed["accountEnabled"]) == ("Alice Liddell", False)
    assert changed["lastPasswordChangeDateTime"] >= created["lastPasswordChangeDateTime"]
    listed = await call(client, "GET", "/users", op, expect=200)
    assert [u["id"] for u in listed["value"]] == [created["id"]]
    await call(client, "DELETE", f"/users/{created['id']}", op, expect=204)
    await call(client, "GET", f"/users/{created['id']}", op, expect=404)


@pytest.mark.parametrize(("body", "target"), [
    (_new("bob@elsewhere.example"), "userPrincipalName"),
    (_new("bob"), "userPrincipalName"),
    (_new("bob@{domain}", passwordProfile={"password": "short"}), "passwordProfile.password"),
    (_new("bob@{domain}", displayName=" "), "displayName"),
], ids=["foreign-domain", "no-domain", "short-password", "blank-name"])
async def test_bad_users_are_refused_field_by_field(
        client: httpx.AsyncClient, tenant: TenantAdmin, body: dict[str, object],
        target: str) -> None:
    body = {**body, "userPrincipalName": str(body["userPrincipalName"]).format(
        domain=tenant.domain)}
    error = (await call(client, "POST", "/users", tenant.operator, body, expect=400))["error"]
    assert [d["target"] for d in error["details"]] == [target]
    assert "short" not in str(error)


async def test_directory_roles_and_members(client: httpx.AsyncClient,
                                           tenant: TenantAdmin) -> None:
    op = tenant.operator
    roles = await call(client, "GET", "/directoryRoles", op, expect=200)
    assert [(r["displayName"], r["roleTemplateId"] == r["id"]) for r in roles["value"]] == [
        ("Global Administrator", True), ("Application Administrator", True),
        ("Cloud Application Administrator", True)]
    user = await call(client, "POST", "/users", op, _new(f"carol@{tenant.domain}"), expect=201)
    ref = {"@odata.id": f"https://graph.microsoft.com/v1.0/directoryObjects/{user['id']}"}
    await call(client, "POST", f"/directoryRoles/{GA}/members/$ref", op, ref, expect=204)
    members = await call(client, "GET", f"/directoryRoles/{GA}/members", op, expect=200)
    assert [(m["@odata.type"], m["id"]) for m in members["value"]] == [
        ("#microsoft.graph.user", user["id"])]
    await call(client, "POST", f"/directoryRoles/{GA}/members/$ref", op,
               {"@odata.id": "https://x/v1.0/groups/1"}, expect=400)
    await call(client, "DELETE", f"/directoryRoles/{GA}/members/{user['id']}/$ref", op,
               expect=204)
    await call(client, "DELETE", f"/directoryRoles/{GA}/members/{user['id']}/$ref", op,
               expect=404)
    await call(client, "GET", "/directoryRoles/not-a-role/members", op, expect=404)


async def test_callers_need_the_user_roles(client: httpx.AsyncClient, services: Services,
                                           tenant: TenantAdmin) -> None:
    """The tenant-admin app (apps, grants, read) may list users but not change them."""
    listed = await call(client, "GET", "/users", tenant.admin, expect=200)
    assert isinstance(listed["value"], list)
    await call(client, "POST", "/users", tenant.admin, _new(f"dan@{tenant.domain}"),
               expect=403)
    user = await call(client, "POST", "/users", tenant.operator, _new(f"erin@{tenant.domain}"),
                      expect=201)
    await call(client, "POST", f"/directoryRoles/{GA}/members/$ref", tenant.admin,
               {"@odata.id": f"https://x/v1.0/users/{user['id']}"}, expect=403)
    other = await onboard(client, services, unique_domain("users-other"))
    await call(client, "GET", f"/users/{user['id']}", other.operator, expect=404)


async def test_a_user_administrator_cannot_take_over_an_administrator(
        client: httpx.AsyncClient, tenant: TenantAdmin) -> None:
    op = tenant.operator
    app = await call(client, "POST", "/applications", op, {"displayName": "Helpdesk"},
                     expect=201)
    secret = (await call(client, "POST", f"/applications/{app['id']}/addPassword", op,
                         {"passwordCredential": {}}, expect=200))["secretText"]
    sp = await call(client, "GET", f"/servicePrincipals(appId='{app['appId']}')", op,
                    expect=200)
    management = tenant.management_sp
    for value in ("User.ReadWrite.All", "Directory.Read.All"):  # a user reads the directory
        role = next(r["id"] for r in management["appRoles"] if r["value"] == value)
        await call(client, "POST", f"/servicePrincipals/{management['id']}/appRoleAssignedTo",
                   op, {"principalId": sp["id"], "resourceId": management["id"],
                        "appRoleId": role}, expect=201)
    helpdesk = bearer(await token_with_secret(client, tenant.tenant_id, app["appId"], secret))
    plain = await call(client, "POST", "/users", helpdesk, _new(f"frank@{tenant.domain}"),
                       expect=201)
    admin = await call(client, "POST", "/users", op, _new(f"grace@{tenant.domain}"), expect=201)
    await call(client, "POST", f"/directoryRoles/{GA}/members/$ref", op,
               {"@odata.id": f"https://x/v1.0/users/{admin['id']}"}, expect=204)
    reset = {"passwordProfile": {"password": "taken over password"}}
    await call(client, "PATCH", f"/users/{plain['id']}", helpdesk, reset, expect=204)
    await call(client, "PATCH", f"/users/{admin['id']}", helpdesk, reset, expect=403)
    await call(client, "DELETE", f"/users/{admin['id']}", helpdesk, expect=403)
