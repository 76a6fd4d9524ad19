"""``/applications/{id}/federatedIdentityCredentials``: trust in an external issuer's tokens.

Graph: https://learn.microsoft.com/graph/api/resources/federatedidentitycredential. A
credential is named in the path by its id or its name. ``POST`` answers 201 with the
credential, ``PATCH`` and ``DELETE`` 204. Every bad member is reported at once; the rules
are in ``service/management/federated.py``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from starlette.responses import Response

from credo.manifest.federated import federated_to_json
from credo.web.management import responses
from credo.web.management.auth import CallerDep, ServicesDep

router = APIRouter(tags=["federatedIdentityCredentials"])
_PATH = "/applications/{app_ref}/federatedIdentityCredentials"
_EXAMPLE = {"name": "deploy-main", "issuer": "https://token.actions.githubusercontent.com",
            "subject": "repo:contoso/mail:ref:refs/heads/main",
            "audiences": ["api://AzureADTokenExchange"], "description": "CI deploys"}
Credential = Annotated[dict[str, Any], Body(openapi_examples={"github": {"value": _EXAMPLE}})]


def _context(app_id: str, entity: bool = False) -> str:
    return (f"applications('{app_id}')/federatedIdentityCredentials"
            + ("/$entity" if entity else ""))


@router.get(_PATH, summary="List an application's federated identity credentials")
async def list_federated(app_ref: str, caller: CallerDep, services: ServicesDep) -> Response:
    app = await services.management.federated.all(caller, app_ref)
    return responses.listing(services, _context(app.id),
                             [federated_to_json(c) for c in app.federated_credentials])


@router.post(_PATH, status_code=201, summary="Trust an external issuer's tokens about a subject")
async def create_federated(app_ref: str, body: Credential, caller: CallerDep,
                           services: ServicesDep) -> Response:
    app, created = await services.management.federated.create(caller, app_ref, body)
    return responses.entity(services, _context(app.id, True), federated_to_json(created),
                            status=201)


@router.get(_PATH + "/{ref}", summary="Get a federated identity credential (id or name)")
async def get_federated(app_ref: str, ref: str, caller: CallerDep,
                        services: ServicesDep) -> Response:
    app, found = await services.management.federated.get(caller, app_ref, ref)
    return responses.entity(services, _context(app.id, True), federated_to_json(found))


@router.patch(_PATH + "/{ref}", status_code=204,
              summary="Update a federated identity credential (its name is fixed)")
async def update_federated(app_ref: str, ref: str, body: Credential, caller: CallerDep,
                           services: ServicesDep) -> Response:
    await services.management.federated.update(caller, app_ref, ref, body)
    return responses.no_content()


@router.delete(_PATH + "/{ref}", status_code=204,
               summary="Delete a federated identity credential")
async def delete_federated(app_ref: str, ref: str, caller: CallerDep,
                           services: ServicesDep) -> Response:
    await services.management.federated.delete(caller, app_ref, ref)
    return responses.no_content()
