"""What a management call did, in Graph ``directoryAudit`` terms: activity, category, targets.

Each ``/v1.0`` write (and each refused call) becomes one directory-audit event. The activity
names are Entra's own (``Add application``, ``Add app role assignment to service
principal``…) so that queries written for Entra's audit log read Credo's the same way; a
route not listed here is recorded as ``METHOD template`` in category ``Other``.
"""

from __future__ import annotations

from collections.abc import Mapping

from credo.model import AuditTarget

_APP, _SP, _USER = "Application", "ServicePrincipal", "User"
CREDENTIALS = "Update application \u2013 Certificates and secrets management"
"""Entra's name for adding or removing a certificate or a secret (with an en dash)."""
_ASSIGN = "Add app role assignment to service principal"
ASSIGNMENT = "AppRoleAssignment"
"""The target type naming a granted application permission (a created assignment)."""
CONSENT = "Consent to application"
ROTATE = "Rotate signing keys"
_UNASSIGN = "Remove app role assignment from service principal"

ACTIVITIES: dict[tuple[str, str], tuple[str, str, str, str]] = {
    # (method, template): (activity, category, target type, path parameter of its id)
    ("POST", "/tenants"): ("Create company", "DirectoryManagement", "Company", ""),
    ("PATCH", "/tenants/{tenant}"): ("Update company", "DirectoryManagement", "Company",
                                     "tenant"),
    ("POST", "/keys/rotate"): (ROTATE, "KeyManagement", "SigningKey", ""),
    ("POST", "/applications"): ("Add application", "ApplicationManagement", _APP, ""),
    ("PATCH", "/applications/{app_ref}"): ("Update application", "ApplicationManagement",
                                           _APP, "app_ref"),
    ("DELETE", "/applications/{app_ref}"): ("Delete application", "ApplicationManagement",
                                            _APP, "app_ref"),
    ("POST", "/applications/{app_ref}/addKey"): (CREDENTIALS, "ApplicationManagement", _APP,
                                                 "app_ref"),
    ("POST", "/applications/{app_ref}/removeKey"): (CREDENTIALS, "ApplicationManagement",
                                                    _APP, "app_ref"),
    ("POST", "/applications/{app_ref}/addPassword"): (CREDENTIALS, "ApplicationManagement",
                                                      _APP, "app_ref"),
    ("POST", "/applications/{app_ref}/removePassword"): (
        CREDENTIALS, "ApplicationManagement", _APP, "app_ref"),
    ("POST", "/applications/{app_ref}/federatedIdentityCredentials"): (
        CREDENTIALS, "ApplicationManagement", _APP, "app_ref"),
    ("PATCH", "/applications/{app_ref}/federatedIdentityCredentials/{ref}"): (
        CREDENTIALS, "ApplicationManagement", _APP, "app_ref"),
    ("DELETE", "/applications/{app_ref}/federatedIdentityCredentials/{ref}"): (
        CREDENTIALS, "ApplicationManagement", _APP, "app_ref"),
    ("POST", "/servicePrincipals"): ("Add service principal", "ApplicationManagement", _SP, ""),
    ("PATCH", "/servicePrincipals/{sp_id}"): ("Update service principal",
                                              "ApplicationManagement", _SP, "sp_id"),
    ("DELETE", "/servicePrincipals/{sp_id}"): ("Remove service principal",
                                               "ApplicationManagement", _SP, "sp_id"),
    ("POST", "/servicePrincipals/{sp_id}/appRoleAssignments"): (
        _ASSIGN, "ApplicationManagement", _SP, "sp_id"),
    ("POST", "/servicePrincipals/{sp_id}/appRoleAssignedTo"): (
        _ASSIGN, "ApplicationManagement", _SP, "sp_id"),
    ("DELETE", "/servicePrincipals/{sp_id}/appRoleAssignments/{assignment_id}"): (
        _UNASSIGN, "ApplicationManagement", _SP, "sp_id"),
    ("DELETE", "/servicePrincipals/{sp_id}/appRoleAssignedTo/{assignment_id}"): (
        _UNASSIGN, "ApplicationManagement", _SP, "sp_id"),
    ("POST", "/oauth2PermissionGrants"): ("Add delegated permission grant",
                                          "ApplicationManagement", "OAuth2PermissionGrant", ""),
    ("PATCH", "/oauth2PermissionGrants/{grant_id}"): (
        "Update delegated permission grant", "ApplicationManagement", "OAuth2PermissionGrant",
        "grant_id"),
    ("DELETE", "/oauth2PermissionGrants/{grant_id}"): (
        "Remove delegated permission grant", "ApplicationManagement", "OAuth2PermissionGrant",
        "grant_id"),
    ("POST", "/users"): ("Add user", "UserManagement", _USER, ""),
    ("PATCH", "/users/{ref}"): ("Update user", "UserManagement", _USER, "ref"),
    ("DELETE", "/users/{ref}"): ("Delete user", "UserManagement", _USER, "ref"),
    ("POST", "/directoryRoles/{role_id}/members/$ref"): ("Add member to role",
                                                         "RoleManagement", "Role", "role_id"),
    ("DELETE", "/directoryRoles/{role_id}/members/{user_id}/$ref"): (
        "Remove member from role", "RoleManagement", "Role", "role_id"),
}

BY_KIND = {"consent.": (CONSENT, "ApplicationManagement"), "keys.": (ROTATE, "KeyManagement")}
"""Events recorded by services without an activity (written before it was recorded)."""


def describe(method: str, template: str, params: Mapping[str, str],
             created: Mapping[str, str]) -> tuple[str, str, tuple[AuditTarget, ...]]:
    """Activity, category and targets of ``method template``; ``created`` holds the new
    object's ``id`` and ``displayName`` when the call created one."""
    known = ACTIVITIES.get((method, template))
    if known is None:
        return f"{method} {template or 'unmatched'}", "Other", ()
    activity, category, kind, param = known
    target = AuditTarget(kind, params.get(param, "") if param else created.get("id", ""),
                         created.get("displayName", ""))
    if param == "role_id" and params.get("user_id"):
        return activity, category, (target, AuditTarget(_USER, params["user_id"]))
    if activity == _ASSIGN and created.get("id"):  # who granted it: the portal asks
        return activity, category, (target, AuditTarget(ASSIGNMENT, created["id"]))
    return activity, category, (target,)


def by_kind(kind: str) -> tuple[str, str]:
    """Activity and category of a service-recorded event (``("", "")`` when unknown)."""
    return next((found for prefix, found in BY_KIND.items() if kind.startswith(prefix)),
                ("", ""))
