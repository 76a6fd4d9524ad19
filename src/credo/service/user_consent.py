"""User consent from the authorize pages: delegated permission grants written by consent.

A grant is (client SP, resource SP, ``AllPrincipals`` or one user, scope values). Consent
merges new values into the matching grant, creating it when there is none; a multi-tenant
client from another tenant gets its service principal here on first consent, as in Entra.
Deleting a grant (or removing values) stops new tokens at once; tokens already issued live
until ``exp`` and refresh tokens then get only what is still granted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from credo.errors import ObjectConflict
from credo.model import (
    Application,
    AuditEvent,
    AuditTarget,
    DelegatedGrant,
    ObjectId,
    PermissionScope,
    ServicePrincipal,
    Tenant,
    User,
)
from credo.protocol.user_consent import merged_scope
from credo.service.audit import AuditBuffer
from credo.service.management.activities import CONSENT
from credo.service.sources import SYSTEM, Sources
from credo.store.api import FlowStore

NewServicePrincipal = Callable[[Tenant, Application], Awaitable[ServicePrincipal]]


class UserConsentService:
    def __init__(self, flows: FlowStore, audit: AuditBuffer, *,
                 new_service_principal: NewServicePrincipal,
                 sources: Sources = SYSTEM) -> None:
        self._flows = flows
        self._audit = audit
        self._new_sp = new_service_principal
        self._sources = sources

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
            time=self._sources.now(), tenant_id=tenant.id,
            kind="consent.user.granted" if not for_org else "consent.admin.delegated",
            outcome="success", client_id=client.app_id,
            detail=f"{user.user_principal_name}: {' '.join(values) or 'sign-in only'}"[:500],
            **_consent_facts(client, user)))

    def declined(self, tenant: Tenant, client: Application, user: User) -> None:
        self._audit.add(AuditEvent(
            time=self._sources.now(), tenant_id=tenant.id, kind="consent.user.declined",
            outcome="failure", client_id=client.app_id, code=65004,
            detail=user.user_principal_name[:500], **_consent_facts(client, user)))

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
                         self._sources.new_id(), tenant.id, client_sp.id,
                         "AllPrincipals" if principal is None else "Principal", principal,
                         resource_sp.id, merged_scope("", values), self._sources.now()))
            try:
                await self._flows.save_delegated_grant(grant)
                return
            except ObjectConflict:
                if attempt == 2:
                    raise


def _consent_facts(client: Application, user: User) -> dict[str, Any]:
    """The directory-audit fields of a consent event: the user who consented, the app."""
    return {"user_id": user.id, "user_principal_name": user.user_principal_name,
            "activity": CONSENT, "category": "ApplicationManagement",
            "targets": (AuditTarget("Application", client.app_id, client.display_name),)}
