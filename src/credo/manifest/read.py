"""Manage Manifest: an edited application document → the updated :class:`Application`.

Accepts the Microsoft Graph shape (https://learn.microsoft.com/graph/api/resources/application)
and the AAD Graph names of https://learn.microsoft.com/entra/identity-platform/reference-app-manifest.
Members left out keep their current value (Graph ``PATCH`` semantics); every bad member is
reported at once and nothing is applied unless all are valid.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, TypeVar

from credo.errors import FieldError, InvalidInput
from credo.manifest import fields
from credo.manifest._reader import (
    Problems,
    as_bool,
    as_display_text,
    as_object,
    as_str,
    as_strings,
    at,
    check_keys,
    entries,
)
from credo.manifest.credentials import read_key_credentials
from credo.manifest.passwords import read_password_credentials
from credo.manifest.permissions import (
    check_removals,
    read_app_roles,
    read_permission_scopes,
    read_required_resource_access,
)
from credo.manifest.uris import read_identifier_uris, read_redirect_uris, redirect_uri_problem
from credo.model import Application, SignInAudience

MANIFEST_INVALID = "The manifest is not valid."
MAX_ENTRIES = 1200
_NAME_LIMIT = 256
_AUDIENCES: tuple[SignInAudience, ...] = ("AzureADMyOrg", "AzureADMultipleOrgs")
_REPLY_TYPES = ("Web", "Spa", "InstalledClient")
_IMPLICIT = "web.implicitGrantSettings"
T = TypeVar("T")
Reader = Callable[[Any, str, Problems], T]
_Member = tuple[str, str, Reader[T]]
"""Where a member lives: its object's path (``""`` for the root), its name, its reader."""


@dataclass(frozen=True)
class _Found(Generic[T]):
    """A member that was present: where, what it read as, and whether it read cleanly."""

    target: str
    value: T
    ok: bool


@dataclass(frozen=True)
class _Doc:
    """The manifest's objects by path (``""`` is the root), each checked to be an object."""

    sections: Mapping[str, Mapping[str, Any]]
    p: Problems

    def read(self, member: _Member[T], *, alias: bool = False) -> _Found[T] | None:
        """Read a member if present; an AAD Graph alias set to null counts as absent."""
        section, key, reader = member
        obj = self.sections[section]
        if key not in obj or (alias and obj[key] is None):
            return None
        target, mark = at(section, key), self.p.mark()
        value = reader(obj[key], target, self.p)
        return _Found(target, value, self.p.clean_since(mark))

    def agree(self, graph: _Member[T], aad: _Member[T] | None = None) -> _Found[T] | None:
        """The Graph member, else its AAD Graph alias; when both are present they must agree."""
        found = self.read(graph)
        alias = None if aad is None else self.read(aad, alias=True)
        if found is None or alias is None:
            return found or alias
        if found.ok and alias.ok and alias.value != found.value:
            self.p.add(alias.target, f"Conflicts with '{found.target}'.")
        return found


def _sections(doc: Mapping[str, Any], p: Problems) -> _Doc:
    api = as_object(doc.get("api"), "api", p)
    check_keys(api, fields.API_EDITABLE | fields.API_UNSUPPORTED, "api", p)
    fields.check_unsupported(api, fields.API_UNSUPPORTED, "api", p)
    web = as_object(doc.get("web"), "web", p)
    check_keys(web, fields.WEB_EDITABLE | fields.WEB_INFORMATIONAL, "web", p)
    implicit = as_object(web.get("implicitGrantSettings"), _IMPLICIT, p)
    check_keys(implicit, ("enableAccessTokenIssuance", "enableIdTokenIssuance"), _IMPLICIT, p)
    spa = as_object(doc.get("spa"), "spa", p)
    check_keys(spa, ("redirectUris",), "spa", p)
    public = as_object(doc.get("publicClient"), "publicClient", p)
    check_keys(public, ("redirectUris",), "publicClient", p)
    return _Doc({"": doc, "api": api, "web": web, _IMPLICIT: implicit, "spa": spa,
                 "publicClient": public}, p)


def _display_name(value: Any, target: str, p: Problems) -> str:
    return as_display_text(value, target, p, max_len=_NAME_LIMIT)


