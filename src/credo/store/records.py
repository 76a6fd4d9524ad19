"""Model values ⇄ table rows: the one place that knows both shapes.

Manifest lists (app roles, scopes, required resource access, redirect URIs, tags) are stored
as JSON text in field order; tuples come back as tuples so a round trip compares equal.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row

from credo.model import (
    AppId,
    Application,
    AppRole,
    AppRoleAssignment,
    FederatedIdentityCredential,
    KeyCredential,
    ObjectId,
    PasswordCredential,
    PermissionScope,
    RequiredResourceAccess,
    ResourceAccess,
    ServicePrincipal,
    Tenant,
    TenantId,
)

Values = dict[str, Any]


def _dump(items: Sequence[object]) -> str:
    return json.dumps([_plain(i) for i in items], separators=(",", ":"))


def _plain(item: object) -> object:
    if dataclasses.is_dataclass(item) and not isinstance(item, type):
        return dataclasses.asdict(item)
    return item


def _strings(text: str) -> tuple[str, ...]:
    return tuple(json.loads(text))


def _role(d: dict[str, Any]) -> AppRole:
    return AppRole(**{**d, "allowed_member_types": tuple(d["allowed_member_types"])})


def _required(d: dict[str, Any]) -> RequiredResourceAccess:
    return RequiredResourceAccess(
        resource_app_id=AppId(d["resource_app_id"]),
        resource_access=tuple(ResourceAccess(**a) for a in d["resource_access"]))


def tenant_values(tenant: Tenant) -> Values:
    return {"id": tenant.id, "display_name": tenant.display_name, "profile": tenant.profile,
            "created": tenant.created}


def tenant_from(row: Row[Any], domains: Sequence[str]) -> Tenant:
    return Tenant(id=TenantId(row.id), domains=tuple(domains), display_name=row.display_name,
                  profile=row.profile, created=row.created)


def application_values(app: Application) -> Values:
    return {
        "id": app.id, "app_id": app.app_id, "tenant_id": app.tenant_id,
        "display_name": app.display_name, "sign_in_audience": app.sign_in_audience,
        "requested_access_token_version": app.requested_access_token_version,
        "oauth2_allow_implicit_flow": app.oauth2_allow_implicit_flow,
        "oauth2_allow_id_token_implicit_flow": app.oauth2_allow_id_token_implicit_flow,
        "is_fallback_public_client": app.is_fallback_public_client,
        "identifier_uris": _dump(app.identifier_uris),
        "app_roles": _dump(app.app_roles),
        "oauth2_permission_scopes": _dump(app.oauth2_permission_scopes),
        "required_resource_access": _dump(app.required_resource_access),
        "web_redirect_uris": _dump(app.web_redirect_uris),
        "public_client_redirect_uris": _dump(app.public_client_redirect_uris),
        "spa_redirect_uris": _dump(app.spa_redirect_uris),
        "tags": _dump(app.tags),
        "created": app.created,
    }


def application_from(row: Row[Any], keys: Sequence[KeyCredential],
                     passwords: Sequence[PasswordCredential],
                     federated: Sequence[FederatedIdentityCredential] = ()) -> Application:
    return Application(
        id=ObjectId(row.id), app_id=AppId(row.app_id), tenant_id=TenantId(row.tenant_id),
        display_name=row.display_name, sign_in_audience=row.sign_in_audience,
        identifier_uris=_strings(row.identifier_uris),
        app_roles=tuple(_role(d) for d in json.loads(row.app_roles)),
        oauth2_permission_scopes=tuple(
            PermissionScope(**d) for d in json.loads(row.oauth2_permission_scopes)),
        requested_access_token_version=row.requested_access_token_version,
        required_resource_access=tuple(
            _required(d) for d in json.loads(row.required_resource_access)),
        web_redirect_uris=_strings(row.web_redirect_uris),
        public_client_redirect_uris=_strings(row.public_client_redirect_uris),
        spa_redirect_uris=_strings(row.spa_redirect_uris),
        oauth2_allow_implicit_flow=row.oauth2_allow_implicit_flow,
        oauth2_allow_id_token_implicit_flow=row.oauth2_allow_id_token_implicit_flow,
        is_fallback_public_client=row.is_fallback_public_client,
        key_credentials=tuple(keys), password_credentials=tuple(passwords),
        tags=_strings(row.tags), created=row.created, federated_credentials=tuple(federated),
    )


def key_values(app: Application) -> list[Values]:
    return [{"application_id": app.id, "key_id": k.key_id, "position": n, "der": k.der,
             "sha1": k.sha1, "sha256": k.sha256, "start": k.start, "end": k.end,
             "display_name": k.display_name, "custom_key_identifier": k.custom_key_identifier}
            for n, k in enumerate(app.key_credentials)]


def key_from(row: Row[Any]) -> KeyCredential:
    return KeyCredential(key_id=row.key_id, der=row.der, sha1=row.sha1, sha256=row.sha256,
                         start=row.start, end=row.end, display_name=row.display_name,
                         custom_key_identifier=row.custom_key_identifier)


def password_values(app: Application) -> list[Values]:
    return [{"application_id": app.id, "key_id": p.key_id, "position": n,
             "secret_hash": p.secret_hash, "hint": p.hint, "start": p.start, "end": p.end,
             "display_name": p.display_name}
            for n, p in enumerate(app.password_credentials)]


def password_from(row: Row[Any]) -> PasswordCredential:
    return PasswordCredential(key_id=row.key_id, secret_hash=row.secret_hash, hint=row.hint,
                              start=row.start, end=row.end, display_name=row.display_name)


def federated_values(app: Application) -> list[Values]:
    return [{"application_id": app.id, "id": f.id, "position": n, "name": f.name,
             "issuer": f.issuer, "subject": f.subject, "audiences": _dump(f.audiences),
             "description": f.description}
            for n, f in enumerate(app.federated_credentials)]


def federated_from(row: Row[Any]) -> FederatedIdentityCredential:
    return FederatedIdentityCredential(id=row.id, name=row.name, issuer=row.issuer,
                                       subject=row.subject, audiences=_strings(row.audiences),
                                       description=row.description)


def sp_values(sp: ServicePrincipal) -> Values:
    return {"id": sp.id, "app_id": sp.app_id, "tenant_id": sp.tenant_id,
            "display_name": sp.display_name, "account_enabled": sp.account_enabled,
            "app_role_assignment_required": sp.app_role_assignment_required,
            "created": sp.created}


def sp_from(row: Row[Any]) -> ServicePrincipal:
    return ServicePrincipal(
        id=ObjectId(row.id), app_id=AppId(row.app_id), tenant_id=TenantId(row.tenant_id),
        display_name=row.display_name, account_enabled=row.account_enabled,
        app_role_assignment_required=row.app_role_assignment_required, created=row.created)


def assignment_values(a: AppRoleAssignment) -> Values:
    return {"id": a.id, "tenant_id": a.tenant_id, "principal_id": a.principal_id,
            "resource_id": a.resource_id, "app_role_id": a.app_role_id, "created": a.created}


def assignment_from(row: Row[Any]) -> AppRoleAssignment:
    return AppRoleAssignment(
        id=row.id, tenant_id=TenantId(row.tenant_id), principal_id=ObjectId(row.principal_id),
        resource_id=ObjectId(row.resource_id), app_role_id=row.app_role_id, created=row.created)
