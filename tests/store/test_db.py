"""The engine layer: driver selection, SQLite settings, transactions and error mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from credo.errors import ObjectConflict, ObjectNotFound
from credo.store.db import Database, async_url, create_engine
from credo.store.migrate import upgrade
from credo.store.tables import directory_version, tenant_domains, tenants


@pytest.mark.parametrize(("given", "expected"), [
    ("sqlite:////var/lib/credo.db", "sqlite+aiosqlite:////var/lib/credo.db"),
    ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ("postgresql://u@db:5432/credo", "postgresql+asyncpg://u@db:5432/credo"),
    ("postgres://u@db/credo", "postgresql+asyncpg://u@db/credo"),
    ("postgresql+asyncpg://u@db/credo", "postgresql+asyncpg://u@db/credo"),
], ids=["sqlite", "aiosqlite", "postgresql", "postgres", "asyncpg"])
def test_async_drivers_are_selected(given: str, expected: str) -> None:
    assert async_url(given).render_as_string(hide_password=False) == expected


async def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'p.db'}")
    try:
        async with engine.connect() as conn:
            settings = [await conn.scalar(sa.text(f"PRAGMA {name}"))
                        for name in ("journal_mode", "busy_timeout", "foreign_keys")]
    finally:
        await engine.dispose()
    assert settings == ["wal", 10_000, 1]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    url = f"sqlite:///{tmp_path / 'db.db'}"
    upgrade(url)
    database = Database(create_engine(url))
    yield database
    await database.dispose()


async def _version(db: Database) -> int:
    async with db.read() as conn:
        return int(await conn.scalar(sa.select(directory_version.c.version)) or 0)


async def test_write_commits_only_when_the_operation_says_so(db: Database) -> None:
    async def insert(done: bool, tenant_id: str) -> bool:
        async def op(conn: AsyncConnection) -> bool:
            await conn.execute(sa.insert(tenants).values(id=tenant_id, display_name="T",
                                                         profile="entra"))
            return done
        return await db.write(op, bump=True)

    assert await insert(False, "t-rolled-back") is False
    assert await insert(True, "t-kept") is True
    async with db.read() as conn:
        assert (await conn.scalars(sa.select(tenants.c.id))).all() == ["t-kept"]
    assert await _version(db) == 1


async def test_constraint_races_map_to_conflict_and_not_found(db: Database) -> None:
    async def add_domain(tenant_id: str) -> bool:
        async def op(conn: AsyncConnection) -> bool:
            await conn.execute(sa.insert(tenant_domains).values(
                domain="race.example", tenant_id=tenant_id, position=0))
            return True
        return await db.write(op, bump=True)

    with pytest.raises(ObjectNotFound) as missing:
        await add_domain("no-such-tenant")
    assert missing.value.description == "a referenced directory object does not exist"
    await db.write(lambda conn: _add_tenant(conn, "t1"), bump=False)
    await add_domain("t1")
    with pytest.raises(ObjectConflict) as taken:
        await add_domain("t1")
    assert taken.value.description == "another object with the same key already exists"
    assert await _version(db) == 1


async def _add_tenant(conn: AsyncConnection, tenant_id: str) -> bool:
    await conn.execute(sa.insert(tenants).values(id=tenant_id, display_name="T",
                                                 profile="entra"))
    return True
