"""Users and their directory roles, as the management API sees them.

Graph: https://learn.microsoft.com/graph/api/resources/user and
https://learn.microsoft.com/graph/api/directoryrole-post-members. Writes need
``User.ReadWrite.All`` (users) or ``RoleManagement.ReadWrite.Directory`` (role members).
A user is created, changed or deleted only by a caller covering what the user may do
(policy.py): every user reads the directory (``Directory.Read.All``), so a caller without it
cannot make itself a reader by creating a user or setting one's password. A user holding a
directory role is changed only by a caller also holding ``RoleManagement.ReadWrite.Directory``
and covering what the roles allow, and a role is assigned only by a caller covering what it
allows: no administrator is made, reset or removed by someone weaker. A password is never
returned or logged.
"""

from __future__ import annotations

from credo.model import DirectoryRoleName, User
from credo.service.management.caller import Caller
from credo.service.management.policy import (
    ROLE_DIRECTORY_ROLES,
    ROLE_READ,
    ROLE_USERS,
    require_any,
    require_covers,
)
from credo.service.management.powers import Powers
from credo.service.users import UserService, directory_role

READERS = (ROLE_READ, ROLE_USERS, ROLE_DIRECTORY_ROLES)


class Users:
    def __init__(self, users: UserService, powers: Powers) -> None:
        self._users = users
        self._powers = powers

    @staticmethod
    def check_read(caller: Caller) -> None:
        require_any(caller.power, caller.tenant.id, READERS)

    async def all(self, caller: Caller) -> list[User]:
        require_any(caller.power, caller.tenant.id, READERS)
        return await self._users.all(caller.tenant)

    async def get(self, caller: Caller, ref: str) -> User:
        require_any(caller.power, caller.tenant.id, READERS)
        return await self._users.get(caller.tenant, ref)

    async def create(self, caller: Caller, *, user_principal_name: str, display_name: str,
                     password: str, account_enabled: bool) -> User:
        require_any(caller.power, caller.tenant.id, (ROLE_USERS,))
        require_covers(caller.power, self._powers.of_roles(caller.tenant.id, ()), "a new user")
        return await self._users.create(caller.tenant, user_principal_name, display_name,
                                        password, account_enabled=account_enabled)

    async def update(self, caller: Caller, ref: str, *, display_name: str | None,
                     user_principal_name: str | None, account_enabled: bool | None,
                     password: str | None) -> None:
        """Graph ``PATCH /users/{id}``, the password included, in one transaction."""
        user = await self._changeable(caller, ref)
        await self._users.update(caller.tenant, user, display_name=display_name,
                                 user_principal_name=user_principal_name,
                                 account_enabled=account_enabled, password=password)

    async def delete(self, caller: Caller, ref: str) -> None:
        await self._users.delete(await self._changeable(caller, ref))

    async def _changeable(self, caller: Caller, ref: str) -> User:
        require_any(caller.power, caller.tenant.id, (ROLE_USERS,))
        user = await self._users.get(caller.tenant, ref)
        if user.directory_roles:
            require_any(caller.power, caller.tenant.id, (ROLE_DIRECTORY_ROLES,))
        require_covers(caller.power, self._powers.of_user(user), f"user {user.id}")
        return user

    async def members(self, caller: Caller, role_ref: str
                      ) -> tuple[DirectoryRoleName, list[User]]:
        require_any(caller.power, caller.tenant.id, READERS)
        role = directory_role(role_ref)
        return role, await self._users.role_members(caller.tenant, role)

    async def add_member(self, caller: Caller, role_ref: str, user_ref: str) -> None:
        """Graph ``POST /directoryRoles/{id}/members/$ref``."""
        role = self._assignable(caller, role_ref)
        await self._users.assign_role(await self._users.get(caller.tenant, user_ref), role)

    async def remove_member(self, caller: Caller, role_ref: str, user_ref: str) -> None:
        """Graph ``DELETE /directoryRoles/{id}/members/{userId}/$ref``."""
        role = self._assignable(caller, role_ref)
        user = await self._users.get(caller.tenant, user_ref)
        require_covers(caller.power, self._powers.of_user(user), f"user {user.id}")
        await self._users.remove_role(user, role)

    def _assignable(self, caller: Caller, role_ref: str) -> DirectoryRoleName:
        require_any(caller.power, caller.tenant.id, (ROLE_DIRECTORY_ROLES,))
        role = directory_role(role_ref)
        require_covers(caller.power, self._powers.of_roles(caller.tenant.id, (role,)),
                       f"the directory role {role}")
        return role
