"""Users, Enterprise applications (who granted what), Sign-in logs and Audit logs in the
portal, in-process; what a portal change leaves in the directory audit log.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest

from browser import Browser
from credo.service.runtime import Services
from support import bearer, operator_token

from .conftest import PASSWORD, Org, act, make_org, signed_in


@pytest.fixture(scope="module")
async def admin(services: Services, org: Org) -> Browser:
    return await signed_in(services, org, org.admin)


async def test_users_create_disable_reset_and_roles(admin: Browser, org: Org,
                                                    services: Services) -> None:
    bad = await act(admin, org.home + "users/new", {
        "local": "not a name", "domain": org.tenant.default_domain, "name": "X",
        "password": "A good password 123", "enabled": "on"})
    assert bad.status_code == 400 and 'id="upn-error"' in bad.text
    made = await act(admin, org.home + "users/new", {
        "local": "grace", "domain": org.tenant.default_domain, "name": "Grace",
        "password": PASSWORD, "enabled": "on"})
    assert "User created." in made.text
    url = urlsplit(str(made.url)).path
    grace = await signed_in(services, org, f"grace@{org.tenant.default_domain}")
    disabled = await act(admin, url, {"action": "disable"})
    assert "Sign-in disabled." in disabled.text and "Enable sign-in" in disabled.text
    assert (await grace.http.get(org.home)).status_code == 303  # her session ended
    await act(admin, url, {"action": "enable"})
    reset = await act(admin, url, {"action": "reset-password", "password": "New password 4567"})
    assert "Password reset." in reset.text
    added = await act(admin, url, {"action": "add-role", "role": "Application Administrator"})
    assert "Application Administrator assigned." in added.text
    user = await services.accounts.users.by_upn(org.tenant, f"grace@{org.tenant.default_domain}")
    assert user is not None and user.directory_roles == ("Application Administrator",)
    assert user.account_enabled
    removed = await act(admin, url, {"action": "remove-role",
                                     "role": "Application Administrator"})
    assert "No directory role" in removed.text
    listing = await admin.get(org.home + "users")
    assert "grace@" in listing.text and "Global Administrator" in listing.text
    await grace.close()


async def _world(client: httpx.AsyncClient, services: Services, org: Org) -> dict[str, str]:
    """Through the API as the operator: an API with a role, a daemon with a secret, a grant."""
    op = bearer(await operator_token(client, services, org.tenant.id))

    async def call(method: str, path: str, body: object = None) -> dict[str, str]:
        got = await client.request(method, f"/v1.0{path}", headers=op, json=body)
        assert got.status_code < 300, got.text
        return dict(got.json()) if got.content else {}

    api = await call("POST", "/applications", {"displayName": "Logged API", "appRoles": [{
        "id": "6a1e1f3c-3d1c-4c1e-9a55-0c9d3b1f7a01", "value": "Logs.Read",
        "displayName": "Read", "description": "Read", "allowedMemberTypes": ["Application"],
        "isEnabled": True}], "identifierUris": [f"api://logged-{org.tenant.id[:8]}"]})
    daemon = await call("POST", "/applications", {"displayName": "Logged daemon"})
    secret = await call("POST", f"/applications/{daemon['id']}/addPassword", {})
    api_sp = await call("GET", f"/servicePrincipals(appId='{api['appId']}')")
    daemon_sp = await call("GET", f"/servicePrincipals(appId='{daemon['appId']}')")
    await call("POST", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo", {
        "principalId": daemon_sp["id"], "resourceId": api_sp["id"],
        "appRoleId": "6a1e1f3c-3d1c-4c1e-9a55-0c9d3b1f7a01"})
    return {"daemon_sp": daemon_sp["id"], "client_id": daemon["appId"],
            "secret": secret["secretText"], "uri": api["identifierUris"][0],
            "api_sp": api_sp["id"]}


async def test_enterprise_applications_say_who_granted_each_permission(
        admin: Browser, org: Org, services: Services, client: httpx.AsyncClient) -> None:
    world = await _world(client, services, org)
    page = await admin.get(org.home + f"enterprise/{world['daemon_sp']}")
    row = re.search(r"<tr><td>Logged API</td>.*?</tr>", page.text, re.S)
    assert row and "Logs.Read" in row.group(0)
    assert "Credo operator (CLI)" in row.group(0)  # the audit log's initiator
    on_api = await admin.get(org.home + f"enterprise/{world['api_sp']}")
    assert "Permissions granted on this API" in on_api.text and "Logged daemon" in on_api.text
    removed = await act(admin, org.home + f"enterprise/{world['daemon_sp']}", {
        "action": "remove", "side": "appRoleAssignments",
        "assignment": re.findall(r'name="assignment" value="([^"]+)"', page.text)[0]})
    assert "Permission removed." in removed.text and "Logs.Read" not in removed.text
    audit = await admin.get(org.home + "audit?category=ApplicationManagement")
    removal = re.search(r"<tr>(?:(?!</tr>).)*Remove app role assignment from service "
                        r"principal(?:(?!</tr>).)*</tr>", audit.text, re.S)
    assert removal and org.admin in removal.group(0)  # a delegated change names the user


async def test_sign_in_logs_filter_failures_with_their_aadsts_code(
        admin: Browser, org: Org, services: Services, client: httpx.AsyncClient) -> None:
    other = await make_org(client, services, "logs")
    world = await _world(client, services, other)
    for secret in (world["secret"], "wrong-secret-value"):
        await client.post(f"/{other.tenant.id}/oauth2/v2.0/token", data={
            "grant_type": "client_credentials", "client_id": world["client_id"],
            "client_secret": secret, "scope": f"{world['uri']}/.default"})
    ada = await signed_in(services, other, other.admin)
    every = await ada.get(other.home + f"signins?app={world['client_id']}")
    assert every.text.count("<td>Logged daemon</td>") == 2 and ">Success<" in every.text
    failures = await ada.get(other.home + f"signins?app={world['client_id']}&failures=1")
    assert failures.text.count("<td>Logged daemon</td>") == 1
    assert ">Success<" not in failures.text
    # The code, and the log's failureReason for it.
    assert "AADSTS7000215" in failures.text and "no password credential matches" in \
        failures.text
    by_code = await ada.get(other.home + "signins?code=7000215")
    assert "AADSTS7000215" in by_code.text
    none = await ada.get(other.home + "signins?code=50126")
    assert "No sign-ins match these filters." in none.text
    await ada.close()
    assert admin


async def test_the_operator_creates_tenants_and_rotates_keys(
        services: Services, client: httpx.AsyncClient) -> None:
    boot = await services.directory.tenant(services.settings.bootstrap_tenant)
    user = await services.accounts.users.create(boot, f"op-{boot.id[:6]}@{boot.default_domain}",
                                                "Operator", PASSWORD)
    await services.accounts.users.assign_role(user, "Global Administrator")
    home = Org(boot, user.user_principal_name, "", "")
    operator = await signed_in(services, home, user.user_principal_name)
    page = await operator.get(home.home)
    assert "Tenants" in page.text and "Signing keys" in page.text
    bad = await act(operator, home.home + "tenants", {"domain": "not a domain", "name": "",
                                                      "profile": "entra"})
    assert bad.status_code == 400 and 'id="domain-error"' in bad.text
    made = await act(operator, home.home + "tenants", {"domain": "made-by-portal.test",
                                                       "name": "Made", "profile": "strict"})
    assert "Created made-by-portal.test." in made.text
    created = await services.cache.tenant("made-by-portal.test")
    assert created is not None and created.profile == "strict"
    await services.directory.service_principal(created, "c4ed0000-0000-4000-8000-000000000002")
    before = services.keys.active_kid
    rotated = await act(operator, home.home + "keys", {"action": "rotate"})
    assert "Rotated: the current key is now" in rotated.text
    assert services.keys.active_kid != before and before in rotated.text
    await operator.close()
