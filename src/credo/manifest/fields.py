"""The top-level members of an application manifest, and what Credo does with each.

Names from https://learn.microsoft.com/entra/identity-platform/reference-microsoft-graph-app-manifest
(Microsoft Graph) and https://learn.microsoft.com/entra/identity-platform/reference-app-manifest
(AAD Graph; "Renamed/relocated attributes" table in the deprecation notice).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from credo.manifest._reader import Problems, as_time, at, same_second
from credo.model import Application

EDITABLE = frozenset({
    "displayName", "signInAudience", "identifierUris", "api", "appRoles",
    "requiredResourceAccess", "web", "spa", "publicClient", "isFallbackPublicClient",
    "keyCredentials", "passwordCredentials", "tags",
})
"""Microsoft Graph names Credo stores."""

AAD_ALIASES = frozenset({
    "name", "accessTokenAcceptedVersion", "oauth2Permissions", "replyUrlsWithType",
    "availableToOtherTenants", "allowPublicClient", "oauth2AllowImplicitFlow",
    "oauth2AllowIdTokenImplicitFlow",
})
"""AAD Graph names accepted on input for the same fields."""

UNSUPPORTED = frozenset({
    "addIns", "groupMembershipClaims", "optionalClaims", "tokenEncryptionKeyId",
    "oauth2RequirePostResponse", "requestSignatureVerification", "authenticationBehaviors",
    "oauth2AllowUrlPathMatching", "knownClientApplications", "preAuthorizedApplications",
    "acceptMappedClaims", "allowPassthroughUsers", "samlMetadataUrl", "defaultRedirectUri",
})
"""Fields that would change token issuance if honoured: accepted only when empty."""

INFORMATIONAL = frozenset({
    "description", "notes", "info", "informationalUrls", "logo", "logoUrl", "homepage",
    "signInUrl", "logoutUrl", "errorUrl", "serviceManagementReference", "certification",
    "verifiedPublisher", "parentalControlSettings", "servicePrincipalLockConfiguration",
    "disabledByMicrosoftStatus", "applicationTemplateId", "uniqueName", "orgRestrictions",
    "isDeviceOnlyAuthSupported", "nativeAuthenticationApisEnabled", "publisherDomain",
})
"""Portal-only fields with no effect on tokens: accepted and not stored."""

READ_ONLY = frozenset({"id", "appId", "createdDateTime", "deletedDateTime"})
"""Fields the server assigns: accepted when equal to the stored value."""

API_EDITABLE = frozenset({"requestedAccessTokenVersion", "oauth2PermissionScopes"})
API_UNSUPPORTED = frozenset({"acceptMappedClaims", "knownClientApplications",
                             "preAuthorizedApplications"})
WEB_EDITABLE = frozenset({"redirectUris", "implicitGrantSettings"})
WEB_INFORMATIONAL = frozenset({"homePageUrl", "logoutUrl", "redirectUriSettings"})

_READ_ONLY_MESSAGE = "Read-only; it cannot be changed."
_UNSUPPORTED_MESSAGE = "Not supported by Credo; it must be empty (null, false or [])."


def blank(value: Any) -> bool:
    """``null``, ``false``, ``""``, ``[]``, or an object whose members are all blank."""
    if isinstance(value, Mapping):
        return all(blank(v) for v in value.values())
    return value is None or value is False or value == "" or value == []


def check_unsupported(obj: Mapping[str, Any], names: frozenset[str], target: str,
                      p: Problems) -> None:
    """Record every member of ``names`` in ``obj`` that is not blank."""
    for name, value in obj.items():
        if name in names and not blank(value):
            p.add(at(target, name), _UNSUPPORTED_MESSAGE)


def _same_guid(value: Any, stored: str) -> bool:
    return isinstance(value, str) and value.lower() == stored.lower()


def _created_matches(value: Any, created: datetime | None, p: Problems) -> bool:
    if value is None:
        return created is None
    moment = as_time(value, "createdDateTime", p)
    return moment is None or same_second(moment, created)


def check_read_only(doc: Mapping[str, Any], current: Application, p: Problems) -> None:
    """``id``, ``appId``, ``createdDateTime`` and ``deletedDateTime`` must not change."""
    checks: dict[str, Callable[[Any], bool]] = {
        "id": lambda v: _same_guid(v, current.id),
        "appId": lambda v: _same_guid(v, current.app_id),
        "createdDateTime": lambda v: _created_matches(v, current.created, p),
        "deletedDateTime": lambda v: v is None,
    }
    for name, matches in checks.items():
        if name in doc and not matches(doc[name]):
            p.add(name, _READ_ONLY_MESSAGE)


def check_top_level(doc: Mapping[str, Any], current: Application, p: Problems) -> None:
    """Unknown members (typos), changed read-only members, and non-empty unsupported ones."""
    known = EDITABLE | AAD_ALIASES | UNSUPPORTED | INFORMATIONAL | READ_ONLY
    for name in doc:
        if name not in known and not str(name).startswith("@odata."):
            p.add(name, f"Unknown property '{name}'.")
    check_read_only(doc, current, p)
    check_unsupported(doc, UNSUPPORTED, "", p)
