"""Admin consent driven like a browser: follow pages, sign in, submit the CSRF-bound form.

As in Entra, success lands on the app's ``redirect_uri`` with
``admin_consent=True&tenant={tid}&state`` (v2.0 also ``scope``), Cancel with
``error=access_denied``. The grants are then visible to the client-credentials flow.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from browser import Browser, forms, query
from credo.service.management.policy import PORTAL_APP_ID
from credo.service.runtime import Services
from credo.store.tables import delegated_grants, service_principals
from support import claims_of, directory_rows, token_with_secret

from .conftest import call
from .consent_world import PASSWORD, REDIRECT_URI, World, make_world


@pytest.fixture(scope="module")
async def world(client: httpx.AsyncClient, services: Services) -> World:
    return await make_world(client, services)


async def _consent_page(browser: Browser, world: World, login: str, **kw: str) -> httpx.Response:
    """GET the consent URL (→ sign-in page), sign in, land back on the consent page."""
    page = await browser.get(world.consent_url(**kw))
    assert page.status_code == 200 and "Sign in" in page.text, page.text
    return await browser.sign_in(page, login, PASSWORD)


async def _roles(client: httpx.AsyncClient, world: World, scope: str) -> list[str]:
    token = await token_with_secret(client, world.tid, world.client["appId"],
                                    world.client_secret, scope=scope)
    return sorted(claims_of(token).get("roles", []))


async def test_accept_grants_every_permission_and_redirects(
        services: Services, client: httpx.AsyncClient, world: World) -> None:
    scope = f"{world.api['identifierUris'][0]}/.default"
    before = await client.post(f"/{world.tid}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": world.client["appId"],
        "client_secret": world.client_secret, "scope": scope})
    assert before.json()["error_codes"] == [501051]  # no assignment, no token
    async with Browser(services) as browser:
        page = await _consent_page(browser, world, world.admin)
        assert page.status_code == 200, page.text
        for text in ("Permissions requested", "Mail Daemon", "Read all mailboxes",
                     "Allows the app to send mail as any user.", "Read basic mail",
                     "Application", "Delegated", "Mail API", world.admin):
            assert text in page.text
        assert page.headers["cache-control"].startswith("no-store")
        assert_page_csp(page)
        done = await browser.submit(page, button=("action", "accept"))
    assert done.status_code == 302
    assert done.headers["location"] == (f"{REDIRECT_URI}?admin_consent=True&tenant={world.tid}"
                                        "&state=s-123")
    assert await _roles(client, world, scope) == ["Mail.Read", "Mail.Send"]
    grants = await _delegated(services, world.tid)
    assert [(g.consent_type, g.principal_id, g.scope) for g in grants] == [
        ("AllPrincipals", None, "Mail.ReadBasic")]
    assert _audited(services, world, "consent.admin.granted") == [
        ("success", f"{world.admin}: Mail API/Mail.Read, Mail API/Mail.Send, "
                    "Mail API/Mail.ReadBasic; 2 new assignment(s)")]


def _audited(services: Services, world: World, kind: str) -> list[tuple[str, str]]:
    return [(e.outcome, e.detail) for e in list(services.audit._events)
            if e.kind == kind and e.tenant_id == world.tid]


async def _delegated(services: Services, tenant_id: str) -> list[Any]:
    """The tenant's delegated grants but the built-in portal's pre-consent."""
    portal = sa.select(service_principals.c.id).where(service_principals.c.app_id ==
                                                      PORTAL_APP_ID)
    async with services.store._db.read() as conn:
        rows = await conn.execute(sa.select(delegated_grants)
                                  .where(delegated_grants.c.tenant_id == tenant_id,
                                         delegated_grants.c.client_id.not_in(portal)))
        return list(rows)


async def test_consent_again_is_idempotent(services: Services, world: World) -> None:
    async with Browser(services) as browser:
        page = await _consent_page(browser, world, world.admin, state="again")
        rows = await directory_rows(services)
        done = await browser.submit(page, button=("action", "accept"))
    assert query(done.headers["location"]) == [
        ("admin_consent", "True"), ("tenant", world.tid), ("state", "again")]
    after = await directory_rows(services)
    for table in ("app_role_assignments", "service_principals", "delegated_grants"):
        assert after[table] == rows[table]


async def test_v2_scope_lists_the_granted_permissions(
        services: Services, client: httpx.AsyncClient) -> None:
    world = await make_world(client, services, "consent-v2")
    uri = world.api["identifierUris"][0]
    async with Browser(services) as browser:
        page = await _consent_page(browser, world, world.admin, v2_scope=f"{uri}/.default")
        done = await browser.submit(page, button=("action", "accept"))
    assert query(done.headers["location"]) == [
        ("admin_consent", "True"), ("tenant", world.tid), ("state", "s-123"),
        ("scope", f"{uri}/Mail.Read {uri}/Mail.Send {uri}/Mail.ReadBasic")]
    assert await _roles(client, world, f"{uri}/.default") == ["Mail.Read", "Mail.Send"]


async def test_cancel_redirects_with_access_denied_and_writes_nothing(
        services: Services, world: World) -> None:
    async with Browser(services) as browser:
        page = await _consent_page(browser, world, world.admin, state="cancel-1")
        before = await directory_rows(services)
        done = await browser.submit(page, button=("action", "cancel"))
    assert done.status_code == 302
    assert done.headers["location"] == (
        f"{REDIRECT_URI}?error=access_denied&error_description=The+admin+canceled+the+request"
        "&state=cancel-1")
    assert await directory_rows(services) == before
    assert _audited(services, world, "consent.admin.canceled") == [
        ("failure", f"{world.admin}: the admin canceled the request")]


async def test_application_administrator_may_grant_other_apis(
        services: Services, client: httpx.AsyncClient) -> None:
    world = await make_world(client, services, "consent-appadmin")
    async with Browser(services) as browser:
        page = await _consent_page(browser, world, world.app_admin)
        done = await browser.submit(page, button=("action", "accept"))
    assert query(done.headers["location"])[0] == ("admin_consent", "True")


async def test_multi_tenant_client_gets_a_service_principal_in_the_consenting_tenant(
        services: Services, client: httpx.AsyncClient) -> None:
    home = await make_world(client, services, "consent-home")
    foreign = await make_world(client, services, "consent-foreign")
    app = home.client
    await call(client, "PATCH", f"/applications/{app['id']}", home.tenant.operator,
               {"signInAudience": "AzureADMultipleOrgs", "requiredResourceAccess": [{
                   "resourceAppId": foreign.api["appId"],
                   "resourceAccess": [{"id": foreign.api["appRoles"][0]["id"],
                                       "type": "Role"}]}]}, expect=204)
    path = f"/servicePrincipals(appId='{app['appId']}')"
    await call(client, "GET", path, foreign.tenant.operator, expect=404)
    async with Browser(services) as browser:
        page = await _consent_page(browser, foreign, foreign.admin, client_id=app["appId"])
        assert "Mail Daemon" in page.text and home.domain in page.text
        done = await browser.submit(page, button=("action", "accept"))
    assert query(done.headers["location"])[:2] == [("admin_consent", "True"),
                                                  ("tenant", foreign.tid)]
    sp = await call(client, "GET", path, foreign.tenant.operator, expect=200)
    granted = await call(client, "GET", f"/servicePrincipals/{sp['id']}/appRoleAssignments",
                         foreign.tenant.operator, expect=200)
    assert [g["appRoleId"] for g in granted["value"]] == [foreign.api["appRoles"][0]["id"]]


async def test_revoking_through_the_api_removes_the_role_from_new_tokens(
        services: Services, client: httpx.AsyncClient) -> None:
    world = await make_world(client, services, "consent-revoke")
    scope = f"{world.api['identifierUris'][0]}/.default"
    async with Browser(services) as browser:
        page = await _consent_page(browser, world, world.admin)
        await browser.submit(page, button=("action", "accept"))
    api_sp = await call(client, "GET", f"/servicePrincipals(appId='{world.api['appId']}')",
                        world.tenant.operator, expect=200)
    granted = await call(client, "GET", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo",
                         world.tenant.operator, expect=200)
    send = next(g for g in granted["value"] if g["appRoleId"] == world.api["appRoles"][1]["id"])
    await call(client, "DELETE", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo/"
               f"{send['id']}", world.tenant.operator, expect=204)
    assert await _roles(client, world, scope) == ["Mail.Read"]


def test_the_consent_form_has_accept_and_cancel_in_one_form() -> None:
    html = ('<form method="post" action="/x"><input type="hidden" name="csrf" value="t">'
            '<button name="action" value="cancel">C</button>'
            '<button name="action" value="accept">A</button></form>')
    (form,) = forms(html)
    assert form.fields == {"csrf": "t"} and form.buttons == {"action": ["cancel", "accept"]}


def assert_page_csp(page: httpx.Response) -> None:
    """No ``unsafe-inline``: the page's one inline style block is allowed by its hash, as a
    browser computes it over the served text (found by an attacker's probe: the sign-in,
    consent and logout pages allowed any inline style). No ``form-action``: Chromium applies
    it to the redirect after the form, to the app (test_admin_consent_browser.py)."""
    style = re.search(r"<style>(.*?)</style>", page.text, re.DOTALL)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert page.headers["content-security-policy"] == (
        f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; "
        "frame-ancestors 'none'")
    assert page.text.count("<style") == 1 and " style=" not in page.text
