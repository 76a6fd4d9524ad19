"""Per-process read-through cache of the directory: the token path's only reads.

Every entry (hits and misses alike) is dropped when the store's directory version moves.
Each process polls ``Directory.version()`` every ``cache_seconds`` (one indexed read of a
one-row table), so a revoked grant, disabled app or removed credential stops working for
new tokens within ``cache_seconds`` on every worker and every node sharing the database.
Writes made through this process also invalidate at once.

While the database does not answer, the cache keeps serving what it holds (nobody can change
the directory meanwhile), for at most ``max_age`` seconds after the last version read
(``cache_seconds + max_stale_seconds``); past that every look-up raises ``StoreUnavailable``,
so a node cut off from a database that others still reach cannot serve a revoked grant for
longer than the documented bound (docs/operations.md, "Failure modes").
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from credo import metrics
from credo.errors import StoreUnavailable
from credo.model import (
    Application,
    ClientSnapshot,
    ObjectId,
    ServicePrincipal,
    Tenant,
    TenantId,
    is_guid,
)
from credo.protocol.scopes import guid_identifier
from credo.store.api import Directory


async def resolve_identifier_uri(directory: Directory, tenant: Tenant, uri: str
                                 ) -> tuple[Application, ServicePrincipal | None] | None:
    """The app an App ID URI names for ``tenant``: the tenant's own registration first, else a
    multi-tenant app of another tenant installed here (its service principal exists), so
    another tenant's registration never shadows this tenant's."""
    installed: tuple[Application, ServicePrincipal] | None = None
    for app in await directory.applications_by_identifier_uri(uri):
        sp = await directory.service_principal_for(tenant.id, app.app_id)
        if app.tenant_id == tenant.id:
            return app, sp
        if installed is None and sp is not None and app.multi_tenant:
            installed = app, sp
    return installed

log = logging.getLogger("credo.cache")
T = TypeVar("T")
_MISSING = object()


class DirectoryCache:
    """Cached look-ups for the protocol endpoints; bounded to ``max_entries`` entries."""

    def __init__(self, directory: Directory, *, max_entries: int = 500_000,
                 max_age: float = math.inf, clock: Callable[[], float] = time.monotonic
                 ) -> None:
        self._dir = directory
        self._max = max_entries
        self._entries: dict[tuple[str, ...], object] = {}
        self._version: int | None = None
        self._clock = clock
        self.max_age = max_age
        self.checked = clock()
        """When the directory version was last read (monotonic seconds): the cache's age."""

    @property
    def age(self) -> float:
        """Seconds since the directory version was last read."""
        return self._clock() - self.checked

    def _check_age(self) -> None:
        """Fail closed once the last version read is older than ``max_age``."""
        age = self.age
        if age > self.max_age:
            raise StoreUnavailable("the directory cache is out of date",
                                   detail=f"no directory version read for {age:.0f} s")

    async def _get(self, key: tuple[str, ...], load: Callable[[], Awaitable[T]]) -> T:
        self._check_age()
        value = self._entries.get(key, _MISSING)
        if value is _MISSING:
            value = await load()
            if len(self._entries) >= self._max:
                self._entries.clear()
            self._entries[key] = value
        return value  # type: ignore[return-value]

    def invalidate(self) -> None:
        self._entries.clear()

    async def refresh(self) -> bool:
        """Drop everything when the directory version moved; True when it did."""
        version = await self._dir.version()
        self.checked = self._clock()
        if version == self._version:
            return False
        if self._version is not None:
            metrics.CACHE_RELOADS.inc()
        self._version = version
        self.invalidate()
        return True

    async def tenant(self, segment: str) -> Tenant | None:
        """A tenant by GUID or by any of its domains (case-insensitive)."""
        key = segment.lower()
        self._check_age()
        for cached in (("t", key), ("d", key)):  # the hot path: no GUID parsing
            if cached in self._entries:
                return self._entries[cached]  # type: ignore[return-value]
        if is_guid(key):
            return await self._get(("t", key), lambda: self._dir.tenant(TenantId(key)))
        return await self._get(("d", key), lambda: self._dir.tenant_by_domain(key))

    async def client(self, tenant: Tenant, client_id: str) -> ClientSnapshot | None:
        """The client application and its service principal in ``tenant``."""
        async def load() -> ClientSnapshot | None:
            app = await self._dir.application_by_app_id(client_id.lower())
            if app is None:
                return None
            sp = await self._dir.service_principal_for(tenant.id, app.app_id)
            return ClientSnapshot(tenant, app, sp)
        return await self._get(("c", tenant.id, client_id.lower()), load)

    async def resource(self, tenant: Tenant, identifier: str
                       ) -> tuple[Application, ServicePrincipal | None] | None:
        """The resource app named by an app id or App ID URI, and its SP in ``tenant``."""
        async def load() -> tuple[Application, ServicePrincipal | None] | None:
            app_id = guid_identifier(identifier)
            if app_id is not None:
                app = await self._dir.application_by_app_id(app_id)
                return (app, await self._dir.service_principal_for(tenant.id, app.app_id)
                        ) if app is not None else None
            return await resolve_identifier_uri(self._dir, tenant, identifier)
        return await self._get(("r", tenant.id, identifier), load)

    async def role_ids(self, principal_id: ObjectId, resource_id: ObjectId) -> frozenset[str]:
        """App-role ids assigned to ``principal_id`` on ``resource_id``."""
        async def load() -> frozenset[str]:
            found = await self._dir.assignments_of(principal_id)
            return frozenset(a.app_role_id for a in found if a.resource_id == resource_id)
        return await self._get(("a", principal_id, resource_id), load)


async def poll_versions(cache: DirectoryCache, interval: float,
                        on_change: Callable[[], Awaitable[None]] | None = None) -> None:
    """Background task: keep ``cache`` fresh; never dies on a transient store error."""
    while True:
        await asyncio.sleep(interval)
        try:
            if await cache.refresh() and on_change is not None:
                await on_change()
        except Exception:
            log.warning("directory version poll failed", exc_info=True)
