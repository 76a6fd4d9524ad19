"""The authorization_code and refresh_token pipelines on SQLite, without HTTP.

Codes are written straight to the flow store as the authorization endpoint would; the
clock and token ids are injected. Refusals that must not write are checked table by table;
the two that must write (a replayed code or refresh token revokes its family) are checked
by what they revoke.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from credo.aadsts.grant import (
    CODE_REDEEMED,
    EXPIRED_GRANT,
    GRANT_REVOKED,
    PUBLIC_WITH_CREDENTIAL,
    VERIFIER_MISMATCH,
)
from credo.aadsts.user import USER_DISABLED
from credo.errors import OAuthError
from credo.model import AuthorizationCode, RedirectKind
from credo.protocol.pkce import s256
from credo.service.user_tokens import CODE_PURPOSE, REFRESH_PURPOSE, new_secret
from credo.store.sql_users import SqlUserStore

from .token_world import BASE, SECRET, SPA, T0, T0_DT, WEB, TokenWorld, open_world

pytestmark = pytest.mark.asyncio(loop_scope="session")
VERIFIER = "v" * 43


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TokenWorld]:
    opened = await open_world(tmp_path_factory.mktemp("token-user-grants"))
    yield opened
    await opened.store.close()


@pytest.fixture(autouse=True)
def at_t0(world: TokenWorld) -> None:
    world.clock.now = T0


async def new_code(world: TokenWorld, kind: RedirectKind = "web") -> str:
    """A code for ``pat`` and the web client, as the authorization endpoint stores it."""
    value = new_secret()
    api = world.daemon.api.identifier_uris[0]
    await world.flows.add_code(AuthorizationCode(
        code_hash=world.user_tokens.hash(CODE_PURPOSE, value), tenant_id=world.daemon.tenant.id,
        client_id=world.client.app_id, redirect_uri=WEB if kind == "web" else SPA,
        redirect_kind=kind, user_id=world.user.id,
        scope=f"{api}/Mail.Read openid offline_access", resource=api,
        code_challenge=s256(VERIFIER), nonce="n-1", auth_time=T0_DT - timedelta(minutes=1),
        session_id="sid-1", family_id=str(uuid.uuid4()), version=2, created=T0_DT,
        expires=T0_DT + timedelta(seconds=600)))
    return value


def code_form(world: TokenWorld, code: str, **changes: str) -> dict[str, str]:
    form = {"grant_type": "authorization_code", "client_id": world.client.app_id,
            "client_secret": SECRET, "code": code, "redirect_uri": WEB,
            "code_verifier": VERIFIER, **changes}
    return {k: v for k, v in form.items() if v}


def refresh_form(world: TokenWorld, token: str) -> dict[str, str]:
    return {"grant_type": "refresh_token", "client_id": world.client.app_id,
            "client_secret": SECRET, "refresh_token": token}


async def stored(world: TokenWorld, purpose: str, value: str) -> Any:
    digest = world.user_tokens.hash(purpose, value)
    if purpose == CODE_PURPOSE:
        return await world.flows.authorization_code(digest)
    return await world.flows.refresh_token(digest)


async def test_a_code_is_redeemed_once_for_its_tokens(world: TokenWorld) -> None:
    code = await new_code(world)
    correlation = str(uuid.uuid4())
    body = await world.token(code_form(world, code), correlation=correlation)
    api, tid = world.daemon.api.identifier_uris[0], world.daemon.tenant.id
    assert list(body) == ["token_type", "scope", "expires_in", "ext_expires_in",
                          "access_token", "refresh_token", "id_token"]
    assert body["scope"] == f"{api}/Mail.Read openid offline_access"
    access = world.claims(body["access_token"])
    assert (access["aud"], access["iss"], access["scp"], access["oid"], access["appidacr"]) == (
        api, f"{BASE}/{tid}/", "Mail.Read", world.user.id, "1")
    assert (access["iat"], access["exp"]) == (T0 - 300, T0 + 3600)
    id_token = world.claims(body["id_token"])
    assert (id_token["aud"], id_token["nonce"], id_token["sid"]) == (
        world.client.app_id, "n-1", "sid-1")
    assert {access["uti"], id_token["uti"]} == set(world.ids.made[-2:])
    assert (await stored(world, CODE_PURPOSE, code)).used == T0_DT
    refresh = await stored(world, REFRESH_PURPOSE, body["refresh_token"])
    assert (refresh.public, refresh.created, refresh.expires) == (
        False, T0_DT, T0_DT + timedelta(days=90))
    [event] = await world.events(correlation)
    assert (event.kind, event.outcome, event.client_id) == (
        "token.authorization_code", "success", world.client.app_id)


async def test_a_replayed_code_revokes_what_it_issued(world: TokenWorld) -> None:
    code = await new_code(world)
    first = await world.token(code_form(world, code))
    with pytest.raises(OAuthError) as info:
        await world.token(code_form(world, code))
    assert info.value.code == CODE_REDEEMED.code
    assert (await stored(world, REFRESH_PURPOSE, first["refresh_token"])).revoked == T0_DT
    await world.refused(refresh_form(world, first["refresh_token"]), GRANT_REVOKED)


async def test_refusals_before_redemption_write_nothing(world: TokenWorld) -> None:
    code = await new_code(world)
    await world.refused(code_form(world, code, code_verifier="w" * 43), VERIFIER_MISMATCH)
    world.clock.now = T0 + 600
    await world.refused(code_form(world, code), EXPIRED_GRANT)
    assert (await stored(world, CODE_PURPOSE, code)).used is None


async def test_a_public_client_redeems_with_pkce_and_no_secret(world: TokenWorld) -> None:
    code = await new_code(world, "spa")
    await world.refused(code_form(world, code, redirect_uri=SPA), PUBLIC_WITH_CREDENTIAL)
    body = await world.token(code_form(world, code, redirect_uri=SPA, client_secret=""))
    assert world.claims(body["access_token"])["appidacr"] == "0"
    assert (await stored(world, REFRESH_PURPOSE, body["refresh_token"])).public


async def test_refresh_rotates_and_a_reused_token_revokes_the_family(world: TokenWorld) -> None:
    first = (await world.token(code_form(world, await new_code(world))))["refresh_token"]
    world.clock.now = T0 + 60
    correlation = str(uuid.uuid4())
    body = await world.token(refresh_form(world, first), correlation=correlation)
    second = body["refresh_token"]
    assert second != first and "id_token" in body
    assert (await stored(world, REFRESH_PURPOSE, first)).used == T0_DT + timedelta(seconds=60)
    [event] = await world.events(correlation)
    assert (event.kind, event.outcome) == ("token.refresh_token", "success")
    with pytest.raises(OAuthError) as info:
        await world.token(refresh_form(world, first))
    assert info.value.code == GRANT_REVOKED.code
    await world.refused(refresh_form(world, second), GRANT_REVOKED)


async def test_a_disabled_user_gets_no_refresh(world: TokenWorld) -> None:
    token = (await world.token(code_form(world, await new_code(world))))["refresh_token"]
    users = SqlUserStore(world.store._db)
    await users.update_user(replace(world.user, account_enabled=False))
    try:
        await world.refused(refresh_form(world, token), USER_DISABLED)
    finally:
        await users.update_user(world.user)
    assert "refresh_token" in await world.token(refresh_form(world, token))
