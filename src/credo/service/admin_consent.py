"""Admin consent: load, decide (``protocol/admin_consent.py``), write once, audit.

The pipeline of ``/{tenant}/adminconsent`` (docs/protocol.md): resolve the
client (AADSTS700016) and check ``redirect_uri`` against its registration (AADSTS50011) —
both before anything is shown or any redirect is made; the built-in portal's own redirect
URI is accepted for any client, as Entra accepts its portal's ("Grant admin consent") —
then resolve every permission its ``requiredResourceAccess`` lists on the APIs' service
principals in this tenant (AADSTS500011, 650052, 650053, 650057). After an administrator
accepts, the client's service principal (when it has none here) and every app-role
assignment not yet held are written in one transaction; delegated scopes become one
``AllPrincipals`` grant per API.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from credo.aadsts.client import CLIENT_DISABLED
from credo.aadsts.grant import RESOURCE_NOT_SUBSCRIBED
from credo.aadsts.user import OPERATOR_ONLY
from credo.errors import AccessDenied
from credo.model import (
    Application,
    AppRoleAssignment,
    AuditEvent,
    AuditTarget,
    DelegatedGrant,
    ObjectId,
    ServicePrincipal,
    Tenant,
    User,
    is_guid,
)
from credo.protocol import admin_consent
from credo.protocol.admin_consent import AdminConsentRequest, RequestedPermission
from credo.service.audit import AuditBuffer
from credo.service.management.activities import ASSIGNMENT, CONSENT
from credo.service.management.policy import MANAGEMENT_APP_ID, PORTAL_APP_ID, ROLE_TENANTS
from credo.service.sources import SYSTEM, Sources
from credo.store.api import ConsentWriter, Directory


@dataclass(frozen=True)
class ConsentPlan:
    """Everything the consent page shows and Accept writes, loaded once per request."""

    tenant: Tenant
    request: AdminConsentRequest
    client: Application
    client_sp: ServicePrincipal | None
    permissions: tuple[RequestedPermission, ...]
    resource_sps: tuple[tuple[str, ServicePrincipal], ...]

    def resource_sp(self, app_id: str) -> ServicePrincipal:
        return next(sp for key, sp in self.resource_sps if key == app_id)


class AdminConsentService:
    def __init__(self, directory: Directory, writer: ConsentWriter, audit: AuditBuffer, *,
                 on_change: Callable[[], None] = lambda: None,
                 privileged: frozenset[str] = frozenset({MANAGEMENT_APP_ID}),
                 sources: Sources = SYSTEM) -> None:
        self._dir = directory
        self._writer = writer
        self._audit = audit
        self._changed = on_change
        self._privileged = privileged
        self._sources = sources

    async def prepare(self, tenant: Tenant, request: AdminConsentRequest) -> ConsentPlan:
        """Raises ``OAuthError``: the caller shows an error page and never redirects."""
        app = (await self._dir.application_by_app_id(request.client_id.lower())
               if is_guid(request.client_id) else None)
        client = admin_consent.check_client(app, request.client_id, tenant.id,
                                            tenant.default_domain)
        portal = await self._dir.application_by_app_id(PORTAL_APP_ID)
        if portal is None or request.redirect_uri not in portal.public_client_redirect_uris:
            admin_consent.check_redirect_uri(client, request.redirect_uri)
        client_sp = await self._dir.service_principal_for(tenant.id, client.app_id)
        if client_sp is not None and not client_sp.account_enabled:
            raise CLIENT_DISABLED(client_id=client.app_id, name=client.display_name)
        apis, sps = await self._resources(tenant, client)
        permissions = admin_consent.requested_permissions(client, apis, request.resources)
        return ConsentPlan(tenant, request, client, client_sp, permissions, tuple(sps.items()))

    async def _resources(self, tenant: Tenant, client: Application
                         ) -> tuple[dict[str, Application], dict[str, ServicePrincipal]]:
        apis: dict[str, Application] = {}
        sps: dict[str, ServicePrincipal] = {}
        for required in client.required_resource_access:
            api = await self._dir.application_by_app_id(required.resource_app_id.lower())
            if api is None:
                continue  # requested_permissions reports it (AADSTS500011)
            sp = await self._dir.service_principal_for(tenant.id, api.app_id)
            if sp is None:
                raise RESOURCE_NOT_SUBSCRIBED(name=api.display_name,
                                              tenant=tenant.default_domain)
            apis[api.app_id], sps[api.app_id] = api, sp
        return apis, sps

    def authorize(self, plan: ConsentPlan, user: User) -> None:
        """Raises ``AccessDenied`` (AADSTS90094) unless ``user`` may grant the whole plan."""
        roles = user.directory_roles if user.tenant_id == plan.tenant.id else ()
        try:
            admin_consent.check_admin(roles, plan.permissions, privileged=self._privileged)
            if any(p.resource_app_id == MANAGEMENT_APP_ID and p.value == ROLE_TENANTS
                   for p in plan.permissions):  # as in /appRoleAssignedTo: operator only
                raise OPERATOR_ONLY(role=ROLE_TENANTS)
        except AccessDenied as err:
            self._record(plan, user, "denied", err.description, code=err.code)
            raise

    async def grant(self, plan: ConsentPlan, user: User) -> str:
        """Writes the plan (idempotently) and returns the success redirect."""
        self.authorize(plan, user)
        now = self._sources.now()
        new_sp = None if plan.client_sp is not None else ServicePrincipal(
            ObjectId(self._sources.new_id()), plan.client.app_id, plan.tenant.id,
            plan.client.display_name, True, True, now)
        principal = plan.client_sp or new_sp
        assert principal is not None
        assignments = [
            AppRoleAssignment(self._sources.new_id(), plan.tenant.id, principal.id,
                              plan.resource_sp(p.resource_app_id).id, p.id, now)
            for p in plan.permissions if p.kind == "Application"]
        created = await self._writer.apply_admin_consent(
            new_sp, assignments, self._delegated(plan, principal, now))
        self._changed()
        values = ", ".join(f"{p.resource_name}/{p.value}" for p in plan.permissions) or "none"
        self._record(plan, user, "granted",
                     f"{values}; {len(created)} new assignment(s)", code=0,
                     assignments=tuple(AuditTarget(ASSIGNMENT, a.id) for a in created))
        return admin_consent.granted_redirect(plan.request, plan.tenant.id, plan.permissions)

    def _delegated(self, plan: ConsentPlan, principal: ServicePrincipal, now: datetime
                   ) -> list[DelegatedGrant]:
        """One ``AllPrincipals`` grant per API whose delegated scopes were asked for."""
        scopes: dict[str, list[str]] = {}
        for p in plan.permissions:
            if p.kind == "Delegated":
                scopes.setdefault(p.resource_app_id, []).append(p.value)
        return [DelegatedGrant(self._sources.new_id(), plan.tenant.id, principal.id,
                               "AllPrincipals", None, plan.resource_sp(app_id).id,
                               " ".join(values), now)
                for app_id, values in scopes.items()]

    def cancel(self, plan: ConsentPlan, user: User) -> str:
        self._record(plan, user, "canceled", "the admin canceled the request", code=65004)
        return admin_consent.canceled_redirect(plan.request)

    def _record(self, plan: ConsentPlan, user: User, what: str, detail: str, *,
                code: int, assignments: tuple[AuditTarget, ...] = ()) -> None:
        self._audit.add(AuditEvent(
            time=self._sources.now(), tenant_id=plan.tenant.id, kind=f"consent.admin.{what}",
            outcome="failure" if code else "success", client_id=plan.client.app_id,
            code=code, detail=f"{user.user_principal_name}: {detail}"[:500],
            user_id=user.id, user_principal_name=user.user_principal_name,
            activity=CONSENT, category="ApplicationManagement",
            targets=(AuditTarget("Application", plan.client.app_id,
                                 plan.client.display_name), *assignments)))
