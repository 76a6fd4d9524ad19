"""Admin consent decisions (docs/protocol.md, "Admin consent and permissions").

Pure: which permissions a client's ``requiredResourceAccess`` asks for, whether each is
defined by its API, whether a user's directory roles may grant them, and where the browser
goes afterwards. ``/{tenant}/adminconsent`` (v1) asks for everything the app lists;
``/{tenant}/v2.0/adminconsent`` names resources with ``scope=<resource>/.default``
("app permissions can only be requested via /.default"). Role rule (app-only-access
primer): a Global Administrator may grant anything; an Application or Cloud Application
Administrator may grant everything but the application permissions of the privileged APIs
(for Credo: its own management API, the counterpart of Microsoft Graph).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from credo.aadsts import client as client_errors
from credo.aadsts import grant, request, user
from credo.model import AppId, Application, DirectoryRoleName, canonical_identifier_uri
from credo.protocol.urls import with_query

MAX_PARAMETER = 2048
DEFAULT_SUFFIX = "/.default"
GLOBAL_ADMIN: DirectoryRoleName = "Global Administrator"
APP_ADMINS: frozenset[DirectoryRoleName] = frozenset(
    {"Application Administrator", "Cloud Application Administrator"})
_PARAMETERS = ("client_id", "redirect_uri", "state", "scope")
Version = Literal[1, 2]


@dataclass(frozen=True)
class AdminConsentRequest:
    version: Version
    client_id: str
    redirect_uri: str
    state: str | None
    scope: str | None
    resources: tuple[str, ...]
    """v2: the resources named by ``scope`` (before ``/.default``); v1: empty (all)."""


@dataclass(frozen=True)
class RequestedPermission:
    """One entry of ``requiredResourceAccess``, resolved on its API."""

    resource_app_id: AppId
    resource_name: str
    resource_identifier: str
    kind: Literal["Application", "Delegated"]
    id: str
    value: str
    display_name: str
    description: str


def parse_request(pairs: Sequence[tuple[str, str]], version: Version
                  ) -> AdminConsentRequest:
    """The admin-consent query, as Entra reads it: each parameter at most once."""
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in _PARAMETERS:
            if name in params:
                raise request.REPEATED_CONSENT_PARAMETER(name=name)
            if len(value) > MAX_PARAMETER:
                raise request.PARAMETER_TOO_LONG(name=name)
            params[name] = value
    client_id = params.get("client_id", "")
    if not client_id:
        raise request.MISSING_BODY_PARAMETER(name="client_id")
    if not params.get("redirect_uri"):
        raise request.MISSING_BODY_PARAMETER(name="redirect_uri")
    scope = params.get("scope") or None
    resources: tuple[str, ...] = ()
    if version == 2:
        if scope is None:
            raise request.MISSING_BODY_PARAMETER(name="scope")
        resources = _default_resources(scope)
    return AdminConsentRequest(version, client_id, params["redirect_uri"],
                               params.get("state") or None, scope, resources)


def _default_resources(scope: str) -> tuple[str, ...]:
    items = scope.split()
    if not items or not all(i.endswith(DEFAULT_SUFFIX) and len(i) > len(DEFAULT_SUFFIX)
                            for i in items):
        raise grant.ADMIN_CONSENT_SCOPE()
    return tuple(dict.fromkeys(i[:-len(DEFAULT_SUFFIX)] for i in items))


def check_client(client: Application | None, client_id: str, tenant_id: str,
                 tenant_name: str) -> Application:
    """AADSTS700016 unless the app exists and is homed here or multi-tenant."""
    if client is None or (client.tenant_id != tenant_id and not client.multi_tenant):
        raise client_errors.CLIENT_NOT_FOUND(client_id=client_id[:80], tenant=tenant_name)
    return client


def check_redirect_uri(client: Application, redirect_uri: str) -> None:
    """AADSTS50011 unless ``redirect_uri`` is registered on the app, character for character."""
    registered = (*client.web_redirect_uris, *client.public_client_redirect_uris,
                  *client.spa_redirect_uris)
    if redirect_uri not in registered:
        raise user.REDIRECT_NOT_REGISTERED(redirect_uri=redirect_uri[:300],
                                           client_id=client.app_id)


def identifier(resource: Application) -> str:
    return resource.identifier_uris[0] if resource.identifier_uris else resource.app_id


def _selected(client: Application, resources: Mapping[str, Application],
              wanted: Sequence[str]) -> dict[str, str]:
    """resource app id → identifier to echo; AADSTS650057 for a resource not listed."""
    listed: dict[str, str] = {r.resource_app_id: identifier(resources[r.resource_app_id])
              for r in client.required_resource_access if r.resource_app_id in resources}
    if not wanted:
        return listed
    chosen: dict[str, str] = {}
    for name in wanted:
        match = next((app_id for app_id in listed
                      if name.lower() == app_id
                      or canonical_identifier_uri(name) in {
                          canonical_identifier_uri(u) for u in resources[app_id].identifier_uris}),
                     None)
        if match is None:
            raise user.RESOURCE_NOT_LISTED(resource=name[:200])
        chosen[match] = name
    return chosen


def requested_permissions(client: Application, resources: Mapping[str, Application],
                          wanted: Sequence[str] = ()) -> tuple[RequestedPermission, ...]:
    """Every permission the app lists for the chosen resources, each defined by its API.

    ``resources`` maps the app ids of ``requiredResourceAccess`` to their APIs; a missing
    one is AADSTS500011, an undefined or disabled role or scope AADSTS650053.
    """
    for required in client.required_resource_access:
        if required.resource_app_id not in resources:
            raise grant.REQUIRED_RESOURCE_NOT_FOUND(resource=required.resource_app_id)
    chosen = _selected(client, resources, wanted)
    found: list[RequestedPermission] = []
    for required in client.required_resource_access:
        if required.resource_app_id not in chosen:
            continue
        api = resources[required.resource_app_id]
        for access in required.resource_access:
            found.append(_resolve(client, api, chosen[api.app_id], access.id, access.type))
    return tuple(dict.fromkeys(found))


def _resolve(client: Application, api: Application, echo: str, permission_id: str,
             kind: Literal["Role", "Scope"]) -> RequestedPermission:
    pid = permission_id.lower()
    if kind == "Role":
        role = next((r for r in api.app_roles if r.id == pid and r.is_enabled
                     and "Application" in r.allowed_member_types), None)
        if role is not None:
            return RequestedPermission(api.app_id, api.display_name, echo, "Application",
                                       role.id, role.value, role.display_name, role.description)
    else:
        scope = next((s for s in api.oauth2_permission_scopes if s.id == pid and s.is_enabled),
                     None)
        if scope is not None:
            return RequestedPermission(
                api.app_id, api.display_name, echo, "Delegated", scope.id, scope.value,
                scope.admin_consent_display_name or scope.value, scope.admin_consent_description)
    raise user.UNKNOWN_PERMISSION(
        client=client.display_name, kind="application permission" if kind == "Role" else "scope",
        value=permission_id[:40], resource_id=api.app_id)


def check_admin(roles: Sequence[DirectoryRoleName], permissions: Sequence[RequestedPermission],
                *, privileged: frozenset[str]) -> None:
    """AADSTS90094 unless ``roles`` may grant every one of ``permissions``."""
    if GLOBAL_ADMIN in roles:
        return
    if not APP_ADMINS & set(roles):
        raise user.ADMIN_CONSENT_REQUIRED()
    blocked = sorted({p.resource_name for p in permissions
                      if p.kind == "Application" and p.resource_app_id in privileged})
    if blocked:
        raise user.GLOBAL_ADMIN_ONLY(resources=", ".join(blocked))


def granted_redirect(request: AdminConsentRequest, tenant_id: str,
                     granted: Sequence[RequestedPermission]) -> str:
    """Success: ``admin_consent=True&tenant={tid}&state`` (+ ``scope`` on v2.0)."""
    params = [("admin_consent", "True"), ("tenant", tenant_id)]
    if request.state is not None:
        params.append(("state", request.state))
    if request.version == 2:
        params.append(("scope", " ".join(
            f"{p.resource_identifier.rstrip('/')}/{p.value}" for p in granted)))
    return with_query(request.redirect_uri, params)


def canceled_redirect(request: AdminConsentRequest) -> str:
    """Cancel: ``error=access_denied&error_description=The admin canceled the request``."""
    params = [("error", "access_denied"),
              ("error_description", "The admin canceled the request")]
    if request.state is not None:
        params.append(("state", request.state))
    return with_query(request.redirect_uri, params)
