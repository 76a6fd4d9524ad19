"""The narrow storage contract the service layer sees (docs/architecture.md).

One SQLAlchemy Core implementation (``store/sql.py``) serves SQLite and PostgreSQL; the
contract suite in ``tests/store/`` runs against both. Every write is one transaction and
bumps the directory version, which invalidates the per-process snapshot caches.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from credo.model import (
    Application,
    AppRoleAssignment,
    AuditEvent,
    AuditQuery,
    AuditRecord,
    AuthorizationCode,
    BrowserSession,
    DelegatedGrant,
    ObjectId,
    RefreshToken,
    ServicePrincipal,
    SigningKey,
    Tenant,
    TenantId,
    User,
)


class Directory(Protocol):
    """Tenants, applications (with their credentials), service principals, assignments."""

    async def tenant(self, tenant_id: TenantId) -> Tenant | None: ...
    async def tenant_by_domain(self, domain: str) -> Tenant | None:
        """Case-insensitive match on any of the tenant's domains."""
    async def tenants(self) -> list[Tenant]: ...
    async def add_tenant(self, tenant: Tenant) -> None:
        """Raises ``ObjectConflict`` when the id or one of the domains is taken."""
    async def update_tenant(self, tenant: Tenant) -> None: ...

    async def application(self, object_id: ObjectId) -> Application | None: ...
    async def application_by_app_id(self, app_id: str) -> Application | None: ...
    async def applications_by_identifier_uri(self, uri: str) -> list[Application]:
        """Applications of every tenant with ``uri`` among their identifier URIs, compared in
        canonical form (unique per tenant), oldest first."""
    async def applications(self, tenant_id: TenantId) -> list[Application]:
        """Applications whose home tenant is ``tenant_id``."""
    async def save_application(self, app: Application) -> None:
        """Insert or replace the application with all its credentials, atomically.

        Raises ``ObjectConflict`` when an identifier URI is already used by another application.
        """
    async def delete_application(self, object_id: ObjectId) -> None:
        """Deletes the app, its credentials, its service principals and their assignments."""

    async def service_principal(self, object_id: ObjectId) -> ServicePrincipal | None: ...
    async def service_principal_for(self, tenant_id: TenantId, app_id: str
                                    ) -> ServicePrincipal | None: ...
    async def service_principals(self, tenant_id: TenantId) -> list[ServicePrincipal]: ...
    async def service_principals_of_app(self, app_id: str) -> list[ServicePrincipal]:
        """The app's service principals in every tenant."""
    async def save_service_principal(self, sp: ServicePrincipal) -> None:
        """Insert or replace; raises ``ObjectConflict`` for a second SP of one app in one tenant."""
    async def delete_service_principal(self, object_id: ObjectId) -> None:
        """Deletes the SP and every assignment it is principal or resource of."""

    async def assignment(self, assignment_id: str) -> AppRoleAssignment | None: ...
    async def assignments_of(self, principal_id: ObjectId) -> list[AppRoleAssignment]:
        """Assignments granted *to* a principal (Graph ``appRoleAssignments``)."""
    async def assignments_on(self, resource_id: ObjectId) -> list[AppRoleAssignment]:
        """Assignments granted *on* a resource SP (Graph ``appRoleAssignedTo``)."""
    async def named_assignments(self, *, principal_id: ObjectId | None = None,
                                resource_id: ObjectId | None = None
                                ) -> list[tuple[AppRoleAssignment, str, str]]:
        """Assignments to ``principal_id`` (or on ``resource_id``) with the display names
        of their principal and resource, in one query."""
    async def roles_held(self, app_id: str, resource_app_id: str
                         ) -> list[tuple[TenantId, str]]:
        """``(tenant, app role id)`` of the roles an app holds on another app, everywhere."""
    async def add_assignment(self, assignment: AppRoleAssignment) -> None:
        """Raises ``ObjectConflict`` when the same (principal, resource, role) exists."""
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


