"""The store contract for the delegated flows: consent grants, single-use codes, refresh-token
families with rotation, reuse detection and revocation (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from credo.errors import ObjectConflict, ObjectNotFound
from credo.model import (
    AppId,
    AuthorizationCode,
    DelegatedGrant,
    ObjectId,
    RefreshToken,
    Tenant,
    TenantId,
    User,
)
from credo.store.sql import SqlStore
from credo.store.sql_flows import SqlFlowStore
from credo.store.sql_users import SqlUserStore

from .samples import application, guid, service_principal, tenant

# Live times: creating a code purges what expired before the real clock.
T0 = datetime.now(UTC).replace(microsecond=123456)


async def _world(store: SqlStore) -> tuple[Tenant, User, ObjectId, ObjectId]:
    home = tenant("flows.example")
    await store.add_tenant(home)
    client, api = application(home), application(home)
    for app in (client, api):
        await store.save_application(app)
    client_sp, api_sp = service_principal(client, home), service_principal(api, home)
    for sp in (client_sp, api_sp):
        await store.save_service_principal(sp)
    alice = User(ObjectId(guid()), home.id, "alice@flows.example", "Alice")
    await SqlUserStore(store._db).add_user(alice, "$argon2id$x")
    return home, alice, client_sp.id, api_sp.id


def code(tenant_id: TenantId, user: ObjectId, **changes: object) -> AuthorizationCode:
    value = AuthorizationCode(
        code_hash=guid().replace("-", ""), tenant_id=tenant_id, client_id=AppId(guid()),
        redirect_uri="https://app.example/cb", redirect_kind="spa", user_id=user,
        scope="api://x/A openid offline_access", resource="api://x", code_challenge="c" * 43,
        nonce="n", auth_time=T0, session_id="sid", family_id=guid(), version=1, created=T0,
        expires=T0 + timedelta(minutes=10))
    return dataclasses.replace(value, **changes)  # type: ignore[arg-type]


def refresh(c: AuthorizationCode, **changes: object) -> RefreshToken:
    value = RefreshToken(
        token_hash=guid().replace("-", ""), family_id=c.family_id, tenant_id=c.tenant_id,
        client_id=c.client_id, user_id=c.user_id, scope=c.scope, public=True,
        auth_time=T0, session_id="sid", created=T0, expires=T0 + timedelta(days=90))
    return dataclasses.replace(value, **changes)  # type: ignore[arg-type]


async def test_delegated_grants(store: SqlStore) -> None:
    home, alice, client_sp, api_sp = await _world(store)
    flows = SqlFlowStore(store._db)
    version = await store.version()
    everyone = DelegatedGrant(guid(), home.id, client_sp, "AllPrincipals", None, api_sp,
                              "A B", T0)
    mine = DelegatedGrant(guid(), home.id, client_sp, "Principal", alice.id, api_sp, "C",
                          T0 + timedelta(seconds=1))
    for g in (everyone, mine):
        await flows.save_delegated_grant(g)
    assert await flows.delegated_grants(home.id) == [everyone, mine]
    assert await flows.delegated_grants(home.id, client_id=client_sp, resource_id=api_sp) == [
        everyone, mine]
    assert await flows.delegated_grants(home.id, resource_id=ObjectId(guid())) == []
    assert await flows.delegated_grant(mine.id) == mine
    assert await store.version() == version  # consent is read fresh, never cached

    await flows.save_delegated_grant(dataclasses.replace(mine, scope="C D"))
    assert (await flows.delegated_grant(mine.id)).scope == "C D"  # type: ignore[union-attr]
    with pytest.raises(ObjectConflict):
        await flows.save_delegated_grant(dataclasses.replace(everyone, id=guid()))
    with pytest.raises(ObjectConflict):
        await flows.save_delegated_grant(dataclasses.replace(mine, id=guid()))
    with pytest.raises(ObjectNotFound):
        await flows.save_delegated_grant(dataclasses.replace(mine, id=guid(),
                                                             principal_id=ObjectId(guid())))
    await flows.delete_delegated_grant(everyone.id)
    assert await flows.delegated_grants(home.id) == [dataclasses.replace(mine, scope="C D")]
    await SqlUserStore(store._db).delete_user(alice.id)  # a user's grants go with them
    assert await flows.delegated_grants(home.id) == []


async def test_code_is_single_use_and_a_replay_revokes_its_family(store: SqlStore) -> None:
    home, alice, _, _ = await _world(store)
    flows = SqlFlowStore(store._db)
    issued = code(home.id, alice.id)
    await flows.add_code(issued)
    assert await flows.authorization_code(issued.code_hash) == issued
    assert await flows.authorization_code("unknown") is None
    assert await flows.redeem_code("unknown", T0) is False

    assert await flows.redeem_code(issued.code_hash, T0) is True
    assert (await flows.authorization_code(issued.code_hash)).used == T0  # type: ignore[union-attr]
    first = refresh(issued)
    assert await flows.issue_refresh_token(first, retire=None, now=T0) is True
    assert await flows.refresh_token(first.token_hash) == first

    assert await flows.redeem_code(issued.code_hash, T0) is False  # replay
    revoked = await flows.refresh_token(first.token_hash)
    assert revoked is not None and revoked.revoked == T0
    assert await flows.issue_refresh_token(refresh(issued), retire=None, now=T0) is False


async def test_concurrent_redemptions_exactly_one_wins(store: SqlStore) -> None:
    home, alice, _, _ = await _world(store)
    flows = SqlFlowStore(store._db)
    issued = code(home.id, alice.id)
    await flows.add_code(issued)
    results = await asyncio.gather(*(flows.redeem_code(issued.code_hash, T0)
                                     for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]


async def test_rotation_and_reuse_detection(store: SqlStore) -> None:
    home, alice, _, _ = await _world(store)
    flows = SqlFlowStore(store._db)
    issued = code(home.id, alice.id)
    await flows.add_code(issued)
    assert await flows.redeem_code(issued.code_hash, T0)
    first = refresh(issued)
    await flows.issue_refresh_token(first, retire=None, now=T0)
    later = T0 + timedelta(hours=1)
    second = refresh(issued, created=later)
    assert await flows.issue_refresh_token(second, retire=first.token_hash, now=later)
    assert (await flows.refresh_token(first.token_hash)).used == later  # type: ignore[union-attr]
    assert await flows.refresh_token(second.token_hash) == second

    # The retired token again: nothing issued, and the whole family revoked.
    assert not await flows.issue_refresh_token(refresh(issued), retire=first.token_hash,
                                               now=later)
    assert (await flows.refresh_token(second.token_hash)).revoked == later  # type: ignore[union-attr]


async def test_revocation_by_family_and_by_user(store: SqlStore) -> None:
    home, alice, _, _ = await _world(store)
    flows = SqlFlowStore(store._db)
    tokens = []
    for _ in range(2):
        issued = code(home.id, alice.id)
        await flows.add_code(issued)
        await flows.redeem_code(issued.code_hash, T0)
        token = refresh(issued)
        await flows.issue_refresh_token(token, retire=None, now=T0)
        tokens.append(token)
    await flows.revoke_family(tokens[0].family_id, T0)
    assert (await flows.refresh_token(tokens[0].token_hash)).revoked == T0  # type: ignore[union-attr]
    assert (await flows.refresh_token(tokens[1].token_hash)).revoked is None  # type: ignore[union-attr]
    await flows.revoke_user_tokens(alice.id, T0 + timedelta(seconds=1))
    assert (await flows.refresh_token(tokens[1].token_hash)).revoked is not None  # type: ignore[union-attr]


async def test_expired_codes_and_families_are_purged(store: SqlStore) -> None:
    home, alice, _, _ = await _world(store)
    live = code(home.id, alice.id)
    flows = SqlFlowStore(store._db)
    await flows.add_code(live)
    await flows.redeem_code(live.code_hash, T0)
    old = refresh(live, expires=T0 - timedelta(days=1))
    await flows.issue_refresh_token(old, retire=None, now=T0)  # the family now expires then
    stale = code(home.id, alice.id, expires=T0 - timedelta(seconds=1))
    await SqlFlowStore(store._db).add_code(stale)  # a new store purges on its first code
    assert await flows.authorization_code(stale.code_hash) is None
    assert await flows.refresh_token(old.token_hash) is None
    assert await flows.authorization_code(live.code_hash) is not None
