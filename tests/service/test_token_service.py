"""The token service on SQLite, without HTTP: the steps every grant shares, client
credentials, strict replay, and the audit event of every request.

The clock and the token ids are injected (``token_world.py``); every refusal leaves every
table but the audit log unchanged and records exactly one failure event.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from credo.aadsts import Aadsts
from credo.aadsts.client import (
    CLIENT_NOT_FOUND,
    INVALID_SECRET,
    NO_CREDENTIAL,
    REPLAYED,
    TIME_RANGE,
)
from credo.aadsts.grant import NOT_ASSIGNED, UNSUPPORTED_GRANT
from credo.aadsts.request import TWO_METHODS
from credo.aadsts.service import TENANT_NOT_FOUND, TRANSIENT
from credo.errors import StoreUnavailable
from credo.protocol.client_auth import JWT_BEARER
from credo.service.grants import GrantCall
from credo.service.token import TokenService

from .token_world import BASE, SECRET, T0, T0_DT, TokenWorld, assertion_form, open_world

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture(scope="module")
async def world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TokenWorld]:
    opened = await open_world(tmp_path_factory.mktemp("token-service"))
    yield opened
    await opened.store.close()


@pytest.fixture(autouse=True)
def at_t0(world: TokenWorld) -> None:
    world.clock.now = T0


def secret_form(world: TokenWorld, **changes: str) -> dict[str, str]:
    form = {"grant_type": "client_credentials", "client_id": world.daemon.app.app_id,
            "client_secret": SECRET, "scope": f"{world.daemon.api.identifier_uris[0]}/.default"}
    return {k: v for k, v in {**form, **changes}.items() if v}


async def test_client_credentials_with_a_secret(world: TokenWorld) -> None:
    before = await world.rows()
    correlation = str(uuid.uuid4())
    body = await world.token(secret_form(world), correlation=correlation)
    assert list(body) == ["token_type", "expires_in", "ext_expires_in", "access_token"]
    claims = world.claims(body["access_token"])
    daemon, tid = world.daemon, world.daemon.tenant.id
    assert (claims["aud"], claims["iss"], claims["appid"], claims["appidacr"]) == (
        daemon.api.identifier_uris[0], f"{BASE}/{tid}/", daemon.app.app_id, "1")
    assert (claims["iat"], claims["nbf"], claims["exp"]) == (T0 - 300, T0 - 300, T0 + 3600)
    assert (claims["roles"], claims["oid"], claims["uti"]) == (
        ["Mail.Read"], daemon.sp.id, world.ids.made[-1])
    assert await world.rows() == before  # client credentials writes nothing
    [event] = await world.events(correlation)
    assert (event.time, event.tenant_id, event.kind, event.outcome, event.client_id,
            event.code, event.detail) == (T0_DT, tid, "token.client_credentials", "success",
                                          daemon.app.app_id, 0, "")


async def test_strict_certificate_v2_token_and_single_use(world: TokenWorld) -> None:
    strict, tid = world.strict, world.strict.tenant.id
    form = assertion_form(strict, T0)
    before = await world.rows()
    body = await world.token(form, tenant=tid)
    claims = world.claims(body["access_token"])
    assert (claims["aud"], claims["iss"], claims["azp"], claims["azpacr"], claims["ver"]) == (
        strict.api.app_id, f"{BASE}/{tid}/v2.0", strict.app.app_id, "2", "2.0")
    after = await world.rows()
    [record] = set(after["replay"]) - set(before["replay"])
    assert record[1:] == (T0 + 300 + 60,)  # kept until exp plus the profile's exp_skew
    del before["replay"], after["replay"]
    assert after == before
    err, event = await world.refused(form, REPLAYED, tenant=tid)
    assert "replayed jti" in err.detail and event.tenant_id == tid


async def test_times_are_read_from_the_injected_clock(world: TokenWorld) -> None:
    form = assertion_form(world.daemon, T0)  # exp = T0 + 300; entra tolerates 300 s more
    world.clock.now = T0 + 599  # RFC 7519 §4.1.4: valid while now < exp (+ leeway)
    body = await world.token(form)
    assert world.claims(body["access_token"])["exp"] == T0 + 599 + 3600
    world.clock.now = T0 + 600
    await world.refused(assertion_form(world.daemon, T0), TIME_RANGE)


REFUSALS: dict[str, tuple[dict[str, str], dict[str, Any], Aadsts]] = {
    "unknown-tenant": ({}, {"tenant": "nowhere.example"}, TENANT_NOT_FOUND),
    "unsupported-grant": ({"grant_type": "password"}, {}, UNSUPPORTED_GRANT),
    "two-methods": ({"client_assertion": "a.b.c", "client_assertion_type": JWT_BEARER}, {},
                    TWO_METHODS),
    "no-credential": ({"client_secret": ""}, {}, NO_CREDENTIAL),
    "unknown-client": ({"client_id": "00000000-0000-4000-8000-000000000001"}, {},
                       CLIENT_NOT_FOUND),
    "wrong-secret": ({"client_secret": SECRET[::-1]}, {}, INVALID_SECRET),
}


@pytest.mark.parametrize("name", list(REFUSALS))
async def test_refusals_record_one_failure_and_write_nothing(world: TokenWorld,
                                                             name: str) -> None:
    changes, kw, entry = REFUSALS[name]
    _, event = await world.refused(secret_form(world, **changes), entry, **kw)
    assert event.kind == "token.client_credentials"
    assert event.tenant_id == ("" if name == "unknown-tenant" else world.daemon.tenant.id)


async def test_a_client_without_assignment_is_refused(world: TokenWorld) -> None:
    form = secret_form(world, client_id=world.client.app_id)
    _, event = await world.refused(form, NOT_ASSIGNED)
    assert event.client_id == world.client.app_id


async def test_replay_store_down_fails_closed(world: TokenWorld) -> None:
    class Down:
        async def add_if_absent(self, key: str, expires_at: float) -> bool:
            raise StoreUnavailable("connection refused")

    world.tokens, kept = TokenService(base_url=BASE, cache=world.cache, replay=Down(),
                                      audit=world.audit, secret_hasher=world.hasher,
                                      grants=world.grants, clock=world.clock), world.tokens
    try:
        err, _ = await world.refused(assertion_form(world.strict, T0), TRANSIENT,
                                     tenant=world.strict.tenant.id)
    finally:
        world.tokens = kept
    assert err.http_status == 503 and "replay store unavailable" in err.detail


class Echo:
    """A grant registered under a new wire name: it gets every shared step for free."""

    public_clients = True

    def __init__(self) -> None:
        self.calls: list[GrantCall] = []

    async def issue(self, call: GrantCall) -> dict[str, Any]:
        self.calls.append(call)
        return {"echo": call.request.grant_type}


async def test_a_new_grant_runs_after_the_shared_steps(world: TokenWorld) -> None:
    echo = Echo()
    name = "urn:example:echo"
    world.tokens, kept = TokenService(base_url=BASE, cache=world.cache, replay=world.store,
                                      audit=world.audit, secret_hasher=world.hasher,
                                      grants={**world.grants, name: echo},
                                      clock=world.clock), world.tokens
    try:
        correlation = str(uuid.uuid4())
        assert await world.token(secret_form(world, grant_type=name),
                                 correlation=correlation) == {"echo": name}
        assert await world.token({"grant_type": name, "client_id": world.client.app_id},
                                 version=1) == {"echo": name}
        await world.refused(secret_form(world, grant_type=name, client_secret=SECRET[::-1]),
                            INVALID_SECRET)
    finally:
        world.tokens = kept
    confidential, public = echo.calls
    assert confidential.client is not None and confidential.client.method == "client_secret_post"
    assert (confidential.snapshot.application, confidential.version, confidential.now) == (
        world.daemon.app, 2, T0)
    assert (public.client, public.snapshot.application, public.version) == (
        None, world.client, 1)
    [event] = await world.events(correlation)
    assert (event.kind, event.outcome) == (f"token.{name}", "success")