Window = tuple[int, float]
"""``(failures, end of the window as epoch seconds)`` of one failure counter."""


class FailureCounter(Protocol):
    """Failures per key in fixed windows: shared by every worker and node through Redis
    (``cache/failures.py``), or per process. Raises ``StoreUnavailable`` when it cannot answer."""

    async def add(self, keys: Sequence[str], window: float, now: float) -> list[Window]:
        """Counts one failure on each key atomically; a key's window opens at its first
        failure and lasts ``window`` seconds. The windows after counting, in order."""
    async def counts(self, keys: Sequence[str], now: float) -> list[Window]:
        """The open windows of ``keys``, in order (``(0, now)`` for a key with none)."""
    async def failing(self, now: float) -> dict[str, float]:
        """Every key with an open window, and when it ends."""


class AuditLog(Protocol):
    """Sign-in and directory events, written in batches, read one tenant's log at a time."""

    async def record(self, events: list[AuditEvent]) -> None:
        """Inserts the batch in one transaction (all or nothing)."""
    async def recent(self, tenant_id: str, limit: int = 100) -> list[AuditEvent]:
        """The tenant's latest events of both logs, newest first."""
    async def events(self, query: AuditQuery) -> list[AuditRecord]:
        """One page of one tenant's log matching every filter of ``query``, newest first."""
    async def purge_events(self, before: datetime) -> int:
        """Deletes events older than ``before`` (retention); returns how many."""


class UserDirectory(Protocol):
    """Users of every tenant; the argon2id hash is read and written apart from ``User``."""

    async def user(self, user_id: ObjectId) -> User | None: ...
    async def user_by_upn(self, user_principal_name: str) -> User | None:
        """Case-insensitive match (UPNs are unique across the directory)."""
    async def users(self, tenant_id: TenantId) -> list[User]: ...
    async def add_user(self, user: User, password_hash: str) -> None:
        """Raises ``ObjectConflict`` for a taken id or UPN, ``ObjectNotFound`` for an unknown
        tenant."""
    async def update_user(self, user: User, *, password_hash: str | None = None) -> None:
        """Replaces display name, UPN, enabled flag and directory roles, and with
        ``password_hash`` the password (changed at ``user.password_changed``), atomically."""
    async def set_password_hash(self, user_id: ObjectId, password_hash: str,
                                changed: datetime) -> None: ...
    async def password_hash(self, user_id: ObjectId) -> str | None: ...
    async def delete_user(self, user_id: ObjectId) -> None: ...


class SignInThrottle(Protocol):
    """Failed sign-in counters per key (a user name or a client address), shared by nodes."""

    async def failure_counts(self, keys: Sequence[str]) -> dict[str, tuple[int, float]]:
        """``(failures, last failure as epoch seconds)`` of each key that has a record."""
    async def add_failure(self, keys: Sequence[str], now: float, reset_after: float) -> None:
        """Counts one failure on each key atomically; a key quiet for ``reset_after``
        seconds starts again at one."""
    async def clear_failures(self, keys: Sequence[str]) -> None: ...


class FamiliarAddresses(Protocol):
    """The addresses that signed each user in (smart lockout), as keyed hashes only."""

    async def is_familiar(self, user_id: ObjectId, address_hash: str, since: float) -> bool:
        """True when the address signed the user in at or after ``since`` (epoch seconds)."""
    async def remember_address(self, user_id: ObjectId, address_hash: str, now: float,
                               forget_before: float) -> None:
        """Records a sign-in from the address at ``now``; records last seen before
        ``forget_before`` are purged now and then. An unknown user records nothing."""


