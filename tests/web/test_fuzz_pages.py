"""Hypothesis fuzzing of the browser forms: sign-in, admin consent, authorize and user consent.

Requests go in-process to ``/{tenant}/login``, ``/{tenant}[/v2.0]/adminconsent``,
``/{tenant}/oauth2[/v2.0]/authorize`` and ``…/authorize/consent``, by GET (query) or POST
(form), with the parameters each page reads plus random ones, repeated ones and random
values; the valid values (the registered client and redirect URI, a user's name and
password, the CSRF token the page issued for this session and request) are drawn often,
so requests reach the password check, the consent decision and the code issuance. Bodies
are sometimes random bytes or another content type; the browser is anonymous or signed in
as a Global Administrator or a plain user; each request comes from its own address.

For each request: never a 5xx, and a refusal (4xx) wrote nothing (``fuzzing.Tables``: no
directory, user, grant, code or refresh-token change). ``FAST`` examples per page in the
fast suite, ``SLOW`` under ``@pytest.mark.slow``.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from browser import Browser, forms
from credo.service.runtime import Services, close_services
from credo.web.app import build_app
from support import make_services

from .consent_world import PASSWORD, REDIRECT_URI, World, make_world
from .fuzzing import Tables, fuzz_settings, raw_headers

FAST = 25
SLOW = 200
FORM = "application/x-www-form-urlencoded"
PAGES = ("login", "adminconsent", "authorize", "consent")
_addresses = itertools.count(1)

UNTHROTTLED = {"CREDO_LOCKOUT_THRESHOLD": "1000",
               "CREDO_LOCKOUT_ADDRESS_THRESHOLD": "100000"}


@pytest.fixture(scope="module")
async def services(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Services]:
    """This module's own deployment, with the sign-in lockout out of the way: the fuzzer fails on
    purpose far more often than a budget allows (the limits have their own tests)."""
    deployment = await make_services(tmp_path_factory.mktemp("credo-fuzz"), env=UNTHROTTLED)
    yield deployment
    await close_services(deployment)



@dataclass
class Pages:
    services: Services
    tables: Tables
    world: World
    app: Any
    cookies: dict[str, dict[str, str]]
    """Cookie jars: anonymous, and signed in as the administrator or the plain user."""
    csrf: dict[str, str]
    """A CSRF token each page issued to the administrator's session for ``valid`` params."""

    def valid(self, page: str) -> dict[str, str]:
        """The parameters of a request the page accepts."""
        w = self.world
        if page == "login":
            return {"login": w.admin, "passwd": PASSWORD, "csrf": self.csrf["login"]}
        if page == "adminconsent":
            return {"client_id": w.client["appId"], "redirect_uri": REDIRECT_URI,
                    "state": "s-1", "csrf": self.csrf["adminconsent"], "action": "accept"}
        flow = {"client_id": w.client["appId"], "redirect_uri": REDIRECT_URI,
                "response_type": "code", "scope": f"{w.api['identifierUris'][0]}/"
                "Mail.ReadBasic openid", "state": "s-1", "nonce": "n-1",
                "code_challenge": "x" * 43, "code_challenge_method": "S256"}
        if page == "authorize":
            return flow
        return {**flow, "csrf": self.csrf["consent"], "action": "accept"}


async def _csrf(browser: Browser, url: str) -> str:
    page = await browser.http.get(url)
    found = forms(page.text)
    return found[0].fields.get("csrf", "") if found else ""


@pytest.fixture(scope="module")
async def pages(services: Services, client: httpx.AsyncClient) -> AsyncIterator[Pages]:
    world = await make_world(client, services, "fuzzpages")
    cookies: dict[str, dict[str, str]] = {"anonymous": {}}
    csrf: dict[str, str] = {}
    for name, user in (("plain", world.plain), ("admin", world.admin)):
        async with Browser(services) as browser:
            await browser.go(f"/{world.tid}/login", credentials=(user, PASSWORD))
            cookies[name] = dict(browser.http.cookies)
            if name == "admin":
                csrf["adminconsent"] = await _csrf(browser, world.consent_url(state="s-1"))
                csrf["login"] = await _csrf(browser, f"/{world.tid}/login")
                cookies["admin"] = dict(browser.http.cookies)
    p = Pages(services, Tables(services), world, build_app(services), cookies, csrf)
    async with Browser(services) as browser:
        browser.http.cookies.update(cookies["admin"])
        flow = urlencode(p.valid("authorize"))
        csrf["consent"] = await _csrf(browser, f"/{world.tid}/oauth2/v2.0/authorize?{flow}")
    assert all(csrf.values()), csrf
    yield p
    p.tables.close()


