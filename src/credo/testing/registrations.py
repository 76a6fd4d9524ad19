"""What the helpers create, as plain values: APIs, client apps, users; and their manifests.

Names follow Microsoft Graph: an API is an ``application`` with ``identifierUris``,
``appRoles`` (application permissions) and ``api.oauth2PermissionScopes`` (delegated
permissions users may consent to); every application has a ``servicePrincipal`` in its
tenant, which grants are made to and on.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from credo.testing.credentials import CertificateFiles

TOKEN_EXCHANGE = "api://AzureADTokenExchange"
"""The audience federated credentials expect by default (Entra's)."""

if TYPE_CHECKING:
    from credo.testing.tenant import Tenant


@dataclass(frozen=True)
class Registration:
    """An application registered in a tenant and its service principal there."""

    name: str
    app_id: str
    object_id: str
    sp_id: str
    tenant: Tenant = field(repr=False, compare=False)

    @property
    def client_id(self) -> str:
        """The application (client) id, what MSAL and azure-identity call ``client_id``."""
        return self.app_id

    def federated(self, issuer: str, subject: str, *, audience: str = TOKEN_EXCHANGE,
                  name: str | None = None, description: str | None = None) -> dict[str, Any]:
        """Trust ``issuer``'s tokens about ``subject`` as this app's credential (a Graph
        ``federatedIdentityCredential``; workload identity federation); the created object."""
        body: dict[str, Any] = {"name": name or f"federated-{uuid.uuid4().hex[:8]}",
                                "issuer": issuer, "subject": subject, "audiences": [audience]}
        if description is not None:
            body["description"] = description
        return self.tenant.call("POST", f"/applications/{self.object_id}/"
                                        "federatedIdentityCredentials", body)

    @property
    def issuer_subject(self) -> tuple[str, str]:
        """``(iss, sub)`` of this app's app-only tokens for a v1 API (the default version, as
        ``tenant.api("api://AzureADTokenExchange", …)`` registers it): what another app, in any
        tenant of the authority, passes to ``federated()`` to accept them as its credential."""
        return f"{self.tenant.authority.url}/{self.tenant.id}/", self.sp_id


@dataclass(frozen=True)
class Api(Registration):
    """A protected API: its identifier URI and the ids of its app roles and scopes."""

    identifier_uri: str = ""
    role_ids: dict[str, str] = field(default_factory=dict)
    scope_ids: dict[str, str] = field(default_factory=dict)

    @property
    def default_scope(self) -> str:
        """``<identifier URI>/.default``: what a daemon asks for (client credentials)."""
        return f"{self.identifier_uri}/.default"

    def scope(self, value: str) -> str:
        """A delegated scope as clients request it: ``<identifier URI>/<value>``."""
        if value not in self.scope_ids:
            raise ValueError(f"{self.name} offers no scope {value!r} (it offers: "
                             f"{', '.join(self.scope_ids) or 'none'})")
        return f"{self.identifier_uri}/{value}"

    def role_id(self, value: str) -> str:
        try:
            return self.role_ids[value]
        except KeyError:
            raise ValueError(f"{self.name} offers no app role {value!r} (it offers: "
                             f"{', '.join(self.role_ids) or 'none'})") from None


@dataclass(frozen=True)
class App(Registration):
    """A client application and the credentials the helper made for it."""

    certificate: CertificateFiles | None = None
    secret: str | None = field(default=None, repr=False)
    redirect_uris: tuple[str, ...] = ()


@dataclass(frozen=True)
class User:
    """A user of the tenant: object id, sign-in name, password and directory roles."""

    id: str
    upn: str
    password: str = field(repr=False)
    display_name: str
    roles: tuple[str, ...] = ()


def app_role(value: str) -> dict[str, Any]:
    """An application permission (``appRole`` assignable to applications)."""
    return {"id": str(uuid.uuid4()), "value": value, "displayName": value,
            "description": f"{value} (application permission)", "isEnabled": True,
            "allowedMemberTypes": ["Application"]}


def user_scope(value: str) -> dict[str, Any]:
    """A delegated permission users may consent to themselves (``type: User``)."""
    return {"id": str(uuid.uuid4()), "value": value, "type": "User", "isEnabled": True,
            "adminConsentDisplayName": value, "adminConsentDescription": value,
            "userConsentDisplayName": value, "userConsentDescription": value}


def api_manifest(name: str, identifier_uri: str, app_roles: Iterable[str],
                 scopes: Iterable[str], access_token_version: int | None) -> dict[str, Any]:
    """The Graph ``application`` body of an API."""
    api: dict[str, Any] = {"oauth2PermissionScopes": [user_scope(v) for v in scopes]}
    if access_token_version is not None:
        api["requestedAccessTokenVersion"] = access_token_version
    return {"displayName": name, "identifierUris": [identifier_uri],
            "appRoles": [app_role(v) for v in app_roles], "api": api}