class SessionStore(Protocol):
    """Browser sessions, looked up by the hash of the cookie's secret, shared by nodes."""

    async def add_session(self, token_hash: str, session: BrowserSession) -> None:
        """Raises ``ObjectNotFound`` when the user no longer exists."""
    async def session(self, token_hash: str) -> BrowserSession | None: ...
    async def touch_session(self, token_hash: str, seen: datetime) -> None: ...
    async def end_session(self, token_hash: str) -> None: ...
    async def end_user_sessions(self, user_id: ObjectId) -> None: ...
    async def purge_sessions(self, before: datetime) -> int:
        """Deletes the sessions that expired before ``before``; returns how many."""


class PortalTokenStore(Protocol):
    """The portal's tokens of one browser session (sealed at rest; aad = the session's hash).

    A row exists only while its session does: ending or purging the session deletes it."""

    async def save_portal_tokens(self, session_hash: str, payload: bytes,
                                 updated: datetime) -> None:
        """Insert or replace; raises ``ObjectNotFound`` when the session no longer exists."""
    async def portal_tokens(self, session_hash: str) -> bytes | None:
        """The unsealed payload, or None (no row, or a blob that does not open)."""
    async def forget_portal_tokens(self, session_hash: str) -> None: ...


class ConsentWriter(Protocol):
    """Admin consent written in one transaction (a failure writes nothing)."""

    async def apply_admin_consent(self, new_sp: ServicePrincipal | None,
                                  assignments: Sequence[AppRoleAssignment],
                                  delegated: Sequence[DelegatedGrant] = (),
                                  ) -> list[AppRoleAssignment]:
        """Saves ``new_sp`` (when given), then each assignment whose (principal, resource,
        role) is not held yet, then merges each ``AllPrincipals`` grant's scopes into the
        one of its (client, resource) pair; returns the assignments created."""


class FlowStore(Protocol):
    """Delegated flows: consent grants, single-use codes, rotating refresh-token families.

    Codes and refresh tokens are looked up by their keyed hash (``code_hash``,
    ``token_hash``); the clear values are never stored.
    """

    async def delegated_grants(self, tenant_id: TenantId | None, *,
                               client_id: ObjectId | None = None,
                               resource_id: ObjectId | None = None) -> list[DelegatedGrant]:
        """The grants of one tenant (of every tenant for ``None``), optionally of one client
        and one resource."""
    async def delegated_grant(self, grant_id: str) -> DelegatedGrant | None: ...
    async def save_delegated_grant(self, grant: DelegatedGrant) -> None:
        """Insert, or replace the scope of the grant with that id; raises ``ObjectConflict`` for a
        second grant of one (client, resource, principal) and ``ObjectNotFound`` for an unknown
        service principal or user."""
    async def delete_delegated_grant(self, grant_id: str) -> None: ...

    async def add_code(self, code: AuthorizationCode) -> None: ...
    async def authorization_code(self, code_hash: str) -> AuthorizationCode | None: ...
    async def redeem_code(self, code_hash: str, now: datetime) -> bool:
        """Atomically marks the code used: True for the one caller that redeemed it (its
        refresh-token family now exists); False when it was used already, in which case the
        family it started is revoked (RFC 6749 §4.1.2)."""

    async def refresh_token(self, token_hash: str) -> RefreshToken | None:
        """The token, with ``revoked`` set when its family is revoked."""
    async def issue_refresh_token(self, token: RefreshToken, *, retire: str | None,
                                  now: datetime) -> bool:
        """Adds ``token`` to its family, retiring the token hashed ``retire`` in the same
        transaction. False when the family is revoked, or when ``retire`` was already
        retired: then the family is revoked (reuse detection)."""
    async def start_refresh_family(self, first: RefreshToken) -> None:
        """A new family holding ``first``, both written in one transaction (a grant that
        issues refresh tokens without a code: on-behalf-of)."""
    async def revoke_family(self, family_id: str, now: datetime) -> None: ...
    async def revoke_user_tokens(self, user_id: ObjectId, now: datetime) -> None:
        """Revokes every refresh-token family of the user (password reset, disabling)."""

