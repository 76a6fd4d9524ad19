"""``/organization`` (the caller's tenant), ``/tenants`` and ``/keys`` (operator only; Credo
extensions), and ``/auditLogs/signIns``.

Graph resources: https://learn.microsoft.com/graph/api/resources/organization and (shape
borrowed) https://learn.microsoft.com/graph/api/resources/signin. Creating and listing
tenants and rotating signing keys needs ``Tenant.ReadWrite.All`` held in the bootstrap
tenant. Keys show only public facts, events never carry a secret or a token.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from credo.manifest import tenant_to_json
from credo.model import AuditEvent, Profile, SigningKey
from credo.web.management import responses
from credo.web.management.auth import CallerDep, ServicesDep

router = APIRouter()
MAX_TOP = 1000


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


def _event_to_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "createdDateTime": _time(event.time),
        "eventType": event.kind,
        "appId": event.client_id or None,
        "correlationId": event.correlation_id or None,
        "status": {
            "errorCode": event.code,
            "failureReason": (event.detail or None) if event.outcome == "failure" else None,
            "additionalDetails": (event.detail or None) if event.outcome == "success" else None,
        },
        "outcome": event.outcome,
    }


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


@router.get("/auditLogs/signIns", tags=["auditLogs"],
            summary="Recent sign-in and management events of the tenant")
async def sign_ins(caller: CallerDep, services: ServicesDep,
                   top: Annotated[int, Query(alias="$top", ge=1, le=MAX_TOP)] = 100) -> Response:
    found = await services.management.tenants.events(caller, top)
    return responses.listing(services, "auditLogs/signIns", [_event_to_json(e) for e in found])
