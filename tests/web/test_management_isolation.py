"""Tenant isolation: an administrator of tenant A sees tenant B's objects exactly as if they
did not exist, cannot list or grant with them, and cannot reach operator-only routes."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from credo.service.runtime import Services

from .conftest import TenantAdmin, call, onboard, unique_domain

ROLE_ID = "0c7a4d1b-9e8f-4a6b-8c5d-1e2f3a4b5c6d"


@dataclass(frozen=True)
class Foreign:
    """Objects of tenant B, made by B's operator."""

    app: dict[str, Any]
    sp: dict[str, Any]
    client_sp: dict[str, Any]
    assignment: dict[str, Any]


@pytest.fixture(scope="module")
async def a(client: httpx.AsyncClient, services: Services) -> TenantAdmin:
    return await onboard(client, services, unique_domain("tenant-a"))


@pytest.fixture(scope="module")
async def b(client: httpx.AsyncClient, services: Services) -> Foreign:
    tenant_b = await onboard(client, services, unique_domain("tenant-b"))
    op = tenant_b.operator
    app = await call(client, "POST", "/applications", op, {
        "displayName": "B API", "appRoles": [{
            "allowedMemberTypes": ["Application"], "value": "B.Read", "displayName": "B",
            "description": "B", "id": ROLE_ID, "isEnabled": True}]}, expect=201)
    client_app = await call(client, "POST", "/applications", op, {"displayName": "B daemon"},
                            expect=201)
    sp = await call(client, "GET", f"/servicePrincipals(appId='{app['appId']}')", op,
                    expect=200)
    client_sp = await call(client, "GET", f"/servicePrincipals(appId='{client_app['appId']}')",
                           op, expect=200)
    assignment = await call(client, "POST", f"/servicePrincipals/{sp['id']}/appRoleAssignedTo",
                            op, {"principalId": client_sp["id"], "resourceId": sp["id"],
                                 "appRoleId": ROLE_ID}, expect=201)
    return Foreign(app, sp, client_sp, assignment)


def _shape(response: httpx.Response, ref: str) -> tuple[int, Any]:
    """Status and error body with the looked-up id and the per-request parts masked."""
    body = response.json()
    body["error"].pop("innerError", None)
    return response.status_code, re.sub(re.escape(ref), "<id>", str(body))


async def _same_as_missing(client: httpx.AsyncClient, headers: dict[str, str], method: str,
                           template: str, ref: str, body: Any = None) -> None:
    missing = str(uuid.uuid4())
    foreign = await client.request(method, "/v1.0" + template.format(ref), headers=headers,
                                   json=body)
    absent = await client.request(method, "/v1.0" + template.format(missing), headers=headers,
                                  json=body)
    assert foreign.status_code == 404, (template, foreign.text)
    assert _shape(foreign, ref) == _shape(absent, missing), template


async def test_foreign_objects_are_not_found(client: httpx.AsyncClient, a: TenantAdmin,
                                             b: Foreign) -> None:
    h = a.admin
    for method, template, ref, body in [
        ("GET", "/applications/{}", b.app["id"], None),
        ("GET", "/applications/{}", b.app["appId"], None),
        ("GET", "/applications(appId='{}')", b.app["appId"], None),
        ("PATCH", "/applications/{}", b.app["id"], {"displayName": "pwned"}),
        ("DELETE", "/applications/{}", b.app["id"], None),
        ("POST", "/applications/{}/addPassword", b.app["id"], {}),
        ("POST", "/applications/{}/removeKey", b.app["id"], {"keyId": str(uuid.uuid4())}),
        ("GET", "/servicePrincipals/{}", b.sp["id"], None),
        ("PATCH", "/servicePrincipals/{}", b.sp["id"], {"accountEnabled": False}),
        ("DELETE", "/servicePrincipals/{}", b.sp["id"], None),
        ("GET", "/servicePrincipals/{}/appRoleAssignedTo", b.sp["id"], None),
        ("GET", "/servicePrincipals/{}/appRoleAssignments", b.client_sp["id"], None),
    ]:
        await _same_as_missing(client, h, method, template, ref, body)
    await _same_as_missing(
        client, h, "DELETE", f"/servicePrincipals/{a.management_sp['id']}/appRoleAssignedTo/{{}}",
        b.assignment["id"])
    await _same_as_missing(
        client, h, "DELETE", f"/servicePrincipals/{b.sp['id']}/appRoleAssignedTo/{{}}",
        b.assignment["id"])


