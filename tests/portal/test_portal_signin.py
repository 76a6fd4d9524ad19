"""The portal as a client of Credo: code flow with PKCE, tokens on the server, sign-out.

The browser never holds a token (only the session cookie and the flow cookie); the tokens
are sealed in ``portal_tokens`` under the session's key and go when the session ends; a
callback whose ``state`` another browser made, or that was changed, stores nothing; an
expiring access token is refreshed with the rotating refresh token.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlsplit

import pytest
import sqlalchemy as sa

from browser import Browser, forms
from credo.service.portal import PortalSignIn, PortalSignInFailed, Session
from credo.service.runtime import Services
from credo.service.sessions import session_key
from credo.service.sources import Sources
from credo.store.tables import portal_tokens
from credo.web.session import SESSION_COOKIE
from support import claims_of

from .conftest import PASSWORD, Org, signed_in


async def _rows(services: Services) -> list[sa.Row[tuple[str, bytes]]]:
    async with services.store._db.read() as conn:
        found = await conn.execute(sa.select(portal_tokens.c.session_hash,
                                             portal_tokens.c.sealed))
        return list(found)


def _session(browser: Browser, org: Org, user_id: str) -> Session:
    return Session(browser.cookie(SESSION_COOKIE) or "", org.tenant.id, user_id)


async def test_sign_in_runs_the_code_flow_and_keeps_tokens_on_the_server(
        services: Services, org: Org) -> None:
    browser = await signed_in(services, org, org.admin)
    urls = [str(r.url) for r in browser.history]
    authorize = next(u for u in urls if "/oauth2/v2.0/authorize" in u)
    query = dict(parse_qsl(urlsplit(authorize).query))
    assert query["client_id"] == "c4ed0000-0000-4000-8000-000000000002"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["redirect_uri"] == f"{services.settings.base_url}/portal/callback"
    assert query["scope"] == "api://credo/.default offline_access"
    assert any(u.startswith(f"{services.settings.base_url}/portal/callback?code=") for u in urls)
    # The browser holds cookies only: no token in any cookie or page it received.
    assert set(browser.http.cookies.keys()) == {SESSION_COOKIE, "__Host-credo-portal-flow"}
    assert not any("eyJ" in (r.text + r.headers.get("location", "")) for r in browser.history
                   if "/portal/callback" not in str(r.url))
    key = session_key(browser.cookie(SESSION_COOKIE) or "")
    row = next(r for r in await _rows(services) if r.session_hash == key)
    assert b"eyJ" not in row.sealed and row.sealed[:1] == b"\x01"  # sealed, not JSON
    await browser.close()


async def test_the_token_is_the_users_delegated_token_for_the_management_api(
        services: Services, org: Org) -> None:
    browser = await signed_in(services, org, org.member)
    user = await services.accounts.users.by_upn(org.tenant, org.member)
    assert user is not None
    token = await services.portal.access_token(_session(browser, org, user.id),
                                               correlation="t", address="10.0.0.1")
    assert token is not None
    claims = claims_of(token)
    assert (claims["idtyp"], claims["oid"], claims["tid"], claims["azp"]) == (
        "user", user.id, org.tenant.id, "c4ed0000-0000-4000-8000-000000000002")
    assert set(claims["scp"].split()) >= {"Directory.Read.All", "Application.ReadWrite.All"}
    caller = await services.management.auth.authenticate(token, time.time())
    assert caller.permissions == frozenset({"Directory.Read.All"})  # scp ∩ her roles
    await browser.close()


async def test_a_callback_in_another_browser_stores_nothing(services: Services,
                                                            org: Org) -> None:
    async with Browser(services) as first, Browser(services) as second:
        started = await first.http.get(org.home)
        landing = await second.go(started.headers["location"], credentials=(org.admin, PASSWORD))
        # The second browser signed in, but the state was made for the first one's flow.
        assert str(landing.response.url).startswith(
            f"{services.settings.base_url}/portal/callback?code=")
        assert landing.response.status_code == 400
        assert "started in another browser window" in landing.page
        key = session_key(second.cookie(SESSION_COOKIE) or "")
        assert key not in {r.session_hash for r in await _rows(services)}


async def test_an_error_text_shows_only_for_this_browsers_own_sign_in(
        services: Services, org: Org) -> None:
    """Found by an attacker's probe: a link to the callback with any ``error_description``
    showed that text on Credo's origin (a phishing message)."""
    phish = "Your account is locked. Re-enter your password at https://evil.example/"
    async with Browser(services) as browser:
        started = await browser.http.get(org.home)
        state = dict(parse_qsl(urlsplit(started.headers["location"]).query))["state"]
        for given in ("", "forged", state):
            page = await browser.http.get("/portal/callback", params={
                "error": "access_denied", "error_description": phish, "state": given})
            assert page.status_code == 400
            shown = phish if given == state else ("The sign-in was not completed. Open the "
                                                  "portal again.")
            assert shown in page.text and (given == state or "evil.example" not in page.text)


