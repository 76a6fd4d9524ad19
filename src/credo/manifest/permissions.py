"""App roles, delegated permission scopes and required resource access ⇄ model.

Graph resources: https://learn.microsoft.com/graph/api/resources/approle,
https://learn.microsoft.com/graph/api/resources/permissionscope,
https://learn.microsoft.com/graph/api/resources/requiredresourceaccess. Rules from
https://learn.microsoft.com/entra/identity-platform/reference-microsoft-graph-app-manifest
("value ... can't contain spaces"; a role or scope "must be disabled before it can be deleted").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

from credo.manifest._reader import (
    Problems,
    as_bool,
    as_display_text,
    as_guid,
    as_str,
    as_strings,
    at,
    check_keys,
    entries,
    parse,
    parse_object,
)
from credo.model import (
    AppId,
    AppRole,
    MemberType,
    PermissionScope,
    RequiredResourceAccess,
    ResourceAccess,
    ScopeType,
)

# The characters Entra allows in a role or scope value (letters, digits and these symbols).
_VALUE = re.compile(r"[A-Za-z0-9!#$%&'()*+,\-./:;<=>?@\[\]^_`{|}~]+", re.ASCII)
_MEMBER_TYPES: tuple[MemberType, ...] = ("Application", "User")
_SCOPE_TYPES: tuple[ScopeType, ...] = ("User", "Admin")
_ROLE_KEYS = frozenset({"allowedMemberTypes", "description", "displayName", "id", "isEnabled",
                        "value", "origin", "lang"})
_SCOPE_KEYS = frozenset({"adminConsentDescription", "adminConsentDisplayName", "id",
                         "isEnabled", "type", "userConsentDescription",
                         "userConsentDisplayName", "value", "origin", "lang"})
_TEXT_LIMIT = 1024


def app_role_to_json(role: AppRole) -> dict[str, Any]:
    """Graph ``appRole`` (resources/approle)."""
    return {
        "allowedMemberTypes": list(role.allowed_member_types),
        "description": role.description,
        "displayName": role.display_name,
        "id": role.id,
        "isEnabled": role.is_enabled,
        "value": role.value,
    }


def permission_scope_to_json(scope: PermissionScope) -> dict[str, Any]:
    """Graph ``permissionScope`` (resources/permissionscope); unset user-consent texts are null."""
    return {
        "adminConsentDescription": scope.admin_consent_description,
        "adminConsentDisplayName": scope.admin_consent_display_name,
        "id": scope.id,
        "isEnabled": scope.is_enabled,
        "type": scope.type,
        "userConsentDescription": scope.user_consent_description or None,
        "userConsentDisplayName": scope.user_consent_display_name or None,
        "value": scope.value,
    }


def required_resource_access_to_json(rra: RequiredResourceAccess) -> dict[str, Any]:
    """Graph ``requiredResourceAccess`` (resources/requiredresourceaccess)."""
    return {
        "resourceAppId": rra.resource_app_id,
        "resourceAccess": [{"id": a.id, "type": a.type} for a in rra.resource_access],
    }


def _value(value: Any, target: str, p: Problems) -> str:
    text = as_str(value, target, p)
    if not text:
        p.add(target, "A value is required.")
    elif any(c.isspace() for c in text):
        p.add(target, "Must not contain spaces.")
    elif text.startswith("."):
        p.add(target, "Must not start with '.'.")
    elif not _VALUE.fullmatch(text):
        p.add(target, "Contains a character that is not allowed.")
    return text


def _member_types(value: Any, target: str, p: Problems) -> tuple[MemberType, ...]:
    found: list[MemberType] = []
    for i, item in enumerate(as_strings(value, target, p)):
        if item not in _MEMBER_TYPES:
            p.add(at(target, i), "Must be 'Application' or 'User'.")
        elif item not in found:
            found.append(item)
    if not found:
        p.add(target, "At least one of 'Application' or 'User' is required.")
    return tuple(found)


def read_app_role(obj: Mapping[str, Any], target: str, p: Problems) -> AppRole:
    """One ``appRoles`` entry, every field checked."""
    check_keys(obj, _ROLE_KEYS, target, p)
    return AppRole(
        id=as_guid(obj.get("id"), at(target, "id"), p),
        value=_value(obj.get("value"), at(target, "value"), p),
        display_name=as_display_text(obj.get("displayName"), at(target, "displayName"), p,
                                     max_len=_TEXT_LIMIT),
        description=as_display_text(obj.get("description"), at(target, "description"), p,
                                    max_len=_TEXT_LIMIT),
        allowed_member_types=_member_types(obj.get("allowedMemberTypes"),
                                           at(target, "allowedMemberTypes"), p),
        is_enabled=as_bool(obj.get("isEnabled"), at(target, "isEnabled"), p, default=True),
    )


def _scope_type(value: Any, target: str, p: Problems) -> ScopeType:
    if value is None:
        return "User"
    if value in _SCOPE_TYPES:
        return cast(ScopeType, value)
    p.add(target, "Must be 'User' or 'Admin'.")
    return "User"


def read_permission_scope(obj: Mapping[str, Any], target: str, p: Problems
                          ) -> PermissionScope:
    """One ``oauth2PermissionScopes`` (AAD Graph ``oauth2Permissions``) entry."""
    check_keys(obj, _SCOPE_KEYS, target, p)

    def text(key: str) -> str:
        return as_display_text(obj.get(key), at(target, key), p, max_len=_TEXT_LIMIT)

    return PermissionScope(
        id=as_guid(obj.get("id"), at(target, "id"), p),
        value=_value(obj.get("value"), at(target, "value"), p),
        type=_scope_type(obj.get("type"), at(target, "type"), p),
        admin_consent_display_name=text("adminConsentDisplayName"),
        admin_consent_description=text("adminConsentDescription"),
        user_consent_display_name=text("userConsentDisplayName"),
        user_consent_description=text("userConsentDescription"),
        is_enabled=as_bool(obj.get("isEnabled"), at(target, "isEnabled"), p, default=True),
    )


def _unique(items: Sequence[AppRole | PermissionScope], target: str, p: Problems) -> None:
    """Ids and values must each be unique within the collection."""
    ids: set[str] = set()
    values: set[str] = set()
    collection = target.rsplit(".", 1)[-1]
    for i, item in enumerate(items):
        if item.id and item.id in ids:
            p.add(at(at(target, i), "id"), f"Must be unique within {collection}.")
        if item.value and item.value in values:
            p.add(at(at(target, i), "value"), f"Must be unique within {collection}.")
        ids.add(item.id)
        values.add(item.value)


def check_removals(kind: str, current: Sequence[AppRole | PermissionScope],
              kept: Sequence[AppRole | PermissionScope], target: str, p: Problems) -> None:
    """An enabled role or scope "must be disabled before it can be deleted"."""
    kept_ids = {item.id for item in kept}
    for old in current:
        if old.id not in kept_ids and old.is_enabled:
            p.add(target, f"{kind} '{old.value}' ({old.id}) must be disabled "
                          "before it can be deleted.")


def read_app_roles(value: Any, target: str, p: Problems,
                   current: Sequence[AppRole] = ()) -> tuple[AppRole, ...]:
    """``appRoles``: valid entries, unique ids and values, no enabled role dropped."""
    mark = p.mark()
    roles = tuple(read_app_role(obj, here, p) for here, obj in entries(value, target, p))
    _unique(roles, target, p)
    if p.clean_since(mark):
        check_removals("App role", current, roles, target, p)
    return roles


def read_permission_scopes(value: Any, target: str, p: Problems,
                           current: Sequence[PermissionScope] = ()
                           ) -> tuple[PermissionScope, ...]:
    """``api.oauth2PermissionScopes``: as :func:`read_app_roles`, for delegated scopes."""
    mark = p.mark()
    scopes = tuple(read_permission_scope(obj, here, p)
                   for here, obj in entries(value, target, p))
    _unique(scopes, target, p)
    if p.clean_since(mark):
        check_removals("Permission scope", current, scopes, target, p)
    return scopes


def _resource_access(obj: Mapping[str, Any], target: str, p: Problems) -> ResourceAccess:
    check_keys(obj, ("id", "type"), target, p)
    kind: Literal["Role", "Scope"] = "Scope" if obj.get("type") == "Scope" else "Role"
    if obj.get("type") not in ("Role", "Scope"):
        p.add(at(target, "type"), "Must be 'Role' or 'Scope'.")
    return ResourceAccess(id=as_guid(obj.get("id"), at(target, "id"), p), type=kind)


def _one_resource(obj: Mapping[str, Any], target: str, p: Problems) -> RequiredResourceAccess:
    check_keys(obj, ("resourceAppId", "resourceAccess"), target, p)
    access: list[ResourceAccess] = []
    for here, item in entries(obj.get("resourceAccess"), at(target, "resourceAccess"), p):
        ra = _resource_access(item, here, p)
        if ra.id and ra in access:
            p.add(here, "Must be unique within resourceAccess.")
        access.append(ra)
    app_id = as_guid(obj.get("resourceAppId"), at(target, "resourceAppId"), p)
    return RequiredResourceAccess(resource_app_id=AppId(app_id), resource_access=tuple(access))


def read_required_resource_access(value: Any, target: str,
                                  p: Problems) -> tuple[RequiredResourceAccess, ...]:
    """``requiredResourceAccess``: one entry per resource app, each permission listed once."""
    out: list[RequiredResourceAccess] = []
    for here, obj in entries(value, target, p):
        rra = _one_resource(obj, here, p)
        if rra.resource_app_id and any(o.resource_app_id == rra.resource_app_id for o in out):
            p.add(at(here, "resourceAppId"), "Must be unique within requiredResourceAccess.")
        out.append(rra)
    return tuple(out)


def app_role_from_json(entry: Any, *, target: str = "appRole") -> AppRole:
    """One Graph ``appRole``; raises :class:`~credo.errors.InvalidInput` listing every bad field."""
    return parse_object(read_app_role, entry, target)


def app_roles_from_json(value: Any, *, target: str = "appRoles",
                        current: Sequence[AppRole] = ()) -> tuple[AppRole, ...]:
    """A whole ``appRoles`` collection (replacing ``current``); raises ``InvalidInput``."""
    return parse(lambda v, t, p: read_app_roles(v, t, p, current), value, target)


def permission_scope_from_json(entry: Any, *, target: str = "permissionScope"
                               ) -> PermissionScope:
    """One Graph ``permissionScope``; raises ``InvalidInput`` listing every bad field."""
    return parse_object(read_permission_scope, entry, target)


def permission_scopes_from_json(value: Any, *, target: str = "api.oauth2PermissionScopes",
                                current: Sequence[PermissionScope] = ()
                                ) -> tuple[PermissionScope, ...]:
    """A whole ``oauth2PermissionScopes`` collection (replacing ``current``)."""
    return parse(lambda v, t, p: read_permission_scopes(v, t, p, current), value, target)


def required_resource_access_from_json(value: Any, *, target: str = "requiredResourceAccess"
                                       ) -> tuple[RequiredResourceAccess, ...]:
    """A whole ``requiredResourceAccess`` collection; raises ``InvalidInput``."""
    return parse(read_required_resource_access, value, target)
