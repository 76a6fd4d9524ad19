"""The authorize endpoint's refusals: which become an error page (never a redirect) and which
go back to the app with ``state`` (RFC 6749 §4.1.2.1, §4.2.2.1; OIDC Core §3.1.2.6)."""

from __future__ import annotations

import httpx
import pytest

from browser import Browser, authorize_url, forms
from credo.protocol.id_token import half_hash
from credo.service.management.policy import PORTAL_APP_ID
from credo.service.runtime import Services
from support import claims_of, directory_rows

from .delegated_world import IMPLICIT, PASSWORD, WEB, World, build_world

VERIFIER = "v" * 43


@pytest.fixture(scope="module")
async def world(client: httpx.AsyncClient, services: Services) -> World:
    return await build_world(client, services)


def _page_error(response: httpx.Response, code: int) -> None:
    assert "location" not in response.headers, response.headers
    assert response.status_code == 400 and response.headers["content-type"].startswith(
        "text/html")
    assert f"{code}" in response.text


@pytest.mark.parametrize(("redirect_uri", "code"), [
    ("https://evil.example/callback", 50011), (WEB + "/", 50011),
    ("https://APP.example/callback", 50011), ("", 900144)],
    ids=["foreign", "trailing-slash", "case", "missing"])
async def test_redirect_uri_mismatch_never_redirects(world: World, client: httpx.AsyncClient,
                                                     redirect_uri: str, code: int) -> None:
    url = authorize_url(world.tid, world.client_id, redirect_uri, verifier=VERIFIER,
                        scope="openid")
    for method in ("GET", "POST"):
        if method == "GET":
            response = await client.get(url)
        else:
            path, _, query = url.partition("?")
            response = await client.post(path, content=query, headers={
                "content-type": "application/x-www-form-urlencoded"})
        _page_error(response, code)


@pytest.mark.parametrize(("client_id", "tenant", "code"), [
    ("00000000-0000-4000-8000-000000000000", None, 700016), ("nope", None, 700038),
    (None, "unknown.example", 90002), (None, "common", 9001023)],
    ids=["unknown-client", "not-a-guid", "unknown-tenant", "alias"])
async def test_unknown_client_or_tenant_is_an_error_page(
        world: World, client: httpx.AsyncClient, client_id: str | None, tenant: str | None,
        code: int) -> None:
    url = authorize_url(tenant or world.tid, client_id or world.client_id, WEB,
                        verifier=VERIFIER, scope="openid")
    _page_error(await client.get(url), code)


async def test_repeated_parameter_is_an_error_page(world: World,
                                                   client: httpx.AsyncClient) -> None:
    url = authorize_url(world.tid, world.client_id, WEB, scope="openid") + "&state=again"
    _page_error(await client.get(url), 90100)


@pytest.mark.parametrize(("response_type", "code"), [
    ("token", 700051), ("id_token token", 700051), ("id_token", 700054)])
async def test_implicit_not_enabled_goes_back_in_the_fragment(
        world: World, browser: Browser, response_type: str, code: int) -> None:
    url = authorize_url(world.tid, world.client_id, WEB, scope="openid",
                        response_type=response_type, state="s-1")
    landing = await browser.go(url)
    assert landing.url.startswith(WEB + "#"), landing.url
    assert (landing.params["error"], landing.params["state"]) == (
        "unsupported_response_type", "s-1")
    assert landing.params["error_description"].startswith(f"AADSTS{code}:")
    if code == 700051:
        assert "response_type 'token' is not enabled for the application" in \
            landing.params["error_description"]


async def test_state_is_optional_and_echoed_only_when_sent(world: World,
                                                           browser: Browser) -> None:
    url = authorize_url(world.tid, world.client_id, WEB, scope="User.Read openid", state="")
    landing = await browser.go(url)
    assert landing.params["error"] == "invalid_scope" and "state" not in landing.params


async def test_prompt_none(world: World, browser: Browser) -> None:
    url = authorize_url(world.tid, world.client_id, WEB, verifier=VERIFIER, prompt="none",
                        scope=f"{world.mail_uri}/Mail.Send openid")
    assert (await browser.go(url)).params["error"] == "login_required"
    signed = await browser.go(url.replace("prompt=none", "prompt=login"),
                              credentials=(world.user.user_principal_name, PASSWORD))
    assert "Permissions requested" in signed.page  # signed in now; consent still missing
    landing = await browser.go(url)
    assert (landing.params["error"], landing.params["error_description"][:13]) == (
        "consent_required", "AADSTS65001: ")


