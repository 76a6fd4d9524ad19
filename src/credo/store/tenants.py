"""Tenants and their domain names (a GUID and verified domain names).

Domain names are compared case-insensitively (RFC 4343 §2): they are stored lower-cased, in
the order given, and each belongs to one tenant only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from credo.errors import InvalidInput, ObjectConflict, ObjectNotFound
from credo.model import Tenant, TenantId
from credo.store.records import tenant_from, tenant_values
from credo.store.tables import tenant_domains, tenants

_ORDER = (tenants.c.created.asc().nulls_first(), tenants.c.id)


async def _with_domains(conn: AsyncConnection, rows: Sequence[sa.Row[Any]]) -> list[Tenant]:
    ids = [r.id for r in rows]
    found = await conn.execute(
        sa.select(tenant_domains.c.tenant_id, tenant_domains.c.domain)
        .where(tenant_domains.c.tenant_id.in_(ids))
        .order_by(tenant_domains.c.tenant_id, tenant_domains.c.position))
    domains: dict[str, list[str]] = defaultdict(list)
    for tenant_id, domain in found:
        domains[tenant_id].append(domain)
    return [tenant_from(r, domains[r.id]) for r in rows]


async def _first(conn: AsyncConnection, query: sa.Select[Any]) -> Tenant | None:
    rows = (await conn.execute(query)).all()
    return (await _with_domains(conn, rows))[0] if rows else None


async def get(conn: AsyncConnection, tenant_id: TenantId) -> Tenant | None:
    return await _first(conn, sa.select(tenants).where(tenants.c.id == tenant_id))


async def by_domain(conn: AsyncConnection, domain: str) -> Tenant | None:
    owner = sa.select(tenant_domains.c.tenant_id).where(
        tenant_domains.c.domain == domain.lower()).scalar_subquery()
    return await _first(conn, sa.select(tenants).where(tenants.c.id == owner))


async def every(conn: AsyncConnection) -> list[Tenant]:
    """All tenants, oldest first."""
    rows = (await conn.execute(sa.select(tenants).order_by(*_ORDER))).all()
    return await _with_domains(conn, rows)


async def add(conn: AsyncConnection, tenant: Tenant) -> bool:
    taken = await conn.scalar(sa.select(tenants.c.id).where(tenants.c.id == tenant.id))
    if taken is not None:
        raise ObjectConflict(f"tenant {tenant.id} already exists")
    await conn.execute(sa.insert(tenants).values(tenant_values(tenant)))
    await _replace_domains(conn, tenant)
    return True


async def update(conn: AsyncConnection, tenant: Tenant) -> bool:
    values = tenant_values(tenant)
    done = await conn.execute(sa.update(tenants).where(tenants.c.id == tenant.id).values(values))
    if done.rowcount == 0:
        raise ObjectNotFound(f"tenant {tenant.id} does not exist")
    await _replace_domains(conn, tenant)
    return True


async def _replace_domains(conn: AsyncConnection, tenant: Tenant) -> None:
    domains = [d.lower() for d in tenant.domains]
    twice = {d for d in domains if domains.count(d) > 1}
    if twice:
        raise InvalidInput(f"domain {sorted(twice)[0]!r} is listed twice")
    taken = (await conn.execute(
        sa.select(tenant_domains.c.domain, tenant_domains.c.tenant_id)
        .where(tenant_domains.c.domain.in_(domains), tenant_domains.c.tenant_id != tenant.id)
        .order_by(tenant_domains.c.domain))).first()
    if taken is not None:
        raise ObjectConflict(f"domain {taken.domain!r} is already used by tenant {taken.tenant_id}")
    await conn.execute(sa.delete(tenant_domains).where(tenant_domains.c.tenant_id == tenant.id))
    if domains:
        await conn.execute(sa.insert(tenant_domains), [
            {"domain": d, "tenant_id": tenant.id, "position": n} for n, d in enumerate(domains)])
