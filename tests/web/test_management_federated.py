"""``/applications/{id}/federatedIdentityCredentials`` through ``/v1.0``: Graph's shape, every
bad member at once, the limits, and the permission model of credentials."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from credo.service.management.activities import CREDENTIALS
from credo.service.management.policy import ROLE_APPS
from credo.service.runtime import Services
from support import bearer, token_with_secret

from .conftest import TenantAdmin, add_password, call, onboard, unique_domain

GITHUB = "https://token.actions.githubusercontent.com"
MAIN = "repo:contoso/mail:ref:refs/heads/main"


@pytest.fixture(scope="module")
async def tenant(client: httpx.AsyncClient, services: Services) -> TenantAdmin:
    return await onboard(client, services, unique_domain("fic"))


async def _app(client: httpx.AsyncClient, tenant: TenantAdmin) -> dict[str, Any]:
    return dict(await call(client, "POST", "/applications", tenant.admin,
                           {"displayName": f"Deployer {uuid.uuid4().hex[:6]}"}, expect=201))


def _path(app: dict[str, Any], ref: str = "") -> str:
    return f"/applications/{app['id']}/federatedIdentityCredentials" + (f"/{ref}" if ref else "")


async def test_lifecycle_in_graphs_shape(client: httpx.AsyncClient, services: Services,
                                         tenant: TenantAdmin) -> None:
    app = await _app(client, tenant)
    created = await call(client, "POST", _path(app), tenant.admin,
                         {"name": "deploy-main", "issuer": GITHUB, "subject": MAIN},
                         expect=201)
    base = services.settings.base_url
    assert created == {
        "@odata.context": f"{base}/v1.0/$metadata#applications('{app['id']}')/"
                          "federatedIdentityCredentials/$entity",
        "id": created["id"], "name": "deploy-main", "issuer": GITHUB, "subject": MAIN,
        "description": None, "audiences": ["api://AzureADTokenExchange"]}
    assert uuid.UUID(created["id"])
    listed = await call(client, "GET", _path(app), tenant.admin, expect=200)
    assert listed["value"] == [{k: v for k, v in created.items() if k != "@odata.context"}]
    by_name = await call(client, "GET", _path(app, "deploy-main"), tenant.admin, expect=200)
    assert by_name == await call(client, "GET", _path(app, created["id"].upper()),
                                 tenant.admin, expect=200) == created

    await call(client, "PATCH", _path(app, "deploy-main"), tenant.admin,
               {"subject": "repo:contoso/mail:environment:Prod", "description": "prod",
                "audiences": ["api://other"]}, expect=204)
    changed = await call(client, "GET", _path(app, created["id"]), tenant.admin, expect=200)
    assert (changed["subject"], changed["description"], changed["audiences"], changed["issuer"]
            ) == ("repo:contoso/mail:environment:Prod", "prod", ["api://other"], GITHUB)

    await call(client, "DELETE", _path(app, "deploy-main"), tenant.admin, expect=204)
    assert (await call(client, "GET", _path(app), tenant.admin, expect=200))["value"] == []
    missing = await call(client, "GET", _path(app, "deploy-main"), tenant.admin, expect=404)
    assert missing["error"]["message"] == (
        "Federated identity credential 'deploy-main' does not exist on this application.")
    await services.audit.flush()
    audits = await call(client, "GET", "/auditLogs/directoryAudits?$top=1000", tenant.admin,
                        expect=200)
    assert [a["activityDisplayName"] for a in audits["value"] if a["targetResources"]
            and a["targetResources"][0]["id"] == app["id"]] == [CREDENTIALS] * 3 + [
        "Add application"]


async def test_every_bad_member_at_once_and_nothing_written(client: httpx.AsyncClient,
                                                            tenant: TenantAdmin) -> None:
    app = await _app(client, tenant)
    response = await client.post(f"/v1.0{_path(app)}", headers=tenant.admin, json={
        "name": "-bad name", "issuer": "http://issuer.example/", "subject": " ",
        "audiences": ["a", "b"], "description": 5, "claimsMatchingExpression": {}})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["message"]) == (
        "Request_BadRequest",
        "Invalid value specified for a property of resource 'FederatedIdentityCredential'.")
    assert {(d["target"], d["message"]) for d in error["details"]} == {
        ("claimsMatchingExpression", "Not a member of federatedIdentityCredential."),
        ("name", "3 to 120 letters, digits, '-' or '_', starting with a letter or digit."),
        ("issuer", "Must be an https URL with a host and no query or fragment: where the "
                   "issuer's /.well-known/openid-configuration is served."),
        ("subject", "Must be a non-empty string."),
        ("audiences", "Must be a list of exactly one audience."),
        ("description", "Must be a string.")}
    missing = await call(client, "POST", _path(app), tenant.admin, {}, expect=400)
    assert {d["target"] for d in missing["error"]["details"]} == {"name", "issuer", "subject"}
    assert (await call(client, "GET", _path(app), tenant.admin, expect=200))["value"] == []


@pytest.mark.parametrize("issuer", [
    "HTTPS://issuer.example", "https://user:pw@issuer.example", "https://@issuer.example",
    "https://issuer.example/../..", "https://issuer.example/a/./b", "https://issuer.example/ a",
    "https://issuer.example/\\a"])
async def test_an_issuer_that_could_never_match_or_carries_credentials_is_refused(
        client: httpx.AsyncClient, tenant: TenantAdmin, issuer: str) -> None:
    """Found by an attacker's probe: these were stored, and one with user information was
    fetched with it and echoed in AADSTS90061."""
    app = await _app(client, tenant)
    refused = await call(client, "POST", _path(app), tenant.admin,
                         {"name": "bad", "issuer": issuer, "subject": MAIN}, expect=400)
    assert refused["error"]["details"] == [{
        "code": "Request_BadRequest", "target": "issuer",
        "message": "Must be an https URL with a host and no query or fragment: where the "
                   "issuer's /.well-known/openid-configuration is served."}]
    assert (await call(client, "GET", _path(app), tenant.admin, expect=200))["value"] == []


async def test_name_is_fixed_unique_and_pairs_are_unique(client: httpx.AsyncClient,
                                                         tenant: TenantAdmin) -> None:
    app = await _app(client, tenant)
    await call(client, "POST", _path(app), tenant.admin,
               {"name": "one", "issuer": GITHUB, "subject": MAIN}, expect=201)
    renamed = await call(client, "PATCH", _path(app, "one"), tenant.admin, {"name": "two"},
                         expect=400)
    assert renamed["error"]["details"] == [
        {"code": "Request_BadRequest", "target": "name",
         "message": "Cannot be changed once the credential exists."}]
    same_name = await call(client, "POST", _path(app), tenant.admin,
                           {"name": "one", "issuer": GITHUB, "subject": "other"}, expect=409)
    assert same_name["error"]["message"] == (
        "A federated identity credential named 'one' already exists on this application.")
    same_pair = await call(client, "POST", _path(app), tenant.admin,
                           {"name": "two", "issuer": GITHUB, "subject": MAIN}, expect=409)
    assert same_pair["error"]["message"] == (
        "The federated identity credential 'one' already has this issuer and subject.")
    # Case matters: a subject differing only in case is another subject.
    await call(client, "POST", _path(app), tenant.admin,
               {"name": "two", "issuer": GITHUB, "subject": MAIN.upper()}, expect=201)


async def test_at_most_twenty(client: httpx.AsyncClient, tenant: TenantAdmin) -> None:
    app = await _app(client, tenant)
    for n in range(20):
        await call(client, "POST", _path(app), tenant.admin,
                   {"name": f"c{n:02d}", "issuer": GITHUB, "subject": f"s{n}"}, expect=201)
    refused = await call(client, "POST", _path(app), tenant.admin,
                         {"name": "c20", "issuer": GITHUB, "subject": "s20"}, expect=400)
    assert refused["error"]["message"] == (
        "An application holds at most 20 federated identity credentials.")
    assert len((await call(client, "GET", _path(app), tenant.admin, expect=200))["value"]) == 20


async def test_builtins_and_stronger_apps_are_refused(client: httpx.AsyncClient,
                                                      services: Services, tenant: TenantAdmin,
                                                      operator: dict[str, str]) -> None:
    body = {"name": "takeover", "issuer": GITHUB, "subject": MAIN}
    operator_app = await call(client, "GET",
                              f"/applications(appId='{services.settings.operator_app_id}')",
                              operator, expect=200)
    await call(client, "POST", _path(operator_app), operator, body, expect=403)
    # A holder of Application.ReadWrite.All alone may not make the tenant admin's app (which
    # holds three management roles) trust an outside token.
    weak = await call(client, "POST", "/applications", tenant.operator,
                      {"displayName": "Apps only"}, expect=201)
    secret = await add_password(client, tenant.operator, weak, "weak")
    weak_sp = await call(client, "GET", f"/servicePrincipals(appId='{weak['appId']}')",
                         tenant.operator, expect=200)
    role = next(r["id"] for r in tenant.management_sp["appRoles"] if r["value"] == ROLE_APPS)
    await call(client, "POST", f"/servicePrincipals/{tenant.management_sp['id']}/"
               "appRoleAssignedTo", tenant.operator,
               {"principalId": weak_sp["id"], "resourceId": tenant.management_sp["id"],
                "appRoleId": role}, expect=201)
    headers = bearer(await token_with_secret(client, tenant.tenant_id, weak["appId"], secret))
    refused = await call(client, "POST", _path(tenant.admin_app), headers, body, expect=403)
    assert refused["error"]["code"] == "Authorization_RequestDenied"
    assert (await call(client, "GET", _path(tenant.admin_app), headers, expect=200)
            )["value"] == []
    await call(client, "POST", _path(await _app(client, tenant)), headers, body, expect=201)


@pytest.mark.parametrize("value", ["repo:contoso/mail\u202e:ref", "a\x00b", "\ufeffrepo:x",
                                   "repo:x\u200b"])
async def test_invisible_characters_are_refused(client: httpx.AsyncClient, tenant: TenantAdmin,
                                                value: str) -> None:
    app = await _app(client, tenant)
    refused = await call(client, "POST", _path(app), tenant.admin,
                         {"name": "x-1", "issuer": GITHUB, "subject": value,
                          "description": value, "audiences": [value]}, expect=400)
    assert {d["target"] for d in refused["error"]["details"]} == {
        "subject", "description", "audiences[0]"}
    assert (await call(client, "GET", _path(app), tenant.admin, expect=200))["value"] == []
