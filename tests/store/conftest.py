"""Backends for the store contract suite: SQLite always, PostgreSQL when reachable.

PostgreSQL gets fresh databases named ``credo_test_<random>`` (dropped at the end of the
session) on ``127.0.0.1:5432`` with trust authentication, so concurrent runs never collide.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import asyncpg
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from availability import require_or_skip
from credo.store.db import create_engine
from credo.store.migrate import upgrade
from credo.store.seal import Sealer
from credo.store.sql import SqlStore, open_store
from credo.store.tables import directory_version, metadata

PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres"}
NewDatabase = Callable[[], Awaitable[str]]


async def _admin() -> asyncpg.Connection:
    errors = []
    for database in ("postgres", "test"):
        try:
            return await asyncpg.connect(**PG, database=database, timeout=3)
        except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
            errors.append(f"{database}: {exc}")
    require_or_skip(f"PostgreSQL at {PG['host']}:{PG['port']} is unreachable ({'; '.join(errors)})")
    raise AssertionError("unreachable")


@pytest.fixture(scope="session")
async def new_postgres_db() -> AsyncIterator[NewDatabase]:
    """Creates empty databases on demand; all are dropped when the session ends."""
    created: list[str] = []

    async def new() -> str:
        admin = await _admin()
        name = f"credo_test_{uuid.uuid4().hex[:12]}"
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        created.append(name)
        return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"

    yield new
    if created:
        admin = await _admin()
        try:
            for name in created:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]


@pytest.fixture(scope="session", params=BACKENDS)
async def backend_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                      new_postgres_db: NewDatabase) -> str:
    """A migrated database per backend, shared by the session (tests wipe it first)."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('store') / 'credo.db'}"
    else:
        url = await new_postgres_db()
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def sealer() -> Sealer:
    return Sealer(Sealer.generate_key())


@pytest.fixture(scope="session")
async def raw(backend_url: str) -> AsyncIterator[AsyncEngine]:
    """A plain engine on the test database, to wipe it and to read raw columns."""
    engine = create_engine(backend_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def store(backend_url: str, raw: AsyncEngine, sealer: Sealer) -> AsyncIterator[SqlStore]:
    """An open store over an empty, migrated database (directory version 0)."""
    async with raw.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table is not directory_version:
                await conn.execute(sa.delete(table))
        await conn.execute(sa.update(directory_version).values(version=0))
    opened = await open_store(backend_url, sealer)
    yield opened
    await opened.close()
