"""The store contract for users, sign-in throttle counters and the admin-consent write."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from credo.errors import ObjectConflict, ObjectNotFound
from credo.model import ObjectId, TenantId, User
from credo.store.sql import SqlStore
from credo.store.sql_consent import SqlConsentStore
from credo.store.sql_users import SqlUserStore, throttle_key

from .samples import T0, application, assignment, guid, service_principal, tenant


def user(tenant_id: TenantId, upn: str, *roles: str) -> User:
    return User(ObjectId(guid()), tenant_id, upn, f"User {upn}", True,
                roles, T0, T0)  # type: ignore[arg-type]


async def test_user_round_trip_roles_and_conflicts(store: SqlStore) -> None:
    home = tenant("home.example")
    await store.add_tenant(home)
    users = SqlUserStore(store._db)
    alice = user(home.id, "alice@home.example", "Global Administrator",
                 "Application Administrator")
    version = await store.version()
    await users.add_user(alice, "$argon2id$hash")
    assert await users.user(alice.id) == alice
    assert await users.user_by_upn("ALICE@home.example") == alice
    assert await users.password_hash(alice.id) == "$argon2id$hash"
    assert await store.version() == version  # no token snapshot holds a user

    with pytest.raises(ObjectConflict, match="userPrincipalName"):
        await users.add_user(user(home.id, "alice@home.example"), "h")
    with pytest.raises(ObjectNotFound, match="tenant"):
        await users.add_user(user(TenantId(guid()), "bob@home.example"), "h")

    changed = dataclasses.replace(alice, display_name="Alice", account_enabled=False,
                                  directory_roles=("Cloud Application Administrator",))
    await users.update_user(changed)
    assert await users.users(home.id) == [changed]
    await users.set_password_hash(alice.id, "$argon2id$new", T0.replace(year=2026))
    assert await users.password_hash(alice.id) == "$argon2id$new"
    assert (await users.user(alice.id)).password_changed.year == 2026  # type: ignore[union-attr]
    await users.delete_user(alice.id)
    assert await users.user(alice.id) is None
    with pytest.raises(ObjectNotFound):
        await users.update_user(changed)


async def test_throttle_counts_atomically_resets_and_clears(store: SqlStore) -> None:
    users = SqlUserStore(store._db)
    keys = ["user:t:alice@x", "address:10.0.0.1"]
    await asyncio.gather(*(users.add_failure(keys, 1000.0 + i, 600.0) for i in range(10)))
    counts = await users.failure_counts([*keys, "user:t:other"])
    assert {k: v[0] for k, v in counts.items()} == {keys[0]: 10, keys[1]: 10}
    await users.add_failure(keys[:1], 5000.0, 600.0)  # quiet for longer than reset_after
    assert (await users.failure_counts(keys[:1]))[keys[0]] == (1, 5000.0)
    await users.clear_failures(keys[:1])
    assert list(await users.failure_counts(keys)) == [keys[1]]
    assert len(throttle_key(keys[0])) == 64 and "alice" not in throttle_key(keys[0])


async def test_admin_consent_is_one_transaction(store: SqlStore) -> None:
    home, other = tenant(), tenant()
    for t in (home, other):
        await store.add_tenant(t)
    api, client = application(home), application(home)
    for app in (api, client):
        await store.save_application(app)
    api_sp = service_principal(api, other)
    await store.save_service_principal(api_sp)
    client_sp = service_principal(client, other)
    role = api.app_roles[0].id
    grant = assignment(client_sp, api_sp, role)
    writer = SqlConsentStore(store._db)
    version = await store.version()

    broken = dataclasses.replace(grant, id=guid(), resource_id=ObjectId(guid()))
    with pytest.raises(ObjectNotFound):
        await writer.apply_admin_consent(client_sp, [grant, broken])
    assert await store.service_principal(client_sp.id) is None  # nothing written
    assert await store.assignments_of(client_sp.id) == []

    assert await writer.apply_admin_consent(client_sp, [grant]) == [grant]
    assert await store.version() > version
    again = dataclasses.replace(grant, id=guid())
    assert await writer.apply_admin_consent(None, [again]) == []  # held already
    assert await store.assignments_of(client_sp.id) == [grant]
