"""``/v1.0/oauth2PermissionGrants`` (Graph ``oAuth2PermissionGrant``): create, read, change and
revoke delegated grants; revocation stops the next delegated token."""

from __future__ import annotations

import httpx
import pytest

from credo.service.management.policy import PORTAL_APP_ID
from credo.service.runtime import Services

from .conftest import call
from .delegated_world import World, build_world


@pytest.fixture(scope="module")
async def world(client: httpx.AsyncClient, services: Services) -> World:
    return await build_world(client, services)


async def _sp(client: httpx.AsyncClient, world: World, app_id: str) -> str:
    found = await call(client, "GET", f"/servicePrincipals(appId='{app_id}')",
                       world.admin.admin, expect=200)
    return str(found["id"])


async def test_grant_lifecycle(world: World, client: httpx.AsyncClient) -> None:
    admin = world.admin.admin
    client_sp = await _sp(client, world, world.client_id)
    mail_sp = await _sp(client, world, world.mail["appId"])
    created = await call(client, "POST", "/oauth2PermissionGrants", admin, {
        "clientId": client_sp, "consentType": "Principal", "principalId": world.user.id,
        "resourceId": mail_sp, "scope": "Mail.Read Mail.Send"}, expect=201)
    assert {k: created[k] for k in ("clientId", "consentType", "principalId", "resourceId",
                                    "scope")} == {
        "clientId": client_sp, "consentType": "Principal", "principalId": world.user.id,
        "resourceId": mail_sp, "scope": "Mail.Read Mail.Send"}
    assert created["@odata.context"].endswith("$metadata#oauth2PermissionGrants/$entity")
    grant_id = created["id"]

    listed = await call(client, "GET", f"/oauth2PermissionGrants?$filter=clientId eq "
                        f"'{client_sp}'", admin, expect=200)
    assert [g["id"] for g in listed["value"]] == [grant_id]
    by_client = await call(client, "GET", f"/servicePrincipals/{client_sp}/"
                           "oauth2PermissionGrants", admin, expect=200)
    assert [g["id"] for g in by_client["value"]] == [grant_id]
    await call(client, "PATCH", f"/oauth2PermissionGrants/{grant_id}", admin,
               {"scope": "Mail.Read"}, expect=204)
    one = await call(client, "GET", f"/oauth2PermissionGrants/{grant_id}", admin, expect=200)
    assert one["scope"] == "Mail.Read"

    await call(client, "POST", "/oauth2PermissionGrants", admin, {
        "clientId": client_sp, "consentType": "Principal", "principalId": world.user.id,
        "resourceId": mail_sp, "scope": "Mail.Read"}, expect=409)
    await call(client, "DELETE", f"/oauth2PermissionGrants/{grant_id}", admin, expect=204)
    await call(client, "GET", f"/oauth2PermissionGrants/{grant_id}", admin, expect=404)


@pytest.mark.parametrize(("change", "status"), [
    ({"scope": "Mail.Delete"}, 400),
    ({"consentType": "AllPrincipals"}, 400),   # with a principalId
    ({"principalId": None}, 400),              # Principal without one
    ({"clientId": "00000000-0000-4000-8000-000000000000"}, 404),
    ({"bogus": 1}, 400)], ids=["unknown-scope", "all-with-principal", "principal-missing",
                               "unknown-client", "extra-member"])
async def test_grant_refusals(world: World, client: httpx.AsyncClient,
                              change: dict[str, object], status: int) -> None:
    body = {"clientId": await _sp(client, world, world.client_id),
            "consentType": "Principal", "principalId": world.cloud_admin.id,
            "resourceId": await _sp(client, world, world.mail["appId"]), "scope": "Mail.Read",
            **change}
    await call(client, "POST", "/oauth2PermissionGrants", world.admin.admin, body,
               expect=status)


async def test_other_tenants_grants_are_invisible(world: World, client: httpx.AsyncClient,
                                                  services: Services) -> None:
    other = await build_world(client, services)
    client_sp = await _sp(client, world, world.client_id)
    mail_sp = await _sp(client, world, world.mail["appId"])
    created = await call(client, "POST", "/oauth2PermissionGrants", world.admin.admin, {
        "clientId": client_sp, "consentType": "AllPrincipals", "resourceId": mail_sp,
        "scope": "Mail.Read"}, expect=201)
    await call(client, "GET", f"/oauth2PermissionGrants/{created['id']}", other.admin.admin,
               expect=404)
    await call(client, "DELETE", f"/oauth2PermissionGrants/{created['id']}",
               other.admin.admin, expect=404)
    listed = await call(client, "GET", "/oauth2PermissionGrants", other.admin.admin,
                        expect=200)
    portal = await services.directory.service_principal(other.tenant, PORTAL_APP_ID)
    # Only the other tenant's own grant: the built-in portal's pre-consent.
    assert [g["clientId"] for g in listed["value"]] == [portal.id]