async def test_foreign_objects_are_not_listed(client: httpx.AsyncClient, a: TenantAdmin,
                                              b: Foreign) -> None:
    apps = await call(client, "GET", "/applications", a.admin, expect=200)
    sps = await call(client, "GET", "/servicePrincipals", a.admin, expect=200)
    assert b.app["id"] not in {x["id"] for x in apps["value"]}
    assert a.admin_app["id"] in {x["id"] for x in apps["value"]}
    assert not {b.sp["id"], b.client_sp["id"]} & {x["id"] for x in sps["value"]}
    on_management = await call(
        client, "GET", f"/servicePrincipals/{a.management_sp['id']}/appRoleAssignedTo",
        a.admin, expect=200)
    assert b.assignment["id"] not in {x["id"] for x in on_management["value"]}


async def test_cannot_grant_with_foreign_ids(client: httpx.AsyncClient, a: TenantAdmin,
                                             b: Foreign) -> None:
    mine = await call(client, "GET", f"/servicePrincipals(appId='{a.admin_app['appId']}')",
                      a.admin, expect=200)
    for principal, resource in ((b.client_sp["id"], b.sp["id"]), (mine["id"], b.sp["id"]),
                                (b.client_sp["id"], a.management_sp["id"])):
        for side, path_id in (("appRoleAssignedTo", resource), ("appRoleAssignments", principal)):
            response = await client.post(
                f"/v1.0/servicePrincipals/{path_id}/{side}", headers=a.admin,
                json={"principalId": principal, "resourceId": resource, "appRoleId": ROLE_ID})
            assert response.status_code == 404, (side, response.text)
    installed = await client.post("/v1.0/servicePrincipals", headers=a.admin,
                                  json={"appId": b.app["appId"]})
    unknown = await client.post("/v1.0/servicePrincipals", headers=a.admin,
                                json={"appId": "11111111-2222-4333-8444-555555555555"})
    assert installed.status_code == unknown.status_code == 400
    assert _shape(installed, b.app["appId"]) == _shape(unknown,
                                                       "11111111-2222-4333-8444-555555555555")


async def test_operator_routes_are_refused(client: httpx.AsyncClient, a: TenantAdmin,
                                           b: Foreign) -> None:
    for method, path, body in (("GET", "/tenants", None),
                               ("POST", "/tenants", {"domain": unique_domain("evil")}),
                               ("GET", f"/tenants/{a.tenant_id}", None),
                               ("PATCH", f"/tenants/{a.tenant_id}", {"profile": "strict"}),
                               ("GET", "/keys", None), ("POST", "/keys/rotate", None)):
        response = await client.request(method, f"/v1.0{path}", headers=a.admin, json=body)
        assert response.status_code == 403, (path, response.text)
    # Even the operator's own token for tenant A is not an operator token (wrong tenant).
    response = await client.get("/v1.0/tenants", headers=a.operator)
    assert response.status_code == 403


async def test_multi_tenant_app_installs_in_another_tenant(client: httpx.AsyncClient,
                                                           a: TenantAdmin, b: Foreign,
                                                           services: Services) -> None:
    """B's multi-tenant app gets a service principal in A; A still cannot see B's app object."""
    tenant_b = await onboard(client, services, unique_domain("publisher"))
    shared = await call(client, "POST", "/applications", tenant_b.admin, {
        "displayName": "Shared daemon", "signInAudience": "AzureADMultipleOrgs"}, expect=201)
    installed = await call(client, "POST", "/servicePrincipals", a.admin,
                           {"appId": shared["appId"]}, expect=201)
    assert (installed["appId"], installed["appOwnerOrganizationId"]) == (
        shared["appId"], tenant_b.tenant_id)
    found = await call(client, "GET", f"/servicePrincipals(appId='{shared['appId']}')",
                       a.admin, expect=200)
    assert found["id"] == installed["id"]
    await call(client, "GET", f"/applications(appId='{shared['appId']}')", a.admin, expect=404)
    home = await call(client, "GET", f"/servicePrincipals(appId='{shared['appId']}')",
                      tenant_b.admin, expect=200)
    assert home["id"] != installed["id"]
