"""``/servicePrincipals``: an application's instances, one per tenant, in the caller's tenant.

Graph resource: https://learn.microsoft.com/graph/api/resources/serviceprincipal. ``POST``
with the ``appId`` of a multi-tenant app homed elsewhere installs it in the caller's tenant
(what admin consent does). The management API's own service principal and the operator's
cannot be changed or deleted: they keep every tenant manageable.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from credo.manifest import service_principal_to_json
from credo.web.management import responses
from credo.web.management.auth import CallerDep, ServicesDep

router = APIRouter(tags=["servicePrincipals"])
_ENTITY = "servicePrincipals"
_ONE = "servicePrincipals/$entity"


class NewServicePrincipal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    appId: str = Field(max_length=256, description="The application's (client) id.")
    appRoleAssignmentRequired: bool = True


class ServicePrincipalUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accountEnabled: bool | None = None
    appRoleAssignmentRequired: bool | None = None


@router.get("/servicePrincipals", summary="List the tenant's service principals")
async def list_service_principals(caller: CallerDep, services: ServicesDep,
                                  filter_text: responses.CollectionFilter = "") -> Response:
    found = await services.management.apps.principals(caller)
    return responses.filtered(services, _ENTITY,
                              [service_principal_to_json(sp, app) for sp, app in found],
                              filter_text)


@router.post("/servicePrincipals", status_code=201, summary="Create a service principal")
async def create_service_principal(body: NewServicePrincipal, caller: CallerDep,
                                   services: ServicesDep) -> Response:
    sp, app = await services.management.apps.install(
        caller, body.appId, assignment_required=body.appRoleAssignmentRequired)
    return responses.entity(services, _ONE, service_principal_to_json(sp, app), status=201)


@router.get("/servicePrincipals(appId='{app_id}')", summary="Get a service principal by appId")
async def get_service_principal_by_app_id(app_id: str, caller: CallerDep,
                                          services: ServicesDep) -> Response:
    sp, app = await services.management.apps.principal(caller, app_id)
    return responses.entity(services, _ONE, service_principal_to_json(sp, app))


@router.get("/servicePrincipals/{sp_id}", summary="Get a service principal")
async def get_service_principal(sp_id: str, caller: CallerDep,
                                services: ServicesDep) -> Response:
    sp, app = await services.management.apps.principal(caller, sp_id)
    return responses.entity(services, _ONE, service_principal_to_json(sp, app))


@router.patch("/servicePrincipals/{sp_id}", status_code=204,
              summary="Enable or disable a service principal; require assignments")
async def update_service_principal(sp_id: str, body: ServicePrincipalUpdate, caller: CallerDep,
                                   services: ServicesDep) -> Response:
    await services.management.apps.update_principal(
        caller, sp_id, account_enabled=body.accountEnabled,
        assignment_required=body.appRoleAssignmentRequired)
    return responses.no_content()


@router.delete("/servicePrincipals/{sp_id}", status_code=204,
               summary="Delete a service principal and its grants")
async def delete_service_principal(sp_id: str, caller: CallerDep,
                                   services: ServicesDep) -> Response:
    await services.management.apps.delete_principal(caller, sp_id)
    return responses.no_content()
