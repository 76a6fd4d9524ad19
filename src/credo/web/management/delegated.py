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

from credo.errors import BadRequest, FieldError
from credo.model import DelegatedGrant
from credo.web.management import responses
from credo.web.management.auth import CallerDep, ServicesDep

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


def _filters(expression: str | None) -> dict[str, str]:
    if not expression:
        return {}
    match = _FILTER.match(expression.strip())
    if match is None:
        raise BadRequest("Only $filter=clientId eq '<id>' or resourceId eq '<id>' is supported.",
                         details=[FieldError("$filter", "unsupported filter")])
    name = "client_id" if match.group(1) == "clientId" else "resource_id"
    return {name: match.group(2).lower()}


@router.get("/oauth2PermissionGrants", summary="List delegated permission grants")
async def list_grants(caller: CallerDep, services: ServicesDep,
                      filter_: Annotated[str | None, Query(alias="$filter")] = None
                      ) -> Response:
    found = await services.management.delegated.all(caller, **_filters(filter_))
    return responses.listing(services, _ENTITY, [grant_to_json(g) for g in found])


@router.get("/servicePrincipals/{sp_id}/oauth2PermissionGrants",
            summary="Delegated permission grants of this client")
async def list_client_grants(sp_id: str, caller: CallerDep, services: ServicesDep) -> Response:
    sp, _ = await services.management.apps.principal(caller, sp_id)
    found = await services.management.delegated.all(caller, client_id=sp.id)
    return responses.listing(services, _ENTITY, [grant_to_json(g) for g in found])


@router.get("/oauth2PermissionGrants/{grant_id}", summary="One delegated permission grant")
async def get_grant(grant_id: str, caller: CallerDep, services: ServicesDep) -> Response:
    found = await services.management.delegated.get(caller, grant_id)
    return responses.entity(services, f"{_ENTITY}/$entity", grant_to_json(found))


@router.post("/oauth2PermissionGrants", status_code=201,
             summary="Grant delegated permissions (consent on behalf of users)")
async def create_grant(body: NewGrant, caller: CallerDep, services: ServicesDep) -> Response:
    created = await services.management.delegated.create(
        caller, client_id=str(body.clientId), resource_id=str(body.resourceId),
        consent_type=body.consentType,
        principal_id=str(body.principalId) if body.principalId is not None else None,
        scope=body.scope)
    return responses.entity(services, f"{_ENTITY}/$entity", grant_to_json(created), status=201)


@router.patch("/oauth2PermissionGrants/{grant_id}", status_code=204,
              summary="Change the scope values of a grant")
async def update_grant(grant_id: str, body: GrantUpdate, caller: CallerDep,
                       services: ServicesDep) -> Response:
    await services.management.delegated.update(caller, grant_id, body.scope)
    return responses.no_content()


@router.delete("/oauth2PermissionGrants/{grant_id}", status_code=204,
               summary="Revoke a delegated permission grant")
async def delete_grant(grant_id: str, caller: CallerDep, services: ServicesDep) -> Response:
    await services.management.delegated.delete(caller, grant_id)
    return responses.no_content()
