"""A fresh directory on SQLite for each service test, with the clock and ids injected.

``write_seed`` writes the seed once per session and ``open_world`` opens a copy of it for
each test (``conftest.py``), so every test starts from the same rows and may write freely.
Ids a service makes come from ``Guids`` (``…-000000000001``, ``…-000000000002``, in order)
and its times from ``Clock`` at ``T0``; seeded objects get random ids, so ``ids.made`` is
exactly what the service under test made. ``changes`` counts the calls of ``on_change``
(the snapshot cache's invalidation).

The seed: tenants ``contoso.example`` and ``fabrikam.example``. In contoso, a multi-tenant
Mail API (roles ``Mail.Read``, ``Mail.Send``, a disabled one and a user-only one; scopes
``Mail.ReadBasic`` of type User and ``Mail.ReadAll`` of type Admin), the management API,
and a single-tenant daemon asking for ``Mail.Read``, ``Mail.Send`` and ``Mail.ReadBasic``;
in fabrikam, a multi-tenant partner app asking for ``Mail.Read`` and ``Mail.ReadBasic``.
Users: Ada (Global Administrator), Abe (Application Administrator) and Uma (no role) in
contoso, Fay (Global Administrator) in fabrikam.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import pytest
import sqlalchemy as sa

from credo.model import (
    AppId,
    Application,
    AppRole,
    AuditEvent,
    DirectoryRoleName,
    ObjectId,
    PermissionScope,
    RequiredResourceAccess,
    ResourceAccess,
    ServicePrincipal,
    Tenant,
    TenantId,
    User,
)
from credo.service.audit import AuditBuffer
from credo.service.management.policy import MANAGEMENT_APP_ID, MANAGEMENT_URI, management_roles
from credo.service.sources import Sources
from credo.store import tables
from credo.store.migrate import upgrade
from credo.store.seal import Sealer
from credo.store.sql import SqlStore, open_store

from .token_world import T0, Clock

E = TypeVar("E", bound=BaseException)
T = TypeVar("T")
Rows = dict[str, list[tuple[Any, ...]]]
REDIRECT = "https://daemon.example/consent/done"
READ = AppRole("5b0c0000-0000-4000-8000-00000000a001", "Mail.Read", "Read all mailboxes")
SEND = AppRole("5b0c0000-0000-4000-8000-00000000a002", "Mail.Send", "Send mail as any user")
RETIRED = AppRole("5b0c0000-0000-4000-8000-00000000a003", "Mail.Old", "Retired",
                  is_enabled=False)
FOR_USERS = AppRole("5b0c0000-0000-4000-8000-00000000a004", "Mail.Mine", "Users only",
                    allowed_member_types=("User",))
BASIC = PermissionScope("5b0c0000-0000-4000-8000-00000000b001", "Mail.ReadBasic",
                        admin_consent_display_name="Read basic mail")
ALL_MAIL = PermissionScope("5b0c0000-0000-4000-8000-00000000b002", "Mail.ReadAll", "Admin")


@dataclass
class Guids:
    """Deterministic GUIDs, in the order they were made."""

    made: list[str] = field(default_factory=list)

    def __call__(self) -> str:
        self.made.append(f"00000000-0000-4000-8000-{len(self.made) + 1:012d}")
        return self.made[-1]


@dataclass
class Changes:
    """An ``on_change`` that counts its calls."""

    calls: int = 0

    def __call__(self) -> None:
        self.calls += 1


def guid() -> str:
    return str(uuid.uuid4())


def needs(api: Application, *access: tuple[str, Literal["Role", "Scope"]]
          ) -> RequiredResourceAccess:
    """One ``requiredResourceAccess`` entry: ``(permission id, "Role" | "Scope")`` on ``api``."""
    return RequiredResourceAccess(api.app_id, tuple(ResourceAccess(i, t) for i, t in access))


@dataclass
class World:
    store: SqlStore
    audit: AuditBuffer
    clock: Clock
    ids: Guids
    changes: Changes
    contoso: Tenant
    fabrikam: Tenant

    @property
    def sources(self) -> Sources:
        return Sources(clock=self.clock, new_id=self.ids)

    async def rows(self) -> Rows:
        """Every row of every table but the audit log."""
        rows = {}
        async with self.store._db.engine.connect() as conn:
            for table in tables.metadata.sorted_tables:
                if table is not tables.audit_events:
                    found = await conn.execute(sa.select(table))
                    rows[table.name] = sorted((tuple(r) for r in found.all()), key=repr)
        return rows

    async def events(self, tenant: Tenant) -> list[AuditEvent]:
        """The tenant's audit events, oldest first, once the buffer is written."""
        await self.audit.flush()
        return list(reversed(await self.store.recent(tenant.id, 1000)))

    async def unchanged(self, action: Awaitable[object], error: type[E]) -> E:
        """``action`` raises ``error`` and writes nothing: no row, no ``on_change``."""
        before, calls = await self.rows(), self.changes.calls
        with pytest.raises(error) as info:
            await action
        assert await self.rows() == before
        assert self.changes.calls == calls
        return info.value

    async def written(self, action: Awaitable[T]) -> T:
        """``action`` writes: the directory version moves and ``on_change`` is called once."""
        version, calls = await self.store.version(), self.changes.calls
        done = await action
        assert await self.store.version() > version
        assert self.changes.calls == calls + 1
        return done

    async def app(self, tenant: Tenant, name: str, **fields: Any) -> Application:
        """An application homed in ``tenant``, with its service principal there."""
        app = Application(ObjectId(guid()), AppId(guid()), tenant.id, name, **fields)
        await self.store.save_application(app)
        await self.sp(tenant, app)
        return app

    async def sp(self, tenant: Tenant, app: Application, **fields: Any) -> ServicePrincipal:
        sp = ServicePrincipal(ObjectId(guid()), app.app_id, tenant.id, app.display_name,
                              **fields)
        await self.store.save_service_principal(sp)
        return sp

    async def sp_of(self, tenant: Tenant, app: Application) -> ServicePrincipal | None:
        return await self.store.service_principal_for(tenant.id, app.app_id)

    async def user(self, tenant: Tenant, name: str, *roles: DirectoryRoleName) -> User:
        user = User(ObjectId(guid()), tenant.id, f"{name.lower()}@{tenant.default_domain}",
                    name, directory_roles=roles)
        await self.store.users.add_user(user, "not a hash: nobody signs in here")
        return user


