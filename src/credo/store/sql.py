"""``SqlStore``: the Directory, KeyRing, ReplayStore and AuditLog over SQL.

One implementation for SQLite (aiosqlite) and PostgreSQL (asyncpg). Each method is one
snapshot read or one write transaction (``store/db.py``); the queries live in concept
modules (``tenants``, ``applications``, ``principals``, ``keyring``). ``open_store`` does not
migrate: run ``credo.store.migrate.upgrade(url)`` first.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime

import sqlalchemy as sa
from alembic.migration import MigrationContext
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from credo import metrics
from credo.errors import StoreUnavailable
from credo.model import (
    Application,
    AppRoleAssignment,
    AuditEvent,
    AuditQuery,
    AuditRecord,
    ObjectId,
    ServicePrincipal,
    SigningKey,
    Tenant,
    TenantId,
)
from credo.store import applications, audit, keyring, migrate, principals, tenants
from credo.store.db import Database, create_engine
from credo.store.seal import Sealer
from credo.store.sql_consent import SqlConsentStore
from credo.store.sql_flows import SqlFlowStore
from credo.store.sql_portal import SqlPortalTokenStore
from credo.store.sql_sessions import SqlSessionStore
from credo.store.sql_users import SqlUserStore
from credo.store.tables import app_role_assignments, audit_events, directory_version, replay

REPLAY_PURGE_INTERVAL_S = 60.0
_REPLAY_KEY_MAX = 256


async def open_store(url: str, sealer: Sealer) -> SqlStore:
    """Connects and checks the schema is at the migrations' head; raises ``StoreUnavailable``."""
    db = Database(create_engine(url))
    try:
        async with db.read() as conn:
            found = await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision())
        head = migrate.head_revision()
        if found != head:
            raise StoreUnavailable(
                "the database has no Credo schema" if found is None else
                f"the database schema is at revision {found}, not {head}",
                detail="run the migrations (credo.store.migrate.upgrade) first")
    except BaseException:
        await db.dispose()
        raise
    return SqlStore(db, sealer)


