"""The sign-in page: cookies, CSRF, uniform answers, ``return_to``, ``current_user``."""

from __future__ import annotations

import re

import httpx
import pytest
from starlette.requests import Request

from browser import Browser, forms
from credo.service.runtime import Services
from credo.web.session import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    current_user,
    safe_return_to,
    signed_in,
    signin_redirect,
)
from support import directory_rows

from .conftest import call
from .consent_world import PASSWORD, World, add_user, make_world

INCORRECT = "Your account or password is incorrect."


@pytest.fixture(scope="module")
async def world(client: httpx.AsyncClient, services: Services) -> World:
    return await make_world(client, services, "signin")


def _cookie_line(browser: Browser, name: str) -> str:
    return next(c for c in browser.set_cookie_headers() if c.startswith(name + "="))


def _error_text(page: httpx.Response) -> str:
    found = re.search(r'<p class="error" id="error" role="alert">([^<]*)', page.text)
    assert found, page.text
    return found.group(1).strip()


async def test_sign_in_sets_a_hardened_session_cookie_and_returns(
        services: Services, world: World) -> None:
    async with Browser(services) as browser:
        page = await browser.get(f"/{world.tid}/login?return_to=/{world.tid}/somewhere%3Fa%3D1")
        assert page.status_code == 200 and "Sign in" in page.text
        login_cookie = _cookie_line(browser, LOGIN_COOKIE).lower()
        form = forms(page.text)[0]
        assert set(form.fields) == {"csrf", "return_to", "login", "passwd"}
        response = await browser.http.post(form.action, data={
            **form.fields, "login": world.admin.upper(), "passwd": PASSWORD})
        browser.history.append(response)
        session_cookie = _cookie_line(browser, SESSION_COOKIE).lower()
    assert response.status_code == 302
    assert response.headers["location"] == f"{browser.base}/{world.tid}/somewhere?a=1"
    for line in (login_cookie, session_cookie):
        assert all(a in line for a in ("; secure", "; httponly", "; samesite=lax", "; path=/"))
        assert "domain=" not in line
    assert PASSWORD.lower() not in session_cookie and world.admin not in session_cookie


@pytest.mark.parametrize("target", [
    "https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
    "/ok path", "evil.example",
])
async def test_return_to_never_leaves_the_server(services: Services, world: World,
                                                 target: str) -> None:
    assert safe_return_to(target) is None
    async with Browser(services) as browser:
        page = await browser.get(f"/{world.tid}/login?" + str(httpx.QueryParams(
            {"return_to": target})))
        done = await browser.submit(page, {"login": world.admin, "passwd": PASSWORD,
                                           "return_to": target})
    assert done.status_code == 200 and "signed in" in done.text
    assert "location" not in done.headers


@pytest.mark.parametrize("login", ["nobody@signin.example", "wrong-password"])
async def test_unknown_user_and_wrong_password_get_the_same_answer(
        services: Services, world: World, login: str) -> None:
    upn, password = (login, PASSWORD) if "@" in login else (world.plain, "not the password")
    async with Browser(services) as browser:
        page = await browser.get(f"/{world.tid}/login")
        before = await directory_rows(services)
        done = await browser.sign_in(page, upn, password)
    assert done.status_code == 400 and _error_text(done) == INCORRECT
    assert "AADSTS50126" in done.text and browser.cookie(SESSION_COOKIE) is None
    assert await directory_rows(services) == before


async def test_a_user_of_another_tenant_is_unknown_here(
        services: Services, client: httpx.AsyncClient, world: World) -> None:
    other = await make_world(client, services, "signin-other")
    async with Browser(services) as browser:
        done = await browser.sign_in(await browser.get(f"/{world.tid}/login"), other.admin,
                                     PASSWORD)
    assert done.status_code == 400 and _error_text(done) == INCORRECT


async def test_a_disabled_user_is_told_only_after_the_right_password(
        services: Services, client: httpx.AsyncClient, world: World) -> None:
    upn = f"gone@{world.domain}"
    await add_user(client, world.tenant.operator, upn, "Gone", enabled=False)
    async with Browser(services) as browser:
        wrong = await browser.sign_in(await browser.get(f"/{world.tid}/login"), upn, "nope nope")
        right = await browser.sign_in(await browser.get(f"/{world.tid}/login"), upn, PASSWORD)
    assert _error_text(wrong) == INCORRECT
    assert right.status_code == 400 and "AADSTS50057" in right.text
    assert "disabled" in _error_text(right) and browser.cookie(SESSION_COOKIE) is None


@pytest.mark.parametrize(("values", "drop"), [({}, ("csrf",)), ({"csrf": "x" * 43}, ())],
                         ids=["missing", "invalid"])
async def test_sign_in_needs_the_forms_csrf_token(services: Services, world: World,
                                                 values: dict[str, str],
                                                 drop: tuple[str, ...]) -> None:
    async with Browser(services) as browser:
        page = await browser.get(f"/{world.tid}/login")
        done = await browser.submit(page, {"login": world.admin, "passwd": PASSWORD, **values},
                                    drop=drop)
    assert done.status_code == 400 and "expired" in done.text
    assert browser.cookie(SESSION_COOKIE) is None


async def test_a_token_bound_to_another_browser_is_refused(services: Services,
                                                           world: World) -> None:
    async with Browser(services) as victim, Browser(services) as attacker:
        page = await attacker.get(f"/{world.tid}/login")
        await victim.get(f"/{world.tid}/login")
        token = forms(page.text)[0].fields["csrf"]
        done = await victim.http.post(f"/{world.tid}/login", data={
            "csrf": token, "login": world.admin, "passwd": PASSWORD})
    assert done.status_code == 400 and victim.cookie(SESSION_COOKIE) is None


def _request(browser: Browser, services: Services) -> Request:
    cookie = f"{SESSION_COOKIE}={browser.cookie(SESSION_COOKIE)}"
    app = type("App", (), {"state": type("State", (), {"services": services})()})()
    return Request({"type": "http", "method": "GET", "path": "/", "query_string": b"",
                    "headers": [(b"cookie", cookie.encode())], "app": app})


async def test_current_user_is_scoped_to_the_tenant_and_ends_with_a_password_change(
        services: Services, client: httpx.AsyncClient, world: World) -> None:
    upn = f"session@{world.domain}"
    user = await add_user(client, world.tenant.operator, upn, "Sam Session")
    other = await services.directory.tenant(services.settings.bootstrap_tenant)
    tenant = await services.directory.tenant(world.tid)
    async with Browser(services) as browser:
        await browser.sign_in(await browser.get(f"/{world.tid}/login"), upn, PASSWORD)
        request = _request(browser, services)
        found = await current_user(request, services, tenant)
        assert found is not None and found.user.id == user["id"] and found.session_id
        assert await current_user(request, services, other) is None
        redirect = signin_redirect(request, world.domain, f"/{world.tid}/next")
        assert redirect.headers["location"] == (
            f"{browser.base}/{world.domain}/login?return_to=%2F{world.tid}%2Fnext")
        await call(client, "PATCH", f"/users/{upn}", world.tenant.operator,
                   {"passwordProfile": {"password": "a brand new password"}}, expect=204)
        assert await signed_in(_request(browser, services), services) is None
