"""Users of a tenant and their directory roles (Graph ``user``, ``directoryRole``).

Graph: https://learn.microsoft.com/graph/api/resources/user and
https://learn.microsoft.com/graph/api/resources/directoryrole. A user principal name is
``local@domain`` where ``domain`` is one of the tenant's domains (as Entra requires a
verified domain), stored lower-cased and unique across the directory. The admin roles are
Global Administrator, Application Administrator and Cloud Application Administrator
(``model.DIRECTORY_ROLE_TEMPLATES``); a user with none is a plain user.

Accessors for other services (the delegated flows): :meth:`UserService.by_id`,
:meth:`UserService.by_upn`, :meth:`UserService.get` (tenant-scoped, raises ``ObjectNotFound``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable

from credo.display_names import check_display_name
from credo.errors import FieldError, InvalidInput, ObjectNotFound
from credo.model import (
    DIRECTORY_ROLE_TEMPLATES,
    DirectoryRoleName,
    ObjectId,
    Tenant,
    User,
    is_guid,
)
from credo.service.passwords import Passwords, check_policy
from credo.service.sources import SYSTEM, Sources
from credo.store.api import UserDirectory

_LOCAL_PART = re.compile(r"^[A-Za-z0-9'_!#^~+-]+(\.[A-Za-z0-9'_!#^~+-]+)*$")
MAX_LOCAL_PART = 64
MAX_DISPLAY_NAME = 256


def directory_role(ref: str) -> DirectoryRoleName:
    """A directory role by display name (case-insensitive) or role template id."""
    for name, template in DIRECTORY_ROLE_TEMPLATES.items():
        if ref.strip().lower() in (name.lower(), template):
            return name
    raise ObjectNotFound(f"Directory role '{ref[:80]}' does not exist. Known roles: "
                   f"{', '.join(DIRECTORY_ROLE_TEMPLATES)}.")


def _check_upn(tenant: Tenant, upn: str) -> str:
    local, at, domain = upn.strip().lower().rpartition("@")
    problem = ""
    if not at or not _LOCAL_PART.match(local) or len(local) > MAX_LOCAL_PART:
        problem = "must be name@domain with letters, digits and ' . - _ ! # ^ ~ + in the name"
    elif domain not in tenant.domains:
        problem = f"the domain must be one of the tenant's: {', '.join(tenant.domains)}"
    if problem:
        raise InvalidInput("Invalid value specified for property 'userPrincipalName' of "
                         "resource 'User'.", details=[FieldError("userPrincipalName", problem)])
    return f"{local}@{domain}"


def _check_display_name(name: str) -> str:
    name = check_display_name(name.strip(), "displayName", "User")
    if not 0 < len(name) <= MAX_DISPLAY_NAME:
        raise InvalidInput("Invalid value specified for property 'displayName' of resource "
                         "'User'.", details=[FieldError(
                             "displayName", f"1 to {MAX_DISPLAY_NAME} characters")])
    return name


class UserService:
    """Create, read, change and delete users; every write validates first.

    ``revoke_access(user_id)`` runs after a password change, a disabling and before a
    deletion: it revokes the delegated flows' refresh tokens and ends every browser session
    of the user on every node.
    """

    def __init__(self, store: UserDirectory, passwords: Passwords, *,
                 revoke_access: Callable[[ObjectId], Awaitable[None]] | None = None,
                 sources: Sources = SYSTEM) -> None:
        self._store = store
        self.passwords = passwords
        self._revoke = revoke_access
        self._sources = sources

    async def by_id(self, user_id: str) -> User | None:
        """Any user by object id (not tenant-scoped); None when unknown."""
        return await self._store.user(ObjectId(user_id.lower())) if is_guid(user_id) else None

    async def by_upn(self, tenant: Tenant, user_principal_name: str) -> User | None:
        """The tenant's user with this UPN (case-insensitive); None when unknown."""
        found = await self._store.user_by_upn(user_principal_name.strip().lower())
        return found if found is not None and found.tenant_id == tenant.id else None

    async def get(self, tenant: Tenant, ref: str) -> User:
        """Graph ``GET /users/{id | userPrincipalName}`` within ``tenant``."""
        found = await self.by_id(ref) if is_guid(ref) else await self.by_upn(tenant, ref)
        if found is None or found.tenant_id != tenant.id:
            raise ObjectNotFound(f"Resource '{ref[:200]}' does not exist or one of its queried "
                           "reference-property objects are not present.")
        return found

    async def all(self, tenant: Tenant) -> list[User]:
        return await self._store.users(tenant.id)

    async def create(self, tenant: Tenant, user_principal_name: str, display_name: str,
                     password: str, *, account_enabled: bool = True,
                     roles: tuple[DirectoryRoleName, ...] = ()) -> User:
        upn = _check_upn(tenant, user_principal_name)
        name = _check_display_name(display_name)
        check_policy(password, user_principal_name=upn)
        now = self._sources.now()
        user = User(ObjectId(self._sources.new_id()), tenant.id, upn, name, account_enabled,
                    tuple(dict.fromkeys(roles)), now, now)
        await self._store.add_user(user, await self.passwords.hash(password))
        return user

    async def update(self, tenant: Tenant, user: User, *, display_name: str | None = None,
                     user_principal_name: str | None = None,
                     account_enabled: bool | None = None, password: str | None = None) -> User:
        """Graph ``PATCH /users/{id}`` for the members Credo keeps, the password included:
        every check first, then one transaction."""
        changed = dataclasses.replace(
            user,
            display_name=user.display_name if display_name is None
            else _check_display_name(display_name),
            user_principal_name=user.user_principal_name if user_principal_name is None
            else _check_upn(tenant, user_principal_name),
            account_enabled=user.account_enabled if account_enabled is None
            else account_enabled)
        hashed = None
        if password is not None:
            check_policy(password, user_principal_name=changed.user_principal_name)
            hashed = await self.passwords.hash(password)
            changed = dataclasses.replace(changed, password_changed=self._sources.now())
        if changed != user:
            await self._store.update_user(changed, password_hash=hashed)
        if hashed is not None or (user.account_enabled and not changed.account_enabled):
            await self._revoked(user)
        return changed

    async def _revoked(self, user: User) -> None:
        if self._revoke is not None:
            await self._revoke(user.id)

    async def set_password(self, user: User, password: str) -> User:
        """A new password; the user's sessions and refresh tokens end (``revoke_access``)."""
        check_policy(password, user_principal_name=user.user_principal_name)
        now = self._sources.now()
        await self._store.set_password_hash(user.id, await self.passwords.hash(password), now)
        await self._revoked(user)
        return dataclasses.replace(user, password_changed=now)

    async def delete(self, user: User) -> None:
        await self._revoked(user)
        await self._store.delete_user(user.id)

    async def assign_role(self, user: User, role: DirectoryRoleName) -> User:
        """Graph ``POST /directoryRoles/{id}/members/$ref``; holding it already is a no-op."""
        if role in user.directory_roles:
            return user
        changed = dataclasses.replace(user, directory_roles=(*user.directory_roles, role))
        await self._store.update_user(changed)
        return changed

    async def remove_role(self, user: User, role: DirectoryRoleName) -> User:
        """Graph ``DELETE /directoryRoles/{id}/members/{userId}/$ref``."""
        if role not in user.directory_roles:
            raise ObjectNotFound(f"User '{user.user_principal_name}' is not a member of '{role}'.")
        changed = dataclasses.replace(
            user, directory_roles=tuple(r for r in user.directory_roles if r != role))
        await self._store.update_user(changed)
        return changed

    async def role_members(self, tenant: Tenant, role: DirectoryRoleName) -> list[User]:
        return [u for u in await self._store.users(tenant.id) if role in u.directory_roles]