def _audience(value: Any, target: str, p: Problems) -> SignInAudience:
    if isinstance(value, str) and value in _AUDIENCES:
        return value
    p.add(target, "Must be 'AzureADMyOrg' or 'AzureADMultipleOrgs'; "
                  "personal Microsoft accounts are not supported.")
    return "AzureADMyOrg"


def _other_tenants(value: Any, target: str, p: Problems) -> SignInAudience:
    return "AzureADMultipleOrgs" if as_bool(value, target, p, default=False) else "AzureADMyOrg"


def _token_version(value: Any, target: str, p: Problems) -> int | None:
    if value is None or (type(value) is int and value in (1, 2)):
        return value
    p.add(target, "Must be null, 1 or 2.")
    return None


def _flag(value: Any, target: str, p: Problems) -> bool:
    return as_bool(value, target, p, default=False)


def _tags(value: Any, target: str, p: Problems) -> tuple[str, ...]:
    tags = as_strings(value, target, p)
    for i, tag in enumerate(tags):
        if not tag or len(tag) > _NAME_LIMIT:
            p.add(at(target, i), f"Must be 1 to {_NAME_LIMIT} characters long.")
    return tuple(tags)


def _reply_urls(value: Any, target: str, p: Problems) -> tuple[tuple[str, ...], ...]:
    """AAD Graph ``replyUrlsWithType`` → (web, spa, publicClient) redirect URIs."""
    buckets: dict[str, list[str]] = {kind: [] for kind in _REPLY_TYPES}
    for here, obj in entries(value, target, p):
        check_keys(obj, ("url", "type"), here, p)
        kind, url = obj.get("type"), as_str(obj.get("url"), at(here, "url"), p)
        if not isinstance(kind, str) or kind not in buckets:
            p.add(at(here, "type"), "Must be 'Web', 'Spa' or 'InstalledClient'.")
            continue
        problem = redirect_uri_problem(url, private_scheme=kind == "InstalledClient")
        if problem is not None:
            p.add(at(here, "url"), problem)
        buckets[kind].append(url)
    return tuple(tuple(buckets[kind]) for kind in _REPLY_TYPES)


def _changes(name: str, found: _Found[Any] | None) -> dict[str, Any]:
    """The change a member makes; one that did not read cleanly keeps the current value, so
    it causes no second, derived error."""
    return {} if found is None or not found.ok else {name: found.value}


def _public_uris(value: Any, target: str, p: Problems) -> tuple[str, ...]:
    return read_redirect_uris(value, target, p, private_scheme=True)


# Model field ← Microsoft Graph member, AAD Graph alias (the 6.1 table of the fact sheet).
_SCALARS: tuple[tuple[str, _Member[Any], _Member[Any] | None], ...] = (
    ("display_name", ("", "displayName", _display_name), ("", "name", _display_name)),
    ("sign_in_audience", ("", "signInAudience", _audience),
     ("", "availableToOtherTenants", _other_tenants)),
    ("identifier_uris", ("", "identifierUris", read_identifier_uris), None),
    ("requested_access_token_version", ("api", "requestedAccessTokenVersion", _token_version),
     ("", "accessTokenAcceptedVersion", _token_version)),
    ("tags", ("", "tags", _tags), None),
    ("required_resource_access",
     ("", "requiredResourceAccess", read_required_resource_access), None),
    ("oauth2_allow_implicit_flow", (_IMPLICIT, "enableAccessTokenIssuance", _flag),
     ("", "oauth2AllowImplicitFlow", _flag)),
    ("oauth2_allow_id_token_implicit_flow", (_IMPLICIT, "enableIdTokenIssuance", _flag),
     ("", "oauth2AllowIdTokenImplicitFlow", _flag)),
    ("is_fallback_public_client", ("", "isFallbackPublicClient", _flag),
     ("", "allowPublicClient", _flag)),
)
# Model field ← redirect URIs of one platform, and its replyUrlsWithType bucket.
_REDIRECTS: tuple[tuple[str, _Member[tuple[str, ...]], int], ...] = (
    ("web_redirect_uris", ("web", "redirectUris", read_redirect_uris), 0),
    ("spa_redirect_uris", ("spa", "redirectUris", read_redirect_uris), 1),
    ("public_client_redirect_uris", ("publicClient", "redirectUris", _public_uris), 2),
)


