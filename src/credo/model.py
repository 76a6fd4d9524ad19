"""The directory's values: frozen dataclasses shared by every layer.

Names follow Microsoft Graph (``application``, ``servicePrincipal``, ``appRoleAssignment``,
``keyCredential``, ``passwordCredential``); the JSON shapes live in ``manifest.py``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NewType

TenantId = NewType("TenantId", str)
"""A tenant's GUID (lower-case, hyphenated)."""
AppId = NewType("AppId", str)
"""An application's (client) id: the GUID used in protocol messages."""
ObjectId = NewType("ObjectId", str)
"""A directory object's id: used only by the management API."""

Profile = Literal["entra", "strict"]
SignInAudience = Literal["AzureADMyOrg", "AzureADMultipleOrgs"]
MemberType = Literal["Application", "User"]
ScopeType = Literal["User", "Admin"]
KeyState = Literal["next", "active", "retired"]

PROFILES: tuple[Profile, ...] = ("entra", "strict")


def canonical_identifier_uri(uri: str) -> str:
    """The form in which two Application ID URIs are the same: case folded (scheme and host
    are case-insensitive, RFC 3986 §6.2.2.1, and Entra compares the rest without case) and
    without trailing ``/`` (``https://hr.contoso.example/`` names ``https://hr.contoso.example``,
    as ``scope=https://hr.contoso.example//.default`` does)."""
    return uri.strip().casefold().rstrip("/")


def is_guid(text: str) -> bool:
    """True for a canonical (lower- or upper-case, hyphenated) GUID string."""
    try:
        return str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False


@dataclass(frozen=True)
class Tenant:
    id: TenantId
    domains: tuple[str, ...]
    display_name: str
    profile: Profile = "entra"
    created: datetime | None = None

    @property
    def default_domain(self) -> str:
        return self.domains[0]


@dataclass(frozen=True)
class KeyCredential:
    """An X.509 certificate an application signs client assertions with (usage ``Verify``)."""

    key_id: str
    der: bytes
    sha1: bytes
    sha256: bytes
    start: datetime
    end: datetime
    display_name: str = ""
    custom_key_identifier: bytes = b""
    type: Literal["AsymmetricX509Cert"] = "AsymmetricX509Cert"
    usage: Literal["Verify"] = "Verify"

    def valid_at(self, now: datetime) -> bool:
        return self.start <= now <= self.end


@dataclass(frozen=True)
class PasswordCredential:
    """A client secret; only a keyed hash of it is kept (``secret_hash``)."""

    key_id: str
    secret_hash: bytes
    hint: str
    start: datetime
    end: datetime
    display_name: str = ""

    def valid_at(self, now: datetime) -> bool:
        return self.start <= now <= self.end


TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
"""The audience a federated identity credential expects by default, as in Entra."""
MAX_FEDERATED_CREDENTIALS = 20
"""Federated identity credentials one application may hold (Entra's limit)."""


@dataclass(frozen=True)
class FederatedIdentityCredential:
    """Trust in tokens of an external issuer about one subject (Graph
    ``federatedIdentityCredential``): a workload proves itself with such a token instead of a
    certificate or secret. ``issuer``, ``subject`` and ``audiences`` match case-sensitively;
    ``name`` is unique per application and never changes."""

    id: str
    name: str
    issuer: str
    subject: str
    audiences: tuple[str, ...] = (TOKEN_EXCHANGE_AUDIENCE,)
    description: str = ""


@dataclass(frozen=True)
class AppRole:
    id: str
    value: str
    display_name: str
    description: str = ""
    allowed_member_types: tuple[MemberType, ...] = ("Application",)
    is_enabled: bool = True


@dataclass(frozen=True)
class PermissionScope:
    id: str
    value: str
    type: ScopeType = "User"
    admin_consent_display_name: str = ""
    admin_consent_description: str = ""
    user_consent_display_name: str = ""
    user_consent_description: str = ""
    is_enabled: bool = True


@dataclass(frozen=True)
class ResourceAccess:
    id: str
    type: Literal["Role", "Scope"]


@dataclass(frozen=True)
class RequiredResourceAccess:
    resource_app_id: AppId
    resource_access: tuple[ResourceAccess, ...]


