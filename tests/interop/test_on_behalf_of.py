"""On-behalf-of with MSAL against ``credo serve``: a user signs in to a web app for the
Orders API (the middle tier), which exchanges that token with MSAL's
``acquire_token_on_behalf_of`` for one to the Mail API, within the consent an administrator
gave the Orders API for everyone. The downstream token is checked with PyJWT against the
discovered keys, as the Mail API would; a token for another audience is refused (AADSTS50013).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msal
import pytest

from live import LiveServer

from .delegated import WEB, DelegatedWorld, SignInBrowser, build

pytestmark = pytest.mark.slow


@dataclass
class World:
    base: DelegatedWorld
    orders_uri: str
    orders_id: str
    orders_secret: str


@pytest.fixture(scope="module")
def world(live_server: LiveServer) -> Iterator[World]:
    base = build(live_server)
    api, domain = base.api, base.domain
    orders_uri = f"api://orders-{uuid.uuid4().hex[:6]}"
    orders = api.call("POST", "/applications", tenant=domain, body={
        "displayName": "Orders API", "identifierUris": [orders_uri],
        "api": {"requestedAccessTokenVersion": 2, "oauth2PermissionScopes": [{
            "id": str(uuid.uuid4()), "value": "access_as_user", "type": "User",
            "isEnabled": True, "adminConsentDisplayName": "Use Orders",
            "adminConsentDescription": "Use Orders", "userConsentDisplayName": "Use Orders",
            "userConsentDescription": "Use Orders"}]}})
    secret = api.call("POST", f"/applications/{orders['id']}/addPassword", tenant=domain,
                      body={})["secretText"]
    sps = {a: api.call("GET", f"/servicePrincipals(appId='{a}')", tenant=domain)["id"]
           for a in (orders["appId"], base.mail_app_id)}
    api.call("POST", "/oauth2PermissionGrants", tenant=domain, body={
        "clientId": sps[orders["appId"]], "consentType": "AllPrincipals",
        "resourceId": sps[base.mail_app_id], "scope": "Mail.Read"})
    yield World(base, orders_uri, orders["appId"], secret)
    api.close()


def _user_token_for_orders(world: World, server: LiveServer) -> str:
    """The web app signs pat in for the Orders API (pat consents on Credo's page)."""
    base = world.base
    app = msal.ConfidentialClientApplication(base.client_id, client_credential=base.secret,
                                             authority=base.authority, instance_discovery=False)
    flow = app.initiate_auth_code_flow([f"{world.orders_uri}/access_as_user"], redirect_uri=WEB,
                                       response_mode="form_post")
    browser = SignInBrowser(server)
    try:
        _, auth_response = browser.authorize(flow["auth_uri"], login=base.upn)
    finally:
        browser.close()
    result = app.acquire_token_by_auth_code_flow(flow, auth_response)
    assert "access_token" in result, result
    return str(result["access_token"])


def _middle_tier(world: World) -> msal.ConfidentialClientApplication:
    return msal.ConfidentialClientApplication(
        world.orders_id, client_credential=world.orders_secret,
        authority=world.base.authority, instance_discovery=False)


def test_msal_acquire_token_on_behalf_of(world: World, live_server: LiveServer,
                                         trust_ca: Path) -> None:
    user_token = _user_token_for_orders(world, live_server)
    assert world.base.validate(user_token, world.orders_id)["scp"] == "access_as_user"
    middle = _middle_tier(world)
    scope = f"{world.base.mail_uri}/Mail.Read"
    result: dict[str, Any] = middle.acquire_token_on_behalf_of(user_token, [scope])
    assert "access_token" in result, result
    claims = world.base.validate(result["access_token"], world.base.mail_app_id)
    assert (claims["azp"], claims["scp"], claims["oid"], claims["idtyp"]) == (
        world.orders_id, "Mail.Read", world.base.user_id, "user")
    # MSAL asks for offline_access, openid and profile beside the scope: a refresh token and an
    # ID token for the middle tier come back; its cache now holds pat's account.
    assert "refresh_token" in result and result["id_token_claims"]["aud"] == world.orders_id
    [account] = middle.get_accounts()
    assert account["username"] == world.base.upn


def test_a_token_for_another_api_is_refused(world: World, live_server: LiveServer,
                                            trust_ca: Path) -> None:
    """The web app's token for the Mail API itself is not the Orders API's to exchange."""
    base = world.base
    app = msal.ConfidentialClientApplication(base.client_id, client_credential=base.secret,
                                             authority=base.authority, instance_discovery=False)
    flow = app.initiate_auth_code_flow([f"{base.mail_uri}/Mail.Read"], redirect_uri=WEB,
                                       response_mode="form_post")
    browser = SignInBrowser(live_server)
    try:
        _, auth_response = browser.authorize(flow["auth_uri"], login=base.upn)
    finally:
        browser.close()
    mail_token = app.acquire_token_by_auth_code_flow(flow, auth_response)["access_token"]
    result = _middle_tier(world).acquire_token_on_behalf_of(
        mail_token, [f"{base.mail_uri}/Mail.Read"])
    assert (result.get("error"), result.get("error_codes")) == ("invalid_grant", [50013])
    assert "Assertion audience does not match the Client app" in result["error_description"]
