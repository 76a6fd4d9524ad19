"""Application permissions granted (admin consent): ``appRoleAssignments`` / ``appRoleAssignedTo``.

Graph: https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto and
https://learn.microsoft.com/graph/api/serviceprincipal-delete-approleassignments. The first
lists grants *to* the path's service principal (it is ``principalId``), the second grants
*on* it (it is ``resourceId``). The rules are service/management/grants.py's.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from credo.manifest import assignment_to_json
from credo.model import AppRoleAssignment
from credo.service.management.grants import Side
from credo.web.management import responses
from credo.web.management.auth import CallerDep, ServicesDep

router = APIRouter(tags=["appRoleAssignments"])


class NewAssignment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    principalId: uuid.UUID
    resourceId: uuid.UUID
    appRoleId: uuid.UUID


def _json(named: tuple[AppRoleAssignment, str, str]) -> dict[str, object]:
    assignment, principal, resource = named
    return assignment_to_json(assignment, principal_display_name=principal,
                              resource_display_name=resource)


async def _list(caller: CallerDep, services: ServicesDep, sp_id: str, side: Side) -> Response:
    sp, found = await services.management.grants.assignments(caller, sp_id, side)
    return responses.listing(services, f"servicePrincipals('{sp.id}')/{side}",
                             [_json(n) for n in found])


async def _grant(caller: CallerDep, services: ServicesDep, sp_id: str, side: Side,
                 body: NewAssignment) -> Response:
    named = await services.management.grants.grant(
        caller, sp_id, side, principal_id=str(body.principalId),
        resource_id=str(body.resourceId), app_role_id=str(body.appRoleId))
    owner = body.principalId if side == "appRoleAssignments" else body.resourceId
    return responses.entity(services, f"servicePrincipals('{owner}')/{side}/$entity",
                            _json(named), status=201)


@router.get("/servicePrincipals/{sp_id}/appRoleAssignments",
            summary="Application permissions granted to this service principal")
async def list_assignments(sp_id: str, caller: CallerDep, services: ServicesDep) -> Response:
    return await _list(caller, services, sp_id, "appRoleAssignments")


@router.post("/servicePrincipals/{sp_id}/appRoleAssignments", status_code=201,
             summary="Grant an application permission to this service principal")
async def grant_to(sp_id: str, body: NewAssignment, caller: CallerDep,
                   services: ServicesDep) -> Response:
    return await _grant(caller, services, sp_id, "appRoleAssignments", body)


@router.delete("/servicePrincipals/{sp_id}/appRoleAssignments/{assignment_id}",
               status_code=204, summary="Revoke an application permission of this principal")
async def revoke_from(sp_id: str, assignment_id: str, caller: CallerDep,
                      services: ServicesDep) -> Response:
    await services.management.grants.revoke(caller, sp_id, "appRoleAssignments", assignment_id)
    return responses.no_content()


@router.get("/servicePrincipals/{sp_id}/appRoleAssignedTo",
            summary="Application permissions granted on this resource")
async def list_assigned_to(sp_id: str, caller: CallerDep, services: ServicesDep) -> Response:
    return await _list(caller, services, sp_id, "appRoleAssignedTo")


@router.post("/servicePrincipals/{sp_id}/appRoleAssignedTo", status_code=201,
             summary="Grant an application permission on this resource (admin consent)")
async def grant_on(sp_id: str, body: NewAssignment, caller: CallerDep,
                   services: ServicesDep) -> Response:
    return await _grant(caller, services, sp_id, "appRoleAssignedTo", body)


@router.delete("/servicePrincipals/{sp_id}/appRoleAssignedTo/{assignment_id}",
               status_code=204, summary="Revoke an application permission on this resource")
async def revoke_on(sp_id: str, assignment_id: str, caller: CallerDep,
                    services: ServicesDep) -> Response:
    await services.management.grants.revoke(caller, sp_id, "appRoleAssignedTo", assignment_id)
    return responses.no_content()