@dataclass(frozen=True)
class Application:
    """An app registration, living in its home tenant (``tenant_id``)."""

    id: ObjectId
    app_id: AppId
    tenant_id: TenantId
    display_name: str
    sign_in_audience: SignInAudience = "AzureADMyOrg"
    identifier_uris: tuple[str, ...] = ()
    app_roles: tuple[AppRole, ...] = ()
    oauth2_permission_scopes: tuple[PermissionScope, ...] = ()
    requested_access_token_version: int | None = None
    required_resource_access: tuple[RequiredResourceAccess, ...] = ()
    web_redirect_uris: tuple[str, ...] = ()
    public_client_redirect_uris: tuple[str, ...] = ()
    spa_redirect_uris: tuple[str, ...] = ()
    oauth2_allow_implicit_flow: bool = False
    oauth2_allow_id_token_implicit_flow: bool = False
    is_fallback_public_client: bool = False
    key_credentials: tuple[KeyCredential, ...] = ()
    password_credentials: tuple[PasswordCredential, ...] = ()
    tags: tuple[str, ...] = ()
    created: datetime | None = None
    federated_credentials: tuple[FederatedIdentityCredential, ...] = ()

    @property
    def multi_tenant(self) -> bool:
        return self.sign_in_audience == "AzureADMultipleOrgs"


@dataclass(frozen=True)
class ServicePrincipal:
    """An application's instance in one tenant."""

    id: ObjectId
    app_id: AppId
    tenant_id: TenantId
    display_name: str
    account_enabled: bool = True
    app_role_assignment_required: bool = True
    created: datetime | None = None


@dataclass(frozen=True)
class AppRoleAssignment:
    """An application permission granted: client SP (principal) → resource SP → role."""

    id: str
    tenant_id: TenantId
    principal_id: ObjectId
    resource_id: ObjectId
    app_role_id: str
    created: datetime | None = None


@dataclass(frozen=True)
class SigningKey:
    """A token-signing key; ``kid`` = ``x5t`` = base64url SHA-1 of ``cert_der``.

    ``private_pem`` is the PKCS#8 PEM once decrypted; the store keeps it encrypted.
    """

    kid: str
    state: KeyState
    cert_der: bytes
    private_pem: bytes
    created: datetime
    activated: datetime | None = None
    retired: datetime | None = None


@dataclass(frozen=True)
class ClientSnapshot:
    """Everything the token endpoint needs about one client in one tenant, read at once."""

    tenant: Tenant
    application: Application
    service_principal: ServicePrincipal | None


AuditStream = Literal["signIn", "directoryAudit"]
"""Which log an event belongs to (Graph ``auditLogs/signIns`` or ``auditLogs/directoryAudits``)."""
SIGN_IN_KINDS = ("token.", "signin.", "authorize")
"""Kinds that are sign-ins: token requests, the password page, authorization requests."""


@dataclass(frozen=True)
class AuditTarget:
    """What a directory change touched (Graph ``targetResource``): a type and its id."""

    type: str
    id: str = ""
    display_name: str = ""


@dataclass(frozen=True)
class AuditEvent:
    """One sign-in or directory event; never carries a secret, a password or a token.

    Sign-ins fill the client (``client_id``, ``app_name``), the credential it used (Graph
    ``clientCredentialType``: ``clientAssertion``, ``clientSecret`` or ``none``, with the
    key credential's id and SHA-1 thumbprint, or the password credential's id), the resource,
    the user and the client address. Directory events fill ``activity`` (Graph
    ``activityDisplayName``), ``category`` and ``targets``; the initiator is ``client_id``
    (an app) or ``user_principal_name`` (a user).
    """

    time: datetime
    tenant_id: str
    kind: str
    outcome: Literal["success", "failure"]
    client_id: str = ""
    code: int = 0
    detail: str = ""
    correlation_id: str = ""
    app_name: str = ""
    ip_address: str = ""
    credential_type: str = ""
    credential_key_id: str = ""
    credential_thumbprint: str = ""
    resource_id: str = ""
    resource_name: str = ""
    user_id: str = ""
    user_principal_name: str = ""
    activity: str = ""
    category: str = ""
    targets: tuple[AuditTarget, ...] = ()

    @property
    def stream(self) -> AuditStream:
        return "signIn" if self.kind.startswith(SIGN_IN_KINDS) else "directoryAudit"


@dataclass(frozen=True)
class AuditRecord:
    """A stored event; ``id`` orders events of the same instant and names it in the API."""

    id: int
    event: AuditEvent


