"""Sign-out ends the session on the server (issue 8, finding 5), and so do password changes,
disabling and deletion; sessions are shared by every worker (two services on one store).

Sign-out is a confirmation form on GET (OpenID Connect RP-Initiated Logout 1.0 §2) and a
POST with a CSRF token bound to the session; the cookie holds only a random secret whose
hash is the session's key in the store.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.requests import Request

from browser import Browser, forms
from credo.config import load_settings
from credo.service.runtime import Services, close_services, open_services
from credo.store.tables import browser_sessions
from credo.web.session import SESSION_COOKIE, signed_in
from support import directory_rows

from .conftest import call
from .consent_world import PASSWORD, REDIRECT_URI, World, add_user, make_world

LOGOUT = "/{tid}/oauth2/v2.0/logout"


@pytest.fixture(scope="module")
async def world(client: httpx.AsyncClient, services: Services) -> World:
    return await make_world(client, services, "signout")


@pytest.fixture(scope="module")
async def other_worker(services: Services) -> AsyncIterator[Services]:
    """A second worker: its own services (caches, keys) over the same data dir and store."""
    worker = await open_services(load_settings(services.settings.data_dir, env={}))
    yield worker
    await close_services(worker)


def _request(cookie: str | None, services: Services) -> Request:
    headers = [(b"cookie", f"{SESSION_COOKIE}={cookie}".encode())] if cookie else []
    app = type("App", (), {"state": type("State", (), {"services": services})()})()
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": b"",
                    "headers": headers, "app": app})


async def _opens(cookie: str | None, services: Services) -> bool:
    return await signed_in(_request(cookie, services), services) is not None


async def _sign_in(browser: Browser, world: World, login: str) -> str:
    done = await browser.sign_in(await browser.get(f"/{world.tid}/login"), login, PASSWORD)
    assert done.status_code == 200 and "signed in" in done.text, done.text
    cookie = browser.cookie(SESSION_COOKIE)
    assert cookie is not None
    return cookie


async def _session_rows(services: Services) -> list[Any]:
    async with services.store._db.engine.connect() as conn:
        return list((await conn.execute(sa.select(browser_sessions))).all())


async def test_the_cookie_holds_only_a_secret_whose_hash_is_stored(
        services: Services, world: World) -> None:
    async with Browser(services) as browser:
        cookie = await _sign_in(browser, world, world.admin)
    rows = [r for r in await _session_rows(services)
            if r.token_hash == hashlib.sha256(cookie.encode()).hexdigest()]
    assert len(rows) == 1 and rows[0].tenant_id == world.tid
    assert all(cookie not in repr(tuple(r)) for r in await _session_rows(services))
    assert rows[0].session_id not in cookie and len(cookie) == 43


async def test_get_shows_a_confirmation_and_ends_nothing(services: Services,
                                                         world: World) -> None:
    async with Browser(services) as browser:
        cookie = await _sign_in(browser, world, world.admin)
        page = await browser.get(LOGOUT.format(tid=world.tid) + "?" + str(httpx.QueryParams(
            {"post_logout_redirect_uri": REDIRECT_URI, "client_id": world.client["appId"],
             "state": "bye", "ui_locales": "fr"})))
    assert page.status_code == 200 and "Sign out" in page.text and world.admin in page.text
    (form,) = forms(page.text)
    assert form.method == "post"
    assert form.action == f"{browser.base}/{world.tid}/oauth2/v2.0/logout"
    assert set(form.fields) == {"csrf", "post_logout_redirect_uri", "client_id", "state"}
    assert "set-cookie" not in page.headers
    assert await _opens(cookie, services)


async def test_post_with_csrf_ends_the_session_and_the_saved_cookie_opens_nothing(
        services: Services, world: World) -> None:
    """Finding 5: a cookie saved before sign-out no longer opens /adminconsent."""
    async with Browser(services) as browser:
        saved = await _sign_in(browser, world, world.admin)
        assert (await browser.http.get(world.consent_url())).status_code == 200
        confirm = await browser.get(LOGOUT.format(tid=world.tid))
        done = await browser.submit(confirm)
        cleared = next(c for c in done.headers.get_list("set-cookie")
                       if c.startswith(SESSION_COOKIE + "="))
    assert done.status_code == 200 and "You signed out" in done.text
    assert all(a in cleared.lower() for a in ("max-age=0", "; secure", "; httponly",
                                              "; samesite=lax", "; path=/"))
    assert not await _opens(saved, services)
    async with Browser(services) as replay:
        replay.http.cookies.set(SESSION_COOKIE, saved)
        before = await directory_rows(services)
        page = await replay.http.get(world.consent_url())
        posted = await replay.http.post(f"/{world.tid}/adminconsent", data={
            "client_id": world.client["appId"], "redirect_uri": REDIRECT_URI,
            "state": "s-123", "csrf": "x", "action": "accept"})
    for response in (page, posted):
        assert response.status_code == 302
        assert response.headers["location"].startswith(f"{replay.base}/{world.tid}/login?")
    assert await directory_rows(services) == before


async def test_a_post_with_a_wrong_csrf_token_ends_nothing(services: Services,
                                                           world: World) -> None:
    async with Browser(services) as browser:
        cookie = await _sign_in(browser, world, world.admin)
        before = await directory_rows(services)
        forged = await browser.http.post(LOGOUT.format(tid=world.tid), data={"csrf": "x" * 43})
        rp_form = await browser.http.post(LOGOUT.format(tid=world.tid),
                                          data={"client_id": world.client["appId"]})
    assert forged.status_code == 400 and "AADSTS90023" in forged.text
    assert "set-cookie" not in forged.headers and "location" not in forged.headers
    assert rp_form.status_code == 200 and forms(rp_form.text)[0].fields["client_id"]
    assert await _opens(cookie, services)
    assert await directory_rows(services) == before


async def test_a_token_of_another_session_does_not_sign_this_one_out(
        services: Services, world: World) -> None:
    async with Browser(services) as victim, Browser(services) as attacker:
        victim_cookie = await _sign_in(victim, world, world.plain)
        await _sign_in(attacker, world, world.plain)
        page = await attacker.get(LOGOUT.format(tid=world.tid))
        token = forms(page.text)[0].fields["csrf"]
        forged = await victim.http.post(LOGOUT.format(tid=world.tid), data={"csrf": token})
    assert forged.status_code == 400 and await _opens(victim_cookie, services)


async def test_redirects_only_to_a_registered_uri_after_the_confirmation(
        services: Services, world: World) -> None:
    client_id = world.client["appId"]
    async with Browser(services) as browser:
        await _sign_in(browser, world, world.admin)
        confirm = await browser.get(f"/{world.tid}/oauth2/logout?" + str(httpx.QueryParams({
            "post_logout_redirect_uri": REDIRECT_URI, "client_id": client_id,
            "state": "bye"})))
        registered = await browser.submit(confirm)
        assert registered.status_code == 302
        assert registered.headers["location"] == f"{REDIRECT_URI}?state=bye"
        assert browser.cookie(SESSION_COOKIE) is None
        await _sign_in(browser, world, world.admin)
        confirm = await browser.get(LOGOUT.format(tid=world.tid) + "?" + str(httpx.QueryParams(
            {"post_logout_redirect_uri": "https://evil.example/", "client_id": client_id})))
        unregistered = await browser.submit(confirm)
    assert unregistered.status_code == 200 and "signed out" in unregistered.text
    assert "location" not in unregistered.headers


async def test_without_a_session_there_is_nothing_to_confirm(services: Services,
                                                             world: World) -> None:
    async with Browser(services) as browser:
        direct = await browser.http.get(LOGOUT.format(tid=world.tid) + "?" + str(
            httpx.QueryParams({"post_logout_redirect_uri": REDIRECT_URI,
                               "client_id": world.client["appId"], "state": "s"})))
        browser.http.cookies.set(SESSION_COOKIE, "A" * 43)  # opens no session
        page = await browser.http.get(LOGOUT.format(tid=world.tid))
    assert direct.status_code == 302 and direct.headers["location"] == f"{REDIRECT_URI}?state=s"
    assert page.status_code == 200 and "You signed out" in page.text


async def test_a_session_works_on_every_worker_and_sign_out_ends_it_everywhere(
        services: Services, other_worker: Services, world: World) -> None:
    async with Browser(services) as browser:
        cookie = await _sign_in(browser, world, world.app_admin)
        assert await _opens(cookie, other_worker)
        async with Browser(other_worker) as elsewhere:
            elsewhere.http.cookies.set(SESSION_COOKIE, cookie)
            confirm = await elsewhere.get(LOGOUT.format(tid=world.tid))
            assert (await elsewhere.submit(confirm)).status_code == 200
    assert not await _opens(cookie, services)
    assert not await _opens(cookie, other_worker)


@pytest.mark.parametrize("change", ["password", "disable", "delete"])
async def test_a_credential_change_ends_every_session_of_the_user_on_every_worker(
        services: Services, other_worker: Services, client: httpx.AsyncClient, world: World,
        change: str) -> None:
    upn = f"{change}-sessions@{world.domain}"
    await add_user(client, world.tenant.operator, upn, "Sessions")
    bystander = world.plain
    async with Browser(services) as one, Browser(other_worker) as two, \
            Browser(services) as three:
        cookies = [await _sign_in(one, world, upn), await _sign_in(two, world, upn)]
        other = await _sign_in(three, world, bystander)
    assert all([await _opens(c, w) for c in cookies for w in (services, other_worker)])
    op = world.tenant.operator
    if change == "password":
        await call(client, "PATCH", f"/users/{upn}", op,
                   {"passwordProfile": {"password": "a brand new password"}}, expect=204)
    elif change == "disable":
        await call(client, "PATCH", f"/users/{upn}", op, {"accountEnabled": False}, expect=204)
    else:
        await call(client, "DELETE", f"/users/{upn}", op, expect=204)
    assert not any([await _opens(c, w) for c in cookies for w in (services, other_worker)])
    hashes = {hashlib.sha256(c.encode()).hexdigest() for c in cookies}
    assert not hashes & {r.token_hash for r in await _session_rows(services)}
    assert await _opens(other, other_worker)


async def test_a_post_without_the_session_clears_no_cookie(services: Services,
                                                            world: World) -> None:
    """Found by an attacker's probe: a cross-site POST (no ``SameSite=Lax`` cookie goes with
    it) to either sign-out answered with the cookie cleared, so a page anywhere signed the
    user out in the browser while the session lived on in the server."""
    async with Browser(services) as browser:
        cookie = await _sign_in(browser, world, world.admin)
        async with Browser(services) as cross_site:  # the same server, without the cookie
            for path in (LOGOUT.format(tid=world.tid), "/portal/signout"):
                answer = await cross_site.http.post(path, data={})
                assert answer.status_code in (200, 303), (path, answer.text)
                assert "set-cookie" not in answer.headers, path
    assert await _opens(cookie, services)


async def test_another_tenants_app_redirects_only_once_installed_here(
        client: httpx.AsyncClient, services: Services, world: World) -> None:
    """Found by an attacker's probe: a multi-tenant app registered in any tenant made this
    tenant's sign-out URL redirect to wherever it had registered."""
    other = await make_world(client, services, "elsewhere")
    app = await call(client, "POST", "/applications", other.tenant.operator, {
        "displayName": "Elsewhere MT", "signInAudience": "AzureADMultipleOrgs",
        "web": {"redirectUris": ["https://elsewhere.example/landing"]}}, expect=201)
    url = LOGOUT.format(tid=world.tid) + "?" + str(httpx.QueryParams({
        "post_logout_redirect_uri": "https://elsewhere.example/landing",
        "client_id": app["appId"], "state": "x"}))
    async with Browser(services) as browser:
        refused = await browser.http.get(url)
    assert refused.status_code == 200 and "You signed out" in refused.text
    assert "location" not in refused.headers
    await call(client, "POST", "/servicePrincipals", world.tenant.operator,
               {"appId": app["appId"]}, expect=201)
    async with Browser(services) as browser:
        installed = await browser.http.get(url)
    assert installed.status_code == 302
    assert installed.headers["location"] == "https://elsewhere.example/landing?state=x"
