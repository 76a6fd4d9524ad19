"""Directory operations: tenants, apps, credentials, service principals, app-role grants.

Every change goes through here (the management API, the CLI through it, ``credo init``),
validates before it writes, writes one transaction, and drops this process's snapshot
cache; other processes follow within ``cache_seconds`` (service/snapshots.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from credo.display_names import check_display_name
from credo.errors import FieldError, InvalidInput, ObjectConflict, ObjectNotFound
from credo.model import (
    AppId,
    Application,
    AppRole,
    AppRoleAssignment,
    KeyCredential,
    ObjectId,
    PasswordCredential,
    Profile,
    ServicePrincipal,
    SignInAudience,
    Tenant,
    TenantId,
    canonical_identifier_uri,
    is_guid,
)
from credo.service.builtin_apps import MANAGEMENT_APP_ID, MANAGEMENT_URI
from credo.service.secrets import HINT_LENGTH, generate_secret
from credo.service.snapshots import resolve_identifier_uri
from credo.service.sources import SYSTEM, Sources
from credo.store.api import Directory

MAX_SECRET_DAYS = 730


class DirectoryService:
    def __init__(self, store: Directory, *, secret_hasher: Callable[[str], bytes],
                 on_change: Callable[[], None] = lambda: None,
                 sources: Sources = SYSTEM) -> None:
        self._store = store
        self._hasher = secret_hasher
        self._changed = on_change
        self._sources = sources

    def new_id(self) -> str:
        return self._sources.new_id()

    def now(self) -> datetime:
        return self._sources.now()

    # -- reads ---------------------------------------------------------------------------
    async def tenants(self) -> list[Tenant]:
        return await self._store.tenants()

    async def applications(self, tenant: Tenant) -> list[Application]:
        """The applications homed in ``tenant``."""
        return await self._store.applications(tenant.id)

    async def service_principals(self, tenant: Tenant) -> list[ServicePrincipal]:
        return await self._store.service_principals(tenant.id)

    async def service_principals_of_app(self, app_id: str) -> dict[str, ServicePrincipal]:
        """The app's service principals by tenant id, across every tenant."""
        return {sp.tenant_id: sp for sp in await self._store.service_principals_of_app(app_id)}

    async def app_of(self, sp: ServicePrincipal) -> Application:
        """A service principal's application (the store deletes the SPs with their app)."""
        app = await self._store.application_by_app_id(sp.app_id)
        if app is None:
            raise ObjectNotFound(f"Service principal '{sp.id}' has no application.")
        return app

    async def named_assignments(self, sp: ServicePrincipal, *, to: bool
                                ) -> list[tuple[AppRoleAssignment, str, str]]:
        """Grants to ``sp`` (``to``) or on it, with both ends' display names."""
        return await (self._store.named_assignments(principal_id=sp.id) if to
                      else self._store.named_assignments(resource_id=sp.id))

    async def assignment(self, tenant: Tenant, assignment_id: str) -> AppRoleAssignment:
        found = await self._store.assignment(assignment_id.lower())
        if found is None or found.tenant_id != tenant.id:
            raise ObjectNotFound(f"App role assignment '{assignment_id}' does not exist.")
        return found

    async def roles_held(self, app_id: str, resource_app_id: str) -> list[tuple[TenantId, str]]:
        """``(tenant, role id)`` of the roles ``app_id`` holds on ``resource_app_id``."""
        return await self._store.roles_held(app_id, resource_app_id)

    # -- tenants -----------------------------------------------------------------------
    async def create_tenant(self, domain: str, *, display_name: str = "",
                            profile: Profile = "entra", tenant_id: str | None = None) -> Tenant:
        domain = domain.strip().lower()
        _check_domain(domain)
        check_display_name(display_name, "displayName", "Tenant")
        tenant = Tenant(TenantId(tenant_id or self.new_id()), (domain,), display_name or domain,
                        profile, self.now())
        await self._store.add_tenant(tenant)
        self._changed()
        return tenant

    async def tenant(self, segment: str) -> Tenant:
        segment = segment.strip().lower()
        found = (await self._store.tenant(TenantId(segment)) if is_guid(segment)
                 else await self._store.tenant_by_domain(segment))
        if found is None:
            raise ObjectNotFound(f"Tenant '{segment}' does not exist.")
        return found

    async def set_profile(self, tenant: Tenant, profile: Profile) -> Tenant:
        updated = dataclasses.replace(tenant, profile=profile)
        await self._store.update_tenant(updated)
        self._changed()
        return updated

    # -- applications ------------------------------------------------------------------
    async def create_application(
        self, tenant: Tenant, display_name: str, *, identifier_uris: Sequence[str] = (),
        app_roles: Sequence[AppRole] = (), sign_in_audience: SignInAudience = "AzureADMyOrg",
        app_id: str | None = None, requested_access_token_version: int | None = None,
    ) -> tuple[Application, ServicePrincipal]:
        """Register an app and its service principal in the home tenant (as the portal does)."""
        if not display_name.strip():
            raise InvalidInput("displayName is required.",
                             details=[FieldError("displayName", "must not be empty")])
        check_display_name(display_name, "displayName", "Application")
        app = Application(
            id=ObjectId(self.new_id()), app_id=AppId(app_id or self.new_id()), tenant_id=tenant.id,
            display_name=display_name.strip(), sign_in_audience=sign_in_audience,
            identifier_uris=tuple(identifier_uris), app_roles=tuple(app_roles),
            requested_access_token_version=requested_access_token_version, created=self.now())
        await self._store.save_application(app)
        sp = await self.create_service_principal(tenant, app)
        return app, sp

    async def register_application(self, tenant: Tenant, app: Application
                                   ) -> tuple[Application, ServicePrincipal]:
        """Graph ``POST /applications`` of an already validated manifest, plus its SP."""
        if app.tenant_id != tenant.id:
            raise ValueError("an application is registered in its home tenant")
        await self._save(app)
        sp = await self.create_service_principal(tenant, app)
        return app, sp

    async def application(self, tenant: Tenant, ref: str) -> Application:
        """An app homed in ``tenant`` by object id, app id or identifier URI."""
        if is_guid(ref):
            app = await self.find_application(ref)
        else:
            app = next((a for a in await self._store.applications_by_identifier_uri(ref)
                        if a.tenant_id == tenant.id), None)
        if app is None or app.tenant_id != tenant.id:
            raise ObjectNotFound(f"Resource '{ref}' does not exist or one of its queried "
                                 "reference-property objects are not present.")
        return app

    async def find_application(self, ref: str) -> Application | None:
        """Any app in the directory by object id or app id (not tenant-scoped)."""
        if not is_guid(ref):
            return None
        return (await self._store.application(ObjectId(ref.lower()))
                or await self._store.application_by_app_id(ref.lower()))

    async def save_application(self, app: Application) -> Application:
        """Insert or replace; an ``https`` identifier URI must be on one of the tenant's
        domains (Entra's verified-domain rule), and URIs are unique per tenant."""
        await self._save(app)
        self._changed()
        return app

    async def _save(self, app: Application) -> None:
        tenant = await self._store.tenant(app.tenant_id)
        if tenant is None:
            raise ObjectNotFound(f"Tenant '{app.tenant_id}' does not exist.")
        check_uri_domains(app.identifier_uris, tenant)
        check_uri_owner(app)
        await self._store.save_application(app)

    async def delete_application(self, app: Application) -> None:
        await self._store.delete_application(app.id)
        self._changed()

    async def add_key(self, app: Application, credential: KeyCredential) -> Application:
        if any(k.key_id == credential.key_id for k in app.key_credentials):
            raise ObjectConflict(
                f"A key credential with keyId '{credential.key_id}' already exists.")
        if any(k.sha1 == credential.sha1 for k in app.key_credentials):
            raise ObjectConflict("This certificate is already registered on the application.")
        return await self.save_application(dataclasses.replace(
            app, key_credentials=(*app.key_credentials, credential)))

    async def remove_key(self, app: Application, key_id: str) -> Application:
        kept = tuple(k for k in app.key_credentials if k.key_id != key_id.lower())
        if len(kept) == len(app.key_credentials):
            raise ObjectNotFound(f"No key credential with keyId '{key_id}' on this application.")
        return await self.save_application(dataclasses.replace(app, key_credentials=kept))

    async def add_password(self, app: Application, *, display_name: str = "",
                           days: int = 180) -> tuple[Application, PasswordCredential, str]:
        """Graph ``addPassword``: the server makes the secret; only its keyed hash is kept."""
        check_display_name(display_name, "passwordCredential.displayName", "Application")
        if not 1 <= days <= MAX_SECRET_DAYS:
            raise InvalidInput(f"A secret's lifetime must be 1 to {MAX_SECRET_DAYS} days.",
                             details=[FieldError("endDateTime", "out of range")])
        secret = generate_secret()
        start = self.now()
        credential = PasswordCredential(self.new_id(), self._hasher(secret), secret[:HINT_LENGTH],
                                        start, start + timedelta(days=days), display_name[:90])
        app = await self.save_application(dataclasses.replace(
            app, password_credentials=(*app.password_credentials, credential)))
        return app, credential, secret

    async def remove_password(self, app: Application, key_id: str) -> Application:
        kept = tuple(p for p in app.password_credentials if p.key_id != key_id.lower())
        if len(kept) == len(app.password_credentials):
            raise ObjectNotFound(
                f"No password credential with keyId '{key_id}' on this application.")
        return await self.save_application(dataclasses.replace(app, password_credentials=kept))

    # -- service principals and grants -------------------------------------------------
    async def create_service_principal(self, tenant: Tenant, app: Application,
                                       *, assignment_required: bool = True) -> ServicePrincipal:
        """Graph ``POST /servicePrincipals``: an app's instance in ``tenant``."""
        if app.tenant_id != tenant.id and not app.multi_tenant:
            raise InvalidInput(f"Application '{app.app_id}' is not multi-tenant; it cannot have a "
                             f"service principal in tenant '{tenant.default_domain}'.")
        sp = ServicePrincipal(ObjectId(self.new_id()), app.app_id, tenant.id, app.display_name,
                              True, assignment_required, self.now())
        await self._store.save_service_principal(sp)
        self._changed()
        return sp

    async def service_principal(self, tenant: Tenant, ref: str) -> ServicePrincipal:
        """An SP in ``tenant`` by object id, app id, or the app's identifier URI."""
        sp = await self._store.service_principal(ObjectId(ref.lower())) if is_guid(ref) else None
        if sp is None and is_guid(ref):
            app = await self.find_application(ref)
            sp = await self._store.service_principal_for(tenant.id, app.app_id) if app else None
        elif sp is None:
            sp = (await resolve_identifier_uri(self._store, tenant, ref) or (None, None))[1]
        if sp is None or sp.tenant_id != tenant.id:
            raise ObjectNotFound(f"Service principal '{ref}' does not exist in this tenant.")
        return sp

    async def update_service_principal(self, sp: ServicePrincipal) -> ServicePrincipal:
        await self._store.save_service_principal(sp)
        self._changed()
        return sp

    async def delete_service_principal(self, sp: ServicePrincipal) -> None:
        """Graph ``DELETE /servicePrincipals/{id}``: the SP and every grant to or on it."""
        await self._store.delete_service_principal(sp.id)
        self._changed()

    async def grant(self, tenant: Tenant, principal: ServicePrincipal,
                    resource: ServicePrincipal, app_role_id: str) -> AppRoleAssignment:
        """Admin consent to one application permission (Graph ``appRoleAssignedTo``)."""
        if principal.tenant_id != tenant.id or resource.tenant_id != tenant.id:
            raise ObjectNotFound("Both service principals must belong to this tenant.")
        resource_app = await self._store.application_by_app_id(resource.app_id)
        role = next((r for r in resource_app.app_roles if r.id == app_role_id.lower()),
                    None) if resource_app else None
        if role is None or not role.is_enabled or "Application" not in role.allowed_member_types:
            raise InvalidInput(
                f"Permission (appRoleId '{app_role_id}') does not exist on resource "
                f"'{resource.display_name}' or is not an enabled application permission.",
                details=[FieldError("appRoleId", "not an enabled Application app role")])
        assignment = AppRoleAssignment(self.new_id(), tenant.id, principal.id, resource.id,
                                       role.id, self.now())
        await self._store.add_assignment(assignment)
        self._changed()
        return assignment

    async def revoke(self, tenant: Tenant, assignment_id: str) -> AppRoleAssignment:
        found = await self._store.assignment(assignment_id.lower())
        if found is None or found.tenant_id != tenant.id:
            raise ObjectNotFound(f"App role assignment '{assignment_id}' does not exist.")
        await self._store.delete_assignment(found.id)
        self._changed()
        return found


