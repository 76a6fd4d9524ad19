"""The built-in apps (management API, operator, portal) and tenant onboarding (docs/security.md).

The management API is itself a multi-tenant resource app with application permissions;
the CLI is a daemon app (the operator) whose certificate lives in the data dir
(docs/architecture.md); the portal is a public client holding the management API's
delegated permissions, pre-consented for all users of every tenant (as Entra's own portal
is): a user's token through it counts only within the user's directory roles.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass

from cryptography import x509

from credo import certs
from credo.errors import ObjectConflict, ObjectNotFound
from credo.model import (
    AppId,
    Application,
    DelegatedGrant,
    ObjectId,
    Profile,
    RequiredResourceAccess,
    ResourceAccess,
    ServicePrincipal,
    Tenant,
)
from credo.service.directory import DirectoryService
from credo.service.management.policy import (
    MANAGEMENT_APP_ID,
    MANAGEMENT_URI,
    PORTAL_APP_ID,
    ROLE_TENANTS,
    management_roles,
    management_scopes,
)
from credo.store.api import FlowStore

PORTAL_NAME = "Credo portal"
PORTAL_CALLBACK = "/portal/callback"


@dataclass(frozen=True)
class Bootstrapped:
    tenant: Tenant
    operator_app_id: str


async def bootstrap(directory: DirectoryService, flows: FlowStore, domain: str,
                    operator_cert: x509.Certificate, *, base_url: str) -> Bootstrapped:
    """First start: the bootstrap tenant, the management API, the operator app and its
    grants, the portal."""
    tenant = await directory.create_tenant(domain, display_name=domain)
    await directory.create_application(
        tenant, "Credo Management API", identifier_uris=[MANAGEMENT_URI],
        app_roles=management_roles(), sign_in_audience="AzureADMultipleOrgs",
        app_id=MANAGEMENT_APP_ID, requested_access_token_version=2)
    await ensure_management_api(directory)
    operator, _ = await directory.create_application(
        tenant, "Credo operator (CLI)", sign_in_audience="AzureADMultipleOrgs")
    await directory.add_key(operator, certs.key_credential(
        operator_cert, key_id=directory.new_id(), display_name="credo operator"))
    await grant_operator(directory, tenant, operator.app_id, bootstrap_tenant=True)
    await ensure_portal(directory, flows, base_url)
    return Bootstrapped(tenant, operator.app_id)


async def ensure_management_api(directory: DirectoryService) -> None:
    """The built-in management API as this version defines it: its application and delegated
    permissions (``management_roles``, ``management_scopes``) are added to a deployment
    initialised before they existed (``AuditLog.Read.All`` came later than the others)."""
    api = await directory.find_application(MANAGEMENT_APP_ID)
    if api is None:
        return
    wanted = dataclasses.replace(api, app_roles=management_roles(),
                                 oauth2_permission_scopes=management_scopes())
    if wanted != api:
        await directory.save_application(wanted)


async def ensure_portal(directory: DirectoryService, flows: FlowStore, base_url: str) -> None:
    """The built-in portal as this version and ``base_url`` define it (made when missing, its
    redirect URI following a moved server), installed and pre-consented in every tenant."""
    portal = await _portal_app(directory, base_url)
    for tenant in await _without_portal(directory, flows):
        await install_portal(directory, flows, tenant, portal)


async def _without_portal(directory: DirectoryService, flows: FlowStore) -> list[Tenant]:
    """The tenants whose portal principal or grant is missing or out of date, found with three
    queries whatever the number of tenants (each worker runs this at every start)."""
    management = await directory.service_principals_of_app(MANAGEMENT_APP_ID)
    portals = await directory.service_principals_of_app(PORTAL_APP_ID)
    scope = " ".join(s.value for s in management_scopes())
    granted = {(g.client_id, g.resource_id) for g in await flows.delegated_grants(None)
               if g.consent_type == "AllPrincipals" and g.scope == scope}
    return [t for t in await directory.tenants()
            if t.id not in management or t.id not in portals
            or (portals[t.id].id, management[t.id].id) not in granted]


async def _portal_app(directory: DirectoryService, base_url: str) -> Application:
    management = await directory.find_application(MANAGEMENT_APP_ID)
    if management is None:
        raise RuntimeError("the management API app is missing: run `credo init`")
    found = await directory.find_application(PORTAL_APP_ID)
    app = dataclasses.replace(
        found or Application(ObjectId(directory.new_id()), AppId(PORTAL_APP_ID),
                             management.tenant_id, PORTAL_NAME, created=directory.now()),
        display_name=PORTAL_NAME, sign_in_audience="AzureADMultipleOrgs",
        public_client_redirect_uris=(base_url + PORTAL_CALLBACK,),
        required_resource_access=(RequiredResourceAccess(AppId(MANAGEMENT_APP_ID), tuple(
            ResourceAccess(s.id, "Scope") for s in management_scopes())),))
    if app == found:
        return app
    try:
        return await directory.save_application(app)
    except ObjectConflict:  # another node made it first
        made = await directory.find_application(PORTAL_APP_ID)
        if made is None:
            raise
        return made


async def install_portal(directory: DirectoryService, flows: FlowStore, tenant: Tenant,
                         portal: Application) -> None:
    """The portal's service principal in ``tenant`` and its ``AllPrincipals`` grant of every
    delegated permission of the management API."""
    management = await directory.service_principal(tenant, MANAGEMENT_APP_ID)
    sp = await _portal_sp(directory, tenant, portal)
    scope = " ".join(s.value for s in management_scopes())
    held = [g for g in await flows.delegated_grants(tenant.id, client_id=sp.id,
                                                    resource_id=management.id)
            if g.consent_type == "AllPrincipals"]
    if held and held[0].scope == scope:
        return
    grant = (dataclasses.replace(held[0], scope=scope) if held else DelegatedGrant(
        directory.new_id(), tenant.id, sp.id, "AllPrincipals", None, management.id, scope,
        directory.now()))
    with contextlib.suppress(ObjectConflict):  # another node wrote the same grant
        await flows.save_delegated_grant(grant)


async def _portal_sp(directory: DirectoryService, tenant: Tenant, portal: Application
                     ) -> ServicePrincipal:
    try:
        return await directory.service_principal(tenant, portal.app_id)
    except ObjectNotFound:
        pass
    try:
        return await directory.create_service_principal(tenant, portal,
                                                        assignment_required=False)
    except ObjectConflict:  # another node made it first
        return await directory.service_principal(tenant, portal.app_id)


async def onboard_tenant(directory: DirectoryService, flows: FlowStore, domain: str, *,
                         profile: Profile, operator_app_id: str,
                         display_name: str = "") -> Tenant:
    """A new tenant with the management API's, the operator's and the portal's service
    principals."""
    tenant = await directory.create_tenant(domain, display_name=display_name, profile=profile)
    management = await directory.find_application(MANAGEMENT_APP_ID)
    portal = await directory.find_application(PORTAL_APP_ID)
    if management is None or portal is None:
        raise RuntimeError("a built-in app is missing: run `credo init`")
    await directory.create_service_principal(tenant, management)
    await grant_operator(directory, tenant, operator_app_id, bootstrap_tenant=False)
    await install_portal(directory, flows, tenant, portal)
    return tenant


async def grant_operator(directory: DirectoryService, tenant: Tenant, operator_app_id: str,
                         *, bootstrap_tenant: bool) -> None:
    operator = await directory.find_application(operator_app_id)
    if operator is None:
        raise RuntimeError("the operator app is missing: run `credo init`")
    installed = [sp for sp in await directory.service_principals(tenant)
                 if sp.app_id == operator.app_id]
    principal = (installed[0] if installed
                 else await directory.create_service_principal(tenant, operator))
    resource = await directory.service_principal(tenant, MANAGEMENT_APP_ID)
    for role in management_roles():
        if role.value == ROLE_TENANTS and not bootstrap_tenant:
            continue
        await directory.grant(tenant, principal, resource, role.id)
