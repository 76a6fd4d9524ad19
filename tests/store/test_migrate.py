"""Migrations: packaged Alembic scripts create exactly ``tables.py``."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from credo.errors import StoreUnavailable
from credo.model import AuditQuery
from credo.store import migrate, tables
from credo.store.db import create_engine
from credo.store.records import application_values, tenant_values
from credo.store.seal import Sealer
from credo.store.sql import open_store
from credo.store.tables import UtcDateTime, metadata

from . import samples
from .conftest import BACKENDS

ROOT = Path(__file__).resolve().parents[2]
SEALER = Sealer(b"\x00" * 32)
HEAD = "0009"
"""The newest migration; bump it with each new revision."""


def _schema(connection: sa.Connection) -> tuple[set[str], list[object]]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return set(sa.inspect(connection).get_table_names()), compare_metadata(context, metadata)


async def _assert_migrated(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            tables, differences = await conn.run_sync(_schema)
            version = await conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
            counter = await conn.scalar(sa.text("SELECT version FROM directory_version"))
    finally:
        await engine.dispose()
    assert tables == set(metadata.tables) | {"alembic_version"}
    assert differences == []
    assert version == migrate.head_revision() == HEAD
    assert counter == 0


@pytest.fixture(params=BACKENDS)
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path,
                    new_postgres_db: Callable[[], Awaitable[str]]) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    return await new_postgres_db()


async def test_upgrade_from_a_running_loop_creates_the_schema_once(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    migrate.upgrade(empty_url)  # already at head: nothing to do
    await _assert_migrated(empty_url)
    store = await open_store(empty_url, SEALER)
    await store.close()


def test_upgrade_from_sync_code(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'sync.db'}"
    migrate.upgrade(url)
    asyncio.run(_assert_migrated(url))


async def test_open_store_refuses_an_unmigrated_database(empty_url: str) -> None:
    with pytest.raises(StoreUnavailable) as caught:
        await open_store(empty_url, SEALER)
    assert caught.value.description == "the database has no Credo schema"
    assert caught.value.detail == "run the migrations (credo.store.migrate.upgrade) first"


async def test_open_store_refuses_an_older_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrate.upgrade(url)
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.execute(sa.text("UPDATE alembic_version SET version_num = '0000'"))
    await engine.dispose()
    with pytest.raises(StoreUnavailable) as caught:
        await open_store(url, SEALER)
    assert caught.value.description == f"the database schema is at revision 0000, not {HEAD}"


@pytest.mark.parametrize("url", [
    "postgresql+asyncpg://postgres@127.0.0.1:1/credo",
    "postgresql://postgres@127.0.0.1:1/credo",
], ids=["asyncpg", "plain"])
async def test_unreachable_postgres_is_store_unavailable(url: str) -> None:
    with pytest.raises(StoreUnavailable) as caught:
        await open_store(url, SEALER)
    assert caught.value.description == "the database is unavailable"
    assert "ConnectionRefusedError" in caught.value.detail


async def test_unopenable_sqlite_file_is_store_unavailable(tmp_path: Path) -> None:
    with pytest.raises(StoreUnavailable):
        await open_store(f"sqlite:///{tmp_path / 'missing-dir' / 'credo.db'}", SEALER)


def test_migration_scripts_ship_inside_the_package() -> None:
    store = resources.files("credo.store")
    for name in ("alembic.ini", "migrations/env.py", "migrations/script.py.mako",
                 "migrations/versions/0001_initial.py"):
        assert store.joinpath(name).is_file(), name


def test_alembic_command_line_from_the_source_tree(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    ini = ROOT / "src" / "credo" / "store" / "alembic.ini"
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(ini), "-x", f"url={url}", "upgrade", "head"],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    asyncio.run(_assert_migrated(url))


async def test_identifier_uris_become_per_tenant_in_canonical_form(empty_url: str) -> None:
    """0004: each URI row gains its owner's tenant and canonical form; nothing is lost."""
    migrate.upgrade(empty_url, revision="0003")
    home = samples.tenant("contoso.example")
    app = samples.application(home)
    engine = create_engine(empty_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(tables.tenants).values(tenant_values(home)))
            await conn.execute(sa.insert(tables.applications).values(application_values(app)))
            await conn.execute(sa.text(
                "INSERT INTO application_identifier_uris (uri, application_id) "
                "VALUES ('HTTPS://HR.Contoso.example/', :a), ('api://mail', :a)"), {"a": app.id})
        migrate.upgrade(empty_url)
        async with engine.connect() as conn:
            rows = (await conn.execute(sa.text(
                "SELECT tenant_id, canonical, uri, application_id FROM "
                "application_identifier_uris ORDER BY canonical"))).all()
    finally:
        await engine.dispose()
    assert [tuple(r) for r in rows] == [
        (home.id, "api://mail", "api://mail", app.id),
        (home.id, "https://hr.contoso.example", "HTTPS://HR.Contoso.example/", app.id)]

async def test_audit_logs_migration_sorts_existing_events_into_their_log(empty_url: str) -> None:
    migrate.upgrade(empty_url, "0003")
    legacy = sa.table("audit_events", *(sa.column(name) for name in (
        "tenant_id", "kind", "outcome", "client_id", "code", "detail", "correlation_id")),
        sa.column("time", UtcDateTime()))
    kinds = ("token.client_credentials", "signin.password", "authorize", "management.post",
             "consent.admin.granted")
    engine = create_engine(empty_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(legacy), [
                {"time": datetime(2025, 1, 1, tzinfo=UTC), "tenant_id": "t", "kind": kind,
                 "outcome": "success", "client_id": "", "code": 0, "detail": "",
                 "correlation_id": ""} for kind in kinds])
    finally:
        await engine.dispose()
    migrate.upgrade(empty_url)
    store = await open_store(empty_url, SEALER)
    try:
        sign_ins = await store.events(AuditQuery("t", "signIn"))
        audits = await store.events(AuditQuery("t", "directoryAudit"))
    finally:
        await store.close()
    assert sorted(r.event.kind for r in sign_ins) == [
        "authorize", "signin.password", "token.client_credentials"]
    assert sorted(r.event.kind for r in audits) == ["consent.admin.granted", "management.post"]
    assert all(r.event.targets == () for r in sign_ins + audits)


def test_whole_second_audit_times_gain_their_fraction(tmp_path: Path) -> None:
    """0009 (SQLite): a time the batched insert wrote without ``.000000`` gets it; others
    are untouched."""
    url = f"sqlite:///{tmp_path / 'times.db'}"
    migrate.upgrade(url, "0008")
    columns = ("time", "tenant_id", "kind", "outcome", "client_id", "code", "detail",
               "correlation_id")
    written = ["2025-01-01 10:00:00", "2025-01-01 10:00:00.250000"]
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for text in written:
            conn.execute(sa.text(
                f"INSERT INTO audit_events ({', '.join(columns)}) VALUES "
                "(:time, 't', 'token.client_credentials', 'success', '', 0, '', '')"),
                {"time": text})
    migrate.upgrade(url)
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT time FROM audit_events ORDER BY id")).scalars()
        assert list(found) == ["2025-01-01 10:00:00.000000", "2025-01-01 10:00:00.250000"]
    engine.dispose()
