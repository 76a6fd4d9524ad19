"""Directory writes on SQLite, without HTTP: tenants, applications, credentials, service
principals and app-role grants.

Every write takes its ids and times from the injected ``Sources`` and calls ``on_change``
once (``World.written``); every refusal writes nothing and calls it never
(``World.unchanged``); a refusal the service can see itself comes before any id is made.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest

from credo.errors import FieldError, InvalidInput, ObjectConflict, ObjectNotFound
from credo.model import (
    AppId,
    Application,
    AppRoleAssignment,
    DelegatedGrant,
    KeyCredential,
    ObjectId,
    PasswordCredential,
    ServicePrincipal,
    Tenant,
    TenantId,
)
from credo.service.directory import DirectoryService
from credo.service.secrets import ALPHABET, SecretHasher

from .directory_world import FOR_USERS, READ, RETIRED, SEND, Mail, World, guid
from .token_world import T0_DT

pytestmark = pytest.mark.asyncio(loop_scope="session")
HASHER = SecretHasher(b"p" * 32)


@pytest.fixture
def directory(world: World) -> DirectoryService:
    return DirectoryService(world.store, secret_hasher=HASHER, on_change=world.changes,
                            sources=world.sources)


def key(label: str, key_id: str | None = None) -> KeyCredential:
    """A certificate credential; the service compares ids and thumbprints, not DER."""
    der = label.encode()
    return KeyCredential(key_id or guid(), der, hashlib.sha1(der).digest(),
                         hashlib.sha256(der).digest(), T0_DT, T0_DT + timedelta(days=365))


# -- tenants ------------------------------------------------------------------------------

async def test_a_tenant_is_created_with_an_injected_id_and_time(
        world: World, directory: DirectoryService) -> None:
    made = await world.written(directory.create_tenant("  Tailspin.Example ", profile="strict"))
    assert made == Tenant(TenantId(world.ids.made[0]), ("tailspin.example",), "tailspin.example",
                          "strict", T0_DT)
    assert await directory.tenant("TAILSPIN.example") == made == await directory.tenant(
        made.id.upper())
    chosen = TenantId(guid())
    named = await world.written(directory.create_tenant("x.example", tenant_id=chosen,
                                                        display_name="X"))
    assert (named.id, named.display_name, len(world.ids.made)) == (chosen, "X", 1)


@pytest.mark.parametrize("domain", [
    "", "contoso", "contoso..example", "-contoso.example", "contoso-.example",
    "con_toso.example", "contöso.example", "contoso.example.", "https://contoso.example",
    "a" * 64 + ".example", ".".join(["a" * 63] * 4) + ".example", "common"])
async def test_a_tenant_needs_a_dns_name(world: World, directory: DirectoryService,
                                         domain: str) -> None:
    err = await world.unchanged(directory.create_tenant(domain), InvalidInput)
    assert (err.description, err.details) == (
        f"'{domain.lower()}' is not a valid domain name.",
        [FieldError("domain", "not a DNS name")])
    assert world.ids.made == []


@pytest.mark.parametrize("domain", ["a" * 63 + ".example", "xn--bcher-kva.example",
                                    "b-2.c.example"])
async def test_dns_names_at_the_limits_are_accepted(world: World, directory: DirectoryService,
                                                    domain: str) -> None:
    assert (await world.written(directory.create_tenant(domain))).domains == (domain,)


async def test_a_tenant_conflicts_on_its_domain_or_id(world: World,
                                                      directory: DirectoryService) -> None:
    await world.unchanged(directory.create_tenant("Contoso.Example"), ObjectConflict)
    await world.unchanged(directory.create_tenant("new.example", tenant_id=world.fabrikam.id),
                          ObjectConflict)
    err = await world.unchanged(directory.tenant("nowhere.example"), ObjectNotFound)
    assert err.description == "Tenant 'nowhere.example' does not exist."


async def test_a_tenants_profile_changes(world: World, directory: DirectoryService) -> None:
    changed = await world.written(directory.set_profile(world.contoso, "strict"))
    assert changed == dataclasses.replace(world.contoso, profile="strict")
    assert await directory.tenant(world.contoso.id) == changed


# -- applications ---------------------------------------------------------------------------

async def test_an_application_is_registered_with_its_service_principal(
        world: World, directory: DirectoryService) -> None:
    err = await world.unchanged(directory.create_application(world.contoso, "  "), InvalidInput)
    assert err.details == [FieldError("displayName", "must not be empty")]
    assert world.ids.made == []
    app, sp = await world.written(directory.create_application(
        world.contoso, " Payroll ", identifier_uris=("api://payroll",), app_roles=(READ,)))
    object_id, app_id, sp_id = world.ids.made
    assert app == Application(ObjectId(object_id), AppId(app_id), world.contoso.id, "Payroll",
                              identifier_uris=("api://payroll",), app_roles=(READ,),
                              created=T0_DT)
    assert sp == ServicePrincipal(ObjectId(sp_id), app.app_id, world.contoso.id, "Payroll",
                                  True, True, T0_DT)
    assert (await world.store.application(app.id), await world.sp_of(world.contoso, app)) == (
        app, sp)


async def test_an_application_is_registered_in_its_home_tenant_only(
        world: World, mail: Mail, directory: DirectoryService) -> None:
    foreign = Application(ObjectId(guid()), AppId(guid()), world.fabrikam.id, "Elsewhere")
    await world.unchanged(directory.register_application(world.contoso, foreign), ValueError)
    taken = dataclasses.replace(foreign, tenant_id=world.contoso.id,
                                identifier_uris=mail.api.identifier_uris)
    await world.unchanged(directory.register_application(world.contoso, taken), ObjectConflict)
    home = dataclasses.replace(foreign, tenant_id=world.contoso.id)
    app, sp = await world.written(directory.register_application(world.contoso, home))
    assert (app, sp.id, sp.created) == (home, world.ids.made[-1], T0_DT)


async def test_applications_are_found_in_their_home_tenant(
        world: World, mail: Mail, directory: DirectoryService) -> None:
    for ref in (mail.api.id, mail.api.app_id.upper(), "api://mail.contoso.example"):
        assert await directory.application(world.contoso, ref) == mail.api
    err = await world.unchanged(directory.application(world.contoso, mail.partner.app_id),
                                ObjectNotFound)
    assert err.description.startswith(f"Resource '{mail.partner.app_id}' does not exist")


async def test_saving_an_application_writes_it(world: World, mail: Mail,
                                              directory: DirectoryService) -> None:
    renamed = dataclasses.replace(mail.daemon, display_name="Mail Robot")
    assert await world.written(directory.save_application(renamed)) == renamed
    assert await world.store.application(mail.daemon.id) == renamed


async def test_deleting_an_application_takes_its_principals_and_grants(
        world: World, mail: Mail, directory: DirectoryService) -> None:
    # The partner, in its home tenant and in contoso, holds a role on the Mail API and a
    # delegated grant on it; another app holds one of the partner's roles.
    tid, api = world.contoso.id, mail.api_sp.id
    partner = dataclasses.replace(mail.partner, app_roles=(SEND,),
                                  identifier_uris=("api://partner",))
    await world.store.save_application(partner)
    there = await world.sp(world.contoso, partner)
    home = await world.sp_of(world.fabrikam, partner)
    assert home is not None
    await world.store.add_assignment(AppRoleAssignment(guid(), tid, there.id, api, READ.id))
    await world.store.add_assignment(AppRoleAssignment(guid(), tid, mail.daemon_sp.id,
                                                       there.id, SEND.id))
    await world.store.add_assignment(AppRoleAssignment(guid(), tid, mail.daemon_sp.id, api,
                                                       READ.id))  # untouched
    await world.store.flows.save_delegated_grant(DelegatedGrant(
        guid(), tid, there.id, "AllPrincipals", None, api, "Mail.ReadBasic"))
    before = await world.rows()
    await world.written(directory.delete_application(partner))
    after = await world.rows()
    assert {name: len(set(before[name]) - set(after[name])) for name in before
            if before[name] != after[name] and name != "directory_version"} == {
        "applications": 1, "application_identifier_uris": 1, "service_principals": 2,
        "app_role_assignments": 2, "delegated_grants": 1}
    assert all(set(after[name]) <= set(before[name]) for name in after
               if name != "directory_version")
    assert await world.store.service_principal(home.id) is None


# -- credentials ----------------------------------------------------------------------------

async def test_certificates_are_added_once_and_removed(world: World, mail: Mail,
                                                      directory: DirectoryService) -> None:
    first = key("first")
    app = await world.written(directory.add_key(mail.daemon, first))
    assert app.key_credentials == (first,) == (
        await directory.application(world.contoso, app.app_id)).key_credentials
    err = await world.unchanged(directory.add_key(app, key("other", first.key_id)),
                                ObjectConflict)
    assert err.description == f"A key credential with keyId '{first.key_id}' already exists."
    err = await world.unchanged(directory.add_key(app, key("first")), ObjectConflict)
    assert err.description == "This certificate is already registered on the application."
    missing = await world.unchanged(directory.remove_key(app, guid()), ObjectNotFound)
    assert missing.description.startswith("No key credential with keyId")
    app = await world.written(directory.remove_key(app, first.key_id.upper()))
    assert app.key_credentials == ()


async def test_a_secret_is_made_by_the_server_and_only_its_hash_kept(
        world: World, mail: Mail, directory: DirectoryService) -> None:
    app, credential, secret = await world.written(directory.add_password(
        mail.daemon, display_name="n" * 100, days=30))
    assert len(secret) == 40 and set(secret) <= set(ALPHABET)
    assert credential == PasswordCredential(world.ids.made[0], HASHER(secret), secret[:3], T0_DT,
                                            T0_DT + timedelta(days=30), "n" * 90)
    assert (await world.store.application(app.id)) == app
    assert app.password_credentials == (credential,)
    assert secret not in repr(await world.rows())
    err = await world.unchanged(directory.remove_password(app, guid()), ObjectNotFound)
    assert err.description.startswith("No password credential with keyId")
    app = await world.written(directory.remove_password(app, credential.key_id.upper()))
    assert app.password_credentials == ()


@pytest.mark.parametrize("days", [-1, 0, 731])
async def test_a_secret_lives_one_to_730_days(world: World, mail: Mail,
                                             directory: DirectoryService, days: int) -> None:
    err = await world.unchanged(directory.add_password(mail.daemon, days=days), InvalidInput)
    assert (err.description, err.details) == ("A secret's lifetime must be 1 to 730 days.",
                                              [FieldError("endDateTime", "out of range")])
    assert world.ids.made == []


@pytest.mark.parametrize("days", [1, 730])
async def test_the_lifetime_bounds_are_inclusive(world: World, mail: Mail,
                                                 directory: DirectoryService, days: int) -> None:
    _, credential, _ = await world.written(directory.add_password(mail.daemon, days=days))
    assert credential.end - credential.start == timedelta(days=days)


# -- service principals ---------------------------------------------------------------------

async def test_only_a_multi_tenant_app_has_principals_outside_its_home(
        world: World, mail: Mail, directory: DirectoryService) -> None:
    err = await world.unchanged(directory.create_service_principal(world.fabrikam, mail.daemon),
                                InvalidInput)
    assert err.description == (
        f"Application '{mail.daemon.app_id}' is not multi-tenant; it cannot have a service "
        "principal in tenant 'fabrikam.example'.")
    assert world.ids.made == []
    sp = await world.written(directory.create_service_principal(
        world.contoso, mail.partner, assignment_required=False))
    assert sp == ServicePrincipal(ObjectId(world.ids.made[0]), mail.partner.app_id,
                                  world.contoso.id, "Partner", True, False, T0_DT)


async def test_principals_are_found_in_their_tenant_only(world: World, mail: Mail,
                                                         directory: DirectoryService) -> None:
    for ref in (mail.api_sp.id.upper(), mail.api.app_id, "api://mail.contoso.example"):
        assert await directory.service_principal(world.contoso, ref) == mail.api_sp
    partner = await world.sp_of(world.fabrikam, mail.partner)
    assert partner is not None
    for ref in (partner.id, mail.partner.app_id):
        err = await world.unchanged(directory.service_principal(world.contoso, ref),
                                    ObjectNotFound)
        assert err.description == f"Service principal '{ref}' does not exist in this tenant."


async def test_a_principal_is_updated_and_deleted_with_its_grants(
        world: World, mail: Mail, directory: DirectoryService) -> None:
    disabled = dataclasses.replace(mail.daemon_sp, account_enabled=False)
    assert await world.written(directory.update_service_principal(disabled)) == disabled
    held = await directory.grant(world.contoso, mail.daemon_sp, mail.api_sp, READ.id)
    await world.written(directory.delete_service_principal(disabled))
    assert await world.store.service_principal(disabled.id) is None
    assert await world.store.assignment(held.id) is None


# -- app-role grants ------------------------------------------------------------------------

async def test_an_application_permission_is_granted_and_revoked(
        world: World, mail: Mail, directory: DirectoryService) -> None:
    made = await world.written(directory.grant(world.contoso, mail.daemon_sp, mail.api_sp,
                                               READ.id.upper()))
    assert made == AppRoleAssignment(world.ids.made[0], world.contoso.id, mail.daemon_sp.id,
                                     mail.api_sp.id, READ.id, T0_DT)
    assert await directory.assignment(world.contoso, made.id) == made
    await world.unchanged(directory.grant(world.contoso, mail.daemon_sp, mail.api_sp, READ.id),
                          ObjectConflict)
    assert await world.written(directory.revoke(world.contoso, made.id.upper())) == made
    assert await world.store.assignment(made.id) is None


Refusal = Callable[[World, Mail, DirectoryService], Awaitable[object]]


async def _principal_elsewhere(world: World, mail: Mail, directory: DirectoryService) -> object:
    partner = await world.sp_of(world.fabrikam, mail.partner)
    assert partner is not None
    return await directory.grant(world.contoso, partner, mail.api_sp, READ.id)


async def _resource_elsewhere(world: World, mail: Mail, directory: DirectoryService) -> object:
    partner = await world.sp_of(world.fabrikam, mail.partner)
    assert partner is not None
    return await directory.grant(world.contoso, mail.daemon_sp, partner, READ.id)


def _role(role_id: str) -> Refusal:
    async def refusal(world: World, mail: Mail, directory: DirectoryService) -> object:
        return await directory.grant(world.contoso, mail.daemon_sp, mail.api_sp, role_id)
    return refusal


GRANT_REFUSALS: dict[str, tuple[Refusal, type[Exception], str]] = {
    "principal-in-another-tenant": (_principal_elsewhere, ObjectNotFound,
                                    "Both service principals must belong to this tenant."),
    "resource-in-another-tenant": (_resource_elsewhere, ObjectNotFound,
                                   "Both service principals must belong to this tenant."),
    "undefined-role": (_role(guid()), InvalidInput, "does not exist on resource 'Mail API'"),
    "disabled-role": (_role(RETIRED.id), InvalidInput, "is not an enabled application"),
    "user-only-role": (_role(FOR_USERS.id), InvalidInput, "is not an enabled application"),
}


@pytest.mark.parametrize("name", list(GRANT_REFUSALS))
async def test_only_an_enabled_application_role_is_granted_within_the_tenant(
        world: World, mail: Mail, directory: DirectoryService, name: str) -> None:
    refusal, error, text = GRANT_REFUSALS[name]
    err = await world.unchanged(refusal(world, mail, directory), error)
    assert text in str(err)
    if isinstance(err, InvalidInput):
        assert err.details == [FieldError("appRoleId", "not an enabled Application app role")]
    assert world.ids.made == []


async def test_a_grant_of_another_tenant_is_not_revoked_here(
        world: World, mail: Mail, directory: DirectoryService) -> None:
    partner = await world.sp_of(world.fabrikam, mail.partner)
    assert partner is not None
    theirs = AppRoleAssignment(guid(), world.fabrikam.id, partner.id, partner.id, READ.id)
    await world.store.add_assignment(theirs)
    for ref in (theirs.id, guid()):
        err = await world.unchanged(directory.revoke(world.contoso, ref), ObjectNotFound)
        assert err.description == f"App role assignment '{ref}' does not exist."
        await world.unchanged(directory.assignment(world.contoso, ref), ObjectNotFound)