def check_uri_owner(app: Application) -> None:
    """No registration takes another app's name: ``api://credo`` is the management API's
    alone, and ``api://{guid}`` names only the app whose application id that is (Entra's
    default identifier URI). Otherwise an app of any tenant would capture the built-in API's
    scope in its tenant, the operator's CLI included."""
    problems = []
    for i, uri in enumerate(app.identifier_uris):
        canonical = canonical_identifier_uri(uri)
        named = canonical.removeprefix("api://")
        if ((canonical == MANAGEMENT_URI and app.app_id != MANAGEMENT_APP_ID)
                or (named != canonical and is_guid(named) and named != app.app_id)):
            problems.append(FieldError(
                f"identifierUris[{i}]", f"'{uri[:100]}' names another application; "
                f"'api://<appId>' must use this app's own id ({app.app_id})."))
    if problems:
        raise InvalidInput("Invalid value specified for property 'identifierUris' of resource "
                           "'Application'.", details=problems)


def check_uri_domains(uris: Sequence[str], tenant: Tenant) -> None:
    """Each ``https`` Application ID URI's host is a domain of ``tenant`` or below one
    (https://learn.microsoft.com/entra/identity-platform/identifier-uri-restrictions)."""
    problems = []
    for i, uri in enumerate(uris):
        host = (urlsplit(uri).hostname or "") if uri.lower().startswith("https://") else None
        if host is not None and not any(host == d or host.endswith("." + d)
                                        for d in (d.lower() for d in tenant.domains)):
            problems.append(FieldError(
                f"identifierUris[{i}]", "The host of an https identifier URI must be one of "
                f"the tenant's domains: {', '.join(tenant.domains)}."))
    if problems:
        raise InvalidInput("Invalid value specified for property 'identifierUris' of resource "
                           "'Application'.", details=problems)


def _check_domain(domain: str) -> None:
    labels = domain.split(".")
    ok = len(domain) <= 253 and len(labels) >= 2 and all(
        0 < len(label) <= 63 and label.replace("-", "").isalnum() and label.isascii()
        and not label.startswith("-") and not label.endswith("-") for label in labels)
    if not ok or domain in {"common", "organizations", "consumers"}:
        raise InvalidInput(f"'{domain}' is not a valid domain name.",
                         details=[FieldError("domain", "not a DNS name")])
