"""The store contract for service principals, assignments, cascades and the version counter."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from credo.errors import ObjectConflict, ObjectNotFound
from credo.model import ObjectId
from credo.store.sql import SqlStore
from credo.store.tables import (
    application_identifier_uris,
    key_credentials,
    password_credentials,
)

from .samples import T0, application, assignment, guid, service_principal, tenant


async def test_service_principal_round_trip_and_conflict(store: SqlStore) -> None:
    home, other = tenant(), tenant()
    for t in (home, other):
        await store.add_tenant(t)
    app = application(home)
    await store.save_application(app)
    sp = service_principal(app, home)
    sp_other = service_principal(app, other, created=T0 - timedelta(days=1))
    await store.save_service_principal(sp)
    await store.save_service_principal(sp_other)
    assert await store.service_principal(sp.id) == sp
    assert await store.service_principal_for(other.id, app.app_id) == sp_other
    assert await store.service_principal_for(home.id, guid()) is None
    assert await store.service_principals(home.id) == [sp]
    assert await store.service_principal(ObjectId(guid())) is None

    renamed = dataclasses.replace(sp, display_name="Renamed", account_enabled=True)
    await store.save_service_principal(renamed)
    assert await store.service_principal(sp.id) == renamed

    version = await store.version()
    twin = service_principal(app, home)
    with pytest.raises(ObjectConflict) as caught:
        await store.save_service_principal(twin)
    assert caught.value.description == (
        f"application {app.app_id} already has service principal {sp.id} in tenant {home.id}")
    with pytest.raises(ObjectNotFound, match=r"^application .* does not exist$"):
        await store.save_service_principal(dataclasses.replace(twin, app_id=guid()))
    with pytest.raises(ObjectNotFound, match=r"^tenant .* does not exist$"):
        await store.save_service_principal(dataclasses.replace(twin, tenant_id=guid()))
    assert await store.service_principal(twin.id) is None
    assert await store.version() == version


async def _grants(store: SqlStore) -> dict[str, Any]:
    """An API and a client app with SPs in two tenants, a bystander, and grants both ways."""
    home, other = tenant(), tenant()
    for t in (home, other):
        await store.add_tenant(t)
    api, client, bystander = application(home), application(home), application(other)
    for app in (api, client, bystander):
        await store.save_application(app)
    d: dict[str, Any] = {"api": api, "client": client, "bystander_app": bystander}
    for name, app, where in (("api_home", api, home), ("api_other", api, other),
                             ("client_home", client, home), ("client_other", client, other),
                             ("bystander", bystander, other)):
        d[name] = service_principal(app, where)
        await store.save_service_principal(d[name])
    role = api.app_roles[0].id
    for n, (name, principal, resource, role_id) in enumerate((
            ("client_on_api", "client_home", "api_home", role),
            ("client_on_api_other", "client_other", "api_other", role),
            ("api_on_bystander", "api_other", "bystander", guid()),
            ("client_on_bystander", "client_other", "bystander", guid()))):
        d[name] = assignment(d[principal], d[resource], role_id,
                             created=T0 + timedelta(minutes=n))
        await store.add_assignment(d[name])
    return d


async def test_assignments_round_trip_and_conflicts(store: SqlStore) -> None:
    d = await _grants(store)
    grant = d["client_on_api"]
    assert await store.assignment(grant.id) == grant
    assert await store.assignment(guid()) is None
    assert await store.assignments_of(d["client_other"].id) == [
        d["client_on_api_other"], d["client_on_bystander"]]
    assert await store.assignments_on(d["bystander"].id) == [
        d["api_on_bystander"], d["client_on_bystander"]]
    assert await store.assignments_on(d["api_home"].id) == [grant]

    version = await store.version()
    again = dataclasses.replace(grant, id=guid())
    with pytest.raises(ObjectConflict) as caught:
        await store.add_assignment(again)
    assert caught.value.description == (
        f"principal {again.principal_id} already holds app role {again.app_role_id} "
        f"on {again.resource_id} (assignment {grant.id})")
    with pytest.raises(ObjectConflict) as caught:
        await store.add_assignment(dataclasses.replace(grant, app_role_id=guid()))
    assert caught.value.description == f"app role assignment {grant.id} already exists"
    with pytest.raises(ObjectNotFound, match=r"^resource service principal .* does not exist$"):
        await store.add_assignment(dataclasses.replace(again, resource_id=guid()))
    assert await store.assignment(again.id) is None
    assert await store.version() == version

    await store.delete_assignment(grant.id)
    assert await store.assignment(grant.id) is None
    assert await store.assignments_on(d["api_home"].id) == []
    assert await store.version() == version + 1


async def test_delete_service_principal_cascades_to_its_assignments(store: SqlStore) -> None:
    d = await _grants(store)
    await store.delete_service_principal(d["api_other"].id)
    assert await store.service_principal(d["api_other"].id) is None
    assert await store.assignment(d["client_on_api_other"].id) is None  # it was the resource
    assert await store.assignment(d["api_on_bystander"].id) is None  # it was the principal
    assert await store.assignments_on(d["bystander"].id) == [d["client_on_bystander"]]
    assert await store.assignment(d["client_on_api"].id) == d["client_on_api"]


async def test_delete_application_cascades_everywhere(store: SqlStore,
                                                      raw: AsyncEngine) -> None:
    d = await _grants(store)
    await store.delete_application(d["api"].id)
    assert await store.application(d["api"].id) is None
    assert await store.applications_by_identifier_uri(d["api"].identifier_uris[0]) == []
    for sp in ("api_home", "api_other"):
        assert await store.service_principal(d[sp].id) is None
    for gone in ("client_on_api", "client_on_api_other", "api_on_bystander"):
        assert await store.assignment(d[gone].id) is None
    assert await store.assignments_of(d["client_other"].id) == [d["client_on_bystander"]]
    assert await store.application(d["client"].id) == d["client"]
    async with raw.connect() as conn:
        for table in (key_credentials, password_credentials, application_identifier_uris):
            left = await conn.scalar(sa.select(sa.func.count()).select_from(table).where(
                table.c.application_id == d["api"].id))
            assert left == 0, table.name


async def test_every_directory_write_bumps_the_version_once(store: SqlStore) -> None:
    assert await store.version() == 0
    home = tenant()
    app = application(home)
    sp = service_principal(app, home)
    grant = assignment(sp, sp, app.app_roles[0].id)
    writes = [lambda: store.add_tenant(home), lambda: store.update_tenant(home),
              lambda: store.save_application(app), lambda: store.save_application(app),
              lambda: store.save_service_principal(sp), lambda: store.add_assignment(grant),
              lambda: store.delete_assignment(grant.id),
              lambda: store.delete_service_principal(sp.id),
              lambda: store.delete_application(app.id)]
    for n, write in enumerate(writes, start=1):
        await write()
        assert await store.version() == n
    await store.tenant(home.id)
    await store.record([])
    assert await store.version() == len(writes)


async def test_deleting_what_is_absent_changes_nothing(store: SqlStore) -> None:
    await store.delete_application(ObjectId(guid()))
    await store.delete_service_principal(ObjectId(guid()))
    await store.delete_assignment(guid())
    assert await store.version() == 0
