"""The management plane's permission model: who may do what, and why power never grows.

Pure rules, no I/O (docs/security.md tells the whole model). A principal's *power* is the
set of ``(tenant, management permission)`` pairs it can exercise: an app's are the
management API's app roles assigned to its service principals, a user's are implied by
the user's directory roles, and the operator app's are everything. Every change that could
hand power to someone needs the caller to hold that power already:

* a role of the management API is granted only by the operator or a Global Administrator,
  and only a role the caller holds; ``Tenant.ReadWrite.All`` never (only ``credo init``);
* an app's credentials, manifest and service principal change only when the caller covers
  the power of that app (no secret added to a stronger app, no stronger app deleted);
* a directory role is assigned, and a user holding one is changed, only by a caller
  covering what the role implies (no password reset of a stronger administrator);
* the built-in apps — the management API, the operator and the portal — and their grants
  are immutable through the API, whoever asks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from credo.errors import NotPermitted
from credo.model import AppRole, DirectoryRoleName, PermissionScope, TenantId
from credo.service.builtin_apps import MANAGEMENT_APP_ID, MANAGEMENT_URI, PORTAL_APP_ID

__all__ = ["MANAGEMENT_APP_ID", "MANAGEMENT_URI", "PORTAL_APP_ID"]  # and the rules below
MANAGEMENT_SCOPE = f"{MANAGEMENT_URI}/.default"
ROLE_APPS = "Application.ReadWrite.All"
ROLE_GRANTS = "AppRoleAssignment.ReadWrite.All"
ROLE_READ = "Directory.Read.All"
ROLE_AUDIT = "AuditLog.Read.All"
ROLE_TENANTS = "Tenant.ReadWrite.All"
ROLE_USERS = "User.ReadWrite.All"
ROLE_DIRECTORY_ROLES = "RoleManagement.ReadWrite.Directory"
TENANT_ADMIN_ROLES = (ROLE_APPS, ROLE_GRANTS, ROLE_READ, ROLE_AUDIT)

_DESCRIPTIONS = {
    ROLE_APPS: "Create, change and delete applications, their credentials and service "
               "principals in the tenant.",
    ROLE_GRANTS: "Grant and revoke application permissions (admin consent) in the tenant.",
    ROLE_READ: "Read the tenant's applications, service principals and grants.",
    ROLE_AUDIT: "Read the tenant's sign-in and directory-audit logs.",
    ROLE_TENANTS: "Create and list tenants (bootstrap tenant only).",
    ROLE_USERS: "Create, change and delete the tenant's users and their passwords.",
    ROLE_DIRECTORY_ROLES: "Assign and remove the tenant's directory (administrator) roles.",
}


def management_scopes() -> tuple[PermissionScope, ...]:
    """The delegated permissions of the management API: one per permission, for a signed-in
    user's client (the portal); a token's ``scp`` counts only within the user's own power."""
    return tuple(
        PermissionScope(str(uuid.uuid5(uuid.UUID(MANAGEMENT_APP_ID), f"scope:{value}")), value,
                        "Admin", admin_consent_display_name=value,
                        admin_consent_description=text,
                        user_consent_display_name=value, user_consent_description=text)
        for value, text in _DESCRIPTIONS.items())


def management_roles() -> tuple[AppRole, ...]:
    """Stable role ids (UUIDv5 of the value) so tokens and grants survive re-creation."""
    return tuple(
        AppRole(str(uuid.uuid5(uuid.UUID(MANAGEMENT_APP_ID), value)), value, value, text)
        for value, text in _DESCRIPTIONS.items())


GRANT_MANAGEMENT = "credo:GrantManagementRoles"
"""Not an app role: what only the operator and a Global Administrator can do, grant the
management API's roles."""
DENIED = "Insufficient privileges to complete the operation."

