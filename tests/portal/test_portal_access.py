"""Who sees and does what in the portal: the pages hide what a person may not do, and the
management API refuses it anyway (the portal has no power of its own); forms need their
CSRF token; every page carries the security headers; failures are pages, never blank.
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlsplit

import httpx
import pytest

from browser import Browser
from credo.service.management.policy import MANAGEMENT_APP_ID, PORTAL_APP_ID
from credo.service.portal import Session
from credo.service.runtime import Services
from credo.web.portal.assets import ASSETS
from credo.web.session import SESSION_COOKIE
from support import bearer, directory_rows

from .conftest import PASSWORD, Org, act, signed_in

ADMIN_CONTROLS = ("New registration", "Upload certificate", "New client secret",
                  "Create app role", "Add a permission", ">Delete<", "New user")


@pytest.fixture(scope="module")
async def member(services: Services, org: Org) -> Browser:
    return await signed_in(services, org, org.member)


@pytest.fixture(scope="module")
async def app_id(services: Services, org: Org) -> str:
    admin = await signed_in(services, org, org.admin)
    page = await act(admin, org.home + "apps/new", {"name": "Member view app",
                                                    "audience": "AzureADMyOrg",
                                                    "platform": "web", "redirect": ""})
    await admin.close()
    return urlsplit(str(page.url)).path.rstrip("/").split("/")[-1]


async def test_a_plain_user_sees_no_administrator_control(member: Browser, org: Org,
                                                          app_id: str) -> None:
    for path in ("apps", f"apps/{app_id}", f"apps/{app_id}/credentials",
                 f"apps/{app_id}/expose", f"apps/{app_id}/manifest", "users", "enterprise"):
        page = await member.get(org.home + path)
        assert page.status_code == 200, path
        assert not [c for c in ADMIN_CONTROLS if c in page.text], path
    permissions = await member.get(org.home + f"apps/{app_id}/permissions")
    assert 'disabled aria-describedby="consent-why"' in permissions.text
    manifest = await member.get(org.home + f"apps/{app_id}/manifest")
    assert "<textarea" in manifest.text and " readonly" in manifest.text
    home = await member.get(org.home)
    assert "None (a member of the organization)" in home.text
    assert "Signing keys" not in home.text and "Tenants" not in home.text


async def test_the_api_refuses_what_the_pages_hide(member: Browser, org: Org, app_id: str,
                                                   services: Services) -> None:
    before = await directory_rows(services)
    for path, fields in (("apps/new", {"name": "Mine", "audience": "AzureADMyOrg",
                                       "platform": "web", "redirect": ""}),
                         (f"apps/{app_id}/credentials", {"action": "new-secret",
                                                         "expires": "90"}),
                         (f"apps/{app_id}/delete", {}),
                         ("users/new", {"local": "eve", "domain": org.tenant.default_domain,
                                        "name": "Eve", "password": "Eve password 123!"})):
        refused = await act(member, org.home + path, fields, services=services)
        assert refused.status_code == 403, (path, refused.text[:2000])
        assert "Insufficient privileges to complete the operation." in refused.text
        assert "Authorization_RequestDenied" in refused.text
    assert await directory_rows(services) == before
    token = await _token(services, member, org)
    direct = await httpx.AsyncClient(transport=httpx.ASGITransport(
        app=member.http._transport.app),  # type: ignore[attr-defined]
        base_url=services.settings.base_url).post(
        "/v1.0/applications", headers=bearer(token), json={"displayName": "Direct"})
    assert direct.status_code == 403
    assert direct.json()["error"]["code"] == "Authorization_RequestDenied"


async def _csrf(services: Services, browser: Browser, path: str) -> str:
    session = await services.accounts.sessions.open(browser.cookie(SESSION_COOKIE) or "")
    assert session is not None
    return services.accounts.sessions.csrf_token("portal", session.session_id, path)


async def _token(services: Services, browser: Browser, org: Org) -> str:
    session = await services.accounts.sessions.open(browser.cookie(SESSION_COOKIE) or "")
    assert session is not None
    token = await services.portal.access_token(
        Session(browser.cookie(SESSION_COOKIE) or "", org.tenant.id, session.user_id),
        correlation="t", address="x")
    assert token is not None
    return token


async def test_an_application_administrator_cannot_reset_a_global_administrator(
        services: Services, org: Org) -> None:
    alan = await signed_in(services, org, org.app_admin)
    ada = await services.accounts.users.by_upn(org.tenant, org.admin)
    assert ada is not None
    page = await alan.get(org.home + f"users/{ada.id}")
    assert "Reset password" not in page.text and "Disable sign-in" not in page.text
    refused = await act(alan, org.home + f"users/{ada.id}",
                        {"action": "reset-password", "password": "Taken over 12345!"},
                        services=services)
    assert refused.status_code == 403
    assert "Insufficient privileges to complete the operation." in refused.text
    still = await services.accounts.users.by_id(ada.id)
    assert still is not None and still.password_changed == ada.password_changed
    await alan.close()


async def test_operator_pages_are_for_the_operator_only(member: Browser, org: Org,
                                                        services: Services) -> None:
    refused = await member.get(org.home + "keys")
    assert refused.status_code == 403 and "Insufficient privileges" in refused.text
    kids = [k.kid for k in await services.keys.published()]
    posted = await member.http.post(org.home + "tenants", data={
        "domain": "stolen.test", "csrf": await _csrf(services, member, org.home + "tenants")})
    assert posted.status_code == 403
    assert [k.kid for k in await services.keys.published()] == kids


async def test_forms_need_this_sessions_token_for_this_page(
        member: Browser, org: Org, app_id: str, services: Services) -> None:
    for token in ("", "forged", None):
        data = {"name": "x"} if token is None else {"csrf": token, "name": "x"}
        answer = await member.http.post(org.home + "apps/new", data=data)
        assert answer.status_code == 400 and "This form has expired" in answer.text
    # A token made for another page, or for another session, does not open this one.
    other = await _csrf(services, member, org.home + f"apps/{app_id}/credentials")
    moved = await member.http.post(org.home + "apps/new", data={"csrf": other, "name": "x"})
    assert moved.status_code == 400 and "This form has expired" in moved.text
    async with Browser(services) as stranger:
        stolen = await _csrf(services, member, org.home + "apps/new")
        answer = await stranger.http.post(org.home + "apps/new",
                                          data={"csrf": stolen, "name": "x"})
        assert answer.status_code == 303 and "/authorize?" in answer.headers["location"]


async def test_every_page_carries_the_security_headers(member: Browser, org: Org) -> None:
    for path in ("", "apps", "signins"):
        page = await member.get(org.home + path)
        csp = page.headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "form-action 'self'" in csp and "default-src 'none'" in csp
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["cache-control"] == "no-store"
        assert "<script>" not in page.text and " style=" not in page.text
        assert " onclick=" not in page.text


async def test_static_files_are_pinned_and_cached(member: Browser) -> None:
    for asset in ASSETS.values():
        got = await member.get(asset.url)
        assert got.status_code == 200 and got.content == asset.body
        assert got.headers["cache-control"] == "public, max-age=31536000, immutable"
        digest = base64.b64encode(hashlib.sha384(got.content).digest()).decode()
        assert asset.integrity == f"sha384-{digest}"
        stale = await member.get(asset.url.replace(asset.digest, "0" * 16))
        assert stale.status_code == 404
    page = await member.get("/portal/")
    assert ASSETS["portal.js"].integrity in page.text


async def test_failures_are_pages_with_the_api_message(member: Browser, org: Org) -> None:
    missing = await member.get(org.home + "apps/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404 and "<h1>Not found</h1>" in missing.text
    assert "Request_ResourceNotFound" in missing.text and "Request ID" in missing.text
    unknown = await member.get("/portal/nowhere.example/apps")
    assert unknown.status_code == 400 and "AADSTS90002" in unknown.text
    logs = await member.get(org.home + "signins")  # the logs are the administrators'
    assert logs.status_code == 403 and "Insufficient privileges" in logs.text
    assert 'href="' + org.home + 'signins"' not in (await member.get(org.home)).text


async def test_a_quoted_filter_value_is_a_filter(services: Services, org: Org) -> None:
    admin = await signed_in(services, org, org.admin)
    try:
        bad_filter = await admin.get(org.home + "signins?app=x%27y")
        assert bad_filter.status_code == 200 and "<h1>Sign-in logs</h1>" in bad_filter.text
    finally:
        await admin.close()


async def test_no_control_for_what_no_delegated_token_may_do(services: Services,
                                                             org: Org) -> None:
    """A Global Administrator may not change another one through the API, nor make one;
    Credo's own apps are changed by nobody: the pages offer none of it."""
    other = await services.accounts.users.create(
        org.tenant, f"grace-{org.tenant.id[:4]}@{org.tenant.default_domain}", "Grace",
        "P4ss w0rd!")
    await services.accounts.users.assign_role(other, "Global Administrator")
    plain = await services.accounts.users.by_upn(org.tenant, org.member)
    assert plain is not None
    ada = await signed_in(services, org, org.admin)
    page = await ada.get(org.home + f"users/{other.id}")
    assert "more than you may change" in page.text
    assert "Reset password" not in page.text and "Disable sign-in" not in page.text
    assert 'value="remove-role"' not in page.text
    member_page = await ada.get(org.home + f"users/{plain.id}")
    assert "Reset password" in member_page.text
    assert "<option>Application Administrator</option>" in member_page.text
    assert "<option>Global Administrator</option>" not in member_page.text
    refused = await act(ada, org.home + f"users/{other.id}", {"action": "disable"},
                        services=services)
    assert refused.status_code == 403
    still = await services.accounts.users.by_id(other.id)
    assert still is not None and still.account_enabled
    await ada.close()