def _scalars(d: _Doc) -> dict[str, Any]:
    """Every member that maps to one model field, Graph name first, then its alias."""
    changes: dict[str, Any] = {}
    for name, graph, aad in _SCALARS:
        changes |= _changes(name, d.agree(graph, aad))
    return changes


def _permissions(d: _Doc, current: Application) -> dict[str, Any]:
    """App roles and delegated scopes: removing an enabled one is refused."""
    roles = d.read(("", "appRoles", lambda v, t, p: read_app_roles(v, t, p, current.app_roles)))
    scopes = d.agree(("api", "oauth2PermissionScopes", read_permission_scopes),
                     ("", "oauth2Permissions", read_permission_scopes))
    if scopes is not None and scopes.ok:
        check_removals("Permission scope", current.oauth2_permission_scopes, scopes.value,
                       scopes.target, d.p)
    return _changes("app_roles", roles) | _changes("oauth2_permission_scopes", scopes)


def _redirects(d: _Doc) -> dict[str, Any]:
    """Redirect URIs per platform; AAD Graph ``replyUrlsWithType`` must agree with them."""
    reply = d.read(("", "replyUrlsWithType", _reply_urls), alias=True)
    changes: dict[str, Any] = {}
    for name, graph, bucket in _REDIRECTS:
        found = d.read(graph)
        if reply is not None:
            part = _Found(reply.target, reply.value[bucket], reply.ok)
            if found is not None and found.ok and part.ok and part.value != found.value:
                d.p.add(part.target, f"Conflicts with '{found.target}'.")
            found = found or part
        changes |= _changes(name, found)
    return changes


def _credentials(d: _Doc, current: Application, now: datetime,
                 new_id: Callable[[], str]) -> dict[str, Any]:
    """Certificates (new ones checked, echoed ones kept) and secrets (removal only)."""
    taken = {pc.key_id for pc in current.password_credentials}

    def keys(v: Any, t: str, p: Problems) -> Any:
        return read_key_credentials(v, t, p, current=current.key_credentials, taken=taken,
                                    new_id=new_id, now=now)

    def passwords(v: Any, t: str, p: Problems) -> Any:
        return read_password_credentials(v, t, p, current=current.password_credentials)

    return (_changes("key_credentials", d.read(("", "keyCredentials", keys)))
            | _changes("password_credentials", d.read(("", "passwordCredentials", passwords))))


def _entry_count(app: Application) -> int:
    collections: tuple[tuple[object, ...], ...] = (
        app.identifier_uris, app.app_roles, app.oauth2_permission_scopes,
        app.required_resource_access, app.web_redirect_uris, app.spa_redirect_uris,
        app.public_client_redirect_uris, app.key_credentials, app.password_credentials,
        app.tags)
    nested = sum(len(r.resource_access) for r in app.required_resource_access)
    return sum(len(c) for c in collections) + nested


def _check_result(app: Application, p: Problems) -> None:
    if not app.display_name.strip() and not (p.found_at("displayName") or p.found_at("name")):
        p.add("displayName", "A display name is required.")
    if _entry_count(app) > MAX_ENTRIES:
        p.add("$", f"The manifest may hold at most {MAX_ENTRIES} entries across all "
                   "collections combined.")


def application_from_json(doc: Any, *, current: Application, now: datetime,
                          new_id: Callable[[], str]) -> Application:
    """Apply an edited manifest to ``current`` ("Manage Manifest").

    ``id``, ``appId`` and ``createdDateTime`` are read-only; password credentials may only be
    removed; a certificate sent back with ``key: null`` keeps the stored one. ``new_id``
    draws the keyId of a new certificate sent without one; ``now`` refuses certificates that
    have already expired. Raises :class:`InvalidInput` listing every bad member.
    """
    if not isinstance(doc, Mapping):
        raise InvalidInput(MANIFEST_INVALID, details=[
            FieldError(target="$", message="The manifest must be a JSON object.")])
    p = Problems()
    fields.check_top_level(doc, current, p)
    d = _sections(doc, p)
    changes = (_scalars(d) | _permissions(d, current) | _redirects(d)
               | _credentials(d, current, now, new_id))
    updated = replace(current, **changes)
    _check_result(updated, p)
    p.raise_if_any(MANIFEST_INVALID)
    return updated
