"""The store contract for ReplayStore and AuditLog, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from credo.model import AuditEvent
from credo.store.seal import Sealer
from credo.store.sql import SqlStore, open_store
from credo.store.tables import replay

from .samples import T0, guid


async def test_add_if_absent_records_once(store: SqlStore) -> None:
    later = time.time() + 600
    assert await store.add_if_absent("t:c:jti-1", later) is True
    assert await store.add_if_absent("t:c:jti-1", later) is False
    assert await store.add_if_absent("t:c:jti-2", later) is True
    assert await store.version() == 0


async def test_fifty_concurrent_adds_of_one_key_let_exactly_one_win(store: SqlStore) -> None:
    later = time.time() + 600
    results = await asyncio.gather(*(store.add_if_absent("t:c:race", later)
                                     for _ in range(50)))
    assert results.count(True) == 1


async def test_concurrent_adds_across_two_stores_let_exactly_one_win(
        store: SqlStore, backend_url: str, sealer: Sealer) -> None:
    other = await open_store(backend_url, sealer)
    later = time.time() + 600
    try:
        results = await asyncio.gather(*((store if n % 2 else other).add_if_absent(
            "t:c:shared", later) for n in range(50)))
    finally:
        await other.close()
    assert results.count(True) == 1


async def test_an_expired_record_counts_as_absent(store: SqlStore, raw: AsyncEngine) -> None:
    now = time.time()
    assert await store.add_if_absent("t:c:old", now - 1) is True
    assert await store.add_if_absent("t:c:old", now + 600) is True
    assert await store.add_if_absent("t:c:old", now + 600) is False
    async with raw.connect() as conn:
        stored = await conn.scalar(sa.select(replay.c.expires_at)
                                   .where(replay.c.key == "t:c:old"))
    assert stored == now + 600


async def test_expired_records_are_purged_on_first_use(store: SqlStore, raw: AsyncEngine,
                                                       backend_url: str, sealer: Sealer
                                                       ) -> None:
    now = time.time()
    async with raw.begin() as conn:
        await conn.execute(sa.insert(replay), [
            {"key": "gone-1", "expires_at": now - 100}, {"key": "gone-2", "expires_at": now - 1},
            {"key": "live", "expires_at": now + 600}])
    fresh = await open_store(backend_url, sealer)
    try:
        assert await fresh.add_if_absent("new", now + 600) is True
    finally:
        await fresh.close()
    async with raw.connect() as conn:
        keys = set((await conn.scalars(sa.select(replay.c.key))).all())
    assert keys == {"live", "new"}


async def test_long_keys_are_stored_as_digests(store: SqlStore, raw: AsyncEngine) -> None:
    later = time.time() + 600
    long_a, long_b = "t:c:" + "a" * 2000, "t:c:" + "a" * 1999 + "b"
    assert await store.add_if_absent(long_a, later) is True
    assert await store.add_if_absent(long_a, later) is False
    assert await store.add_if_absent(long_b, later) is True
    async with raw.connect() as conn:
        keys = (await conn.scalars(sa.select(replay.c.key))).all()
    assert len(keys) == 2 and all(k.startswith("sha256:") and len(k) == 71 for k in keys)


def _event(tenant_id: str, minutes: int) -> AuditEvent:
    return AuditEvent(time=T0 + timedelta(minutes=minutes), tenant_id=tenant_id,
                      kind="sign_in", outcome="success")


async def test_audit_events_round_trip_newest_first(store: SqlStore) -> None:
    tenant_id, other = guid(), guid()
    full = AuditEvent(time=T0 + timedelta(minutes=2), tenant_id=tenant_id, kind="token",
                      outcome="failure", client_id=guid(), code=7000215, detail="bad secret",
                      correlation_id=guid())
    first, last = _event(tenant_id, 1), _event(tenant_id, 3)
    await store.record([first, full, _event(other, 5)])
    await store.record([last])
    await store.record([])
    assert await store.recent(tenant_id) == [last, full, first]
    assert await store.recent(tenant_id, limit=2) == [last, full]
    assert await store.recent(guid()) == []
    assert await store.version() == 0