async def test_credos_own_apps_offer_no_change(services: Services,
                                               client: httpx.AsyncClient) -> None:
    boot = await services.directory.tenant(services.settings.bootstrap_tenant)
    op = await services.accounts.users.create(boot, f"op2-{boot.id[:4]}@{boot.default_domain}",
                                              "Operator", PASSWORD)
    await services.accounts.users.assign_role(op, "Global Administrator")
    home = Org(boot, op.user_principal_name, "", "")
    browser = await signed_in(services, home, op.user_principal_name)
    portal_app = await services.directory.find_application(PORTAL_APP_ID)
    assert portal_app is not None
    for path in ("", "/credentials", "/manifest", "/expose", "/permissions"):
        page = await browser.get(home.home + f"apps/{portal_app.id}{path}")
        assert "Built into Credo" in page.text, path
        assert not [c for c in ADMIN_CONTROLS if c in page.text], path
        assert 'value="remove"' not in page.text and 'value="revoke"' not in page.text
    management = await services.directory.service_principal(boot, MANAGEMENT_APP_ID)
    page = await browser.get(home.home + f"enterprise/{management.id}")
    assert "Built in" in page.text and 'value="remove"' not in page.text
    await browser.close()


async def test_a_pages_values_never_reach_another_route_of_the_api(
        services: Services, org: Org, app_id: str) -> None:
    """Found by an attacker's probe: the "Remove assignment" form took
    ``assignment=../../../applications/<id>`` and deleted an app registration, and ids such
    as ``?``, ``#`` or NUL in a page's URL were a 500. A segment that is not a value is the
    API's 404, and nothing is sent."""
    admin = await signed_in(services, org, org.admin)
    created = await act(admin, org.home + "apps/new", {"name": "Keep me",
                                                       "audience": "AzureADMyOrg",
                                                       "platform": "web", "redirect": ""})
    keep = urlsplit(str(created.url)).path.rstrip("/").split("/")[-1]
    app = await services.directory.find_application(app_id)
    assert app is not None
    sp = await services.directory.service_principal(org.tenant, app.app_id)
    before = await directory_rows(services)
    page = org.home + f"enterprise/{sp.id}"
    for assignment in (f"../../../applications/{keep}", f"x/../../../applications/{keep}",
                       f"..%2F..%2Fapplications%2F{keep}", f"{keep}?$top=1"):
        answer = await admin.http.post(page, data={
            "csrf": await _csrf(services, admin, page), "action": "remove",
            "side": "appRoleAssignedTo", "assignment": assignment})
        assert answer.status_code == 404 and "<h1>Not found</h1>" in answer.text, assignment
    assert await directory_rows(services) == before
    assert await services.directory.find_application(keep) is not None
    for path in ("apps/%3F", "apps/%23", "apps/%00", "users/%3F", "enterprise/%3F",
                 f"apps/{app_id}%3F%24top%3D1"):
        answer = await admin.get(org.home + path)
        assert answer.status_code == 404 and "<h1>Not found</h1>" in answer.text, path
    await admin.close()