def test_state_is_bound_to_the_flow_and_to_its_values(services: Services) -> None:
    portal = services.portal
    url = portal.authorize_url("tid", "flow-secret", "/portal/tid/apps")
    state = dict(parse_qsl(urlsplit(url).query))["state"]
    assert portal.read_state(state, "flow-secret") == ("tid", "/portal/tid/apps")
    payload, _, mac = state.partition(".")
    other = portal.authorize_url("tid", "flow-secret", "/portal/tid/users")
    other_payload = dict(parse_qsl(urlsplit(other).query))["state"].partition(".")[0]
    flipped = mac[:-1] + ("B" if mac.endswith("A") else "A")
    for forged, flow in ((state, "another-flow"), (state, ""),
                         (f"{other_payload}.{mac}", "flow-secret"),
                         (f"{payload}.{flipped}", "flow-secret"), (payload, "flow-secret")):
        with pytest.raises(PortalSignInFailed):
            portal.read_state(forged, flow)


async def test_an_expiring_token_is_refreshed_once(services: Services, org: Org) -> None:
    browser = await signed_in(services, org, org.admin)
    user = await services.accounts.users.by_upn(org.tenant, org.admin)
    assert user is not None
    session = _session(browser, org, user.id)
    first = await services.portal.access_token(session, correlation="t", address="x")
    later = PortalSignIn(base_url=services.settings.base_url, tokens=services.tokens,
                         store=services.store.portal, sessions=services.accounts.sessions,
                         sources=Sources(clock=lambda: time.time() + 3550))
    refreshed = await later.access_token(session, correlation="t", address="x")
    assert refreshed is not None and refreshed != first
    assert await services.portal.access_token(session, correlation="t", address="x") == refreshed
    page = await browser.get(org.home + "apps")
    assert page.status_code == 200
    await browser.close()


async def test_sign_out_ends_the_session_and_forgets_the_tokens(services: Services,
                                                                org: Org) -> None:
    browser = await signed_in(services, org, org.admin)
    cookie = browser.cookie(SESSION_COOKIE) or ""
    home = await browser.get(org.home)
    (signout,) = [f for f in forms(home.text) if f.action == "/portal/signout"]
    refused = await browser.http.post("/portal/signout", data={"csrf": "forged"})
    assert refused.status_code == 400 and await services.accounts.sessions.open(cookie)
    done = await browser.http.post("/portal/signout", data=signout.fields)
    assert done.status_code == 303 and done.headers["location"] == "/portal/?signedout=1"
    assert await services.accounts.sessions.open(cookie) is None
    assert session_key(cookie) not in {r.session_hash for r in await _rows(services)}
    picker = await browser.get("/portal/?signedout=1")
    assert "You signed out." in picker.text
    again = await browser.http.get(org.home)
    assert again.status_code == 303 and "/oauth2/v2.0/authorize?" in again.headers["location"]
    await browser.close()


async def test_the_tenant_picker(services: Services, org: Org) -> None:
    async with Browser(services) as browser:
        unknown = await browser.get("/portal/?tenant=nowhere.example")
        assert unknown.status_code == 400
        assert 'aria-invalid="true"' in unknown.text and "AADSTS90002" in unknown.text
        found = await browser.http.get(f"/portal/?tenant={org.tenant.default_domain}")
        assert found.headers["location"] == org.home
    browser = await signed_in(services, org, org.member)
    mine = await browser.http.get("/portal/")
    assert mine.headers["location"] == org.home
    await browser.close()
