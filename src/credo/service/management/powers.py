"""The power of a principal, read from the directory (the pure model is policy.py)."""

from __future__ import annotations

from collections.abc import Iterable

from credo.model import DirectoryRoleName, TenantId, User
from credo.service.directory import DirectoryService
from credo.service.management.policy import (
    MANAGEMENT_APP_ID,
    PORTAL_APP_ID,
    Power,
    management_roles,
    user_power,
)


class Powers:
    """Looks up what an app or a user can do through the management API."""

    def __init__(self, directory: DirectoryService, *, operator_app_id: str,
                 bootstrap_tenant: str = "") -> None:
        self._dir = directory
        self._operator = operator_app_id
        self._bootstrap = bootstrap_tenant.lower()
        self.builtins = frozenset(a for a in (MANAGEMENT_APP_ID, PORTAL_APP_ID, operator_app_id)
                                  if a)
        self._values = {r.id: r.value for r in management_roles()}

    async def of_app(self, app_id: str) -> Power:
        """The management roles the app's service principals hold, in every tenant."""
        if app_id == self._operator:
            return Power(everything=True)
        held = await self._dir.roles_held(app_id, MANAGEMENT_APP_ID)
        return Power(frozenset((tenant, self._values[role]) for tenant, role in held
                               if role in self._values))

    def of_roles(self, tenant: TenantId, roles: Iterable[DirectoryRoleName]) -> Power:
        """What these directory roles allow a user of ``tenant``."""
        return user_power(tenant, roles, bootstrap=tenant == self._bootstrap)

    def of_user(self, user: User) -> Power:
        return self.of_roles(user.tenant_id, user.directory_roles)
