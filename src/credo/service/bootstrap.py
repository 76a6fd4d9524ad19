"""The built-in management API app, the operator app, and tenant onboarding (docs/security.md).

The management API is itself a multi-tenant resource app with application permissions;
the CLI is a daemon app (the operator) whose certificate lives in the data dir
(docs/architecture.md).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from cryptography import x509

from credo import certs
from credo.model import Profile, Tenant
from credo.service.directory import DirectoryService
from credo.service.management.policy import (
    MANAGEMENT_APP_ID,
    MANAGEMENT_URI,
    ROLE_TENANTS,
    management_roles,
    management_scopes,
)


@dataclass(frozen=True)
class Bootstrapped:
    tenant: Tenant
    operator_app_id: str


async def bootstrap(directory: DirectoryService, domain: str,
                    operator_cert: x509.Certificate) -> Bootstrapped:
    """First start: the bootstrap tenant, the management API, the operator app and its grants."""
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
    return Bootstrapped(tenant, operator.app_id)


async def ensure_management_api(directory: DirectoryService) -> None:
    """The built-in management API as this version defines it: its delegated permissions
    (``management_scopes``) are added to a deployment initialised before they existed."""
    api = await directory.find_application(MANAGEMENT_APP_ID)
    if api is not None and api.oauth2_permission_scopes != management_scopes():
        await directory.save_application(
            dataclasses.replace(api, oauth2_permission_scopes=management_scopes()))


async def onboard_tenant(directory: DirectoryService, domain: str, *, profile: Profile,
                         operator_app_id: str, display_name: str = "") -> Tenant:
    """A new tenant with the management API's and the operator's service principals."""
    tenant = await directory.create_tenant(domain, display_name=display_name, profile=profile)
    management = await directory.find_application(MANAGEMENT_APP_ID)
    if management is None:
        raise RuntimeError("the management API app is missing: run `credo init`")
    await directory.create_service_principal(tenant, management)
    await grant_operator(directory, tenant, operator_app_id, bootstrap_tenant=False)
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
