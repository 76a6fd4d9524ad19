"""The on-behalf-of pipeline on SQLite: a middle-tier API (secret) exchanges ``pat``'s token
for one to the Mail API, within the consent pat gave the middle tier; refusals write
nothing but the audit event."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from credo.aadsts.grant import GRANT_REVOKED, OBO_AUDIENCE, OBO_EXPIRED, OBO_NOT_USER, OBO_SIGNATURE
from credo.aadsts.user import NOT_CONSENTED_GRANT, USER_DISABLED
from credo.model import (
    AppId,
    Application,
    DelegatedGrant,
    ObjectId,
    PermissionScope,
    ServicePrincipal,
    User,
)
from credo.protocol.grants.on_behalf_of import GRANT_TYPE
from credo.protocol.user_tokens import DelegatedAccess
from credo.service.user_tokens import REFRESH_PURPOSE

from .token_world import BASE, SECRET, T0, T0_DT, TokenWorld, _secret, open_world

pytestmark = pytest.mark.asyncio(loop_scope="session")
MIDDLE_URI = "api://middle.contoso.example"


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TokenWorld]:
    opened = await open_world(tmp_path_factory.mktemp("obo"))
    yield opened
    await opened.store.close()


@pytest.fixture(scope="module")
async def middle(world: TokenWorld) -> Application:
    """The middle-tier API: offers ``access_as_user``, holds pat's consent to Mail.Read."""
    tenant = world.daemon.tenant
    app = Application(ObjectId(str(uuid.uuid4())), AppId(str(uuid.uuid4())), tenant.id,
                      "Middle API", identifier_uris=(MIDDLE_URI,),
                      oauth2_permission_scopes=(PermissionScope(str(uuid.uuid4()),
                                                                "access_as_user"),),
                      password_credentials=(_secret(world.hasher),))
    await world.store.save_application(app)
    sp = ServicePrincipal(ObjectId(str(uuid.uuid4())), app.app_id, tenant.id, app.display_name)
    await world.store.save_service_principal(sp)
    api_sp = await world.store.service_principal_for(tenant.id, world.daemon.api.app_id)
    assert api_sp is not None
    await world.flows.save_delegated_grant(DelegatedGrant(
        str(uuid.uuid4()), tenant.id, sp.id, "Principal", world.user.id, api_sp.id,
        "Mail.Read"))
    world.cache.invalidate()
    return app


@pytest.fixture(autouse=True)
def at_t0(world: TokenWorld) -> None:
    world.clock.now = T0


def user_token(world: TokenWorld, middle: Application, *, audience: str | None = None,
               user: Any = None, now: float = T0) -> str:
    """What the user's client (the world's web client) got for the middle tier."""
    subject = world.user_tokens.subject(user or world.user, world.client.app_id, T0 - 60,
                                        "sid-1")
    access = DelegatedAccess(audience or middle.app_id, 2, ("access_as_user",), (), MIDDLE_URI)
    return world.user_tokens.mint_access(access, subject, world.client.app_id, "1", now)


def obo(middle: Application, assertion: str, **changes: str) -> dict[str, str]:
    api = "api://mail.contoso.example"
    form = {"grant_type": GRANT_TYPE, "requested_token_use": "on_behalf_of",
            "client_id": middle.app_id, "client_secret": SECRET, "assertion": assertion,
            "scope": f"{api}/Mail.Read offline_access openid", **changes}
    return {k: v for k, v in form.items() if v}


async def test_the_user_s_token_becomes_one_for_the_downstream_api(
        world: TokenWorld, middle: Application) -> None:
    correlation = str(uuid.uuid4())
    body = await world.token(obo(middle, user_token(world, middle)), correlation=correlation)
    assert list(body) == ["token_type", "scope", "expires_in", "ext_expires_in",
                          "access_token", "refresh_token", "id_token"]
    assert body["scope"] == "api://mail.contoso.example/Mail.Read openid offline_access"
    access = world.claims(body["access_token"])
    tid = world.daemon.tenant.id
    assert (access["aud"], access["iss"], access["appid"], access["appidacr"], access["scp"],
            access["oid"], access["idtyp"], access["sid"]) == (
        "api://mail.contoso.example", f"{BASE}/{tid}/", middle.app_id, "1", "Mail.Read",
        world.user.id, "user", "sid-1")
    assert access["sub"] == world.user_tokens.subject(world.user, middle.app_id, 0, "").sub
    assert world.claims(body["id_token"])["aud"] == middle.app_id
    refresh = await world.flows.refresh_token(
        world.user_tokens.hash(REFRESH_PURPOSE, body["refresh_token"]))
    assert refresh is not None and (refresh.client_id, refresh.user_id, refresh.public) == (
        middle.app_id, world.user.id, False)
    [event] = await world.events(correlation)
    assert (event.kind, event.outcome, event.user_id, event.resource_id) == (
        f"token.{GRANT_TYPE}", "success", world.user.id, world.daemon.api.app_id)


async def test_only_what_the_user_consented_for_the_middle_tier(
        world: TokenWorld, middle: Application) -> None:
    """pat consented Mail.Read for the middle tier; sam consented nothing."""
    sam = User(ObjectId(str(uuid.uuid4())), world.daemon.tenant.id, "sam@contoso.example",
               "Sam")
    await world.store.users.add_user(sam, "not a hash: nobody signs in here")
    error, _ = await world.refused(obo(middle, user_token(world, middle, user=sam)),
                                   NOT_CONSENTED_GRANT)
    assert error.description.startswith(
        f"The user or administrator has not consented to use the application with ID "
        f"'{middle.app_id}' named 'Middle API'.")


async def test_tokens_for_another_audience_or_of_an_app_are_refused(
        world: TokenWorld, middle: Application) -> None:
    """A user's token for the Mail API itself, and the middle tier's own app-only token
    (right audience, signed by the deployment, but nobody's user token)."""
    await world.refused(obo(middle, user_token(world, middle, audience=world.daemon.api.app_id)),
                        OBO_AUDIENCE)
    claims = world.claims(user_token(world, middle))
    claims.update(idtyp="app", roles=["Mail.Read"])
    del claims["scp"]
    await world.refused(obo(middle, world.keys.sign(claims, 2)), OBO_NOT_USER)


async def test_expired_forged_and_disabled(world: TokenWorld, middle: Application) -> None:
    token = user_token(world, middle)
    world.clock.now = T0 + 3600 + 301
    await world.refused(obo(middle, token), OBO_EXPIRED)
    world.clock.now = T0
    head, payload, signature = token.split(".")
    tampered = f"{head}.{payload}.{'A' * 8}{signature[8:]}"
    await world.refused(obo(middle, tampered), OBO_SIGNATURE)
    disabled = dataclasses.replace(world.user, account_enabled=False)
    await world.store.users.update_user(disabled)
    try:
        await world.refused(obo(middle, token), USER_DISABLED)
    finally:
        await world.store.users.update_user(world.user)


async def test_a_password_change_after_the_token_ends_it(world: TokenWorld,
                                                         middle: Application) -> None:
    token = user_token(world, middle)
    changed = dataclasses.replace(world.user, password_changed=T0_DT + timedelta(seconds=10))
    await world.store.users.update_user(changed)
    try:
        await world.refused(obo(middle, token), GRANT_REVOKED)
        fresh = user_token(world, middle, now=T0 + 20)
        world.clock.now = T0 + 20
        assert "access_token" in await world.token(obo(middle, fresh))
    finally:
        await world.store.users.update_user(world.user)
