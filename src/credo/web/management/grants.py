"""Application permissions granted (admin consent): ``appRoleAssignments`` / ``appRoleAssignedTo``.

Graph: https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto and
https://learn.microsoft.com/graph/api/serviceprincipal-delete-approleassignments ("equivalent
to revoking the app-only permission grant"). ``…/appRoleAssignments`` are the grants *to* the
path's service principal (it is ``principalId``); ``…/appRoleAssignedTo`` the grants *on* it
(it is ``resourceId``). Both principals must live in the caller's tenant. Granting the
management API's ``Tenant.ReadWrite.All`` additionally needs that role: an administrator
cannot make another app more powerful than itself.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from credo.errors import BadRequest, FieldError, Forbidden, NotFound
from credo.manifest import assignment_to_json
from credo.model import AppRoleAssignment, ObjectId, ServicePrincipal
from credo.service.bootstrap import MANAGEMENT_APP_ID, ROLE_TENANTS, management_roles
from credo.service.runtime import Services
from credo.web.management import responses
from credo.web.management.auth import Caller, GrantWriter, Reader, ServicesDep

router = APIRouter(tags=["appRoleAssignments"])
Side = Literal["appRoleAssignments", "appRoleAssignedTo"]
_TENANT_ROLE_ID = next(r.id for r in management_roles() if r.value == ROLE_TENANTS)


class NewAssignment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    principalId: uuid.UUID
    resourceId: uuid.UUID
    appRoleId: uuid.UUID


async def _render(services: Services, found: Sequence[AppRoleAssignment]) -> list[dict[str, Any]]:
    names: dict[str, str] = {}
    for sp_id in {a.principal_id for a in found} | {a.resource_id for a in found}:
        sp = await services.directory.store.service_principal(ObjectId(sp_id))
        names[sp_id] = sp.display_name if sp else ""
    return [assignment_to_json(a, principal_display_name=names[a.principal_id],
                               resource_display_name=names[a.resource_id]) for a in found]


def _context(sp: ServicePrincipal, side: Side) -> str:
    return f"servicePrincipals('{sp.id}')/{side}"


async def _list(services: Services, caller: Caller, sp_id: str, side: Side) -> Response:
    sp = await services.directory.service_principal(caller.tenant, sp_id)
    store = services.directory.store
    found = await (store.assignments_of(sp.id) if side == "appRoleAssignments"
                   else store.assignments_on(sp.id))
    return responses.listing(services, _context(sp, side), await _render(services, found))


async def _grant(services: Services, caller: Caller, sp_id: str, side: Side,
                 body: NewAssignment) -> Response:
    field = "principalId" if side == "appRoleAssignments" else "resourceId"
    if str(getattr(body, field)) != sp_id.lower():
        raise BadRequest(f"{field} must be the service principal in the request URL.",
                         details=[FieldError(field, "differs from the id in the path")])
    principal = await services.directory.service_principal(caller.tenant, str(body.principalId))
    resource = await services.directory.service_principal(caller.tenant, str(body.resourceId))
    if (resource.app_id == MANAGEMENT_APP_ID and str(body.appRoleId) == _TENANT_ROLE_ID
            and ROLE_TENANTS not in caller.roles):
        raise Forbidden("Insufficient privileges to complete the operation.",
                        detail="granting Tenant.ReadWrite.All needs Tenant.ReadWrite.All")
    granted = await services.directory.grant(caller.tenant, principal, resource,
                                             str(body.appRoleId))
    value = assignment_to_json(granted, principal_display_name=principal.display_name,
                               resource_display_name=resource.display_name)
    owner = principal if side == "appRoleAssignments" else resource
    return responses.entity(services, f"{_context(owner, side)}/$entity", value, status=201)


async def _revoke(services: Services, caller: Caller, sp_id: str, side: Side,
                  assignment_id: str) -> Response:
    sp = await services.directory.service_principal(caller.tenant, sp_id)
    found = await services.directory.store.assignment(assignment_id.lower())
    end = (found.principal_id if side == "appRoleAssignments" else found.resource_id
           ) if found else None
    if found is None or found.tenant_id != caller.tenant.id or end != sp.id:
        raise NotFound(f"App role assignment '{assignment_id}' does not exist.")
    await services.directory.revoke(caller.tenant, found.id)
    return responses.no_content()


@router.get("/servicePrincipals/{sp_id}/appRoleAssignments",
            summary="Application permissions granted to this service principal")
async def list_assignments(sp_id: str, caller: Reader, services: ServicesDep) -> Response:
    return await _list(services, caller, sp_id, "appRoleAssignments")


@router.post("/servicePrincipals/{sp_id}/appRoleAssignments", status_code=201,
             summary="Grant an application permission to this service principal")
async def grant_to(sp_id: str, body: NewAssignment, caller: GrantWriter,
                   services: ServicesDep) -> Response:
    return await _grant(services, caller, sp_id, "appRoleAssignments", body)


@router.delete("/servicePrincipals/{sp_id}/appRoleAssignments/{assignment_id}",
               status_code=204, summary="Revoke an application permission of this principal")
async def revoke_from(sp_id: str, assignment_id: str, caller: GrantWriter,
                      services: ServicesDep) -> Response:
    return await _revoke(services, caller, sp_id, "appRoleAssignments", assignment_id)


@router.get("/servicePrincipals/{sp_id}/appRoleAssignedTo",
            summary="Application permissions granted on this resource")
async def list_assigned_to(sp_id: str, caller: Reader, services: ServicesDep) -> Response:
    return await _list(services, caller, sp_id, "appRoleAssignedTo")


@router.post("/servicePrincipals/{sp_id}/appRoleAssignedTo", status_code=201,
             summary="Grant an application permission on this resource (admin consent)")
async def grant_on(sp_id: str, body: NewAssignment, caller: GrantWriter,
                   services: ServicesDep) -> Response:
    return await _grant(services, caller, sp_id, "appRoleAssignedTo", body)


@router.delete("/servicePrincipals/{sp_id}/appRoleAssignedTo/{assignment_id}",
               status_code=204, summary="Revoke an application permission on this resource")
async def revoke_on(sp_id: str, assignment_id: str, caller: GrantWriter,
                    services: ServicesDep) -> Response:
    return await _revoke(services, caller, sp_id, "appRoleAssignedTo", assignment_id)
