"""``/applications``: app registrations homed in the caller's tenant.

Graph resource: https://learn.microsoft.com/graph/api/resources/application. ``POST`` takes
a manifest (displayName, identifierUris, appRoles, signInAudience, api, requiredResourceAccess,
keyCredentials …) and also creates the app's service principal in the home tenant, as the
portal does. ``PATCH`` is "Manage manifest": members sent replace the current ones, members
left out are kept; every bad member is reported at once and nothing is written unless all
are valid. ``key`` of a certificate is returned only for a single object, as Graph does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body
from starlette.responses import Response

from credo.errors import BadRequest
from credo.manifest import application_from_json, application_to_json
from credo.model import AppId, Application, ObjectId
from credo.service.bootstrap import MANAGEMENT_APP_ID
from credo.service.directory import new_id
from credo.service.runtime import Services
from credo.web.management import responses
from credo.web.management.auth import AppWriter, Caller, Reader, ServicesDep

router = APIRouter(tags=["applications"])
_ONE = "applications/$entity"
_EXAMPLE = {
    "displayName": "Mail API",
    "identifierUris": ["api://mail.example"],
    "signInAudience": "AzureADMyOrg",
    "api": {"requestedAccessTokenVersion": 2},
    "appRoles": [{"allowedMemberTypes": ["Application"], "value": "Mail.Read",
                  "displayName": "Read mail", "description": "Read all mailboxes",
                  "isEnabled": True}],
}
Manifest = Annotated[dict[str, Any], Body(openapi_examples={"api": {"value": _EXAMPLE}})]


def _blank(caller: Caller, now: datetime) -> Application:
    """The starting point a new registration's manifest is applied to."""
    return Application(id=ObjectId(new_id()), app_id=AppId(new_id()), tenant_id=caller.tenant.id,
                       display_name="", created=now)


def _single(services: Services, app: Application, *, status: int = 200) -> Response:
    return responses.entity(services, _ONE, application_to_json(app, include_keys=True),
                            status=status)


def _changeable(services: Services, app: Application, *, deleting: bool) -> Application:
    """The management API app is built in; the operator app may be edited, not deleted."""
    if app.app_id == MANAGEMENT_APP_ID:
        raise BadRequest("The management API application is built in and cannot be changed.")
    if deleting and app.app_id == services.settings.operator_app_id:
        raise BadRequest("The operator application cannot be deleted.")
    return app


@router.get("/applications", summary="List the tenant's applications")
async def list_applications(caller: Reader, services: ServicesDep) -> Response:
    found = await services.directory.store.applications(caller.tenant.id)
    return responses.listing(services, "applications",
                             [application_to_json(a, include_keys=False) for a in found])


@router.post("/applications", status_code=201, summary="Register an application")
async def create_application(body: Manifest, caller: AppWriter,
                             services: ServicesDep) -> Response:
    now = datetime.now(UTC)
    app = application_from_json(body, current=_blank(caller, now), now=now, new_id=new_id)
    app, _ = await services.directory.register_application(caller.tenant, app)
    return _single(services, app, status=201)


@router.get("/applications(appId='{app_id}')", summary="Get an application by appId")
async def get_application_by_app_id(app_id: str, caller: Reader,
                                    services: ServicesDep) -> Response:
    return _single(services, await services.directory.application(caller.tenant, app_id))


@router.get("/applications/{app_ref}", summary="Get an application (object id or appId)")
async def get_application(app_ref: str, caller: Reader, services: ServicesDep) -> Response:
    return _single(services, await services.directory.application(caller.tenant, app_ref))


@router.patch("/applications/{app_ref}", status_code=204,
              summary="Update an application (Manage manifest)")
async def update_application(app_ref: str, body: Manifest, caller: AppWriter,
                             services: ServicesDep) -> Response:
    current = _changeable(services, await services.directory.application(caller.tenant, app_ref),
                          deleting=False)
    updated = application_from_json(body, current=current, now=datetime.now(UTC), new_id=new_id)
    await services.directory.save_application(updated)
    return responses.no_content()


@router.delete("/applications/{app_ref}", status_code=204,
               summary="Delete an application, its service principals and their grants")
async def delete_application(app_ref: str, caller: AppWriter, services: ServicesDep) -> Response:
    app = _changeable(services, await services.directory.application(caller.tenant, app_ref),
                      deleting=True)
    await services.directory.delete_application(app)
    return responses.no_content()
