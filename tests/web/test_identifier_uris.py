"""Finding 3: Application ID URIs are unique per tenant in canonical form, an https URI is on
one of the tenant's domains, and no tenant's registration shadows another's."""

from __future__ import annotations

from typing import Any

import httpx

from credo.service.management.policy import MANAGEMENT_APP_ID
from credo.service.runtime import Services
from support import claims_of, operator_token

from .conftest import TenantAdmin, add_password, call, onboard, unique_domain
from .test_escalation_matrix import snapshot


async def _api(client: httpx.AsyncClient, t: TenantAdmin, uri: str) -> dict[str, Any]:
    return dict(await call(client, "POST", "/applications", t.admin, {
        "displayName": f"HR API of {t.domain}", "identifierUris": [uri],
        "api": {"requestedAccessTokenVersion": 2},
        "appRoles": [{"allowedMemberTypes": ["Application"], "value": "Staff.Read",
                      "displayName": "Read", "description": "Read staff",
                      "id": "5a0f7d4e-1111-4c5d-8e9f-0a1b2c3d4e5f", "isEnabled": True}]},
        expect=201))


async def _daemon_with_role(client: httpx.AsyncClient, t: TenantAdmin,
                            api: dict[str, Any]) -> tuple[str, str]:
    daemon = await call(client, "POST", "/applications", t.admin, {"displayName": "daemon"},
                        expect=201)
    secret = await add_password(client, t.admin, daemon, "s")
    api_sp = await call(client, "GET", f"/servicePrincipals(appId='{api['appId']}')", t.admin,
                        expect=200)
    daemon_sp = await call(client, "GET", f"/servicePrincipals(appId='{daemon['appId']}')",
                           t.admin, expect=200)
    await call(client, "POST", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo", t.admin,
               {"principalId": daemon_sp["id"], "resourceId": api_sp["id"],
                "appRoleId": api["appRoles"][0]["id"]}, expect=201)
    return daemon["appId"], secret


async def _token(client: httpx.AsyncClient, tenant_id: str, client_id: str, secret: str,
                 **form: str) -> httpx.Response:
    version = "v2.0/" if "scope" in form else ""
    return await client.post(f"/{tenant_id}/oauth2/{version}token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret,
        **form})


async def test_another_tenant_cannot_take_a_domain_uri(client: httpx.AsyncClient,
                                                       services: Services) -> None:
    a = await onboard(client, services, unique_domain("contoso"))
    b = await onboard(client, services, unique_domain("fabrikam"))
    await _api(client, a, f"https://hr.{a.domain}")
    before = await snapshot(services, b.tenant_id)
    response = await client.post("/v1.0/applications", headers=b.admin, json={
        "displayName": "Squatter", "identifierUris": [f"https://hr.{a.domain}/"]})
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["message"], error["details"]) == (
        "Request_BadRequest",
        "Invalid value specified for property 'identifierUris' of resource 'Application'.",
        [{"code": "Request_BadRequest", "target": "identifierUris[0]",
          "message": "The host of an https identifier URI must be one of the tenant's "
                     f"domains: {b.domain}."}])
    assert await snapshot(services, b.tenant_id) == before


async def test_a_tenant_resolves_its_own_uri_in_every_spelling(client: httpx.AsyncClient,
                                                               services: Services) -> None:
    a = await onboard(client, services, unique_domain("contoso"))
    api = await _api(client, a, f"https://hr.{a.domain}")
    client_id, secret = await _daemon_with_role(client, a, api)
    for form in ({"resource": f"https://hr.{a.domain}/"},
                 {"resource": f"HTTPS://HR.{a.domain.upper()}"},
                 {"scope": f"https://hr.{a.domain}//.default"},
                 {"scope": f"https://hr.{a.domain}/.default"}):
        response = await _token(client, a.tenant_id, client_id, secret, **form)
        assert response.status_code == 200, (form, response.text)
        assert claims_of(response.json()["access_token"])["roles"] == ["Staff.Read"]


async def test_the_same_api_uri_in_two_tenants_never_shadows(client: httpx.AsyncClient,
                                                             services: Services) -> None:
    a = await onboard(client, services, unique_domain("contoso"))
    b = await onboard(client, services, unique_domain("fabrikam"))
    api_a = await _api(client, a, "api://hr-shared")
    api_b = await _api(client, b, "API://hr-shared/")  # allowed: another tenant
    for t, api in ((a, api_a), (b, api_b)):
        client_id, secret = await _daemon_with_role(client, t, api)
        response = await _token(client, t.tenant_id, client_id, secret,
                                scope="api://hr-shared/.default")
        assert response.status_code == 200, response.text
        assert claims_of(response.json()["access_token"])["aud"] == api["appId"]


async def test_a_clash_names_only_the_tenants_own_app(client: httpx.AsyncClient,
                                                      services: Services) -> None:
    a = await onboard(client, services, unique_domain("contoso"))
    first = await _api(client, a, "api://payroll")
    before = await snapshot(services, a.tenant_id)
    response = await client.post("/v1.0/applications", headers=a.admin, json={
        "displayName": "Twin", "identifierUris": ["API://Payroll/"]})
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        f"identifier URI 'api://payroll' is already used by application {first['appId']} in "
        "this tenant")
    assert await snapshot(services, a.tenant_id) == before


async def test_no_app_takes_a_built_in_or_another_apps_name(client: httpx.AsyncClient,
                                                           services: Services) -> None:
    """Found by an attacker's probe: ``api://credo`` (or ``api://<the management API's
    appId>``) registered in a tenant captured the management scope there, and the operator's
    CLI was shut out. ``api://{guid}`` names only the app whose id it is."""
    a = await onboard(client, services, unique_domain("contoso"))
    other = await call(client, "POST", "/applications", a.admin, {"displayName": "other"},
                       expect=201)
    mine = await call(client, "POST", "/applications", a.admin, {"displayName": "mine"},
                      expect=201)
    before = await snapshot(services, a.tenant_id)
    for uri in ("api://credo", "API://Credo/", f"api://{MANAGEMENT_APP_ID}",
                f"API://{MANAGEMENT_APP_ID.upper()}", f"api://{other['appId']}"):
        for method, path, body in (
                ("POST", "/v1.0/applications", {"displayName": "squat", "identifierUris": [uri]}),
                ("PATCH", f"/v1.0/applications/{mine['id']}", {"identifierUris": [uri]})):
            response = await client.request(method, path, headers=a.admin, json=body)
            assert response.status_code == 400, (uri, method, response.text)
            app_id = mine["appId"] if method == "PATCH" else None
            error = response.json()["error"]
            assert (error["code"], error["message"]) == (
                "Request_BadRequest",
                "Invalid value specified for property 'identifierUris' of resource "
                "'Application'.")
            assert error["details"][0]["target"] == "identifierUris[0]"
            assert error["details"][0]["message"].startswith(f"'{uri}' names another "
                                                             "application")
            if app_id:
                assert error["details"][0]["message"].endswith(f"own id ({app_id}).")
            assert await snapshot(services, a.tenant_id) == before
    await call(client, "PATCH", f"/applications/{mine['id']}", a.admin,
               {"identifierUris": [f"api://{mine['appId']}"]}, expect=204)
    fresh = await operator_token(client, services, a.tenant_id)  # api://credo/.default
    assert claims_of(fresh)["aud"] == MANAGEMENT_APP_ID
