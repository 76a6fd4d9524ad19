"""Delegated permission grants (``oauth2PermissionGrants``), as the management API sees them.

Graph: https://learn.microsoft.com/graph/api/resources/oauth2permissiongrant. A grant is
(client SP, resource SP, ``AllPrincipals`` or one user, scope values), all in the caller's
tenant. The grants of the built-in apps (the portal's pre-consent) never change through the
API. A delegated permission of the management API is granted, changed or revoked as its app
role is (policy.py): only by the operator or a Global Administrator holding it, and
``Tenant.ReadWrite.All`` never; otherwise a pre-consented client would hand its holder the
power of whoever signs in to it. Deleting a grant (or removing values) stops new tokens at
once; tokens already issued live until ``exp`` and refresh tokens then get only what is
still granted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Literal

from credo.errors import FieldError, InvalidInput, ObjectConflict, ObjectNotFound
from credo.model import Application, DelegatedGrant, ObjectId, ServicePrincipal
from credo.service.directory import DirectoryService
from credo.service.management.caller import Caller
from credo.service.management.policy import (
    GRANT_MANAGEMENT,
    MANAGEMENT_APP_ID,
    ROLE_GRANTS,
    ROLE_TENANTS,
    refuse,
    require_any,
    require_may_grant_management_role,
    require_not_builtin,
)
from credo.service.users import UserService
from credo.store.api import FlowStore

READERS = ("Directory.Read.All", "Application.ReadWrite.All", ROLE_GRANTS)


class DelegatedGrants:
    def __init__(self, directory: DirectoryService, flows: FlowStore, users: UserService, *,
                 builtins: frozenset[str]) -> None:
        self._dir = directory
        self._flows = flows
        self._users = users
        self._builtins = builtins

    async def all(self, caller: Caller, *, client_id: str | None = None,
                   resource_id: str | None = None) -> list[DelegatedGrant]:
        require_any(caller.power, caller.tenant.id, READERS)
        return await self._flows.delegated_grants(
            caller.tenant.id, client_id=ObjectId(client_id) if client_id else None,
            resource_id=ObjectId(resource_id) if resource_id else None)

    async def get(self, caller: Caller, grant_id: str) -> DelegatedGrant:
        require_any(caller.power, caller.tenant.id, READERS)
        return await self._grant(caller, grant_id)

    async def _grant(self, caller: Caller, grant_id: str) -> DelegatedGrant:
        found = await self._flows.delegated_grant(grant_id.lower())
        if found is None or found.tenant_id != caller.tenant.id:
            raise ObjectNotFound(f"Resource '{grant_id[:64]}' does not exist or one of its "
                                 "queried reference-property objects are not present.")
        return found

    async def create(self, caller: Caller, *, client_id: str, resource_id: str,
                     consent_type: Literal["AllPrincipals", "Principal"],
                     principal_id: str | None, scope: str) -> DelegatedGrant:
        """Graph ``POST /oauth2PermissionGrants``: validated, then written once."""
        require_any(caller.power, caller.tenant.id, (ROLE_GRANTS,))
        client = await self._dir.service_principal(caller.tenant, client_id)
        require_not_builtin(client.app_id, self._builtins,
                            f"the grants of service principal {client.id}")
        resource = await self._dir.service_principal(caller.tenant, resource_id)
        principal = (await self._users.get(caller.tenant, principal_id)
                     if principal_id is not None else None)
        if (consent_type == "Principal") != (principal is not None):
            raise InvalidInput("principalId is required for consentType 'Principal' and must "
                               "be null for 'AllPrincipals'.",
                               details=[FieldError("principalId", "does not fit consentType")])
        values = check_scope(await self._dir.app_of(resource), scope)
        _may_change(caller, resource, granted=values.split())
        held = [g for g in await self._flows.delegated_grants(
            caller.tenant.id, client_id=client.id, resource_id=resource.id)
            if g.principal_id == (principal.id if principal else None)]
        if held:
            raise ObjectConflict("A permission grant for this client, resource and principal "
                                 f"already exists: '{held[0].id}'.")
        grant = DelegatedGrant(self._dir.new_id(), caller.tenant.id, client.id, consent_type,
                               principal.id if principal else None, resource.id, values,
                               self._dir.now())
        await self._flows.save_delegated_grant(grant)
        return grant

    async def update(self, caller: Caller, grant_id: str, scope: str) -> None:
        """Graph ``PATCH /oauth2PermissionGrants/{id}``: only ``scope`` changes."""
        require_any(caller.power, caller.tenant.id, (ROLE_GRANTS,))
        found = await self._changeable(caller, grant_id)
        resource = await self._dir.service_principal(caller.tenant, found.resource_id)
        values = check_scope(await self._dir.app_of(resource), scope)
        before, after = set(found.scope.split()), set(values.split())
        _may_change(caller, resource, granted=after - before, revoked=before - after)
        await self._flows.save_delegated_grant(dataclasses.replace(found, scope=values))

    async def delete(self, caller: Caller, grant_id: str) -> None:
        require_any(caller.power, caller.tenant.id, (ROLE_GRANTS,))
        found = await self._changeable(caller, grant_id)
        resource = await self._dir.service_principal(caller.tenant, found.resource_id)
        _may_change(caller, resource, revoked=found.scope.split())
        await self._flows.delete_delegated_grant(found.id)

    async def _changeable(self, caller: Caller, grant_id: str) -> DelegatedGrant:
        found = await self._grant(caller, grant_id)
        client = await self._dir.service_principal(caller.tenant, found.client_id)
        require_not_builtin(client.app_id, self._builtins,
                            f"the grants of service principal {client.id}")
        return found


def _may_change(caller: Caller, resource: ServicePrincipal, *, granted: Iterable[str] = (),
                revoked: Iterable[str] = ()) -> None:
    """A delegated permission of the management API is granted or revoked as its role is
    (``/appRoleAssignedTo``, ``/adminconsent``); a ``Tenant.ReadWrite.All`` that should never
    have been granted may still be revoked by the operator or a Global Administrator."""
    if resource.app_id != MANAGEMENT_APP_ID:
        return
    for value in sorted(granted):
        require_may_grant_management_role(caller.power, caller.tenant.id, value)
    for value in sorted(revoked):
        if value != ROLE_TENANTS:
            require_may_grant_management_role(caller.power, caller.tenant.id, value)
        elif not caller.power.holds(caller.tenant.id, GRANT_MANAGEMENT):
            raise refuse("only the operator or a Global Administrator revokes management "
                         "permissions")


def check_scope(resource: Application, scope: str) -> str:
    """Space-separated values of enabled delegated scopes the resource defines."""
    defined = {s.value for s in resource.oauth2_permission_scopes if s.is_enabled}
    values = list(dict.fromkeys(scope.split()))
    unknown = [v for v in values if v not in defined]
    if unknown:
        raise InvalidInput(f"The scope value(s) {', '.join(unknown)[:200]} are not delegated "
                           f"permissions of '{resource.display_name}'.",
                           details=[FieldError("scope", "unknown or disabled scope value")])
    return " ".join(values)
