"""The client credentials grant's decision (RFC 6749 §4.4).

Authorization only: the client is already authenticated. Roles are the values of the
enabled ``Application`` app roles assigned to the client's service principal on the
resource. A resource whose service principal requires assignment refuses a client with
no assignment: ``invalid_grant`` AADSTS501051 (Entra's app-case code; the user case is
50105). ``invalid_grant`` is chosen because the client is authenticated but holds no grant
for that resource (RFC 6749 §5.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from credo.aadsts import grant
from credo.aadsts.client import CLIENT_DISABLED, CLIENT_NOT_FOUND
from credo.model import Application, ServicePrincipal, Tenant
from credo.protocol.client_auth.types import AuthenticatedClient
from credo.protocol.scopes import ResourceRef

DEFAULT_ACCESS = "00000000-0000-0000-0000-000000000000"
"""The role id of an assignment that grants access without a role (Entra's default access)."""


@dataclass(frozen=True)
class AppAccess:
    """What one app-only token grants: ``roles`` (sorted values), ``audience`` and the
    token ``version``, with the principals they were decided from."""

    roles: tuple[str, ...]
    audience: str
    version: Literal[1, 2]
    resource_app: Application
    resource_sp: ServicePrincipal
    client_sp: ServicePrincipal


def _tenant_name(tenant: Tenant) -> str:
    return tenant.display_name or tenant.id


def _check_client(client: AuthenticatedClient, sp: ServicePrincipal | None,
                  tenant: Tenant) -> ServicePrincipal:
    app = client.application
    if sp is None or sp.app_id != app.app_id:
        raise CLIENT_NOT_FOUND(client_id=app.app_id, tenant=tenant.default_domain)
    if not sp.account_enabled:
        raise CLIENT_DISABLED(client_id=app.app_id, name=app.display_name)
    return sp


def _check_resource(app: Application | None, sp: ServicePrincipal | None, ref: ResourceRef,
                    tenant: Tenant) -> tuple[Application, ServicePrincipal]:
    if app is None or sp is None or sp.app_id != app.app_id:
        raise grant.RESOURCE_NOT_FOUND(resource=ref.requested, tenant=_tenant_name(tenant))
    if not sp.account_enabled:
        raise grant.RESOURCE_DISABLED(resource=ref.requested)
    return app, sp


def role_values(resource_app: Application, assigned_role_ids: frozenset[str]) -> tuple[str, ...]:
    """Sorted values of the enabled Application-type roles among ``assigned_role_ids``."""
    return tuple(sorted(
        r.value for r in resource_app.app_roles
        if r.id in assigned_role_ids and r.is_enabled and "Application" in r.allowed_member_types))


def authorize(*, client: AuthenticatedClient, client_sp: ServicePrincipal | None,
              resource_app: Application | None, resource_sp: ServicePrincipal | None,
              assigned_role_ids: frozenset[str], ref: ResourceRef, tenant: Tenant) -> AppAccess:
    """Decide roles, audience and token version, or raise (RFC 6749 §4.4.3, §5.2)."""
    csp = _check_client(client, client_sp, tenant)
    rapp, rsp = _check_resource(resource_app, resource_sp, ref, tenant)
    roles = role_values(rapp, assigned_role_ids)
    assigned = bool(roles) or DEFAULT_ACCESS in assigned_role_ids
    if not assigned and rsp.app_role_assignment_required:
        app = client.application
        raise grant.NOT_ASSIGNED(client_id=app.app_id, client_name=app.display_name,
                                 resource=ref.requested, resource_name=rapp.display_name)
    version: Literal[1, 2] = 2 if rapp.requested_access_token_version == 2 else 1
    return AppAccess(roles=roles, audience=ref.requested if version == 1 else rapp.app_id,
                     version=version, resource_app=rapp, resource_sp=rsp, client_sp=csp)
