"""Authorization code + PKCE through the HTTP surface: sign-in, consent, code, tokens, refresh.

A browser (its own cookies, forms parsed with ``html.parser``, CSRF tokens included) drives
the authorize endpoint and Credo's sign-in and consent pages; the app's side redeems the
code at the token endpoint. RFC 6749 §4.1, §6, §10.5; RFC 7636; OIDC Core §3.1.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from browser import Browser, authorize_url
from credo.protocol.metadata import issuer_v2
from credo.service.runtime import Services
from support import claims_of

from .delegated_world import (
    NATIVE,
    PASSWORD,
    WEB,
    World,
    build_world,
    new_user,
    redeem,
    refresh,
    verify,
)

VERIFIER = "A" * 20 + "-._~" + "b" * 30
SCOPE = "openid profile offline_access"


@pytest.fixture(scope="module")
async def world(client: httpx.AsyncClient, services: Services) -> World:
    return await build_world(client, services)


async def _code(browser: Browser, world: World, *, scope: str, consent: bool | None = None,
                redirect_uri: str = WEB, **extra: str) -> tuple[str, dict[str, str]]:
    """Sign in and authorize; accept the consent page when shown (``consent`` says whether
    it must be shown, ``None``: either way)."""
    url = authorize_url(world.tid, world.client_id, redirect_uri, verifier=VERIFIER,
                        scope=scope, **extra)
    landing = await browser.go(url, credentials=(world.user.user_principal_name, PASSWORD))
    prompted = not landing.url and "Permissions requested" in landing.page
    assert consent is None or prompted == consent, landing.page
    if prompted:
        assert "Let the app use" in landing.page
        landing = await browser.consent(landing)
    assert landing.url.startswith(redirect_uri), landing
    return landing.params["code"], landing.params


async def test_code_flow_with_pkce_consent_id_token_and_refresh(
        world: World, browser: Browser, client: httpx.AsyncClient, services: Services) -> None:
    code, params = await _code(browser, world, scope=f"{world.mail_uri}/Mail.Read {SCOPE}",
                               client_info="1")
    assert set(params) == {"code", "state", "session_state"}
    response = await redeem(client, world, code, verifier=VERIFIER, client_info="1")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"].startswith("no-store")
    body = response.json()
    assert set(body) == {"token_type", "scope", "expires_in", "ext_expires_in", "access_token",
                         "refresh_token", "id_token", "client_info"}
    assert body["scope"] == f"{world.mail_uri}/Mail.Read openid profile offline_access"
    assert body["expires_in"] == 3599

    issuer = issuer_v2(services.settings.base_url, world.tid)
    id_claims = verify(services, body["id_token"], audience=world.client_id, issuer=issuer)
    assert id_claims["oid"] == world.user.id and id_claims["tid"] == world.tid
    assert id_claims["sub"] != world.user.id and len(id_claims["sub"]) == 43
    assert (id_claims["preferred_username"], id_claims["name"], id_claims["ver"]) == (
        world.user.user_principal_name, world.user.display_name, "2.0")
    assert isinstance(id_claims["auth_time"], int) and "nonce" in id_claims

    access = verify(services, body["access_token"], audience=world.mail["appId"],
                    issuer=issuer)
    assert (access["scp"], access["idtyp"], access["azp"], access["azpacr"], access["oid"],
            access["sub"], access["ver"]) == ("Mail.Read", "user", world.client_id, "1",
                                              world.user.id, id_claims["sub"], "2.0")
    assert "roles" not in access

    # Rotation: every refresh returns a new refresh token and retires the presented one.
    first = body["refresh_token"]
    again = await refresh(client, world, first)
    assert again.status_code == 200, again.text
    second = again.json()["refresh_token"]
    assert second != first and "id_token" in again.json()
    # Reuse of the retired token revokes the whole family, the newest token included.
    reused = await refresh(client, world, first)
    assert (reused.status_code, reused.json()["error"], reused.json()["error_codes"]) == (
        400, "invalid_grant", [50173])
    after = await refresh(client, world, second)
    assert after.json()["error_codes"] == [50173]


async def test_second_sign_in_needs_no_consent_and_scp_is_only_what_was_consented(
        world: World, browser: Browser, client: httpx.AsyncClient) -> None:
    await _code(browser, world, scope=f"{world.mail_uri}/Mail.Read {SCOPE}")
    code, _ = await _code(browser, world, scope=f"{world.mail_uri}/Mail.Read openid",
                          consent=False)
    body = (await redeem(client, world, code, verifier=VERIFIER)).json()
    assert "refresh_token" not in body  # no offline_access asked
    # A new scope needs consent again; the consent page lists only that one.
    landing = await browser.go(authorize_url(world.tid, world.client_id, WEB,
                                             verifier=VERIFIER,
                                             scope=f"{world.mail_uri}/Mail.Send openid"))
    assert "Mail.Send" in landing.page and "Mail.Read" not in landing.page


async def test_code_replay_is_refused_and_revokes_its_refresh_tokens(
        world: World, browser: Browser, client: httpx.AsyncClient) -> None:
    code, _ = await _code(browser, world, scope=f"{world.mail_uri}/Mail.Read {SCOPE}")
    first = await redeem(client, world, code, verifier=VERIFIER)
    assert first.status_code == 200, first.text
    replay = await redeem(client, world, code, verifier=VERIFIER)
    body = replay.json()
    assert (replay.status_code, body["error"], body["error_codes"]) == (
        400, "invalid_grant", [54005])
    assert body["error_description"].startswith(
        "AADSTS54005: OAuth2 Authorization code was already redeemed")
    refused = await refresh(client, world, first.json()["refresh_token"])
    assert refused.json()["error_codes"] == [50173]


@pytest.mark.parametrize(("change", "code"), [
    ({"verifier": "B" * 43}, 501481), ({"verifier": ""}, 501481),
    ({"redirect_uri": WEB + "/"}, 500117), ({"secret": False}, 7000218)],
    ids=["verifier-mismatch", "verifier-missing", "redirect-uri", "no-client-secret"])
async def test_a_failed_redemption_leaves_the_code_usable(
        world: World, browser: Browser, client: httpx.AsyncClient, change: dict[str, Any],
        code: int) -> None:
    value, _ = await _code(browser, world, scope=f"{world.mail_uri}/Mail.Read openid")
    bad = await redeem(client, world, value, **{"verifier": VERIFIER, **change})
    assert bad.json()["error_codes"] == [code], bad.text
    good = await redeem(client, world, value, verifier=VERIFIER)
    assert good.status_code == 200, good.text


async def test_public_client_with_pkce_and_no_secret(
        world: World, browser: Browser, client: httpx.AsyncClient, services: Services) -> None:
    code, _ = await _code(browser, world, scope=f"{world.mail_uri}/Mail.Read {SCOPE}",
                          redirect_uri=NATIVE)
    with_secret = await redeem(client, world, code, verifier=VERIFIER, redirect_uri=NATIVE)
    assert with_secret.json()["error_codes"] == [700025]
    response = await redeem(client, world, code, verifier=VERIFIER, redirect_uri=NATIVE,
                            secret=False)
    assert response.status_code == 200, response.text
    body = response.json()
    access = verify(services, body["access_token"], audience=world.mail["appId"],
                    issuer=issuer_v2(services.settings.base_url, world.tid))
    assert access["azpacr"] == "0"
    assert (await refresh(client, world, body["refresh_token"])).json()["error_codes"] == [
        700025]
    assert (await refresh(client, world, body["refresh_token"], secret=False)).status_code == 200


async def test_public_redirect_without_pkce_is_an_error_at_the_redirect(
        world: World, browser: Browser) -> None:
    url = authorize_url(world.tid, world.client_id, NATIVE, scope="openid", state="st-1")
    landing = await browser.go(url)
    assert landing.url.startswith(NATIVE + "?")
    assert (landing.params["error"], landing.params["state"]) == ("invalid_request", "st-1")
    assert landing.params["error_description"].startswith("AADSTS9002325:")


async def test_consent_revoked_stops_refresh(world: World, browser: Browser,
                                             client: httpx.AsyncClient,
                                             services: Services) -> None:
    other = await browser.go(authorize_url(world.tid, world.client_id, WEB, verifier=VERIFIER,
                                           scope=f"{world.files_uri}/Files.Read {SCOPE}"),
                             credentials=(world.cloud_admin.user_principal_name, PASSWORD))
    landing = await browser.consent(other)
    body = (await redeem(client, world, landing.params["code"], verifier=VERIFIER)).json()
    assert body["scope"] == f"{world.files_uri}/Files.Read openid profile offline_access"
    access = claims_of(body["access_token"])  # the Files API asks for v1 tokens
    assert (access["aud"], access["ver"], access["upn"], access["appidacr"], access["scp"]) == (
        world.files_uri, "1.0", world.cloud_admin.user_principal_name, "1", "Files.Read")
    grants = await services.delegated.store.delegated_grants(world.tenant.id)
    mine = [g for g in grants if g.principal_id == world.cloud_admin.id]
    for grant in mine:
        await services.delegated.store.delete_delegated_grant(grant.id)
    refused = await refresh(client, world, body["refresh_token"])
    assert (refused.json()["error"], refused.json()["error_codes"]) == ("invalid_grant",
                                                                        [65001])


async def test_disabled_user_and_password_change_stop_refresh(
        world: World, client: httpx.AsyncClient, services: Services) -> None:
    tokens = []
    for name in ("dana", "eli"):
        user = await new_user(services, world.tenant, name)
        url = authorize_url(world.tid, world.client_id, WEB, verifier=VERIFIER,
                            scope=f"{world.mail_uri}/Mail.Read {SCOPE}")
        async with Browser(services) as b:
            landing = await b.go(url, credentials=(user.user_principal_name, PASSWORD))
            landing = await b.consent(landing) if not landing.url else landing
        body = (await redeem(client, world, landing.params["code"], verifier=VERIFIER)).json()
        tokens.append((user, body["refresh_token"]))
    (dana, dana_rt), (eli, eli_rt) = tokens
    # Disabling a user and changing a password revoke the user's refresh-token families.
    await services.accounts.users.update(world.tenant, dana, account_enabled=False)
    assert (await refresh(client, world, dana_rt)).json()["error_codes"] == [50173]
    await services.accounts.users.set_password(eli, PASSWORD + "-new")
    assert (await refresh(client, world, eli_rt)).json()["error_codes"] == [50173]
