"""``/organization`` (the caller's tenant), ``/tenants`` and ``/keys`` (operator only; Credo
extensions).

Graph resource: https://learn.microsoft.com/graph/api/resources/organization. Creating and
listing tenants and rotating signing keys needs ``Tenant.ReadWrite.All`` held in the
bootstrap tenant. Keys show only public facts.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from credo.manifest import tenant_to_json
from credo.model import Profile, SigningKey
from credo.web.management import responses
from credo.web.management.auth import CallerDep, ServicesDep

router = APIRouter()


class NewTenant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    domain: str = Field(min_length=1, max_length=253, description="The tenant's verified domain.")
    displayName: str | None = Field(default=None, max_length=256)
    profile: Profile = "entra"


class TenantUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    profile: Profile


def _time(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else None


def _key_to_json(key: SigningKey) -> dict[str, Any]:
    return {"kid": key.kid, "state": key.state, "createdDateTime": _time(key.created),
            "activatedDateTime": _time(key.activated), "retiredDateTime": _time(key.retired)}


@router.get("/organization", tags=["tenants"], summary="The caller's tenant")
async def organization(caller: CallerDep, services: ServicesDep) -> Response:
    tenant = services.management.tenants.organization(caller)
    return responses.listing(services, "organization", [tenant_to_json(tenant)])


@router.get("/tenants", tags=["tenants"], summary="List tenants (operator)")
async def list_tenants(caller: CallerDep, services: ServicesDep) -> Response:
    found = await services.management.tenants.all(caller)
    return responses.listing(services, "tenants", [tenant_to_json(t) for t in found])


@router.post("/tenants", tags=["tenants"], status_code=201,
             summary="Create a tenant (operator)")
async def create_tenant(body: NewTenant, caller: CallerDep, services: ServicesDep) -> Response:
    tenant = await services.management.tenants.create(
        caller, body.domain, profile=body.profile, display_name=body.displayName or "")
    return responses.entity(services, "tenants/$entity", tenant_to_json(tenant), status=201)


@router.get("/tenants/{tenant}", tags=["tenants"],
            summary="Get a tenant by id or domain (operator)")
async def get_tenant(tenant: str, caller: CallerDep, services: ServicesDep) -> Response:
    found = await services.management.tenants.get(caller, tenant)
    return responses.entity(services, "tenants/$entity", tenant_to_json(found))


@router.patch("/tenants/{tenant}", tags=["tenants"], status_code=204,
              summary="Change a tenant's profile (operator)")
async def update_tenant(tenant: str, body: TenantUpdate, caller: CallerDep,
                        services: ServicesDep) -> Response:
    await services.management.tenants.set_profile(caller, tenant, body.profile)
    return responses.no_content()


@router.get("/keys", tags=["keys"], summary="Published signing keys and their states (operator)")
async def list_keys(caller: CallerDep, services: ServicesDep) -> Response:
    active, found = await services.management.tenants.signing_keys(caller)
    return responses.plain({"activeKid": active, "value": [_key_to_json(k) for k in found]})


@router.post("/keys/rotate", tags=["keys"], summary="Rotate the signing keys now (operator)")
async def rotate_keys(caller: CallerDep, services: ServicesDep) -> Response:
    return responses.plain({"activeKid": await services.management.tenants.rotate(caller)})
