"""The narrow storage contract the service layer sees (ARCHITECTURE.md §4, D5).

One SQLAlchemy Core implementation (``store/sql.py``) serves SQLite and PostgreSQL; the
contract suite in ``tests/store/`` runs against both. Every write is one transaction and
bumps the directory version, which invalidates the per-process snapshot caches.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from credo.model import (
    Application,
    AppRoleAssignment,
    AuditEvent,
    ObjectId,
    ServicePrincipal,
    SigningKey,
    Tenant,
    TenantId,
)


class Directory(Protocol):
    """Tenants, applications (with their credentials), service principals, assignments."""

    async def tenant(self, tenant_id: TenantId) -> Tenant | None: ...
    async def tenant_by_domain(self, domain: str) -> Tenant | None:
        """Case-insensitive match on any of the tenant's domains."""
    async def tenants(self) -> list[Tenant]: ...
    async def add_tenant(self, tenant: Tenant) -> None:
        """Raises ``Conflict`` when the id or one of the domains is taken."""
    async def update_tenant(self, tenant: Tenant) -> None: ...

    async def application(self, object_id: ObjectId) -> Application | None: ...
    async def application_by_app_id(self, app_id: str) -> Application | None: ...
    async def application_by_identifier_uri(self, uri: str) -> Application | None:
        """Exact match on one of ``identifier_uris`` (unique across the directory)."""
    async def applications(self, tenant_id: TenantId) -> list[Application]:
        """Applications whose home tenant is ``tenant_id``."""
    async def save_application(self, app: Application) -> None:
        """Insert or replace the application with all its credentials, atomically.

        Raises ``Conflict`` when an identifier URI is already used by another application.
        """
    async def delete_application(self, object_id: ObjectId) -> None:
        """Deletes the app, its credentials, its service principals and their assignments."""

    async def service_principal(self, object_id: ObjectId) -> ServicePrincipal | None: ...
    async def service_principal_for(self, tenant_id: TenantId, app_id: str
                                    ) -> ServicePrincipal | None: ...
    async def service_principals(self, tenant_id: TenantId) -> list[ServicePrincipal]: ...
    async def save_service_principal(self, sp: ServicePrincipal) -> None:
        """Insert or replace; raises ``Conflict`` for a second SP of one app in one tenant."""
    async def delete_service_principal(self, object_id: ObjectId) -> None:
        """Deletes the SP and every assignment it is principal or resource of."""

    async def assignment(self, assignment_id: str) -> AppRoleAssignment | None: ...
    async def assignments_of(self, principal_id: ObjectId) -> list[AppRoleAssignment]:
        """Assignments granted *to* a principal (Graph ``appRoleAssignments``)."""
    async def assignments_on(self, resource_id: ObjectId) -> list[AppRoleAssignment]:
        """Assignments granted *on* a resource SP (Graph ``appRoleAssignedTo``)."""
    async def add_assignment(self, assignment: AppRoleAssignment) -> None:
        """Raises ``Conflict`` when the same (principal, resource, role) exists."""
    async def delete_assignment(self, assignment_id: str) -> None: ...

    async def version(self) -> int:
        """A counter bumped by every directory write (snapshot-cache invalidation)."""


class KeyRing(Protocol):
    """Token-signing keys; private parts are sealed at rest by the store's sealer."""

    async def signing_keys(self) -> list[SigningKey]:
        """All keys that are not purged, private parts unsealed."""
    async def add_signing_key(self, key: SigningKey) -> None: ...
    async def rotate(self, *, expected_active: str | None, new_next: SigningKey,
                     now: datetime) -> bool:
        """Atomically: next → active, active → retired, insert ``new_next``.

        Returns False and changes nothing when the active key's kid is no longer
        ``expected_active`` (another node rotated first).
        """
    async def purge_retired(self, before: datetime) -> int:
        """Deletes keys retired before ``before``; returns how many."""


class ReplayStore(Protocol):
    """RFC 7523 §3 item 7 (``jti``): one atomic add-if-absent, shared by every worker."""

    async def add_if_absent(self, key: str, expires_at: float) -> bool:
        """True when ``key`` was recorded now, False when it was already there.

        Raises ``StoreUnavailable`` when the store cannot answer (callers fail closed).
        """


class AuditLog(Protocol):
    async def record(self, events: list[AuditEvent]) -> None: ...
    async def recent(self, tenant_id: str, limit: int = 100) -> list[AuditEvent]: ...
