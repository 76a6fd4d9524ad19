"""Directory values for the store contract suite: every field set, nothing left at default."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from credo.model import (
    AppId,
    Application,
    AppRole,
    AppRoleAssignment,
    KeyCredential,
    ObjectId,
    PasswordCredential,
    PermissionScope,
    RequiredResourceAccess,
    ResourceAccess,
    ServicePrincipal,
    SigningKey,
    Tenant,
    TenantId,
)

T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


def guid() -> str:
    return str(uuid.uuid4())


def tenant(*domains: str, created: datetime = T0) -> Tenant:
    tid = guid()
    return Tenant(id=TenantId(tid), domains=domains or (f"t{tid[:8]}.example",),
                  display_name=f"Tenant {tid[:8]}", profile="strict", created=created)


def key_credential(n: int = 1) -> KeyCredential:
    return KeyCredential(
        key_id=guid(), der=bytes([n]) * 700, sha1=bytes([n]) * 20, sha256=bytes([n]) * 32,
        start=T0, end=T0 + timedelta(days=365), display_name=f"CN=cert {n}",
        custom_key_identifier=bytes([n, 0, 255]))


def password_credential(n: int = 1) -> PasswordCredential:
    return PasswordCredential(
        key_id=guid(), secret_hash=bytes([n]) * 32, hint=f"ab{n}", start=T0,
        end=T0 + timedelta(days=180), display_name=f"secret {n}")


def application(home: Tenant, *uris: str, created: datetime = T0) -> Application:
    app_id = guid()
    return Application(
        id=ObjectId(guid()), app_id=AppId(app_id), tenant_id=home.id,
        display_name=f"App {app_id[:8]}", sign_in_audience="AzureADMultipleOrgs",
        identifier_uris=uris or (f"api://{app_id}",),
        app_roles=(AppRole(id=guid(), value="Mail.Read", display_name="Read mail",
                           description="Reads all mail", allowed_member_types=("Application",
                                                                               "User"),
                           is_enabled=False),
                   AppRole(id=guid(), value="Mail.Send", display_name="Send mail")),
        oauth2_permission_scopes=(PermissionScope(
            id=guid(), value="user_impersonation", type="Admin",
            admin_consent_display_name="Access", admin_consent_description="Access the API",
            user_consent_display_name="Access (you)", user_consent_description="As you",
            is_enabled=False),),
        requested_access_token_version=2,
        required_resource_access=(RequiredResourceAccess(
            resource_app_id=AppId(guid()),
            resource_access=(ResourceAccess(id=guid(), type="Role"),
                             ResourceAccess(id=guid(), type="Scope"))),),
        web_redirect_uris=("https://app.example/cb", "https://app.example/cb2"),
        public_client_redirect_uris=("http://localhost",),
        spa_redirect_uris=("https://spa.example/",),
        oauth2_allow_implicit_flow=True, oauth2_allow_id_token_implicit_flow=True,
        is_fallback_public_client=True,
        key_credentials=(key_credential(1), key_credential(2)),
        password_credentials=(password_credential(1), password_credential(2)),
        tags=("WindowsAzureActiveDirectoryIntegratedApp", "HideApp"), created=created)


def service_principal(app: Application, where: Tenant, *, created: datetime = T0
                      ) -> ServicePrincipal:
    return ServicePrincipal(
        id=ObjectId(guid()), app_id=app.app_id, tenant_id=where.id,
        display_name=app.display_name, account_enabled=False,
        app_role_assignment_required=False, created=created)


def assignment(principal: ServicePrincipal, resource: ServicePrincipal, role: str,
               *, created: datetime = T0) -> AppRoleAssignment:
    return AppRoleAssignment(id=guid(), tenant_id=resource.tenant_id,
                             principal_id=principal.id, resource_id=resource.id,
                             app_role_id=role, created=created)


def signing_key(kid: str, state: str = "next", *, created: datetime = T0,
                activated: datetime | None = None, retired: datetime | None = None
                ) -> SigningKey:
    return SigningKey(
        kid=kid, state=state,  # type: ignore[arg-type]
        cert_der=b"0\x82cert-" + kid.encode(),
        private_pem=b"-----BEGIN PRIVATE KEY-----\n" + kid.encode() * 8 + b"\n-----END",
        created=created, activated=activated, retired=retired)