NAMES = ("login", "passwd", "csrf", "return_to", "client_id", "redirect_uri", "state",
         "scope", "action", "for_org", "response_type", "response_mode", "nonce", "prompt",
         "max_age", "login_hint", "code_challenge", "code_challenge_method",
         "post_logout_redirect_uri", "id_token_hint")
ODD_VALUES = (st.text(max_size=40) | st.sampled_from([
    "accept", "cancel", "yes", "code", "token", "id_token code", "form_post", "fragment",
    "none", "login", "consent", "-1", "0", "1e9", "javascript:alert(1)",
    "https://evil.example/", "//evil.example", "\u202egnp.exe", "a\x00b"]))


def mostly(usual: st.SearchStrategy[Any], odd: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``usual`` four times in five."""
    return st.integers(0, 4).flatmap(lambda i: odd if i == 0 else usual)


@st.composite
def parameters(draw: st.DrawFn, p: Pages, page: str) -> list[tuple[str, str]]:
    """The page's valid parameters, some replaced, dropped or repeated, plus random ones."""
    pairs = []
    for name, value in p.valid(page).items():
        choice = draw(mostly(st.just("keep"), st.sampled_from(["drop", "odd", "twice"])))
        if choice == "drop":
            continue
        pairs.append((name, draw(ODD_VALUES) if choice == "odd" else value))
        if choice == "twice":
            pairs.append((name, draw(st.just(value) | ODD_VALUES)))
    pairs += draw(mostly(st.just([]), st.lists(
        st.tuples(st.sampled_from(NAMES) | st.text(max_size=8), ODD_VALUES), max_size=3)))
    return list(draw(st.permutations(pairs)))


def _path(p: Pages, page: str, version: int) -> str:
    v2 = version == 2
    return {"login": f"/{p.world.tid}/login",
            "adminconsent": f"/{p.world.tid}{'/v2.0' if v2 else ''}/adminconsent",
            "authorize": f"/{p.world.tid}/oauth2{'/v2.0' if v2 else ''}/authorize",
            "consent": f"/{p.world.tid}/oauth2{'/v2.0' if v2 else ''}/authorize/consent",
            }[page]


@st.composite
def requests(draw: st.DrawFn, p: Pages, page: str) -> dict[str, Any]:
    """One request to ``page``: GET with a query or POST with a form (or odd bytes)."""
    pairs = draw(parameters(p, page))
    encoded = urlencode(pairs, quote_via=quote)
    path = _path(p, page, draw(st.sampled_from([1, 2])))
    method = "POST" if page == "consent" else draw(st.sampled_from(["GET", "POST"]))
    who = draw(mostly(st.just("admin"), st.sampled_from(["anonymous", "plain"])))
    cookie = "; ".join(f"{k}={v}" for k, v in p.cookies[who].items())
    headers = {"cookie": cookie} if cookie else {}
    if method == "GET":
        return {"method": method, "url": f"{path}?{encoded}", "headers": raw_headers(headers)}
    body = draw(mostly(st.just(encoded.encode()), st.binary(max_size=200)))
    headers["content-type"] = draw(mostly(st.just(FORM), st.sampled_from(
        ["application/json", "multipart/form-data; boundary=x", "text/plain"])
        | st.text(max_size=20)))
    return {"method": method, "url": path, "content": body, "headers": raw_headers(headers)}


async def check_page_call(p: Pages, request: dict[str, Any]) -> None:
    before = await p.tables.read()
    n = next(_addresses)  # an address per request: throttling by address stays out of it
    address = f"10.77.{n // 250 % 250}.{n % 250}"
    transport = httpx.ASGITransport(app=p.app, client=(address, 50000))
    async with httpx.AsyncClient(transport=transport,
                                 base_url=p.services.settings.base_url) as http:
        response = await http.request(**request)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert await p.tables.read() == before, response.text


def _fuzzer(examples: int) -> Callable[..., Awaitable[None]]:
    @fuzz_settings(examples)
    @given(data=st.data())
    async def run(pages: Pages, page: str, data: st.DataObject) -> None:
        await check_page_call(pages, data.draw(requests(pages, page)))
    return run


PARAMS = pytest.mark.parametrize("page", PAGES)
test_pages = PARAMS(_fuzzer(FAST))
test_pages_at_length = pytest.mark.slow(PARAMS(_fuzzer(SLOW)))
