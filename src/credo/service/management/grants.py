"""Application permissions granted: ``appRoleAssignments`` / ``appRoleAssignedTo``.

Graph: https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto. Both
principals live in the caller's tenant. A role of the management API follows policy.py: never
``Tenant.ReadWrite.All``, otherwise only the operator or a Global Administrator, holding the
role; the built-in apps' grants never change.
"""

from __future__ import annotations

from typing import Literal

from credo.errors import FieldError, InvalidInput, ObjectNotFound
from credo.model import AppRoleAssignment, ServicePrincipal
from credo.service.directory import DirectoryService
from credo.service.management.caller import Caller
from credo.service.management.policy import (
    MANAGEMENT_APP_ID,
    ROLE_GRANTS,
    management_roles,
    require_any,
    require_may_grant_management_role,
    require_not_builtin,
)
from credo.service.management.powers import Powers

Side = Literal["appRoleAssignments", "appRoleAssignedTo"]
Named = tuple[AppRoleAssignment, str, str]
_ROLE_VALUES = {r.id: r.value for r in management_roles()}
READERS = ("Directory.Read.All", "Application.ReadWrite.All", ROLE_GRANTS)


class Grants:
    def __init__(self, directory: DirectoryService, powers: Powers) -> None:
        self._dir = directory
        self._powers = powers

    async def assignments(self, caller: Caller, sp_ref: str, side: Side
                          ) -> tuple[ServicePrincipal, list[Named]]:
        require_any(caller.power, caller.tenant.id, READERS)
        sp = await self._dir.service_principal(caller.tenant, sp_ref)
        return sp, await self._dir.named_assignments(sp, to=side == "appRoleAssignments")

    async def grant(self, caller: Caller, sp_ref: str, side: Side, *, principal_id: str,
                    resource_id: str, app_role_id: str) -> Named:
        """Admin consent to one application permission."""
        require_any(caller.power, caller.tenant.id, (ROLE_GRANTS,))
        field = "principalId" if side == "appRoleAssignments" else "resourceId"
        if (principal_id if side == "appRoleAssignments" else resource_id) != sp_ref.lower():
            raise InvalidInput(f"{field} must be the service principal in the request URL.",
                               details=[FieldError(field, "differs from the id in the path")])
        principal = await self._dir.service_principal(caller.tenant, principal_id)
        resource = await self._dir.service_principal(caller.tenant, resource_id)
        self._check(caller, principal, resource, app_role_id.lower())
        granted = await self._dir.grant(caller.tenant, principal, resource, app_role_id)
        return granted, principal.display_name, resource.display_name

    async def revoke(self, caller: Caller, sp_ref: str, side: Side, assignment_id: str) -> None:
        """Revoking needs the authority granting would (no stronger admin is disarmed)."""
        require_any(caller.power, caller.tenant.id, (ROLE_GRANTS,))
        sp = await self._dir.service_principal(caller.tenant, sp_ref)
        found = await self._dir.assignment(caller.tenant, assignment_id)
        end = found.principal_id if side == "appRoleAssignments" else found.resource_id
        if end != sp.id:
            raise ObjectNotFound(f"App role assignment '{assignment_id}' does not exist.")
        principal = await self._dir.service_principal(caller.tenant, found.principal_id)
        resource = await self._dir.service_principal(caller.tenant, found.resource_id)
        self._check(caller, principal, resource, found.app_role_id)
        await self._dir.revoke(caller.tenant, found.id)

    def _check(self, caller: Caller, principal: ServicePrincipal, resource: ServicePrincipal,
               role_id: str) -> None:
        require_not_builtin(principal.app_id, self._powers.builtins,
                            f"the grants of service principal {principal.id}")
        if resource.app_id == MANAGEMENT_APP_ID:
            require_may_grant_management_role(caller.power, caller.tenant.id,
                                              _ROLE_VALUES.get(role_id, role_id))
