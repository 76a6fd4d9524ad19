"""Delegated permission grants: user consent from the authorize pages, and the management
API's ``oAuth2PermissionGrant`` (https://learn.microsoft.com/graph/api/resources/
oauth2permissiongrant).

A grant is (client SP, resource SP, ``AllPrincipals`` or one user, scope values). Consent
merges new values into the matching grant, creating it when there is none; a multi-tenant
client from another tenant gets its service principal here on first consent, as in Entra.
Deleting a grant (or removing values) stops new tokens at once; tokens already issued live
until ``exp`` and refresh tokens then get only what is still granted.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime

from credo.errors import FieldError, InvalidInput, ObjectConflict, ObjectNotFound
from credo.model import (
    Application,
    AuditEvent,
    ConsentType,
    DelegatedGrant,
    ObjectId,
    PermissionScope,
    ServicePrincipal,
    Tenant,
    User,
)
from credo.protocol.user_consent import merged_scope
from credo.service.audit import AuditBuffer
from credo.store.api import FlowStore

NewServicePrincipal = Callable[[Tenant, Application], Awaitable[ServicePrincipal]]


def _now() -> datetime:
    return datetime.now(UTC)


class UserConsentService:
    def __init__(self, flows: FlowStore, audit: AuditBuffer, *,
                 new_service_principal: NewServicePrincipal) -> None:
        self._flows = flows
        self._audit = audit
        self._new_sp = new_service_principal

    async def consent(self, *, tenant: Tenant, client: Application,
                      client_sp: ServicePrincipal | None, resource_sp: ServicePrincipal | None,
                      scopes: Iterable[PermissionScope], user: User, for_org: bool) -> None:
        """Records what ``user`` accepted on the consent page (for everyone: ``for_org``)."""
        values = [s.value for s in scopes]
        sp = client_sp or await self._new_sp(tenant, client)
        if resource_sp is not None and values:
            principal = None if for_org else user.id
            await self._merge(tenant, sp, resource_sp, principal, values)
        self._audit.add(AuditEvent(
            time=_now(), tenant_id=tenant.id,
            kind="consent.user.granted" if not for_org else "consent.admin.delegated",
            outcome="success", client_id=client.app_id,
            detail=f"{user.user_principal_name}: {' '.join(values) or 'sign-in only'}"[:500]))

    def declined(self, tenant: Tenant, client: Application, user: User) -> None:
        self._audit.add(AuditEvent(
            time=_now(), tenant_id=tenant.id, kind="consent.user.declined", outcome="failure",
            client_id=client.app_id, code=65004, detail=user.user_principal_name[:500]))

    async def _merge(self, tenant: Tenant, client_sp: ServicePrincipal,
                     resource_sp: ServicePrincipal, principal: ObjectId | None,
                     values: list[str]) -> None:
        """Adds ``values`` to the matching grant; one retry if a concurrent consent won."""
        for attempt in (1, 2):
            found = [g for g in await self._flows.delegated_grants(
                tenant.id, client_id=client_sp.id, resource_id=resource_sp.id)
                if g.principal_id == principal]
            grant = (dataclasses.replace(found[0], scope=merged_scope(found[0].scope, values))
                     if found else DelegatedGrant(
                         str(uuid.uuid4()), tenant.id, client_sp.id,
                         "AllPrincipals" if principal is None else "Principal", principal,
                         resource_sp.id, merged_scope("", values), _now()))
            try:
                await self._flows.save_delegated_grant(grant)
                return
            except ObjectConflict:
                if attempt == 2:
                    raise

    # -- management API (Graph oAuth2PermissionGrant) ------------------------------------

    async def grants(self, tenant: Tenant, *, client_id: ObjectId | None = None,
                     resource_id: ObjectId | None = None) -> list[DelegatedGrant]:
        return await self._flows.delegated_grants(tenant.id, client_id=client_id,
                                                  resource_id=resource_id)

    async def grant(self, tenant: Tenant, grant_id: str) -> DelegatedGrant:
        found = await self._flows.delegated_grant(grant_id)
        if found is None or found.tenant_id != tenant.id:
            raise ObjectNotFound(f"Resource '{grant_id[:64]}' does not exist or one of its queried "
                           "reference-property objects are not present.")
        return found

    async def create(self, tenant: Tenant, *, client_sp: ServicePrincipal,
                     resource_sp: ServicePrincipal, resource_app: Application,
                     consent_type: ConsentType, principal: User | None,
                     scope: str) -> DelegatedGrant:
        """Graph ``POST /oauth2PermissionGrants``: validated, then written once."""
        if (consent_type == "Principal") != (principal is not None):
            raise InvalidInput("principalId is required for consentType 'Principal' and must be "
                             "null for 'AllPrincipals'.",
                             details=[FieldError("principalId", "does not fit consentType")])
        held = [g for g in await self._flows.delegated_grants(
            tenant.id, client_id=client_sp.id, resource_id=resource_sp.id)
            if g.principal_id == (principal.id if principal else None)]
        if held:
            raise ObjectConflict("A permission grant for this client, resource and principal "
                                 f"already exists: '{held[0].id}'.")
        grant = DelegatedGrant(str(uuid.uuid4()), tenant.id, client_sp.id, consent_type,
                               principal.id if principal else None, resource_sp.id,
                               check_scope(resource_app, scope), _now())
        await self._flows.save_delegated_grant(grant)
        return grant

    async def update(self, grant: DelegatedGrant, resource_app: Application,
                     scope: str) -> DelegatedGrant:
        """Graph ``PATCH /oauth2PermissionGrants/{id}``: only ``scope`` changes."""
        changed = dataclasses.replace(grant, scope=check_scope(resource_app, scope))
        await self._flows.save_delegated_grant(changed)
        return changed

    async def delete(self, grant: DelegatedGrant) -> None:
        await self._flows.delete_delegated_grant(grant.id)


def check_scope(resource: Application, scope: str) -> str:
    """Space-separated values of enabled delegated scopes the resource defines."""
    defined = {s.value for s in resource.oauth2_permission_scopes if s.is_enabled}
    values = list(dict.fromkeys(scope.split()))
    unknown = [v for v in values if v not in defined]
    if unknown:
        raise InvalidInput(f"The scope value(s) {', '.join(unknown)[:200]} are not delegated "
                         f"permissions of '{resource.display_name}'.",
                         details=[FieldError("scope", "unknown or disabled scope value")])
    return " ".join(values)
