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
from credo.store.api import FlowStore


class Powers:
    """Looks up what an app or a user can do through the management API."""

    def __init__(self, directory: DirectoryService, flows: FlowStore, *, operator_app_id: str,
                 bootstrap_tenant: str = "") -> None:
        self._dir = directory
        self._flows = flows
        self._operator = operator_app_id
        self._bootstrap = bootstrap_tenant.lower()
        self.builtins = frozenset(a for a in (MANAGEMENT_APP_ID, PORTAL_APP_ID, operator_app_id)
                                  if a)
        self._values = {r.id: r.value for r in management_roles()}

    async def of_app(self, app_id: str) -> Power:
        """What the app's service principals can exercise, in every tenant: the management
        roles they hold, and the management API's delegated permissions granted to them (for
        whoever signs in to the app), so no one weaker re-arms a pre-consented app."""
        if app_id == self._operator:
            return Power(everything=True)
        held = await self._dir.roles_held(app_id, MANAGEMENT_APP_ID)
        pairs = {(tenant, self._values[role]) for tenant, role in held if role in self._values}
        management = await self._dir.service_principals_of_app(MANAGEMENT_APP_ID)
        for tenant, sp in (await self._dir.service_principals_of_app(app_id)).items():
            if tenant in management:
                for grant in await self._flows.delegated_grants(
                        sp.tenant_id, client_id=sp.id, resource_id=management[tenant].id):
                    pairs |= {(sp.tenant_id, value) for value in grant.scope.split()}
        return Power(frozenset(pairs))

    def of_roles(self, tenant: TenantId, roles: Iterable[DirectoryRoleName]) -> Power:
        """What these directory roles allow a user of ``tenant``."""
        return user_power(tenant, roles, bootstrap=tenant == self._bootstrap)

    def of_user(self, user: User) -> Power:
        return self.of_roles(user.tenant_id, user.directory_roles)
