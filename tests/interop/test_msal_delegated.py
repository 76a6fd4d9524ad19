"""MSAL's authorization code flow with PKCE against ``credo serve`` (issue 3, "Delegated flows").

``ConfidentialClientApplication`` and ``PublicClientApplication``:
``initiate_auth_code_flow`` → a browser signs in and consents on Credo's pages →
``acquire_token_by_auth_code_flow``. MSAL checks the ID token's ``nonce`` (and ``state``);
the ID token is also verified with PyJWT, and the access token with PyJWT against the
discovered JWKS, as a resource server would. Negatives: code replay (and the refresh token
issued from it revoked), PKCE verifier mismatch, implicit when not allowed, redirect URI
mismatch (no redirect), and ``state`` that MSAL itself refuses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msal
import pytest

from live import LiveServer

from .delegated import NATIVE, WEB, DelegatedWorld, SignInBrowser, build

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world(live_server: LiveServer) -> Iterator[DelegatedWorld]:
    built = build(live_server)
    yield built
    built.api.close()


@pytest.fixture
def browser(live_server: LiveServer) -> Iterator[SignInBrowser]:
    b = SignInBrowser(live_server)
    yield b
    b.close()


def _confidential(world: DelegatedWorld) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(world.client_id, client_credential=world.secret,
                                              authority=world.authority,
                                              instance_discovery=False)


def _sign_in(world: DelegatedWorld, browser: SignInBrowser, app: Any, redirect_uri: str,
             response_mode: str = "form_post") -> tuple[dict[str, Any], dict[str, str]]:
    flow = app.initiate_auth_code_flow([f"{world.mail_uri}/Mail.Read"],
                                       redirect_uri=redirect_uri, response_mode=response_mode)
    assert "code_challenge=" in flow["auth_uri"]
    assert "code_challenge_method=S256" in flow["auth_uri"]
    response, auth_response = browser.authorize(flow["auth_uri"], login=world.upn)
    assert "code" in auth_response, response.text[:500]
    return flow, auth_response


def _check_tokens(world: DelegatedWorld, result: dict[str, Any], *, acr: str) -> None:
    assert "access_token" in result, result
    assert {"refresh_token", "id_token", "id_token_claims"} <= set(result), result
    id_claims = world.validate(result["id_token"], world.client_id)  # PyJWT, full checks
    assert id_claims == result["id_token_claims"]  # what MSAL decoded (after its nonce check)
    assert (id_claims["oid"], id_claims["tid"], id_claims["preferred_username"]) == (
        world.user_id, world.tenant_id, world.upn)
    assert id_claims["sub"] != world.user_id
    access = world.validate(result["access_token"], world.mail_app_id)
    assert (access["scp"], access["idtyp"], access["azp"], access["azpacr"], access["oid"],
            access["ver"]) == ("Mail.Read", "user", world.client_id, acr, world.user_id, "2.0")


@pytest.mark.filterwarnings("ignore:response_mode='form_post' is recommended")
@pytest.mark.parametrize("response_mode", ["form_post", "query"])
def test_confidential_client_auth_code_flow(world: DelegatedWorld, browser: SignInBrowser,
                                            trust_ca: Path, response_mode: str) -> None:
    app = _confidential(world)
    flow, auth_response = _sign_in(world, browser, app, WEB, response_mode)
    result = app.acquire_token_by_auth_code_flow(flow, auth_response)
    _check_tokens(world, result, acr="1")
    (account,) = app.get_accounts()
    assert account["username"] == world.upn
    assert account["home_account_id"] == f"{world.user_id}.{world.tenant_id}"  # client_info
    scopes = [f"{world.mail_uri}/Mail.Read"]
    cached = app.acquire_token_silent(scopes, account=account)
    assert cached is not None and cached["access_token"] == result["access_token"]
    for _ in range(2):  # refresh twice: MSAL keeps the rotated refresh token each time
        fresh = app.acquire_token_silent(scopes, account=account, force_refresh=True)
        assert fresh is not None and "access_token" in fresh, fresh
        world.validate(fresh["access_token"], world.mail_app_id)


def test_public_client_with_pkce(world: DelegatedWorld, browser: SignInBrowser,
                                 trust_ca: Path) -> None:
    app = msal.PublicClientApplication(world.client_id, authority=world.authority,
                                       instance_discovery=False)
    flow, auth_response = _sign_in(world, browser, app, NATIVE)
    result = app.acquire_token_by_auth_code_flow(flow, auth_response)
    _check_tokens(world, result, acr="0")


def test_code_replay_is_refused_and_revokes_the_refresh_token(
        world: DelegatedWorld, browser: SignInBrowser, trust_ca: Path) -> None:
    app = _confidential(world)
    flow, auth_response = _sign_in(world, browser, app, WEB)
    verifier = flow["code_verifier"]
    assert "access_token" in app.acquire_token_by_auth_code_flow(dict(flow), auth_response)
    replay = httpx.post(world.discovery["token_endpoint"], verify=world.server.ssl_context(),
                        data={"grant_type": "authorization_code", "client_id": world.client_id,
                              "client_secret": world.secret, "code": auth_response["code"],
                              "redirect_uri": WEB, "code_verifier": verifier})
    assert (replay.status_code, replay.json()["error"], replay.json()["error_codes"]) == (
        400, "invalid_grant", [54005])
    (account,) = app.get_accounts()
    refused = app.acquire_token_silent_with_error([f"{world.mail_uri}/Mail.Read"],
                                                  account=account, force_refresh=True)
    assert refused is not None and refused.get("error") == "invalid_grant", refused
    assert 50173 in refused["error_codes"]


def test_pkce_verifier_mismatch(world: DelegatedWorld, browser: SignInBrowser,
                                trust_ca: Path) -> None:
    app = _confidential(world)
    flow, auth_response = _sign_in(world, browser, app, WEB)
    flow["code_verifier"] = "x" * 43
    result = app.acquire_token_by_auth_code_flow(flow, auth_response)
    assert (result.get("error"), result.get("error_codes")) == ("invalid_grant", [501481])


def test_state_is_checked_by_msal(world: DelegatedWorld, browser: SignInBrowser,
                                  trust_ca: Path) -> None:
    app = _confidential(world)
    flow, auth_response = _sign_in(world, browser, app, WEB)
    with pytest.raises(ValueError, match="state"):
        app.acquire_token_by_auth_code_flow(flow, {**auth_response, "state": "forged"})
    with pytest.raises(ValueError, match="state"):
        app.acquire_token_by_auth_code_flow(flow, {"code": auth_response["code"]})


def test_implicit_not_allowed_and_redirect_mismatch(world: DelegatedWorld,
                                                    browser: SignInBrowser,
                                                    trust_ca: Path) -> None:
    app = _confidential(world)
    flow = app.initiate_auth_code_flow([f"{world.mail_uri}/Mail.Read"], redirect_uri=WEB,
                                       response_mode="form_post")
    implicit = flow["auth_uri"].replace("response_type=code", "response_type=token").replace(
        "response_mode=form_post", "response_mode=fragment")
    response, params = browser.authorize(implicit, login=world.upn)
    assert response.headers["location"].startswith(WEB + "#")
    assert params["error"] == "unsupported_response_type"
    assert params["error_description"].startswith("AADSTS700051:")
    assert params["state"] == flow["state"]

    wrong = app.initiate_auth_code_flow([f"{world.mail_uri}/Mail.Read"],
                                        redirect_uri="https://evil.example/callback",
                                        response_mode="form_post")
    response, params = browser.authorize(wrong["auth_uri"], login=world.upn)
    assert (response.status_code, params) == (400, {})
    assert "location" not in response.headers and "AADSTS50011" in response.text
