"""Service principals and app-role assignments (docs/architecture.md).

One service principal per application per tenant; an assignment grants one role of a
resource SP to one principal, once. Deleting an SP deletes every assignment it is the
principal or the resource of, so no grant outlives either end.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from credo.errors import ObjectConflict, ObjectNotFound
from credo.model import AppRoleAssignment, ObjectId, ServicePrincipal, TenantId
from credo.store.records import assignment_from, assignment_values, sp_from, sp_values
from credo.store.tables import app_role_assignments, applications, service_principals, tenants

_sp = service_principals.c
_ara = app_role_assignments.c


async def get(conn: AsyncConnection, object_id: ObjectId) -> ServicePrincipal | None:
    row = (await conn.execute(sa.select(service_principals).where(_sp.id == object_id))).first()
    return sp_from(row) if row else None


async def for_app(conn: AsyncConnection, tenant_id: TenantId, app_id: str
                  ) -> ServicePrincipal | None:
    row = (await conn.execute(sa.select(service_principals).where(
        _sp.tenant_id == tenant_id, _sp.app_id == app_id))).first()
    return sp_from(row) if row else None


async def of_app(conn: AsyncConnection, app_id: str) -> list[ServicePrincipal]:
    rows = await conn.execute(sa.select(service_principals).where(_sp.app_id == app_id))
    return [sp_from(r) for r in rows]


async def of_tenant(conn: AsyncConnection, tenant_id: TenantId) -> list[ServicePrincipal]:
    rows = await conn.execute(sa.select(service_principals).where(_sp.tenant_id == tenant_id)
                              .order_by(_sp.created.asc().nulls_first(), _sp.id))
    return [sp_from(r) for r in rows]


async def save(conn: AsyncConnection, sp: ServicePrincipal) -> bool:
    """Insert or replace; the (tenant, app) pair must be free and both ends must exist."""
    await _require(conn, tenants.c.id, sp.tenant_id, f"tenant {sp.tenant_id}")
    await _require(conn, applications.c.app_id, sp.app_id, f"application {sp.app_id}")
    other = await conn.scalar(sa.select(_sp.id).where(
        _sp.tenant_id == sp.tenant_id, _sp.app_id == sp.app_id, _sp.id != sp.id))
    if other is not None:
        raise ObjectConflict(f"application {sp.app_id} already has service principal {other} "
                       f"in tenant {sp.tenant_id}")
    values = sp_values(sp)
    done = await conn.execute(sa.update(service_principals).where(_sp.id == sp.id)
                              .values(values))
    if done.rowcount == 0:
        await conn.execute(sa.insert(service_principals).values(values))
    return True


async def delete(conn: AsyncConnection, object_id: ObjectId) -> bool:
    return await delete_many(conn, [object_id]) > 0


async def delete_many(conn: AsyncConnection, ids: Sequence[str]) -> int:
    """Deletes SPs and every assignment they are principal or resource of; returns SPs gone."""
    if not ids:
        return 0
    await conn.execute(sa.delete(app_role_assignments).where(
        sa.or_(_ara.principal_id.in_(ids), _ara.resource_id.in_(ids))))
    done = await conn.execute(sa.delete(service_principals).where(_sp.id.in_(ids)))
    return done.rowcount


async def assignment(conn: AsyncConnection, assignment_id: str) -> AppRoleAssignment | None:
    row = (await conn.execute(
        sa.select(app_role_assignments).where(_ara.id == assignment_id))).first()
    return assignment_from(row) if row else None


async def assignments_where(conn: AsyncConnection, clause: sa.ColumnElement[bool]
                            ) -> list[AppRoleAssignment]:
    rows = await conn.execute(sa.select(app_role_assignments).where(clause)
                              .order_by(_ara.created.asc().nulls_first(), _ara.id))
    return [assignment_from(r) for r in rows]


async def named_assignments(conn: AsyncConnection, clause: sa.ColumnElement[bool]
                            ) -> list[tuple[AppRoleAssignment, str, str]]:
    """Assignments with the display names of their principal and resource, in one query."""
    principal, resource = service_principals.alias("p"), service_principals.alias("r")
    rows = await conn.execute(
        sa.select(app_role_assignments, principal.c.display_name.label("p_name"),
                  resource.c.display_name.label("r_name"))
        .select_from(app_role_assignments
                     .outerjoin(principal, principal.c.id == _ara.principal_id)
                     .outerjoin(resource, resource.c.id == _ara.resource_id))
        .where(clause).order_by(_ara.created.asc().nulls_first(), _ara.id))
    return [(assignment_from(r), r.p_name or "", r.r_name or "") for r in rows]


async def roles_held(conn: AsyncConnection, app_id: str, resource_app_id: str
                     ) -> list[tuple[TenantId, str]]:
    """``(tenant, app role id)`` of every role the app's service principals hold on the
    service principals of ``resource_app_id``, in every tenant."""
    principal, resource = service_principals.alias("p"), service_principals.alias("r")
    rows = await conn.execute(
        sa.select(principal.c.tenant_id, _ara.app_role_id)
        .select_from(app_role_assignments
                     .join(principal, principal.c.id == _ara.principal_id)
                     .join(resource, resource.c.id == _ara.resource_id))
        .where(principal.c.app_id == app_id, resource.c.app_id == resource_app_id))
    return [(TenantId(r.tenant_id), str(r.app_role_id)) for r in rows]


async def add_assignment(conn: AsyncConnection, a: AppRoleAssignment) -> bool:
    """Raises ``ObjectConflict`` for a taken id or an existing (principal, resource, role)."""
    await _require(conn, tenants.c.id, a.tenant_id, f"tenant {a.tenant_id}")
    await _require(conn, _sp.id, a.resource_id, f"resource service principal {a.resource_id}")
    if await conn.scalar(sa.select(_ara.id).where(_ara.id == a.id)) is not None:
        raise ObjectConflict(f"app role assignment {a.id} already exists")
    same = await conn.scalar(sa.select(_ara.id).where(
        _ara.principal_id == a.principal_id, _ara.resource_id == a.resource_id,
        _ara.app_role_id == a.app_role_id))
    if same is not None:
        raise ObjectConflict(f"principal {a.principal_id} already holds app role {a.app_role_id} "
                       f"on {a.resource_id} (assignment {same})")
    await conn.execute(sa.insert(app_role_assignments).values(assignment_values(a)))
    return True


async def delete_assignment(conn: AsyncConnection, assignment_id: str) -> bool:
    done = await conn.execute(sa.delete(app_role_assignments).where(_ara.id == assignment_id))
    return done.rowcount > 0


async def _require(conn: AsyncConnection, column: sa.Column[str], value: str, what: str
                   ) -> None:
    if await conn.scalar(sa.select(column).where(column == value).limit(1)) is None:
        raise ObjectNotFound(f"{what} does not exist")
