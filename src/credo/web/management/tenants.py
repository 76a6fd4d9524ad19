"""``/organization`` (the caller's tenant) and ``/tenants`` (operator only; Credo extension).

Graph resource: https://learn.microsoft.com/graph/api/resources/organization. Creating and
listing tenants needs ``Tenant.ReadWrite.All`` held in the bootstrap tenant (docs/CONTRACTS.md);
a new tenant gets the management API's and the operator's service principals.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from credo.manifest import tenant_to_json
from credo.model import Profile
from credo.service.bootstrap import onboard_tenant
from credo.web.management import responses
from credo.web.management.auth import Operator, Reader, ServicesDep

router = APIRouter(tags=["tenants"])


class NewTenant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    domain: str = Field(min_length=1, max_length=253, description="The tenant's verified domain.")
    displayName: str | None = Field(default=None, max_length=256)
    profile: Profile = "entra"


class TenantUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    profile: Profile


@router.get("/organization", summary="The caller's tenant")
async def organization(caller: Reader, services: ServicesDep) -> Response:
    return responses.listing(services, "organization", [tenant_to_json(caller.tenant)])


@router.get("/tenants", summary="List tenants (operator)")
async def list_tenants(caller: Operator, services: ServicesDep) -> Response:
    found = await services.directory.store.tenants()
    return responses.listing(services, "tenants", [tenant_to_json(t) for t in found])


@router.post("/tenants", status_code=201, summary="Create a tenant (operator)")
async def create_tenant(body: NewTenant, caller: Operator, services: ServicesDep) -> Response:
    tenant = await onboard_tenant(services.directory, body.domain, profile=body.profile,
                                  operator_app_id=services.settings.operator_app_id,
                                  display_name=body.displayName or "")
    return responses.entity(services, "tenants/$entity", tenant_to_json(tenant), status=201)


@router.get("/tenants/{tenant}", summary="Get a tenant by id or domain (operator)")
async def get_tenant(tenant: str, caller: Operator, services: ServicesDep) -> Response:
    found = await services.directory.tenant(tenant)
    return responses.entity(services, "tenants/$entity", tenant_to_json(found))


@router.patch("/tenants/{tenant}", status_code=204, summary="Change a tenant's profile (operator)")
async def update_tenant(tenant: str, body: TenantUpdate, caller: Operator,
                        services: ServicesDep) -> Response:
    found = await services.directory.tenant(tenant)
    await services.directory.set_profile(found, body.profile)
    return responses.no_content()
