"""The store contract for the key ring (store/api.py KeyRing), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from credo.errors import ObjectConflict
from credo.model import SigningKey
from credo.store.seal import Sealer
from credo.store.sql import SqlStore, open_store
from credo.store.tables import signing_keys

from .samples import T0, signing_key

NOW = T0 + timedelta(days=30)


async def _ring(store: SqlStore) -> tuple[SigningKey, SigningKey, SigningKey]:
    """active A, next B, and an old retired key R."""
    keys = (signing_key("R", "retired", created=T0 - timedelta(days=90),
                        activated=T0 - timedelta(days=90), retired=T0 - timedelta(days=60)),
            signing_key("A", "active", created=T0 - timedelta(days=60),
                        activated=T0 - timedelta(days=60)),
            signing_key("B", "next", created=T0))
    for key in keys:
        await store.add_signing_key(key)
    return keys


async def test_keys_round_trip_unsealed(store: SqlStore) -> None:
    keys = await _ring(store)
    assert await store.signing_keys() == list(keys)
    assert await store.version() == 3  # key-ring writes move the version: nodes reload keys


async def test_private_keys_are_sealed_at_rest(store: SqlStore, raw: AsyncEngine,
                                               sealer: Sealer) -> None:
    _, active, _ = await _ring(store)
    async with raw.connect() as conn:
        sealed = await conn.scalar(sa.select(signing_keys.c.private_sealed)
                                   .where(signing_keys.c.kid == "A"))
    assert b"PRIVATE KEY" not in sealed and b"AAAA" not in sealed
    assert sealer.unseal(sealed, b"A") == active.private_pem
    with pytest.raises(ValueError, match="failed authentication"):
        sealer.unseal(sealed, b"B")


async def test_keys_sealed_under_another_master_key_do_not_open(
        store: SqlStore, backend_url: str) -> None:
    await _ring(store)
    stranger = await open_store(backend_url, Sealer(Sealer.generate_key()))
    try:
        with pytest.raises(ValueError, match="failed authentication"):
            await stranger.signing_keys()
    finally:
        await stranger.close()


async def test_add_signing_key_conflicts(store: SqlStore) -> None:
    await _ring(store)
    with pytest.raises(ObjectConflict) as caught:
        await store.add_signing_key(signing_key("A", "retired"))
    assert caught.value.description == "signing key A already exists"
    with pytest.raises(ObjectConflict) as caught:
        await store.add_signing_key(signing_key("C", "next"))
    assert caught.value.description == "signing key B is already next"
    with pytest.raises(ObjectConflict) as caught:
        await store.add_signing_key(signing_key("C", "active"))
    assert caught.value.description == "signing key A is already active"
    assert [k.kid for k in await store.signing_keys()] == ["R", "A", "B"]


async def test_rotate_promotes_next_and_retires_active(store: SqlStore) -> None:
    retired, active, upcoming = await _ring(store)
    fresh = signing_key("C", "next", created=NOW)
    assert await store.rotate(expected_active="A", new_next=fresh, now=NOW) is True
    assert await store.version() == 4
    assert await store.signing_keys() == [
        retired,
        dataclasses.replace(active, state="retired", retired=NOW),
        dataclasses.replace(upcoming, state="active", activated=NOW),
        fresh,
    ]


async def test_rotate_with_a_stale_expectation_changes_nothing(store: SqlStore) -> None:
    keys = await _ring(store)
    for expected in ("B", "R", None):
        fresh = signing_key("C", "next", created=NOW)
        assert await store.rotate(expected_active=expected, new_next=fresh, now=NOW) is False
    assert await store.signing_keys() == list(keys)
    assert await store.version() == 3


async def test_rotate_without_next_keeps_the_active_key(store: SqlStore) -> None:
    active = signing_key("A", "active", created=T0, activated=T0)
    await store.add_signing_key(active)
    fresh = signing_key("C", "next", created=NOW)
    assert await store.rotate(expected_active="A", new_next=fresh, now=NOW) is True
    assert await store.signing_keys() == [active, fresh]


async def test_rotate_bootstraps_an_empty_ring(store: SqlStore) -> None:
    first, second = signing_key("X", created=T0), signing_key("Y", created=NOW)
    assert await store.rotate(expected_active=None, new_next=first, now=T0) is True
    assert await store.rotate(expected_active=None, new_next=second, now=NOW) is True
    assert await store.signing_keys() == [
        dataclasses.replace(first, state="active", activated=NOW), second]


async def test_rotate_refuses_bad_new_keys(store: SqlStore) -> None:
    keys = await _ring(store)
    with pytest.raises(ValueError, match="state 'next'"):
        await store.rotate(expected_active="A", new_next=signing_key("C", "active"), now=NOW)
    with pytest.raises(ObjectConflict, match=r"^signing key R already exists$"):
        await store.rotate(expected_active="A", new_next=signing_key("R"), now=NOW)
    assert await store.signing_keys() == list(keys)


async def test_concurrent_rotations_on_two_stores_let_one_win(
        store: SqlStore, backend_url: str, sealer: Sealer) -> None:
    await _ring(store)
    other = await open_store(backend_url, sealer)
    try:
        results = await asyncio.gather(*(
            (store if n % 2 else other).rotate(
                expected_active="A", new_next=signing_key(f"N{n}", created=NOW), now=NOW)
            for n in range(6)))
    finally:
        await other.close()
    assert results.count(True) == 1
    ring = {k.kid: k.state for k in await store.signing_keys()}
    winner = f"N{results.index(True)}"
    assert ring == {"R": "retired", "A": "retired", "B": "active", winner: "next"}


async def test_purge_retired_deletes_only_keys_retired_before(store: SqlStore) -> None:
    _, active, upcoming = await _ring(store)
    recent = signing_key("Q", "retired", created=T0, activated=T0, retired=NOW)
    await store.add_signing_key(recent)
    assert await store.purge_retired(NOW) == 1
    assert await store.signing_keys() == [active, upcoming, recent]  # by created, then kid
    assert await store.purge_retired(NOW) == 0
