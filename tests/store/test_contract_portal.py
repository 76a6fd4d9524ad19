"""The store contract for the portal's tokens (both backends): sealed, one row per browser
session, gone with the session however it ends."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from credo.errors import ObjectNotFound
from credo.store.sql import SqlStore
from credo.store.tables import portal_tokens

from .samples import T0
from .test_contract_sessions import _session, _user

PAYLOAD = b'{"access_token": "eyJ.secret.token", "refresh_token": "r"}'


async def _sealed(store: SqlStore, session_hash: str) -> bytes:
    async with store._db.read() as conn:
        row = (await conn.execute(sa.select(portal_tokens.c.sealed)
                                  .where(portal_tokens.c.session_hash == session_hash))).first()
    assert row is not None
    return bytes(row.sealed)


async def test_tokens_are_sealed_replaced_and_forgotten(store: SqlStore) -> None:
    user = await _user(store)
    await store.sessions.add_session("a" * 64, _session(user))
    await store.portal.save_portal_tokens("a" * 64, PAYLOAD, T0)
    assert await store.portal.portal_tokens("a" * 64) == PAYLOAD
    assert b"eyJ" not in await _sealed(store, "a" * 64)
    await store.portal.save_portal_tokens("a" * 64, b"{}", T0 + timedelta(minutes=5))
    assert await store.portal.portal_tokens("a" * 64) == b"{}"
    await store.portal.forget_portal_tokens("a" * 64)
    assert await store.portal.portal_tokens("a" * 64) is None
    assert await store.portal.portal_tokens("b" * 64) is None


async def test_a_blob_moved_to_another_session_does_not_open(store: SqlStore) -> None:
    user = await _user(store)
    for key in ("a", "b"):
        await store.sessions.add_session(key * 64, _session(user))
    await store.portal.save_portal_tokens("a" * 64, PAYLOAD, T0)
    await store.portal.save_portal_tokens("b" * 64, b"{}", T0)
    stolen = await _sealed(store, "a" * 64)

    async def move(conn: object) -> bool:
        await conn.execute(sa.update(portal_tokens)  # type: ignore[attr-defined]
                           .where(portal_tokens.c.session_hash == "b" * 64)
                           .values(sealed=stolen))
        return True

    await store._db.write(move, bump=False)  # type: ignore[arg-type]
    assert await store.portal.portal_tokens("b" * 64) is None


async def test_tokens_go_with_their_session(store: SqlStore) -> None:
    alice, bob = await _user(store), await _user(store)
    for key, user in (("a", alice), ("b", alice), ("c", bob), ("d", bob)):
        await store.sessions.add_session(key * 64, _session(user, hours=1 if key == "d" else 12))
        await store.portal.save_portal_tokens(key * 64, PAYLOAD, T0)
    await store.sessions.end_session("a" * 64)
    await store.sessions.purge_sessions(T0 + timedelta(hours=2))
    assert await store.portal.portal_tokens("a" * 64) is None  # signed out
    assert await store.portal.portal_tokens("d" * 64) is None  # expired, purged
    await store.users.delete_user(alice.id)
    assert await store.portal.portal_tokens("b" * 64) is None  # the user is gone
    assert await store.portal.portal_tokens("c" * 64) == PAYLOAD
    with pytest.raises(ObjectNotFound):
        await store.portal.save_portal_tokens("e" * 64, PAYLOAD, T0)  # no such session
