"""Applications with their credentials and identifier URIs.

An application is saved whole: its row, identifier URIs, key, password and federated identity
credentials are replaced in one transaction, so a reader sees the old registration or the new
one. An identifier URI names one application in the whole directory (it is how
``scope=<uri>/.default`` finds the resource), enforced by ``UNIQUE(uri)``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from credo.errors import InvalidInput, ObjectConflict, ObjectNotFound
from credo.model import (
    Application,
    FederatedIdentityCredential,
    KeyCredential,
    ObjectId,
    PasswordCredential,
    TenantId,
    canonical_identifier_uri,
)
from credo.store import principals
from credo.store.records import (
    application_from,
    application_values,
    federated_from,
    federated_values,
    key_from,
    key_values,
    password_from,
    password_values,
)
from credo.store.tables import (
    application_identifier_uris,
    applications,
    federated_credentials,
    key_credentials,
    password_credentials,
    service_principals,
    tenants,
)

_app = applications.c
_uri = application_identifier_uris.c
_CHILDREN = (application_identifier_uris, key_credentials, password_credentials,
             federated_credentials)


async def _complete(conn: AsyncConnection, rows: Sequence[sa.Row[Any]]) -> list[Application]:
    ids = [r.id for r in rows]
    keys: dict[str, list[KeyCredential]] = defaultdict(list)
    for row in await _children(conn, key_credentials, ids):
        keys[row.application_id].append(key_from(row))
    passwords: dict[str, list[PasswordCredential]] = defaultdict(list)
    for row in await _children(conn, password_credentials, ids):
        passwords[row.application_id].append(password_from(row))
    federated: dict[str, list[FederatedIdentityCredential]] = defaultdict(list)
    for row in await _children(conn, federated_credentials, ids):
        federated[row.application_id].append(federated_from(row))
    return [application_from(r, keys[r.id], passwords[r.id], federated[r.id]) for r in rows]


async def _children(conn: AsyncConnection, table: sa.Table, ids: list[str]
                    ) -> Sequence[sa.Row[Any]]:
    return (await conn.execute(sa.select(table).where(table.c.application_id.in_(ids))
                               .order_by(table.c.application_id, table.c.position))).all()


async def _first(conn: AsyncConnection, clause: sa.ColumnElement[bool]) -> Application | None:
    rows = (await conn.execute(sa.select(applications).where(clause))).all()
    return (await _complete(conn, rows))[0] if rows else None


async def get(conn: AsyncConnection, object_id: ObjectId) -> Application | None:
    return await _first(conn, _app.id == object_id)


async def by_app_id(conn: AsyncConnection, app_id: str) -> Application | None:
    return await _first(conn, _app.app_id == app_id)


async def by_identifier_uri(conn: AsyncConnection, uri: str) -> list[Application]:
    """Every application (any tenant) with ``uri`` among its identifier URIs, compared in
    canonical form; oldest first."""
    owners = sa.select(_uri.application_id).where(_uri.canonical == canonical_identifier_uri(uri))
    rows = (await conn.execute(sa.select(applications).where(_app.id.in_(owners))
                               .order_by(_app.created.asc().nulls_first(), _app.id))).all()
    return await _complete(conn, rows)


async def of_tenant(conn: AsyncConnection, tenant_id: TenantId) -> list[Application]:
    """Applications homed in ``tenant_id``, oldest first."""
    rows = (await conn.execute(sa.select(applications).where(_app.tenant_id == tenant_id)
                               .order_by(_app.created.asc().nulls_first(), _app.id))).all()
    return await _complete(conn, rows)


async def save(conn: AsyncConnection, app: Application) -> bool:
    """Insert or replace ``app`` with all its credentials."""
    await _check(conn, app)
    values = application_values(app)
    done = await conn.execute(sa.update(applications).where(_app.id == app.id).values(values))
    if done.rowcount == 0:
        await conn.execute(sa.insert(applications).values(values))
    for table in _CHILDREN:
        await conn.execute(sa.delete(table).where(table.c.application_id == app.id))
    uris = [{"tenant_id": app.tenant_id, "canonical": canonical_identifier_uri(u), "uri": u,
             "application_id": app.id} for u in app.identifier_uris]
    for table, rows in ((application_identifier_uris, uris),
                        (key_credentials, key_values(app)),
                        (password_credentials, password_values(app)),
                        (federated_credentials, federated_values(app))):
        if rows:
            await conn.execute(sa.insert(table), rows)
    return True


async def _check(conn: AsyncConnection, app: Application) -> None:
    _once("identifier URI", (canonical_identifier_uri(u) for u in app.identifier_uris))
    _once("key credential id", (k.key_id for k in app.key_credentials))
    _once("password credential id", (p.key_id for p in app.password_credentials))
    _once("federated identity credential name", (f.name for f in app.federated_credentials))
    _once("federated identity credential id", (f.id for f in app.federated_credentials))
    if await conn.scalar(sa.select(tenants.c.id).where(tenants.c.id == app.tenant_id)) is None:
        raise ObjectNotFound(f"tenant {app.tenant_id} does not exist")
    stored = await conn.scalar(sa.select(_app.app_id).where(_app.id == app.id))
    if stored is not None and stored != app.app_id:
        raise ObjectConflict(f"the appId of application {app.id} is {stored} and cannot change")
    other = await conn.scalar(sa.select(_app.id).where(_app.app_id == app.app_id,
                                                       _app.id != app.id))
    if other is not None:
        raise ObjectConflict(f"appId {app.app_id} is already used by application {other}")
    wanted = [canonical_identifier_uri(u) for u in app.identifier_uris]
    taken = (await conn.execute(
        sa.select(_uri.uri, _app.app_id).join(applications, _app.id == _uri.application_id)
        .where(_uri.tenant_id == app.tenant_id, _uri.canonical.in_(wanted),
               _uri.application_id != app.id)
        .order_by(_uri.uri))).first()
    if taken is not None:  # same tenant only: another tenant's objects are never named
        raise ObjectConflict(f"identifier URI {taken.uri!r} is already used by application "
                             f"{taken.app_id} in this tenant")


def _once(what: str, values: Iterable[str]) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise InvalidInput(f"{what} {value!r} is listed twice")
        seen.add(value)


async def delete(conn: AsyncConnection, object_id: ObjectId) -> bool:
    """Deletes the app, its credentials and URIs, its SPs in every tenant and their grants."""
    app_id = await conn.scalar(sa.select(_app.app_id).where(_app.id == object_id))
    if app_id is None:
        return False
    sps = (await conn.scalars(sa.select(service_principals.c.id)
                              .where(service_principals.c.app_id == app_id))).all()
    await principals.delete_many(conn, sps)
    for table in _CHILDREN:
        await conn.execute(sa.delete(table).where(table.c.application_id == object_id))
    await conn.execute(sa.delete(applications).where(_app.id == object_id))
    return True
