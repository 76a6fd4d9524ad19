"""Admin consent refusals: each writes nothing, and the bad-request ones never redirect.

Non-admins and admins of another tenant get "Need admin approval" (AADSTS90094); a
``redirect_uri`` not registered exactly, an unknown app or tenant, an undefined role and a
missing or altered CSRF token or ``state`` get an HTML error page with the AADSTS code.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from browser import Browser, forms
from credo.service.management.policy import (
    MANAGEMENT_APP_ID,
    ROLE_READ,
    ROLE_TENANTS,
    management_roles,
)
from credo.service.runtime import Services
from credo.web.session import SESSION_COOKIE
from support import directory_rows

from .consent_world import (
    PASSWORD,
    READ_ID,
    REDIRECT_URI,
    World,
    make_world,
    register_client,
)


@pytest.fixture(scope="module")
async def world(client: httpx.AsyncClient, services: Services) -> World:
    return await make_world(client, services, "refusals")


def _error_page(page: httpx.Response, code: int, status: int = 400) -> None:
    assert page.status_code == status, page.text
    assert "location" not in page.headers
    assert page.headers["content-type"].startswith("text/html")
    assert f"AADSTS{code}" in page.text


async def _signed_in(browser: Browser, tenant: str, login: str) -> None:
    page = await browser.get(f"/{tenant}/login")
    done = await browser.sign_in(page, login, PASSWORD)
    assert done.status_code == 200 and "signed in" in done.text, done.text


async def test_a_plain_user_needs_admin_approval(services: Services, world: World) -> None:
    async with Browser(services) as browser:
        await _signed_in(browser, world.tid, world.plain)
        before = await directory_rows(services)
        page = await browser.get(world.consent_url())
        assert page.status_code == 403
        assert "Need admin approval" in page.text and "AADSTS90094" in page.text
        assert "Accept" not in page.text and not forms(page.text)
        # Even a CSRF token valid for this session does not make the POST a grant.
        session = await services.accounts.sessions.open(browser.cookie(SESSION_COOKIE) or "")
        assert session is not None
        token = services.accounts.sessions.csrf_token(
            "adminconsent", session.session_id, world.tid, "1", world.client["appId"],
            REDIRECT_URI, "s-123", "")
        forged = await browser.http.post(f"/{world.tid}/adminconsent", data={
            "client_id": world.client["appId"], "redirect_uri": REDIRECT_URI,
            "state": "s-123", "csrf": token, "action": "accept"})
    assert forged.status_code == 403 and "Need admin approval" in forged.text
    assert await directory_rows(services) == before
    denied = [e for e in list(services.audit._events)
              if e.kind == "consent.admin.denied" and e.tenant_id == world.tid]
    assert [(e.outcome, e.code, e.client_id) for e in denied] == [
        ("failure", 90094, world.client["appId"])] * 2


async def test_an_admin_of_another_tenant_needs_admin_approval(
        services: Services, client: httpx.AsyncClient, world: World) -> None:
    other = await make_world(client, services, "refusals-other")
    async with Browser(services) as browser:
        await _signed_in(browser, other.tid, other.admin)
        before = await directory_rows(services)
        page = await browser.get(world.consent_url())
    assert page.status_code == 403 and "Need admin approval" in page.text
    assert other.admin in page.text and "Sign in with an administrator account" in page.text
    assert await directory_rows(services) == before


@pytest.mark.parametrize("redirect_uri", [
    "https://evil.example/consent/done", REDIRECT_URI + "/", REDIRECT_URI + "?x=1",
    REDIRECT_URI.upper(), "",
], ids=["other-host", "trailing-slash", "extra-query", "case", "missing"])
async def test_redirect_uri_must_match_exactly_and_is_never_followed(
        services: Services, world: World, redirect_uri: str) -> None:
    async with Browser(services) as browser:
        before = await directory_rows(services)
        anonymous = await browser.get(world.consent_url(redirect_uri=redirect_uri))
        await _signed_in(browser, world.tid, world.admin)
        signed = await browser.get(world.consent_url(redirect_uri=redirect_uri))
    code = 900144 if not redirect_uri else 50011
    _error_page(anonymous, code)
    _error_page(signed, code)
    assert await directory_rows(services) == before


@pytest.mark.parametrize(("path", "code"), [
    ("/{tid}/adminconsent?client_id={unknown}&redirect_uri={uri}", 700016),
    ("/{tid}/adminconsent?client_id=not-a-guid&redirect_uri={uri}", 700016),
    ("/nowhere.example/adminconsent?client_id={client}&redirect_uri={uri}", 90002),
    ("/common/adminconsent?client_id={client}&redirect_uri={uri}", 9001023),
    ("/{tid}/adminconsent?redirect_uri={uri}", 900144),
    ("/{tid}/adminconsent?client_id={client}&client_id={client}&redirect_uri={uri}", 90100),
    ("/{tid}/v2.0/adminconsent?client_id={client}&redirect_uri={uri}", 900144),
    ("/{tid}/v2.0/adminconsent?client_id={client}&redirect_uri={uri}&scope=Mail.Read", 70011),
    ("/{tid}/v2.0/adminconsent?client_id={client}&redirect_uri={uri}"
     "&scope=api://not-listed/.default", 650057),
], ids=["unknown-app", "bad-client-id", "unknown-tenant", "alias", "no-client-id",
        "repeated", "v2-no-scope", "v2-not-default", "v2-not-listed"])
async def test_bad_requests_get_an_error_page(services: Services, world: World, path: str,
                                              code: int) -> None:
    url = path.format(tid=world.tid, unknown=uuid.uuid4(), client=world.client["appId"],
                      uri=REDIRECT_URI)
    async with Browser(services) as browser:
        page = await browser.get(url)
    _error_page(page, code)


async def test_a_role_the_api_does_not_define_is_refused(
        services: Services, client: httpx.AsyncClient) -> None:
    world = await make_world(client, services, "refusals-undefined", access=[
        {"id": READ_ID, "type": "Role"}, {"id": str(uuid.uuid4()), "type": "Role"}])
    async with Browser(services) as browser:
        before = await directory_rows(services)
        anonymous = await browser.get(world.consent_url())
        await _signed_in(browser, world.tid, world.admin)
        signed = await browser.get(world.consent_url())
    _error_page(anonymous, 650053)
    _error_page(signed, 650053)
    assert await directory_rows(services) == before


async def _consent_form(browser: Browser, world: World, **kw: str) -> httpx.Response:
    page = await browser.get(world.consent_url(**kw))
    page = await browser.sign_in(page, world.admin, PASSWORD)
    assert page.status_code == 200 and forms(page.text), page.text
    return page


@pytest.mark.parametrize(("values", "drop"), [
    ({}, ("csrf",)),
    ({"csrf": "A" * 43}, ()),
    ({"state": "s-999"}, ()),
    ({}, ("state",)),
    ({"redirect_uri": REDIRECT_URI + "?evil=1"}, ()),
    ({"client_id": str(uuid.uuid4())}, ()),
], ids=["missing-csrf", "invalid-csrf", "other-state", "missing-state", "other-redirect",
        "other-client"])
async def test_the_form_is_bound_to_its_request(services: Services, world: World,
                                                values: dict[str, str],
                                                drop: tuple[str, ...]) -> None:
    async with Browser(services) as browser:
        page = await _consent_form(browser, world)
        before = await directory_rows(services)
        done = await browser.submit(page, values, button=("action", "accept"), drop=drop)
    assert done.status_code == 400 and "location" not in done.headers
    assert await directory_rows(services) == before


async def test_a_form_from_another_session_is_refused(services: Services, world: World) -> None:
    async with Browser(services) as first, Browser(services) as second:
        page = await _consent_form(first, world)
        await _consent_form(second, world)
        before = await directory_rows(services)
        fields = forms(page.text)[0].fields
        done = await second.http.post(f"/{world.tid}/adminconsent",
                                      data={**fields, "action": "accept"})
    assert done.status_code == 400 and "AADSTS90023" in done.text
    assert await directory_rows(services) == before


async def test_only_a_global_administrator_grants_management_api_roles(
        services: Services, client: httpx.AsyncClient, world: World) -> None:
    read = next(r.id for r in management_roles() if r.value == ROLE_READ)
    auditor = await register_client(client, world.tenant.operator, MANAGEMENT_APP_ID,
                                     [{"id": read, "type": "Role"}])
    async with Browser(services) as browser:
        await _signed_in(browser, world.tid, world.app_admin)
        before = await directory_rows(services)
        page = await browser.get(world.consent_url(client_id=auditor["appId"]))
        assert page.status_code == 403 and "Global Administrator" in page.text
        assert await directory_rows(services) == before
    async with Browser(services) as browser:
        page = await _consent_form(browser, world, client_id=auditor["appId"])
        done = await browser.submit(page, button=("action", "accept"))
    assert done.headers["location"].startswith(REDIRECT_URI + "?admin_consent=True")


async def test_the_operator_role_is_never_granted_by_consent(
        services: Services, client: httpx.AsyncClient, world: World) -> None:
    tenants = next(r.id for r in management_roles() if r.value == ROLE_TENANTS)
    greedy = await register_client(client, world.tenant.operator, MANAGEMENT_APP_ID,
                                   [{"id": tenants, "type": "Role"}])
    async with Browser(services) as browser:
        await _signed_in(browser, world.tid, world.admin)
        before = await directory_rows(services)
        page = await browser.get(world.consent_url(client_id=greedy["appId"]))
    assert page.status_code == 403 and "operator only" in page.text
    assert await directory_rows(services) == before
