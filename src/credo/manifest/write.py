"""Model → Microsoft Graph JSON for the directory objects the management API returns.

Graph resources: https://learn.microsoft.com/graph/api/resources/application,
https://learn.microsoft.com/graph/api/resources/serviceprincipal,
https://learn.microsoft.com/graph/api/resources/approleassignment,
https://learn.microsoft.com/graph/api/resources/organization.
"""

from __future__ import annotations

from typing import Any

from credo.manifest._reader import format_time
from credo.manifest.credentials import key_credential_to_json
from credo.manifest.passwords import password_credential_to_json
from credo.manifest.permissions import (
    app_role_to_json,
    permission_scope_to_json,
    required_resource_access_to_json,
)
from credo.model import Application, AppRoleAssignment, ServicePrincipal, Tenant


def _time(value: Any) -> str | None:
    return None if value is None else format_time(value)


def _platforms(app: Application) -> dict[str, Any]:
    """``publicClient``, ``spa`` and ``web`` (with ``implicitGrantSettings``)."""
    return {
        "publicClient": {"redirectUris": list(app.public_client_redirect_uris)},
        "spa": {"redirectUris": list(app.spa_redirect_uris)},
        "web": {
            "redirectUris": list(app.web_redirect_uris),
            "implicitGrantSettings": {
                "enableAccessTokenIssuance": app.oauth2_allow_implicit_flow,
                "enableIdTokenIssuance": app.oauth2_allow_id_token_implicit_flow,
            },
        },
    }


def application_to_json(app: Application, *, include_keys: bool = False,
                        publisher_domain: str | None = None) -> dict[str, Any]:
    """Graph ``application`` (resources/application), the document "Manage Manifest" edits.

    Only the Microsoft Graph shape is produced (``web.implicitGrantSettings``, not the AAD
    Graph ``oauth2AllowImplicitFlow``); certificates are included only with ``include_keys``,
    as Graph returns ``key`` only on ``$select=keyCredentials`` for a single object.
    """
    publisher = {"publisherDomain": publisher_domain} if publisher_domain else {}
    return {
        "id": app.id,
        "appId": app.app_id,
        "createdDateTime": _time(app.created),
        "displayName": app.display_name,
        "identifierUris": list(app.identifier_uris),
        "isFallbackPublicClient": app.is_fallback_public_client,
        **publisher,
        "signInAudience": app.sign_in_audience,
        "tags": list(app.tags),
        "api": {"requestedAccessTokenVersion": app.requested_access_token_version,
                "oauth2PermissionScopes": [permission_scope_to_json(s)
                                           for s in app.oauth2_permission_scopes]},
        "appRoles": [app_role_to_json(r) for r in app.app_roles],
        "keyCredentials": [key_credential_to_json(k, include_key=include_keys)
                           for k in app.key_credentials],
        "passwordCredentials": [password_credential_to_json(p)
                                for p in app.password_credentials],
        "requiredResourceAccess": [required_resource_access_to_json(r)
                                   for r in app.required_resource_access],
        **_platforms(app),
    }


def service_principal_to_json(sp: ServicePrincipal, app: Application) -> dict[str, Any]:
    """Graph ``servicePrincipal`` (resources/serviceprincipal): ``sp`` with its app's roles.

    ``appOwnerOrganizationId`` is the app's home tenant; ``servicePrincipalNames`` holds the
    appId and the identifier URIs, as Entra fills it.
    """
    return {
        "id": sp.id,
        "accountEnabled": sp.account_enabled,
        "appDisplayName": app.display_name,
        "appId": sp.app_id,
        "appOwnerOrganizationId": app.tenant_id,
        "appRoleAssignmentRequired": sp.app_role_assignment_required,
        "appRoles": [app_role_to_json(r) for r in app.app_roles],
        "displayName": sp.display_name,
        "oauth2PermissionScopes": [permission_scope_to_json(s)
                                   for s in app.oauth2_permission_scopes],
        "servicePrincipalNames": [sp.app_id, *app.identifier_uris],
        "servicePrincipalType": "Application",
        "signInAudience": app.sign_in_audience,
        "tags": list(app.tags),
    }


def assignment_to_json(a: AppRoleAssignment, *, principal_display_name: str,
                       resource_display_name: str) -> dict[str, Any]:
    """Graph ``appRoleAssignment`` (resources/approleassignment): an application permission
    granted to a service principal."""
    return {
        "id": a.id,
        "deletedDateTime": None,
        "appRoleId": a.app_role_id,
        "createdDateTime": _time(a.created),
        "principalDisplayName": principal_display_name,
        "principalId": a.principal_id,
        "principalType": "ServicePrincipal",
        "resourceDisplayName": resource_display_name,
        "resourceId": a.resource_id,
    }


def tenant_to_json(t: Tenant) -> dict[str, Any]:
    """Graph ``organization`` (resources/organization), plus Credo's security ``profile``.

    ``verifiedDomains`` lists the tenant's domains; the first is the default one.
    """
    return {
        "id": t.id,
        "tenantId": t.id,
        "displayName": t.display_name,
        "createdDateTime": _time(t.created),
        "verifiedDomains": [{"name": name, "isDefault": i == 0}
                            for i, name in enumerate(t.domains)],
        "profile": t.profile,
    }
