"""The built-in portal app: a public client registered by ``credo init``, installed and
pre-consented in every tenant, ensured at every start, and immutable through the API.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx

from browser import Browser
from credo.model import TenantId
from credo.service.bootstrap import ensure_management_api, ensure_portal
from credo.service.management.policy import (
    MANAGEMENT_APP_ID,
    PORTAL_APP_ID,
    ROLE_AUDIT,
    management_scopes,
)
from credo.service.runtime import Services
from support import bearer, directory_rows, operator_token

from .conftest import PASSWORD, Org

SCOPES = " ".join(s.value for s in management_scopes())


async def _grants(services: Services, tenant_id: str) -> list[Any]:
    tenant = await services.directory.tenant(tenant_id)
    portal = await services.directory.service_principal(tenant, PORTAL_APP_ID)
    return await services.store.flows.delegated_grants(TenantId(tenant_id), client_id=portal.id)


async def test_every_tenant_has_the_portal_pre_consented(services: Services, org: Org) -> None:
    app = await services.directory.find_application(PORTAL_APP_ID)
    assert app is not None and app.multi_tenant
    assert app.tenant_id == services.settings.bootstrap_tenant
    assert app.public_client_redirect_uris == (f"{services.settings.base_url}/portal/callback",)
    assert app.web_redirect_uris == () and app.key_credentials == app.password_credentials == ()
    for tenant_id in (services.settings.bootstrap_tenant, org.tenant.id):
        tenant = await services.directory.tenant(tenant_id)
        sp = await services.directory.service_principal(tenant, PORTAL_APP_ID)
        management = await services.directory.service_principal(tenant, MANAGEMENT_APP_ID)
        assert not sp.app_role_assignment_required
        (grant,) = await _grants(services, tenant_id)
        assert (grant.consent_type, grant.principal_id, grant.resource_id, grant.scope) == (
            "AllPrincipals", None, management.id, SCOPES)


async def test_ensuring_again_changes_nothing_and_follows_the_base_url(
        services: Services, org: Org) -> None:
    before = await directory_rows(services)
    await ensure_portal(services.directory, services.store.flows, services.settings.base_url)
    assert await directory_rows(services) == before
    (grant,) = await _grants(services, org.tenant.id)
    await services.store.flows.delete_delegated_grant(grant.id)
    try:
        await ensure_portal(services.directory, services.store.flows, "https://moved.test:9443")
        app = await services.directory.find_application(PORTAL_APP_ID)
        assert app is not None
        assert app.public_client_redirect_uris == ("https://moved.test:9443/portal/callback",)
        (restored,) = await _grants(services, org.tenant.id)
        assert restored.scope == SCOPES
    finally:
        await ensure_portal(services.directory, services.store.flows,
                            services.settings.base_url)


async def test_the_portal_is_immutable_through_the_api(services: Services, org: Org,
                                                       client: httpx.AsyncClient) -> None:
    op = bearer(await operator_token(client, services, services.settings.bootstrap_tenant))
    tenant_op = bearer(await operator_token(client, services, org.tenant.id))
    app = await services.directory.find_application(PORTAL_APP_ID)
    assert app is not None
    tenant = await services.directory.tenant(org.tenant.id)
    sp = await services.directory.service_principal(tenant, PORTAL_APP_ID)
    management = await services.directory.service_principal(tenant, MANAGEMENT_APP_ID)
    (grant,) = await _grants(services, org.tenant.id)
    before = await directory_rows(services)
    for headers, method, path, body in (
            (op, "PATCH", f"/applications/{app.id}", {"displayName": "Phish portal"}),
            (op, "POST", f"/applications/{app.id}/addPassword", {}),
            (op, "DELETE", f"/applications/{app.id}", None),
            (tenant_op, "DELETE", f"/servicePrincipals/{sp.id}", None),
            (tenant_op, "PATCH", f"/servicePrincipals/{sp.id}", {"accountEnabled": False}),
            (tenant_op, "PATCH", f"/oauth2PermissionGrants/{grant.id}",
             {"scope": "Directory.Read.All"}),
            (tenant_op, "DELETE", f"/oauth2PermissionGrants/{grant.id}", None),
            (tenant_op, "POST", "/oauth2PermissionGrants", {
                "clientId": sp.id, "consentType": "AllPrincipals", "resourceId": management.id,
                "scope": "Directory.Read.All"})):
        answer = await client.request(method, f"/v1.0{path}", headers=headers, json=body)
        assert answer.status_code == 403, (method, path, answer.text)
        assert answer.json()["error"]["code"] == "Authorization_RequestDenied"
    assert await directory_rows(services) == before


async def test_admin_consent_answers_to_the_portal_for_any_client(
        services: Services, org: Org, client: httpx.AsyncClient) -> None:
    op = bearer(await operator_token(client, services, org.tenant.id))
    made = await client.post("/v1.0/applications", headers=op,
                             json={"displayName": "No redirect URI"})
    app_id = made.json()["appId"]
    portal = f"{services.settings.base_url}/portal/callback"
    async with Browser(services) as browser:
        shown = await browser.go(f"/{org.tenant.id}/adminconsent?client_id={app_id}"
                                 f"&redirect_uri={portal}&state=s",
                                 credentials=(org.admin, PASSWORD))
        assert "Permissions requested" in shown.page
        other = await browser.get(f"/{org.tenant.id}/adminconsent?client_id={app_id}"
                                  "&redirect_uri=https://evil.example/cb&state=s")
        assert other.status_code == 400 and "AADSTS50011" in other.text
        # A consent the portal did not start, answered to it, changes nothing more.
        answered = await browser.get("/portal/callback?admin_consent=True&tenant=x"
                                     "&state=consent.e30.forged")
        assert answered.status_code == 400
        assert "not started from the portal in this session" in answered.text


async def test_a_stale_grant_or_a_missing_principal_is_repaired_and_only_there(
        services: Services, org: Org) -> None:
    """Each start finds the incomplete tenants in bulk; the complete ones are not touched."""
    (grant,) = await _grants(services, org.tenant.id)
    await services.store.flows.save_delegated_grant(dataclasses.replace(grant, scope="User.Read"))
    await ensure_portal(services.directory, services.store.flows, services.settings.base_url)
    (repaired,) = await _grants(services, org.tenant.id)
    assert (repaired.id, repaired.scope) == (grant.id, SCOPES)
    portal = await services.directory.service_principal(org.tenant, PORTAL_APP_ID)
    await services.store.delete_service_principal(portal.id)
    before = await directory_rows(services)
    await ensure_portal(services.directory, services.store.flows, services.settings.base_url)
    again = await services.directory.service_principal(org.tenant, PORTAL_APP_ID)
    assert again.id != portal.id and not again.app_role_assignment_required
    (grant,) = await _grants(services, org.tenant.id)
    assert grant.scope == SCOPES
    after = await directory_rows(services)
    changed = {name for name in after if after[name] != before[name]}
    assert changed <= {"service_principals", "delegated_grants", "directory_version"}, changed


async def test_a_deployment_from_before_the_log_permission_gets_it_at_start(
        services: Services, org: Org) -> None:
    """``AuditLog.Read.All`` came after the other management permissions: the start of a
    newer version adds it to the management API and to the portal's grants, once."""
    api = await services.directory.find_application(MANAGEMENT_APP_ID)
    assert api is not None
    old = tuple(r for r in api.app_roles if r.value != ROLE_AUDIT)
    assert len(old) == len(api.app_roles) - 1
    await services.directory.save_application(dataclasses.replace(
        api, app_roles=old, oauth2_permission_scopes=tuple(
            s for s in api.oauth2_permission_scopes if s.value != ROLE_AUDIT)))
    await ensure_management_api(services.directory)
    await ensure_portal(services.directory, services.store.flows, services.settings.base_url)
    restored = await services.directory.find_application(MANAGEMENT_APP_ID)
    assert restored == api
    (grant,) = await _grants(services, org.tenant.id)
    assert ROLE_AUDIT in grant.scope.split() and grant.scope == SCOPES
    before = await directory_rows(services)
    await ensure_management_api(services.directory)
    assert await directory_rows(services) == before
