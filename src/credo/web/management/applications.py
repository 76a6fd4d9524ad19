"""``/applications``: app registrations homed in the caller's tenant, and their credentials.

Graph: https://learn.microsoft.com/graph/api/resources/application, -addkey, -removekey,
-addpassword, -removepassword. ``POST`` takes a manifest and also creates the app's service
principal in the home tenant, as the portal does. ``PATCH`` is "Manage manifest": members
sent replace the current ones, members left out are kept; every bad member is reported at
once and nothing is written unless all are valid. ``key`` of a certificate is returned only
for a single object, as Graph does. Difference from Graph: ``addKey``/``removeKey`` accept a
call without ``proof`` from a caller holding ``Application.ReadWrite.All``; a proof that is
sent is verified. ``secretText`` is shown once, in the ``addPassword`` response.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from credo.errors import BadRequest, FieldError
from credo.manifest import (
    application_to_json,
    key_credential_to_json,
    password_credential_to_json,
)
from credo.model import Application
from credo.service.runtime import Services
from credo.web.management import responses
from credo.web.management.auth import CallerDep, ServicesDep

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


class AddKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keyCredential: dict[str, Any] = Field(
        description="A Graph keyCredential: `key` is the base64 DER of the certificate.")
    passwordCredential: dict[str, Any] | None = None
    proof: str | None = Field(default=None, max_length=16384,
                              description="Optional here: see the route's description.")


class RemoveKey(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keyId: uuid.UUID
    proof: str | None = Field(default=None, max_length=16384)


class NewPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")

    displayName: str | None = Field(default=None, max_length=256)
    endDateTime: datetime | None = None


class AddPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passwordCredential: NewPassword = NewPassword()


class RemovePassword(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keyId: uuid.UUID


def _single(services: Services, app: Application, *, status: int = 200) -> Response:
    return responses.entity(services, _ONE, application_to_json(app, include_keys=True),
                            status=status)


@router.get("/applications", summary="List the tenant's applications")
async def list_applications(caller: CallerDep, services: ServicesDep,
                            filter_text: responses.CollectionFilter = "") -> Response:
    found = await services.management.apps.all(caller)
    return responses.filtered(services, "applications",
                              [application_to_json(a, include_keys=False) for a in found],
                              filter_text)


@router.post("/applications", status_code=201, summary="Register an application")
async def create_application(body: Manifest, caller: CallerDep,
                             services: ServicesDep) -> Response:
    return _single(services, await services.management.apps.create(caller, body), status=201)


@router.get("/applications(appId='{app_id}')", summary="Get an application by appId")
async def get_application_by_app_id(app_id: str, caller: CallerDep,
                                    services: ServicesDep) -> Response:
    return _single(services, await services.management.apps.get(caller, app_id))


@router.get("/applications/{app_ref}", summary="Get an application (object id or appId)")
async def get_application(app_ref: str, caller: CallerDep, services: ServicesDep) -> Response:
    return _single(services, await services.management.apps.get(caller, app_ref))


@router.patch("/applications/{app_ref}", status_code=204,
              summary="Update an application (Manage manifest)")
async def update_application(app_ref: str, body: Manifest, caller: CallerDep,
                             services: ServicesDep) -> Response:
    await services.management.apps.update(caller, app_ref, body)
    return responses.no_content()


@router.delete("/applications/{app_ref}", status_code=204,
               summary="Delete an application, its service principals and their grants")
async def delete_application(app_ref: str, caller: CallerDep,
                             services: ServicesDep) -> Response:
    await services.management.apps.delete(caller, app_ref)
    return responses.no_content()


@router.post("/applications/{app_ref}/addKey",
             summary="Add a certificate (proof optional with Application.ReadWrite.All)")
async def add_key(app_ref: str, body: AddKey, caller: CallerDep,
                  services: ServicesDep) -> Response:
    if body.passwordCredential is not None:
        raise BadRequest("Credo stores certificates only (usage Verify); passwordCredential "
                         "must be null.", details=[FieldError("passwordCredential", "not null")])
    credential = await services.management.apps.add_key(caller, app_ref, body.keyCredential,
                                                        body.proof)
    return responses.entity(services, "microsoft.graph.keyCredential",
                            key_credential_to_json(credential, include_key=False))


@router.post("/applications/{app_ref}/removeKey", status_code=204,
             summary="Remove a certificate (proof optional with Application.ReadWrite.All)")
async def remove_key(app_ref: str, body: RemoveKey, caller: CallerDep,
                     services: ServicesDep) -> Response:
    await services.management.apps.remove_key(caller, app_ref, str(body.keyId), body.proof)
    return responses.no_content()


@router.post("/applications/{app_ref}/addPassword",
             summary="Add a client secret; secretText is returned only here")
async def add_password(app_ref: str, body: AddPassword, caller: CallerDep,
                       services: ServicesDep) -> Response:
    wanted = body.passwordCredential
    credential, secret = await services.management.apps.add_password(
        caller, app_ref, wanted.displayName or "", wanted.endDateTime)
    return responses.entity(services, "microsoft.graph.passwordCredential",
                            password_credential_to_json(credential, secret_text=secret),
                            secret=True)


@router.post("/applications/{app_ref}/removePassword", status_code=204,
             summary="Remove a client secret")
async def remove_password(app_ref: str, body: RemovePassword, caller: CallerDep,
                          services: ServicesDep) -> Response:
    await services.management.apps.remove_password(caller, app_ref, str(body.keyId))
    return responses.no_content()