@dataclass(frozen=True)
class Mail:
    api: Application
    api_sp: ServicePrincipal
    management_sp: ServicePrincipal
    daemon: Application
    daemon_sp: ServicePrincipal
    partner: Application
    admin: User
    apps: User
    plain: User
    outsider: User

    async def client(self, world: World, *access: RequiredResourceAccess) -> Application:
        """Another single-tenant client of contoso, asking for ``access``."""
        return await world.app(world.contoso, "Another client", web_redirect_uris=(REDIRECT,),
                               required_resource_access=access)


async def seed_mail(world: World) -> Mail:
    contoso = world.contoso
    api = await world.app(contoso, "Mail API", sign_in_audience="AzureADMultipleOrgs",
                          identifier_uris=("api://mail.contoso.example",),
                          app_roles=(READ, SEND, RETIRED, FOR_USERS),
                          oauth2_permission_scopes=(BASIC, ALL_MAIL))
    management = Application(ObjectId(guid()), AppId(MANAGEMENT_APP_ID), contoso.id,
                             "Credo management API", identifier_uris=(MANAGEMENT_URI,),
                             app_roles=management_roles())
    await world.store.save_application(management)
    daemon = await world.app(contoso, "Mail Daemon", web_redirect_uris=(REDIRECT,),
                             required_resource_access=(needs(
                                 api, (READ.id, "Role"), (SEND.id, "Role"),
                                 (BASIC.id, "Scope")),))
    partner = await world.app(world.fabrikam, "Partner", sign_in_audience="AzureADMultipleOrgs",
                              web_redirect_uris=(REDIRECT,), required_resource_access=(needs(
                                  api, (READ.id, "Role"), (BASIC.id, "Scope")),))
    api_sp, daemon_sp = await world.sp_of(contoso, api), await world.sp_of(contoso, daemon)
    assert api_sp is not None and daemon_sp is not None
    return Mail(api, api_sp, await world.sp(contoso, management), daemon, daemon_sp,
                partner, await world.user(contoso, "Ada", "Global Administrator"),
                await world.user(contoso, "Abe", "Application Administrator"),
                await world.user(contoso, "Uma"),
                await world.user(world.fabrikam, "Fay", "Global Administrator"))


@dataclass(frozen=True)
class Seed:
    """The seeded database, written once per session; each test opens its own copy."""

    path: Path
    contoso: Tenant
    fabrikam: Tenant
    mail: Mail


async def write_seed(path: Path) -> Seed:
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    store = await open_store(url, Sealer(Sealer.generate_key()))
    contoso = Tenant(TenantId(guid()), ("contoso.example",), "Contoso")
    fabrikam = Tenant(TenantId(guid()), ("fabrikam.example",), "Fabrikam", "strict")
    for tenant in (contoso, fabrikam):
        await store.add_tenant(tenant)
    world = World(store, AuditBuffer(store), Clock(T0), Guids(), Changes(), contoso, fabrikam)
    mail = await seed_mail(world)
    await store.close()
    return Seed(path, contoso, fabrikam, mail)


async def open_world(seed: Seed, tmp_path: Path) -> World:
    """A copy of the seeded database, with a fresh clock, id factory and audit buffer."""
    path = tmp_path / "directory.db"
    shutil.copy(seed.path, path)
    store = await open_store(f"sqlite+aiosqlite:///{path}", Sealer(Sealer.generate_key()))
    return World(store, AuditBuffer(store), Clock(T0), Guids(), Changes(), seed.contoso,
                 seed.fabrikam)