class SqlStore:
    """Implements ``store.api`` Directory, KeyRing, ReplayStore and AuditLog; ``users``,
    ``flows``, ``consent``, ``sessions`` and ``portal`` are the other contracts over the same
    database."""

    def __init__(self, db: Database, sealer: Sealer) -> None:
        self._db = db
        self._sealer = sealer
        self._purge_due = 0.0
        self._audit_insert: audit.BatchInsert | None = None
        self.users = SqlUserStore(db)
        self.flows = SqlFlowStore(db)
        self.consent = SqlConsentStore(db)
        self.sessions = SqlSessionStore(db)
        self.portal = SqlPortalTokenStore(db, sealer)

    async def close(self) -> None:
        await self._db.dispose()

    # -- tenants -------------------------------------------------------------------------

    async def tenant(self, tenant_id: TenantId) -> Tenant | None:
        async with self._db.read() as conn:
            return await tenants.get(conn, tenant_id)

    async def tenant_by_domain(self, domain: str) -> Tenant | None:
        async with self._db.read() as conn:
            return await tenants.by_domain(conn, domain)

    async def tenants(self) -> list[Tenant]:
        async with self._db.read() as conn:
            return await tenants.every(conn)

    async def add_tenant(self, tenant: Tenant) -> None:
        await self._db.write(lambda conn: tenants.add(conn, tenant), bump=True)

    async def update_tenant(self, tenant: Tenant) -> None:
        """Replaces the tenant's fields and domains; raises ``ObjectNotFound`` for an unknown id."""
        await self._db.write(lambda conn: tenants.update(conn, tenant), bump=True)

    # -- applications --------------------------------------------------------------------

    async def application(self, object_id: ObjectId) -> Application | None:
        async with self._db.read() as conn:
            return await applications.get(conn, object_id)

    async def application_by_app_id(self, app_id: str) -> Application | None:
        async with self._db.read() as conn:
            return await applications.by_app_id(conn, app_id)

    async def applications_by_identifier_uri(self, uri: str) -> list[Application]:
        async with self._db.read() as conn:
            return await applications.by_identifier_uri(conn, uri)

    async def applications(self, tenant_id: TenantId) -> list[Application]:
        async with self._db.read() as conn:
            return await applications.of_tenant(conn, tenant_id)

    async def save_application(self, app: Application) -> None:
        await self._db.write(lambda conn: applications.save(conn, app), bump=True)

    async def delete_application(self, object_id: ObjectId) -> None:
        """Deleting an unknown id is a no-op that leaves the version unchanged."""
        await self._db.write(lambda conn: applications.delete(conn, object_id), bump=True)

    # -- service principals and assignments ----------------------------------------------

    async def service_principal(self, object_id: ObjectId) -> ServicePrincipal | None:
        async with self._db.read() as conn:
            return await principals.get(conn, object_id)

    async def service_principal_for(self, tenant_id: TenantId, app_id: str
                                    ) -> ServicePrincipal | None:
        async with self._db.read() as conn:
            return await principals.for_app(conn, tenant_id, app_id)

    async def service_principals(self, tenant_id: TenantId) -> list[ServicePrincipal]:
        async with self._db.read() as conn:
            return await principals.of_tenant(conn, tenant_id)

    async def service_principals_of_app(self, app_id: str) -> list[ServicePrincipal]:
        async with self._db.read() as conn:
            return await principals.of_app(conn, app_id)

    async def save_service_principal(self, sp: ServicePrincipal) -> None:
        await self._db.write(lambda conn: principals.save(conn, sp), bump=True)

    async def delete_service_principal(self, object_id: ObjectId) -> None:
        await self._db.write(lambda conn: principals.delete(conn, object_id), bump=True)

    async def assignment(self, assignment_id: str) -> AppRoleAssignment | None:
        async with self._db.read() as conn:
            return await principals.assignment(conn, assignment_id)

    async def assignments_of(self, principal_id: ObjectId) -> list[AppRoleAssignment]:
        async with self._db.read() as conn:
            return await principals.assignments_where(
                conn, app_role_assignments.c.principal_id == principal_id)

    async def assignments_on(self, resource_id: ObjectId) -> list[AppRoleAssignment]:
        async with self._db.read() as conn:
            return await principals.assignments_where(
                conn, app_role_assignments.c.resource_id == resource_id)

    async def named_assignments(self, *, principal_id: ObjectId | None = None,
                                resource_id: ObjectId | None = None
                                ) -> list[tuple[AppRoleAssignment, str, str]]:
        c = app_role_assignments.c
        clause = (c.principal_id == principal_id if principal_id is not None
                  else c.resource_id == resource_id)
        async with self._db.read() as conn:
            return await principals.named_assignments(conn, clause)

    async def roles_held(self, app_id: str, resource_app_id: str
                         ) -> list[tuple[TenantId, str]]:
        async with self._db.read() as conn:
            return await principals.roles_held(conn, app_id, resource_app_id)

    async def add_assignment(self, assignment: AppRoleAssignment) -> None:
        await self._db.write(lambda conn: principals.add_assignment(conn, assignment),
                             bump=True)

    async def delete_assignment(self, assignment_id: str) -> None:
        await self._db.write(lambda conn: principals.delete_assignment(conn, assignment_id),
                             bump=True)

    async def version(self) -> int:
        async with self._db.read() as conn:
            found = await conn.scalar(sa.select(directory_version.c.version)
                                      .where(directory_version.c.id == 1))
        return int(found or 0)

    # -- key ring ------------------------------------------------------------------------

    async def signing_keys(self) -> list[SigningKey]:
        async with self._db.read() as conn:
            return await keyring.every(conn, self._sealer)

    async def add_signing_key(self, key: SigningKey) -> None:
        await self._db.write(lambda conn: keyring.add(conn, self._sealer, key), bump=True)

    async def rotate(self, *, expected_active: str | None, new_next: SigningKey,
                     now: datetime) -> bool:
        return await self._db.write(lambda conn: keyring.rotate(
            conn, self._sealer, expected_active=expected_active, new_next=new_next, now=now),
            bump=True)  # every node reloads its key ring when the version moves

    async def purge_retired(self, before: datetime) -> int:
        purged: list[int] = []

        async def op(conn: AsyncConnection) -> bool:
            purged.append(await keyring.purge(conn, before))
            return True

        await self._db.write(op, bump=False)
        return purged[0]

    # -- replay --------------------------------------------------------------------------

    async def add_if_absent(self, key: str, expires_at: float) -> bool:
        """RFC 7523 §3 item 7: one atomic upsert; an expired record counts as absent.

        Expired records of other keys are deleted at most every ``REPLAY_PURGE_INTERVAL_S``.
        """
        now = time.time()
        stmt = self._upsert_replay(_replay_key(key), expires_at, now)

        async def op(conn: AsyncConnection) -> bool:
            return (await conn.execute(stmt)).rowcount == 1

        try:
            added = await self._db.write(op, bump=False)
        except StoreUnavailable:
            metrics.REPLAY_DATABASE.inc()
            raise
        if time.monotonic() >= self._purge_due:
            self._purge_due = time.monotonic() + REPLAY_PURGE_INTERVAL_S
            await self._db.write(lambda conn: _purge_replay(conn, now), bump=False)
        return added

    def _upsert_replay(self, key: str, expires_at: float, now: float) -> sa.Executable:
        insert = postgresql.insert if self._db.dialect == "postgresql" else sqlite.insert
        stmt = insert(replay).values(key=key, expires_at=expires_at)
        return stmt.on_conflict_do_update(
            index_elements=[replay.c.key], set_={"expires_at": stmt.excluded.expires_at},
            where=replay.c.expires_at <= now)

    # -- audit ---------------------------------------------------------------------------

    async def record(self, events: list[AuditEvent]) -> None:
        if not events:
            return

        async def op(conn: AsyncConnection) -> bool:
            insert = self._audit_insert = self._audit_insert or audit.BatchInsert(conn.dialect)
            for sql, parameters in insert.statements(events):
                await conn.exec_driver_sql(sql, parameters)
            return True

        await self._db.write(op, bump=False)

    async def recent(self, tenant_id: str, limit: int = 100) -> list[AuditEvent]:
        """The tenant's latest events of both logs, newest first."""
        async with self._db.read() as conn:
            rows = await conn.execute(
                sa.select(audit_events).where(audit_events.c.tenant_id == tenant_id)
                .order_by(audit_events.c.time.desc(), audit_events.c.id.desc())
                .limit(max(limit, 0)))
            return [audit.record_from(r).event for r in rows]

    async def events(self, query: AuditQuery) -> list[AuditRecord]:
        async with self._db.read() as conn:
            return await audit.page(conn, query)

    async def purge_events(self, before: datetime) -> int:
        purged: list[int] = []

        async def op(conn: AsyncConnection) -> bool:
            purged.append(await audit.purge(conn, before))
            return True

        await self._db.write(op, bump=False)
        return purged[0]

    def pool_status(self) -> tuple[int, int]:
        """The pool's configured size and the connections in use (0, 0 when it cannot say)."""
        pool = self._db.engine.pool
        size = getattr(pool, "size", None)
        checked_out = getattr(pool, "checkedout", None)
        if not callable(size) or not callable(checked_out):
            return 0, 0
        return int(size()), int(checked_out())


async def _purge_replay(conn: AsyncConnection, now: float) -> bool:
    await conn.execute(sa.delete(replay).where(replay.c.expires_at <= now))
    return True


def _replay_key(key: str) -> str:
    """Keys longer than the column are stored as their SHA-256 (jti is caller-chosen)."""
    if len(key) <= _REPLAY_KEY_MAX:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