IMPLIED: dict[DirectoryRoleName, frozenset[str]] = {
    "Global Administrator": frozenset({ROLE_APPS, ROLE_GRANTS, ROLE_READ, ROLE_AUDIT,
                                       ROLE_USERS, ROLE_DIRECTORY_ROLES, GRANT_MANAGEMENT}),
    "Application Administrator": frozenset({ROLE_APPS, ROLE_GRANTS, ROLE_READ, ROLE_AUDIT}),
    "Cloud Application Administrator": frozenset({ROLE_APPS, ROLE_GRANTS, ROLE_READ,
                                                  ROLE_AUDIT}),
}
"""What each directory role allows through the management API (Entra's role definitions,
narrowed to what Credo manages). The logs are the administrators': a user without a role
reads the directory but not who signed in from where (Entra's ``AuditLog.Read.All``)."""
PLAIN_USER = frozenset({ROLE_READ})


@dataclass(frozen=True)
class Power:
    """``(tenant, permission)`` pairs; ``everything`` is the operator's."""

    pairs: frozenset[tuple[TenantId, str]] = frozenset()
    everything: bool = False

    @staticmethod
    def of(tenant: TenantId, permissions: Iterable[str]) -> Power:
        return Power(frozenset((tenant, p) for p in permissions))

    def __or__(self, other: Power) -> Power:
        return Power(self.pairs | other.pairs, self.everything or other.everything)

    def __and__(self, other: Power) -> Power:
        """What both allow: a delegated token's scopes within its user's power."""
        if self.everything or other.everything:
            return other if self.everything else self
        return Power(self.pairs & other.pairs)

    def covers(self, other: Power) -> bool:
        return self.everything or (not other.everything and other.pairs <= self.pairs)

    def holds(self, tenant: TenantId, permission: str) -> bool:
        return self.everything or (tenant, permission) in self.pairs


def user_power(tenant: TenantId, roles: Iterable[DirectoryRoleName], *,
               bootstrap: bool = False) -> Power:
    """What a user's directory roles allow in their tenant; a Global Administrator of the
    bootstrap tenant also runs the deployment (``Tenant.ReadWrite.All`` there)."""
    allowed = set(PLAIN_USER)
    for role in roles:
        allowed |= IMPLIED[role]
    if bootstrap and "Global Administrator" in roles:
        allowed.add(ROLE_TENANTS)
    return Power.of(tenant, allowed)


def refuse(reason: str) -> NotPermitted:
    """Graph's 403 message; the reason goes to the log and the audit event only."""
    return NotPermitted(DENIED, detail=reason)


def require_any(power: Power, tenant: TenantId, permissions: Iterable[str]) -> None:
    """The route's permission: at least one of ``permissions`` in ``tenant``."""
    wanted = tuple(permissions)
    if not any(power.holds(tenant, p) for p in wanted):
        raise refuse(f"needs one of {sorted(wanted)}")


def require_covers(caller: Power, target: Power, what: str) -> None:
    """No change may reach a principal stronger than the caller."""
    if not caller.covers(target):
        missing = sorted(f"{p} in {t}" for t, p in target.pairs - caller.pairs)
        raise refuse(f"{what} holds more than the caller: {', '.join(missing) or 'everything'}")


def require_not_builtin(app_id: str, builtins: frozenset[str], what: str) -> None:
    """The management API, the operator and the portal stay as ``credo init`` made them."""
    if app_id in builtins:
        raise refuse(f"{what} is built in and cannot be changed through the API")


def require_may_grant_management_role(caller: Power, tenant: TenantId, role: str) -> None:
    """A management API role: never Tenant.ReadWrite.All; else operator or Global
    Administrator, holding the role themselves."""
    if role == ROLE_TENANTS:
        raise refuse("Tenant.ReadWrite.All is granted by `credo init` only")
    if not caller.holds(tenant, GRANT_MANAGEMENT):
        raise refuse("only the operator or a Global Administrator grants management roles")
    if not caller.holds(tenant, role):
        raise refuse(f"the caller does not hold {role} itself")
