"""The power of a principal, read from the directory (the pure model is policy.py)."""

from __future__ import annotations

from credo.model import User
from credo.service.directory import DirectoryService
from credo.service.management.policy import MANAGEMENT_APP_ID, Power, management_roles, user_power


class Powers:
    """Looks up what an app or a user can do through the management API."""

    def __init__(self, directory: DirectoryService, *, operator_app_id: str) -> None:
        self._dir = directory
        self._operator = operator_app_id
        self.builtins = frozenset(a for a in (MANAGEMENT_APP_ID, operator_app_id) if a)
        self._values = {r.id: r.value for r in management_roles()}

    async def of_app(self, app_id: str) -> Power:
        """The management roles the app's service principals hold, in every tenant."""
        if app_id == self._operator:
            return Power(everything=True)
        held = await self._dir.roles_held(app_id, MANAGEMENT_APP_ID)
        return Power(frozenset((tenant, self._values[role]) for tenant, role in held
                               if role in self._values))

    @staticmethod
    def of_user(user: User) -> Power:
        return user_power(user.tenant_id, user.directory_roles)
