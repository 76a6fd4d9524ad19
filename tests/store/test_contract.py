"""The store contract (store/api.py Directory), run against SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from credo.errors import InvalidInput, ObjectConflict, ObjectNotFound
from credo.model import ObjectId, TenantId
from credo.store.seal import Sealer
from credo.store.sql import SqlStore, open_store
from credo.store.tables import (
    application_identifier_uris,
    key_credentials,
    password_credentials,
)

from .samples import T0, application, guid, tenant


async def test_tenant_round_trip_and_domain_lookup(store: SqlStore) -> None:
    older = tenant("Contoso.COM", "contoso.onmicrosoft.com", created=T0 - timedelta(days=1))
    newer = tenant()
    await store.add_tenant(newer)
    await store.add_tenant(older)

    stored = dataclasses.replace(older, domains=("contoso.com", "contoso.onmicrosoft.com"))
    assert await store.tenant(older.id) == stored
    assert await store.tenant_by_domain("CONTOSO.com") == stored
    assert await store.tenant_by_domain("contoso.onmicrosoft.com") == stored
    assert await store.tenant_by_domain("fabrikam.com") is None
    assert await store.tenant(TenantId(guid())) is None
    assert await store.tenants() == [stored, newer]


async def test_datetimes_come_back_aware_utc(store: SqlStore) -> None:
    plus_two = datetime(2025, 6, 1, 14, 30, 5, 7, tzinfo=timezone(timedelta(hours=2)))
    t = tenant(created=plus_two)
    await store.add_tenant(t)
    found = await store.tenant(t.id)
    assert found is not None and found.created is not None
    assert found.created == plus_two
    assert found.created.tzinfo is UTC
    assert found.created.hour == 12 and found.created.microsecond == 7


async def test_naive_datetime_is_refused(store: SqlStore) -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        await store.add_tenant(tenant(created=datetime(2025, 1, 1)))
    assert await store.tenants() == []
    assert await store.version() == 0


async def test_update_tenant_replaces_fields_and_domains(store: SqlStore) -> None:
    t = tenant("a.example", "b.example")
    await store.add_tenant(t)
    changed = dataclasses.replace(t, domains=("c.example", "a.example"), display_name="New",
                                  profile="entra")
    await store.update_tenant(changed)
    assert await store.tenant(t.id) == changed
    assert await store.tenant_by_domain("b.example") is None
    with pytest.raises(ObjectNotFound, match=r"^tenant .* does not exist$"):
        await store.update_tenant(tenant())


async def test_tenant_conflicts_write_nothing(store: SqlStore) -> None:
    first = tenant("taken.example")
    await store.add_tenant(first)
    version = await store.version()
    with pytest.raises(ObjectConflict) as caught:
        await store.add_tenant(dataclasses.replace(first, domains=("free.example",)))
    assert caught.value.description == f"tenant {first.id} already exists"
    second = tenant("free.example", "TAKEN.example")
    with pytest.raises(ObjectConflict) as caught:
        await store.add_tenant(second)
    assert caught.value.description == (
        f"domain 'taken.example' is already used by tenant {first.id}")
    with pytest.raises(InvalidInput, match=r"^domain 'x\.example' is listed twice$"):
        await store.add_tenant(tenant("x.example", "X.example"))
    assert await store.tenant(second.id) is None
    assert await store.tenant_by_domain("free.example") is None
    other = tenant("other.example")
    await store.add_tenant(other)
    with pytest.raises(ObjectConflict):
        await store.update_tenant(dataclasses.replace(other, domains=("taken.example",),
                                                      display_name="Renamed"))
    assert await store.tenant(other.id) == other
    assert await store.version() == version + 1


async def test_application_round_trip(store: SqlStore) -> None:
    home = tenant()
    await store.add_tenant(home)
    app = application(home, "api://mail", "https://mail.example/api")
    older = application(home, created=T0 - timedelta(hours=1))
    await store.save_application(app)
    await store.save_application(older)
    assert await store.application(app.id) == app
    assert await store.application_by_app_id(app.app_id) == app
    assert await store.applications_by_identifier_uri("https://mail.example/api") == [app]
    # Compared in canonical form: case folded, trailing "/" ignored.
    assert await store.applications_by_identifier_uri("API://Mail/") == [app]
    assert await store.applications_by_identifier_uri("api://mail/x") == []
    assert await store.application(ObjectId(guid())) is None
    assert await store.applications(home.id) == [older, app]
    assert await store.applications(TenantId(guid())) == []


async def test_save_application_replaces_credentials_and_uris(store: SqlStore,
                                                              raw: AsyncEngine) -> None:
    home = tenant()
    await store.add_tenant(home)
    app = application(home, "api://one", "api://two")
    await store.save_application(app)
    kept_key = app.key_credentials[1]
    changed = dataclasses.replace(app, identifier_uris=("api://three",), display_name="Renamed",
                                  key_credentials=(kept_key,), password_credentials=(),
                                  app_roles=(), tags=())
    await store.save_application(changed)
    assert await store.application(app.id) == changed
    assert await store.applications_by_identifier_uri("api://one") == []
    assert await store.applications_by_identifier_uri("api://three") == [changed]
    async with raw.connect() as conn:
        for table, expected in ((key_credentials, 1), (password_credentials, 0),
                                (application_identifier_uris, 1)):
            count = await conn.scalar(sa.select(sa.func.count()).select_from(table))
            assert count == expected, table.name


async def test_application_conflicts_write_nothing(store: SqlStore) -> None:
    home = tenant()
    await store.add_tenant(home)
    first = application(home, "api://shared")
    await store.save_application(first)
    version = await store.version()

    second = application(home, "api://own", "API://Shared/")
    with pytest.raises(ObjectConflict) as caught:
        await store.save_application(second)
    assert caught.value.description == (
        f"identifier URI 'api://shared' is already used by application {first.app_id} in "
        "this tenant")
    with pytest.raises(ObjectConflict) as caught:
        await store.save_application(dataclasses.replace(second, app_id=first.app_id,
                                                         identifier_uris=()))
    assert caught.value.description == (
        f"appId {first.app_id} is already used by application {first.id}")
    with pytest.raises(ObjectConflict, match="cannot change"):
        await store.save_application(dataclasses.replace(first, app_id=guid()))
    with pytest.raises(ObjectNotFound, match=r"^tenant .* does not exist$"):
        await store.save_application(application(tenant()))
    with pytest.raises(InvalidInput, match=r"^identifier URI 'api://x' is listed twice$"):
        await store.save_application(application(home, "api://x", "API://x/"))

    assert await store.application(second.id) is None
    assert await store.applications_by_identifier_uri("api://own") == []
    assert await store.application(first.id) == first
    assert await store.version() == version


async def test_concurrent_writers_on_two_stores_claim_a_domain_once(
        store: SqlStore, backend_url: str, sealer: Sealer) -> None:
    other = await open_store(backend_url, sealer)
    try:
        rivals = [tenant("race.example") for _ in range(6)]
        outcomes = await asyncio.gather(
            *((store if n % 2 else other).add_tenant(t) for n, t in enumerate(rivals)),
            return_exceptions=True)
    finally:
        await other.close()
    assert sum(o is None for o in outcomes) == 1
    assert all(isinstance(o, ObjectConflict) for o in outcomes if o is not None)
    winner = rivals[outcomes.index(None)]
    assert await store.tenant_by_domain("race.example") == winner
    assert await store.version() == 1


async def test_identifier_uris_are_unique_per_tenant(store: SqlStore) -> None:
    """Another tenant may register the same api:// URI; the look-up returns both, oldest
    first, and the service layer prefers the requesting tenant's."""
    one, two = tenant(), tenant()
    await store.add_tenant(one)
    await store.add_tenant(two)
    first = application(one, "api://hr", created=T0 - timedelta(hours=1))
    second = application(two, "API://hr/")
    await store.save_application(first)
    await store.save_application(second)
    assert await store.applications_by_identifier_uri("api://hr") == [first, second]