async def test_cancel_and_forged_consent(world: World, browser: Browser,
                                         services: Services) -> None:
    url = authorize_url(world.tid, world.client_id, WEB, verifier=VERIFIER, state="s-9",
                        scope=f"{world.mail_uri}/Mail.Send openid")
    page = await browser.go(url, credentials=(world.user.user_principal_name, PASSWORD))
    before = await directory_rows(services)
    forged = await browser.consent(page, csrf="x" * 43)
    assert forged.response.status_code == 400 and not forged.url
    (form,) = forms(page.page)
    tampered = await browser.go(form.action, method="POST", data={
        **form.fields, "scope": f"{world.mail_uri}/Mail.ReadAll openid", "action": "accept"})
    assert tampered.response.status_code == 400 and not tampered.url
    assert await directory_rows(services) == before  # nothing was consented
    canceled = await browser.consent(page, "cancel")
    assert (canceled.params["error"], canceled.params["state"]) == ("access_denied", "s-9")
    assert canceled.params["error_description"].startswith("AADSTS65004:")


async def test_admin_scope_needs_an_admin(world: World, services: Services) -> None:
    url = authorize_url(world.tid, world.client_id, WEB, verifier=VERIFIER, state="s-2",
                        scope=f"{world.mail_uri}/Mail.ReadAll openid")
    async with Browser(services) as user, Browser(services) as admin:
        landing = await user.go(url, credentials=(world.user.user_principal_name, PASSWORD))
        assert (landing.params["error"], landing.params["state"]) == ("consent_required", "s-2")
        assert landing.params["error_description"].startswith("AADSTS90094:")

        page = await admin.go(url,
                              credentials=(world.cloud_admin.user_principal_name, PASSWORD))
        assert "Consent on behalf of your organization" in page.page and "(admin consent)" in \
            page.page
        granted = await admin.consent(page, for_org=True)
        assert "code" in granted.params
        portal = await services.directory.service_principal(world.tenant, PORTAL_APP_ID)
        grants = await services.delegated.store.delegated_grants(world.tenant.id)
        assert [(g.consent_type, g.scope) for g in grants
                if g.consent_type == "AllPrincipals" and g.client_id != portal.id] == [
            ("AllPrincipals", "Mail.ReadAll")]
        # Now the plain user gets the admin scope without any prompt.
        landing = await user.go(url)
        assert "code" in landing.params, landing


async def test_implicit_when_enabled_and_form_post(world: World, browser: Browser,
                                                   services: Services) -> None:
    app_id = world.implicit["appId"]
    url = authorize_url(world.tid, app_id, IMPLICIT, response_type="id_token token",
                        scope="openid profile", nonce="n-42", state="s-3")
    landing = await browser.go(url, credentials=(world.user.user_principal_name, PASSWORD))
    landing = await browser.consent(landing) if not landing.url else landing
    assert landing.url.startswith(IMPLICIT + "#"), landing
    assert {"access_token", "token_type", "expires_in", "scope", "id_token", "state",
            "session_state"} <= set(landing.params)
    id_claims = claims_of(landing.params["id_token"])
    assert (id_claims["nonce"], id_claims["at_hash"], id_claims["aud"]) == (
        "n-42", half_hash(landing.params["access_token"]), app_id)
    posted = await browser.go(url + "&response_mode=form_post")
    assert posted.url == IMPLICIT and posted.params["state"] == "s-3"
    csp = posted.response.headers["content-security-policy"]
    assert "script-src 'sha256-" in csp and "document.forms[0].submit();" in posted.page
    assert set(posted.params) >= {"access_token", "id_token", "state"}


async def test_v1_endpoint_with_resource(world: World, browser: Browser,
                                         client: httpx.AsyncClient) -> None:
    url = authorize_url(world.tid, world.client_id, WEB, version=1, verifier=VERIFIER,
                        resource=world.mail_uri, scope="openid")
    landing = await browser.go(url, credentials=(world.user.user_principal_name, PASSWORD))
    landing = await browser.consent(landing) if not landing.url else landing
    assert "code" in landing.params, (landing.url, landing.params)
    response = await client.post(f"/{world.tid}/oauth2/token", data={
        "grant_type": "authorization_code", "client_id": world.client_id,
        "client_secret": world.secret, "code": landing.params["code"], "redirect_uri": WEB,
        "code_verifier": VERIFIER})
    body = response.json()
    assert response.status_code == 200, body
    # v1 means ``.default``: the static Mail.Read plus whatever was consented before.
    assert (body["resource"], body["scope"].split()[0], body["expires_in"]) == (
        world.mail_uri, "Mail.Read", "3599")
    assert {"refresh_token", "id_token", "expires_on", "not_before"} <= set(body)
    # The access token's version follows the resource (v2), the ID token's the endpoint.
    assert (claims_of(body["access_token"])["aud"], claims_of(body["id_token"])["ver"]) == (
        world.mail["appId"], "1.0")
