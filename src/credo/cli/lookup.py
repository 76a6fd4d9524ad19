"""Find the application or service principal a user names on the command line.

People name an app by its object id, its appId (client id), an identifier URI
(``api://mail``) or its display name. GUIDs are looked up directly; anything else is
matched against the tenant's listing, and a name that matches several objects is refused
with their ids, so that the user can pick one. Without ``--tenant`` the app is looked for in
every tenant (an appId is unique in the deployment); the tenant is asked for only when a
name is ambiguous.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from credo.cli.api import Management
from credo.cli.common import EXIT_USAGE, CliError
from credo.errors import NotFound
from credo.model import is_guid

Object = dict[str, Any]


def _matches(item: Object, ref: str, uri_key: str) -> bool:
    names = [str(n) for n in item.get(uri_key) or []]
    return ref in names or str(item.get("displayName", "")).casefold() == ref.casefold()


def _one(found: Sequence[Object], ref: str, what: str, tenant: str) -> Object:
    if not found:
        raise CliError(f"no {what} {ref!r} in tenant {tenant}")
    if len(found) > 1:
        ids = ", ".join(f"{item.get('displayName')} (appId {item.get('appId')})" for item in found)
        raise CliError(f"{ref!r} names {len(found)} {what}s in tenant {tenant}: {ids}; "
                       "give the appId instead", exit_code=EXIT_USAGE)
    return found[0]


def _applications(api: Management, tenant: str, ref: str) -> list[Object]:
    """The apps of ``tenant`` that ``ref`` names (an id names at most one)."""
    if is_guid(ref):
        try:
            return [api.get(tenant, f"/applications/{ref}")]  # object id or appId
        except NotFound:
            return []
    apps = api.collection(tenant, "/applications")
    by_uri = [app for app in apps if ref in (app.get("identifierUris") or [])]
    return by_uri or [app for app in apps if _matches(app, ref, "identifierUris")]


def application(api: Management, tenant: str, ref: str) -> Object:
    """An app homed in ``tenant`` by object id, appId, identifier URI or display name."""
    return _one(_applications(api, tenant, ref), ref, "application", tenant)


def tenant_name(tenant: Object) -> str:
    """A tenant as people know it: its first domain, else its id."""
    domains = [str(d.get("name")) for d in tenant.get("verifiedDomains") or []]
    return domains[0] if domains else str(tenant.get("id"))


def locate(api: Management, ref: str, tenant: str | None) -> tuple[str, Object]:
    """``(tenant, app)``: the app ``ref`` names in ``tenant``, or in whichever tenant has it."""
    if tenant is not None:
        return tenant, application(api, tenant, ref)
    found: list[tuple[Object, Object]] = []
    for candidate in api.tenants():
        found += [(candidate, app) for app in _applications(api, str(candidate["id"]), ref)]
        if found and is_guid(ref):
            break  # ids are unique in the deployment
    if not found:
        raise CliError(f"no application {ref!r} in any tenant")
    if len(found) > 1:
        named = ", ".join(f"{app.get('displayName')} (appId {app.get('appId')}) in "
                          f"{tenant_name(home)}" for home, app in found)
        raise CliError(f"{ref!r} names {len(found)} applications: {named}; give --tenant or "
                       "the appId", exit_code=EXIT_USAGE)
    return tenant_name(found[0][0]), found[0][1]


def service_principal(api: Management, tenant: str, ref: str) -> Object | None:
    """The SP in ``tenant`` of an app named as for :func:`application`; None when absent."""
    if is_guid(ref):
        try:
            found: Object = api.get(tenant, f"/servicePrincipals/{ref}")
            return found
        except NotFound:
            return None
    sps = api.collection(tenant, "/servicePrincipals")
    by_name = [sp for sp in sps if ref in (sp.get("servicePrincipalNames") or [])]
    matched = by_name or [sp for sp in sps if _matches(sp, ref, "servicePrincipalNames")]
    return _one(matched, ref, "service principal", tenant) if matched else None


def require_service_principal(api: Management, tenant: str, ref: str) -> Object:
    """The SP of ``ref`` in ``tenant``, or a clear error saying how to create it."""
    sp = service_principal(api, tenant, ref)
    if sp is None:
        raise CliError(f"{ref!r} has no service principal in tenant {tenant}; a multi-tenant "
                       f"app is installed with `credo app sp create APP_ID --tenant {tenant}`")
    return sp


def install(api: Management, tenant: str, app_id: str) -> Object:
    """Create the service principal of ``app_id`` in ``tenant`` (``POST /servicePrincipals``)."""
    created: Object = api.post(tenant, "/servicePrincipals", {"appId": app_id})
    return created


def service_principal_or_install(api: Management, tenant: str, ref: str) -> Object:
    """The SP of ``ref`` in ``tenant``; a multi-tenant app named by appId is installed."""
    sp = service_principal(api, tenant, ref)
    if sp is not None:
        return sp
    if not is_guid(ref):
        raise CliError(f"no service principal {ref!r} in tenant {tenant}; name an app of "
                       "another tenant by its appId to install it here")
    return install(api, tenant, ref)


def app_role(resource: Object, value: str) -> Object:
    """The resource's application permission (app role) whose ``value`` is ``value``."""
    roles = [r for r in resource.get("appRoles") or []
             if "Application" in (r.get("allowedMemberTypes") or [])]
    for role in roles:
        if role.get("value") == value:
            return dict(role)
    offered = ", ".join(str(r.get("value")) for r in roles) or "none"
    raise CliError(f"{value!r} is not an application permission of "
                   f"{resource.get('displayName')!r} (it offers: {offered})",
                   exit_code=EXIT_USAGE)


def role_names(resource: Object) -> dict[str, str]:
    """``appRoleId`` → role ``value`` for the resource's app roles."""
    return {str(r.get("id")): str(r.get("value")) for r in resource.get("appRoles") or []}
