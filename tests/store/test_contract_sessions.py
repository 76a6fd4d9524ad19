"""The store contract for browser sessions and familiar sign-in addresses (both backends)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from credo.errors import ObjectNotFound
from credo.model import BrowserSession, ObjectId, User
from credo.store.sql import SqlStore

from .samples import T0, guid, tenant


async def _user(store: SqlStore) -> User:
    home = tenant()
    await store.add_tenant(home)
    user = User(ObjectId(guid()), home.id, f"u@{home.domains[0]}", "U", True, (), T0, T0)
    await store.users.add_user(user, "$argon2id$hash")
    return user


def _session(user: User, *, hours: float = 12) -> BrowserSession:
    return BrowserSession(guid().replace("-", ""), user.tenant_id, user.id, T0, T0,
                          T0 + timedelta(hours=hours))


async def test_sessions_round_trip_touch_end_and_purge(store: SqlStore) -> None:
    user = await _user(store)
    sessions = store.sessions
    live, short, other = _session(user), _session(user, hours=1), _session(user)
    for token_hash, session in (("a" * 64, live), ("b" * 64, short), ("c" * 64, other)):
        await sessions.add_session(token_hash, session)
    assert await sessions.session("a" * 64) == live  # microseconds survive
    assert await sessions.session("d" * 64) is None
    seen = T0 + timedelta(minutes=7)
    await sessions.touch_session("a" * 64, seen)
    assert (await sessions.session("a" * 64)).last_seen == seen  # type: ignore[union-attr]
    assert await sessions.purge_sessions(T0 + timedelta(hours=2)) == 1
    assert await sessions.session("b" * 64) is None
    await sessions.end_session("c" * 64)
    assert await sessions.session("c" * 64) is None
    assert await sessions.session("a" * 64) is not None


async def test_a_users_sessions_end_together_and_go_with_the_user(store: SqlStore) -> None:
    alice, bob = await _user(store), await _user(store)
    await store.sessions.add_session("a" * 64, _session(alice))
    await store.sessions.add_session("b" * 64, _session(alice))
    await store.sessions.add_session("c" * 64, _session(bob))
    await store.sessions.end_user_sessions(alice.id)
    assert [await store.sessions.session(h * 64) is None for h in "abc"] == [True, True, False]
    await store.users.delete_user(bob.id)
    assert await store.sessions.session("c" * 64) is None
    with pytest.raises(ObjectNotFound):
        await store.sessions.add_session("d" * 64, _session(bob))


async def test_familiar_addresses_are_per_user_and_expire(store: SqlStore) -> None:
    alice, bob = await _user(store), await _user(store)
    familiar = store.users
    await familiar.remember_address(alice.id, "h" * 64, 1000.0, 0.0)
    await familiar.remember_address(alice.id, "h" * 64, 2000.0, 0.0)  # seen again
    assert await familiar.is_familiar(alice.id, "h" * 64, 1500.0)
    assert not await familiar.is_familiar(alice.id, "h" * 64, 2500.0)
    assert not await familiar.is_familiar(bob.id, "h" * 64, 0.0)
    assert not await familiar.is_familiar(alice.id, "o" * 64, 0.0)
    await familiar.remember_address(ObjectId(guid()), "h" * 64, 3000.0, 0.0)  # no such user
    await store.users.delete_user(alice.id)
    assert not await familiar.is_familiar(alice.id, "h" * 64, 0.0)
