"""``/servicePrincipals``: an application's instances, one per tenant, in the caller's tenant.

Graph resource: https://learn.microsoft.com/graph/api/resources/serviceprincipal. ``POST``
with the ``appId`` of a multi-tenant app homed elsewhere installs it in the caller's tenant
(what admin consent does, entra-protocol-facts §7). The management API's own service
principal and the operator's cannot be changed or deleted: they keep every tenant manageable.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from credo.errors import BadRequest, FieldError
from credo.manifest import service_principal_to_json
from credo.model import Application, ServicePrincipal, Tenant
from credo.service.bootstrap import MANAGEMENT_APP_ID
from credo.service.runtime import Services
from credo.web.management import responses
from credo.web.management.auth import AppWriter, Reader, ServicesDep

router = APIRouter(tags=["servicePrincipals"])
_ENTITY = "servicePrincipals"
_ONE = "servicePrincipals/$entity"


class NewServicePrincipal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    appId: str = Field(description="The application's (client) id.")
    appRoleAssignmentRequired: bool = True


class ServicePrincipalUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accountEnabled: bool | None = None
    appRoleAssignmentRequired: bool | None = None


async def _app_of(services: Services, sp: ServicePrincipal) -> Application:
    app = await services.directory.store.application_by_app_id(sp.app_id)
    if app is None:  # the store deletes an app's service principals with it
        raise RuntimeError(f"service principal {sp.id} has no application")
    return app


async def render_sp(services: Services, sp: ServicePrincipal) -> dict[str, Any]:
    return service_principal_to_json(sp, await _app_of(services, sp))


async def installable(services: Services, tenant: Tenant, app_id: str) -> Application:
    """An app the tenant may install: its own, or a multi-tenant app of another tenant."""
    app = await services.directory.find_application(app_id)
    if app is None or (app.tenant_id != tenant.id and not app.multi_tenant):
        # The same answer for a missing app and another tenant's single-tenant app.
        raise BadRequest(f"The appId '{app_id}' of the service principal does not reference "
                         "a valid application object.",
                         details=[FieldError("appId", "no such application")])
    return app


def _changeable(services: Services, sp: ServicePrincipal) -> ServicePrincipal:
    """The management API's and the operator's service principals keep Credo manageable."""
    if sp.app_id in (MANAGEMENT_APP_ID, services.settings.operator_app_id):
        raise BadRequest(f"The service principal of '{sp.display_name}' is built in and cannot "
                         "be changed or deleted.")
    return sp


@router.get("/servicePrincipals", summary="List the tenant's service principals")
async def list_service_principals(caller: Reader, services: ServicesDep) -> Response:
    found = await services.directory.store.service_principals(caller.tenant.id)
    return responses.listing(services, _ENTITY, [await render_sp(services, sp) for sp in found])


@router.post("/servicePrincipals", status_code=201, summary="Create a service principal")
async def create_service_principal(body: NewServicePrincipal, caller: AppWriter,
                                   services: ServicesDep) -> Response:
    app = await installable(services, caller.tenant, body.appId)
    sp = await services.directory.create_service_principal(
        caller.tenant, app, assignment_required=body.appRoleAssignmentRequired)
    return responses.entity(services, _ONE, service_principal_to_json(sp, app),
                            status=201)


@router.get("/servicePrincipals(appId='{app_id}')", summary="Get a service principal by appId")
async def get_service_principal_by_app_id(app_id: str, caller: Reader,
                                          services: ServicesDep) -> Response:
    sp = await services.directory.service_principal(caller.tenant, app_id)
    return responses.entity(services, _ONE, await render_sp(services, sp))


@router.get("/servicePrincipals/{sp_id}", summary="Get a service principal")
async def get_service_principal(sp_id: str, caller: Reader, services: ServicesDep) -> Response:
    sp = await services.directory.service_principal(caller.tenant, sp_id)
    return responses.entity(services, _ONE, await render_sp(services, sp))


@router.patch("/servicePrincipals/{sp_id}", status_code=204,
              summary="Enable or disable a service principal; require assignments")
async def update_service_principal(sp_id: str, body: ServicePrincipalUpdate, caller: AppWriter,
                                   services: ServicesDep) -> Response:
    found = await services.directory.service_principal(caller.tenant, sp_id)
    sp = _changeable(services, found)
    changes = body.model_dump(exclude_none=True)
    await services.directory.update_service_principal(dataclasses.replace(
        sp, account_enabled=changes.get("accountEnabled", sp.account_enabled),
        app_role_assignment_required=changes.get("appRoleAssignmentRequired",
                                                 sp.app_role_assignment_required)))
    return responses.no_content()


@router.delete("/servicePrincipals/{sp_id}", status_code=204,
               summary="Delete a service principal and its grants")
async def delete_service_principal(sp_id: str, caller: AppWriter,
                                   services: ServicesDep) -> Response:
    found = await services.directory.service_principal(caller.tenant, sp_id)
    sp = _changeable(services, found)
    await services.directory.delete_service_principal(sp)
    return responses.no_content()