@dataclass(frozen=True)
class AuditQuery:
    """One page of one tenant's log, newest first (``after``: the last record of the page
    before, as ``(time, id)``)."""

    tenant_id: str
    stream: AuditStream
    app_id: str | None = None
    code: int | None = None
    failed: bool | None = None
    category: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after: tuple[datetime, int] | None = None
    limit: int = 100


DirectoryRoleName = Literal["Global Administrator", "Application Administrator",
                            "Cloud Application Administrator"]
"""The admin directory roles Credo knows; a user holding none is a plain user."""

DIRECTORY_ROLE_TEMPLATES: dict[DirectoryRoleName, str] = {
    "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
    "Application Administrator": "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",
    "Cloud Application Administrator": "158c047a-c907-4556-b7ef-446551a6b5f7",
}
"""Entra's built-in role template ids (learn.microsoft.com/entra/identity/role-based-access-
control/permissions-reference); Graph ``directoryRole.roleTemplateId``."""


@dataclass(frozen=True)
class User:
    """A member of one tenant who signs in with a password (Graph ``user``).

    ``user_principal_name`` is lower-cased and unique across the directory; its domain is one
    of the tenant's. The password's argon2id hash is never part of this value.
    """

    id: ObjectId
    tenant_id: TenantId
    user_principal_name: str
    display_name: str
    account_enabled: bool = True
    directory_roles: tuple[DirectoryRoleName, ...] = ()
    created: datetime | None = None
    password_changed: datetime | None = None


# -- delegated flows: user consent, authorization codes, refresh tokens ----------------------

ConsentType = Literal["AllPrincipals", "Principal"]
RedirectKind = Literal["web", "spa", "publicClient"]
"""Which manifest list a redirect URI is registered in (``web``/``spa``/``publicClient``)."""


@dataclass(frozen=True)
class DelegatedGrant:
    """Delegated scopes of one resource granted to one client (Graph ``oAuth2PermissionGrant``).

    ``client_id`` and ``resource_id`` are service-principal object ids; ``principal_id`` is
    the user for ``Principal`` consent and ``None`` for ``AllPrincipals`` (admin consent).
    ``scope`` is space-separated scope values, as Graph has it.
    """

    id: str
    tenant_id: TenantId
    client_id: ObjectId
    consent_type: ConsentType
    principal_id: ObjectId | None
    resource_id: ObjectId
    scope: str
    created: datetime | None = None

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.scope.split())


@dataclass(frozen=True)
class AuthorizationCode:
    """An authorization code (RFC 6749 §4.1.2), kept only as ``code_hash``, single use.

    Bound to everything redemption checks (RFC 6749 §4.1.3, RFC 7636 §4.6): tenant,
    client, redirect URI, PKCE challenge (S256), nonce, user and the scopes consented.
    ``family_id`` names the refresh-token family its redemption starts, so that a
    replayed code can revoke what it issued (RFC 6749 §4.1.2, §10.5).
    """

    code_hash: str
    tenant_id: TenantId
    client_id: AppId
    redirect_uri: str
    redirect_kind: RedirectKind
    user_id: ObjectId
    scope: str
    resource: str
    code_challenge: str | None
    nonce: str | None
    auth_time: datetime
    session_id: str
    family_id: str
    version: Literal[1, 2]
    created: datetime
    expires: datetime
    used: datetime | None = None


@dataclass(frozen=True)
class RefreshToken:
    """A refresh token (RFC 6749 §6), kept only as ``token_hash``; rotated on every use.

    Tokens descending from one authorization code share ``family_id``; presenting a token
    that was already rotated revokes the whole family (OAuth 2.0 Security BCP §4.14.2).
    ``public`` tokens were issued to a public client and are redeemed without client
    authentication, as their code was.
    """

    token_hash: str
    family_id: str
    tenant_id: TenantId
    client_id: AppId
    user_id: ObjectId
    scope: str
    public: bool
    auth_time: datetime
    session_id: str
    created: datetime
    expires: datetime
    used: datetime | None = None
    revoked: datetime | None = None
    """When its family was revoked (read from the family, not from this token)."""


@dataclass(frozen=True)
class BrowserSession:
    """A signed-in browser. Its cookie holds a random secret that the store keeps only as a
    hash; ``session_id`` is public (the OIDC ``sid``) and never opens the session."""

    session_id: str
    tenant_id: TenantId
    user_id: ObjectId
    created: datetime
    """When the password was checked (``auth_time``, to the microsecond)."""
    last_seen: datetime
    expires: datetime
