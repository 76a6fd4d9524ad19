"""``/oauth2PermissionGrants``: delegated permissions granted to a client (user or admin consent).

Graph: https://learn.microsoft.com/graph/api/resources/oauth2permissiongrant. A grant names
the client's service principal (``clientId``), the resource's (``resourceId``), whether it
holds for ``AllPrincipals`` or one user (``Principal``, ``principalId``) and the scope
values. Every object must live in the caller's tenant. Deleting a grant is how delegated
consent is revoked: new tokens stop at once, refresh tokens then carry only what remains,
and access tokens already issued live until ``exp``.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from credo.errors import BadRequest, FieldError, NotFound
from credo.model import DelegatedGrant, ObjectId
from credo.service.runtime import Services
from credo.web.management import responses
from credo.web.management.auth import Caller, GrantWriter, Reader, ServicesDep

router = APIRouter(tags=["oauth2PermissionGrants"])
_ENTITY = "oauth2PermissionGrants"
_FILTER = re.compile(r"^(clientId|resourceId) eq '([0-9A-Fa-f-]{36})'$")


class NewGrant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    clientId: uuid.UUID
    consentType: Literal["AllPrincipals", "Principal"]
    principalId: uuid.UUID | None = None
    resourceId: uuid.UUID
    scope: str


class GrantUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scope: str


def grant_to_json(grant: DelegatedGrant) -> dict[str, Any]:
    return {"id": grant.id, "clientId": grant.client_id, "consentType": grant.consent_type,
            "principalId": grant.principal_id, "resourceId": grant.resource_id,
            "scope": grant.scope}


def _filters(expression: str | None) -> dict[str, ObjectId]:
    if not expression:
        return {}
    match = _FILTER.match(expression.strip())
    if match is None:
        raise BadRequest("Only $filter=clientId eq '<id>' or resourceId eq '<id>' is supported.",
                         details=[FieldError("$filter", "unsupported filter")])
    name = "client_id" if match.group(1) == "clientId" else "resource_id"
    return {name: ObjectId(match.group(2).lower())}


async def _resource_app(services: Services, caller: Caller, resource_id: str) -> Any:
    sp = await services.directory.service_principal(caller.tenant, resource_id)
    app = await services.directory.store.application_by_app_id(sp.app_id)
    if app is None:
        raise NotFound(f"Resource '{resource_id}' does not exist.")
    return sp, app


@router.get("/oauth2PermissionGrants", summary="List delegated permission grants")
async def list_grants(caller: Reader, services: ServicesDep,
                      filter_: Annotated[str | None, Query(alias="$filter")] = None
                      ) -> Response:
    found = await services.delegated.consent.grants(caller.tenant, **_filters(filter_))
    return responses.listing(services, _ENTITY, [grant_to_json(g) for g in found])


@router.get("/servicePrincipals/{sp_id}/oauth2PermissionGrants",
            summary="Delegated permission grants of this client")
async def list_client_grants(sp_id: str, caller: Reader, services: ServicesDep) -> Response:
    sp = await services.directory.service_principal(caller.tenant, sp_id)
    found = await services.delegated.consent.grants(caller.tenant, client_id=sp.id)
    return responses.listing(services, _ENTITY, [grant_to_json(g) for g in found])


@router.get("/oauth2PermissionGrants/{grant_id}", summary="One delegated permission grant")
async def get_grant(grant_id: str, caller: Reader, services: ServicesDep) -> Response:
    found = await services.delegated.consent.grant(caller.tenant, grant_id.lower())
    return responses.entity(services, f"{_ENTITY}/$entity", grant_to_json(found))


@router.post("/oauth2PermissionGrants", status_code=201,
             summary="Grant delegated permissions (consent on behalf of users)")
async def create_grant(body: NewGrant, caller: GrantWriter, services: ServicesDep) -> Response:
    client = await services.directory.service_principal(caller.tenant, str(body.clientId))
    resource, app = await _resource_app(services, caller, str(body.resourceId))
    principal = (await services.accounts.users.get(caller.tenant, str(body.principalId))
                 if body.principalId is not None else None)
    created = await services.delegated.consent.create(
        caller.tenant, client_sp=client, resource_sp=resource, resource_app=app,
        consent_type=body.consentType, principal=principal, scope=body.scope)
    return responses.entity(services, f"{_ENTITY}/$entity", grant_to_json(created), status=201)


@router.patch("/oauth2PermissionGrants/{grant_id}", status_code=204,
              summary="Change the scope values of a grant")
async def update_grant(grant_id: str, body: GrantUpdate, caller: GrantWriter,
                       services: ServicesDep) -> Response:
    found = await services.delegated.consent.grant(caller.tenant, grant_id.lower())
    _, app = await _resource_app(services, caller, found.resource_id)
    await services.delegated.consent.update(found, app, body.scope)
    return responses.no_content()


@router.delete("/oauth2PermissionGrants/{grant_id}", status_code=204,
               summary="Revoke a delegated permission grant")
async def delete_grant(grant_id: str, caller: GrantWriter, services: ServicesDep) -> Response:
    found = await services.delegated.consent.grant(caller.tenant, grant_id.lower())
    await services.delegated.consent.delete(found)
    return responses.no_content()
