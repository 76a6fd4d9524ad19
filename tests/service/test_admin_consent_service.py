"""Admin consent on SQLite, without HTTP: the plan, who may grant it, what Accept writes.

Each refusal writes nothing (``World.unchanged``): ``prepare``'s record no event, since the
caller shows an error page; ``grant``'s record one ``consent.admin.denied`` event at the
injected clock's time. Ids and times of what is written come from the injected ``Sources``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Literal

import pytest

from credo.aadsts.client import CLIENT_DISABLED, CLIENT_NOT_FOUND
from credo.aadsts.grant import REQUIRED_RESOURCE_NOT_FOUND, RESOURCE_NOT_SUBSCRIBED
from credo.aadsts.user import (
    ADMIN_CONSENT_REQUIRED,
    GLOBAL_ADMIN_ONLY,
    OPERATOR_ONLY,
    REDIRECT_NOT_REGISTERED,
    RESOURCE_NOT_LISTED,
    UNKNOWN_PERMISSION,
)
from credo.errors import AccessDenied, OAuthError
from credo.model import (
    AppId,
    Application,
    AppRoleAssignment,
    DelegatedGrant,
    DirectoryRoleName,
    ObjectId,
    RequiredResourceAccess,
    ResourceAccess,
    ServicePrincipal,
    Tenant,
    User,
)
from credo.protocol.admin_consent import AdminConsentRequest, parse_request
from credo.service.admin_consent import AdminConsentService
from credo.service.management.policy import (
    MANAGEMENT_APP_ID,
    ROLE_READ,
    ROLE_TENANTS,
    management_roles,
)

from .directory_world import (
    FOR_USERS,
    READ,
    REDIRECT,
    RETIRED,
    SEND,
    Mail,
    Rows,
    World,
    guid,
    needs,
)
from .token_world import T0, T0_DT

pytestmark = pytest.mark.asyncio(loop_scope="session")
MANAGEMENT_ROLE = {r.value: r.id for r in management_roles()}
EVERY_MAIL_PERMISSION = "Mail API/Mail.Read, Mail API/Mail.Send, Mail API/Mail.ReadBasic"


@pytest.fixture
def consent(world: World) -> AdminConsentService:
    return AdminConsentService(world.store, world.store.consent, world.audit,
                               on_change=world.changes, sources=world.sources)


def ask(client: Application | str, *, version: Literal[1, 2] = 1, redirect: str = REDIRECT,
        state: str | None = "s-123", scope: str | None = None) -> AdminConsentRequest:
    """The admin-consent query, parsed as the endpoint parses it."""
    pairs = [("client_id", client if isinstance(client, str) else client.app_id),
             ("redirect_uri", redirect)]
    pairs += [(name, value) for name, value in (("state", state), ("scope", scope)) if value]
    return parse_request(pairs, version)


def changed(before: Rows, after: Rows) -> set[str]:
    return {name for name in after if after[name] != before[name]}


async def test_a_single_tenant_plan_and_what_accept_writes(world: World, mail: Mail,
                                                           consent: AdminConsentService) -> None:
    before = await world.rows()
    plan = await consent.prepare(world.contoso, ask(mail.daemon))
    assert (plan.client, plan.client_sp, plan.resource_sps) == (
        mail.daemon, mail.daemon_sp, ((mail.api.app_id, mail.api_sp),))
    assert [(p.kind, p.value, p.display_name) for p in plan.permissions] == [
        ("Application", "Mail.Read", "Read all mailboxes"),
        ("Application", "Mail.Send", "Send mail as any user"),
        ("Delegated", "Mail.ReadBasic", "Read basic mail")]
    assert await world.rows() == before and world.ids.made == []
    tid = world.contoso.id
    assert await world.written(consent.grant(plan, mail.admin)) == (
        f"{REDIRECT}?admin_consent=True&tenant={tid}&state=s-123")
    read, send, grant = world.ids.made
    daemon, api = mail.daemon_sp.id, mail.api_sp.id
    assert await world.store.assignments_of(daemon) == [
        AppRoleAssignment(read, tid, daemon, api, READ.id, T0_DT),
        AppRoleAssignment(send, tid, daemon, api, SEND.id, T0_DT)]
    assert await world.store.flows.delegated_grants(tid, client_id=daemon) == [
        DelegatedGrant(grant, tid, daemon, "AllPrincipals", None, api, "Mail.ReadBasic", T0_DT)]
    assert changed(before, await world.rows()) == {
        "app_role_assignments", "delegated_grants", "directory_version"}
    [event] = await world.events(world.contoso)
    assert (event.time, event.kind, event.outcome, event.client_id, event.code,
            event.detail) == (T0_DT, "consent.admin.granted", "success", mail.daemon.app_id, 0,
                              f"ada@contoso.example: {EVERY_MAIL_PERMISSION}; "
                              "2 new assignment(s)")


async def test_a_multi_tenant_client_gets_its_service_principal_where_it_is_consented(
        world: World, mail: Mail, consent: AdminConsentService) -> None:
    home = await world.sp_of(world.fabrikam, mail.partner)
    plan = await consent.prepare(world.contoso, ask(mail.partner))
    assert plan.client_sp is None
    world.clock.now = T0 + 42
    await world.written(consent.grant(plan, mail.admin))
    sp_id, assignment, grant = world.ids.made
    at, tid = T0_DT + timedelta(seconds=42), world.contoso.id
    assert await world.sp_of(world.contoso, mail.partner) == ServicePrincipal(
        ObjectId(sp_id), mail.partner.app_id, tid, "Partner", True, True, at)
    assert await world.store.assignments_of(ObjectId(sp_id)) == [
        AppRoleAssignment(assignment, tid, ObjectId(sp_id), mail.api_sp.id, READ.id, at)]
    assert await world.store.flows.delegated_grants(tid, client_id=ObjectId(sp_id)) == [
        DelegatedGrant(grant, tid, ObjectId(sp_id), "AllPrincipals", None, mail.api_sp.id,
                       "Mail.ReadBasic", at)]
    assert home is not None and await world.store.assignments_of(home.id) == []
    [event] = await world.events(world.contoso)
    assert (event.time, event.tenant_id, event.client_id) == (at, tid, mail.partner.app_id)


async def test_consenting_again_writes_nothing_new(world: World, mail: Mail,
                                                  consent: AdminConsentService) -> None:
    await consent.grant(await consent.prepare(world.contoso, ask(mail.partner)), mail.admin)
    before, [sp_id, *_] = await world.rows(), world.ids.made
    again = await consent.prepare(world.contoso, ask(mail.partner))
    assert again.client_sp is not None and again.client_sp.id == sp_id
    await world.written(consent.grant(again, mail.admin))
    assert changed(before, await world.rows()) == {"directory_version"}
    asked = "ada@contoso.example: Mail API/Mail.Read, Mail API/Mail.ReadBasic"
    assert [e.detail for e in await world.events(world.contoso)] == [
        f"{asked}; 1 new assignment(s)", f"{asked}; 0 new assignment(s)"]


async def test_consent_adds_only_what_is_missing(world: World, mail: Mail,
                                                consent: AdminConsentService) -> None:
    tid, daemon, api = world.contoso.id, mail.daemon_sp.id, mail.api_sp.id
    held = AppRoleAssignment(guid(), tid, daemon, api, READ.id, T0_DT - timedelta(days=1))
    org = DelegatedGrant(guid(), tid, daemon, "AllPrincipals", None, api, "Mail.ReadAll",
                         T0_DT - timedelta(days=1))
    await world.store.add_assignment(held)
    await world.store.flows.save_delegated_grant(org)
    await consent.grant(await consent.prepare(world.contoso, ask(mail.daemon)), mail.admin)
    assert await world.store.assignments_of(daemon) == [
        held, AppRoleAssignment(world.ids.made[1], tid, daemon, api, SEND.id, T0_DT)]
    assert await world.store.flows.delegated_grants(tid, client_id=daemon) == [
        dataclasses.replace(org, scope="Mail.ReadAll Mail.ReadBasic")]
    [event] = await world.events(world.contoso)
    assert event.detail.endswith("; 1 new assignment(s)")


@pytest.mark.parametrize("name", ["identifier", "app id"])
async def test_the_v2_redirect_names_each_permission_granted(
        world: World, mail: Mail, consent: AdminConsentService, name: str) -> None:
    resource = mail.api.identifier_uris[0] if name == "identifier" else mail.api.app_id
    plan = await consent.prepare(world.contoso, ask(
        mail.daemon, version=2, state=None, scope=f"{resource}/.default"))
    echo = resource.replace(":", "%3A").replace("/", "%2F")
    assert await consent.grant(plan, mail.admin) == (
        f"{REDIRECT}?admin_consent=True&tenant={world.contoso.id}&scope={echo}%2FMail.Read+"
        f"{echo}%2FMail.Send+{echo}%2FMail.ReadBasic")


async def test_cancel_writes_nothing_and_says_so(world: World, mail: Mail,
                                                consent: AdminConsentService) -> None:
    plan = await consent.prepare(world.contoso, ask(mail.daemon))
    before = await world.rows()
    world.clock.now = T0 + 7
    assert consent.cancel(plan, mail.admin) == (
        f"{REDIRECT}?error=access_denied&error_description=The+admin+canceled+the+request"
        "&state=s-123")
    assert (await world.rows(), world.changes.calls, world.ids.made) == (before, 0, [])
    [event] = await world.events(world.contoso)
    assert (event.time, event.kind, event.outcome, event.code, event.detail) == (
        T0_DT + timedelta(seconds=7), "consent.admin.canceled", "failure", 65004,
        "ada@contoso.example: the admin canceled the request")


# -- prepare: refusals shown as an error page, never redirected -----------------------------

Case = tuple[Tenant, AdminConsentRequest, OAuthError]
"""Where consent is asked, the request, and the error ``prepare`` must raise."""
Setup = Callable[[World, Mail], Awaitable[Case]]


async def _unknown_client(world: World, mail: Mail) -> Case:
    client_id = guid()
    return world.contoso, ask(client_id), CLIENT_NOT_FOUND(client_id=client_id,
                                                           tenant="contoso.example")


async def _not_a_guid(world: World, mail: Mail) -> Case:
    return world.contoso, ask("mail-daemon"), CLIENT_NOT_FOUND(client_id="mail-daemon",
                                                               tenant="contoso.example")


async def _single_tenant_elsewhere(world: World, mail: Mail) -> Case:
    app = await world.app(world.fabrikam, "Fabrikam only", web_redirect_uris=(REDIRECT,))
    return world.contoso, ask(app), CLIENT_NOT_FOUND(client_id=app.app_id,
                                                     tenant="contoso.example")


async def _unregistered_redirect(world: World, mail: Mail) -> Case:
    wrong = REDIRECT + "/"
    return world.contoso, ask(mail.daemon, redirect=wrong), REDIRECT_NOT_REGISTERED(
        redirect_uri=wrong, client_id=mail.daemon.app_id)


async def _disabled_client(world: World, mail: Mail) -> Case:
    await world.store.save_service_principal(
        dataclasses.replace(mail.daemon_sp, account_enabled=False))
    return world.contoso, ask(mail.daemon), CLIENT_DISABLED(client_id=mail.daemon.app_id,
                                                            name="Mail Daemon")


async def _api_not_in_tenant(world: World, mail: Mail) -> Case:
    return world.fabrikam, ask(mail.partner), RESOURCE_NOT_SUBSCRIBED(
        name="Mail API", tenant="fabrikam.example")


async def _api_missing(world: World, mail: Mail) -> Case:
    gone = AppId(guid())
    client = await mail.client(world, RequiredResourceAccess(gone, (ResourceAccess(
        READ.id, "Role"),)))
    return world.contoso, ask(client), REQUIRED_RESOURCE_NOT_FOUND(resource=gone)


async def _not_listed(world: World, mail: Mail) -> Case:
    request = ask(mail.daemon, version=2, scope="api://credo/.default")
    return world.contoso, request, RESOURCE_NOT_LISTED(resource="api://credo")


def _undefined(permission: str, kind: Literal["Role", "Scope"]) -> Setup:
    async def setup(world: World, mail: Mail) -> Case:
        client = await mail.client(world, needs(mail.api, (READ.id, "Role"), (permission, kind)))
        return world.contoso, ask(client), UNKNOWN_PERMISSION(
            client="Another client", value=permission, resource_id=mail.api.app_id,
            kind="application permission" if kind == "Role" else "scope")
    return setup


PREPARE_REFUSALS: dict[str, Setup] = {
    "unknown-client-700016": _unknown_client,
    "client-id-not-a-guid-700016": _not_a_guid,
    "single-tenant-app-of-another-tenant-700016": _single_tenant_elsewhere,
    "unregistered-redirect-uri-50011": _unregistered_redirect,
    "disabled-client-7000112": _disabled_client,
    "api-not-in-this-tenant-650052": _api_not_in_tenant,
    "api-missing-500011": _api_missing,
    "v2-resource-not-listed-650057": _not_listed,
    "undefined-role-650053": _undefined("5b0c0000-0000-4000-8000-00000000a0ff", "Role"),
    "disabled-role-650053": _undefined(RETIRED.id, "Role"),
    "user-only-role-650053": _undefined(FOR_USERS.id, "Role"),
    "undefined-scope-650053": _undefined("5b0c0000-0000-4000-8000-00000000b0ff", "Scope"),
}


@pytest.mark.parametrize("name", list(PREPARE_REFUSALS))
async def test_prepare_refuses_before_anything_is_shown(
        world: World, mail: Mail, consent: AdminConsentService, name: str) -> None:
    tenant, request, expected = await PREPARE_REFUSALS[name](world, mail)
    err = await world.unchanged(consent.prepare(tenant, request), OAuthError)
    assert (type(err), err.code, err.description, err.http_status) == (
        type(expected), expected.code, expected.description, expected.http_status)
    assert await world.events(world.contoso) == await world.events(world.fabrikam) == []
    assert world.ids.made == []


# -- grant: who may consent ------------------------------------------------------------------

def _management(*roles: str) -> RequiredResourceAccess:
    return RequiredResourceAccess(AppId(MANAGEMENT_APP_ID), tuple(
        ResourceAccess(MANAGEMENT_ROLE[r], "Role") for r in roles))


DENIALS: dict[str, tuple[str, tuple[RequiredResourceAccess, ...] | None, OAuthError]] = {
    "plain-user": ("plain", None, ADMIN_CONSENT_REQUIRED()),
    "administrator-of-another-tenant": ("outsider", None, ADMIN_CONSENT_REQUIRED()),
    "application-administrator-for-management-roles": (
        "apps", (_management(ROLE_READ),),
        GLOBAL_ADMIN_ONLY(resources="Credo management API")),
    "global-administrator-for-tenant-readwrite": (
        "admin", (_management(ROLE_READ, ROLE_TENANTS),), OPERATOR_ONLY(role=ROLE_TENANTS)),
    "application-administrator-for-tenant-readwrite": (
        "apps", (_management(ROLE_TENANTS),), GLOBAL_ADMIN_ONLY(
            resources="Credo management API")),
}


@pytest.mark.parametrize("name", list(DENIALS))
async def test_grant_refuses_who_may_not_consent(world: World, mail: Mail,
                                                 consent: AdminConsentService, name: str) -> None:
    who, access, expected = DENIALS[name]
    user: User = getattr(mail, who)
    client = mail.daemon if access is None else await mail.client(world, *access)
    plan = await consent.prepare(world.contoso, ask(client))
    err = await world.unchanged(consent.grant(plan, user), AccessDenied)
    assert (err.code, err.description) == (90094, expected.description)
    [event] = await world.events(world.contoso)
    assert (event.time, event.kind, event.outcome, event.client_id, event.code,
            event.detail) == (T0_DT, "consent.admin.denied", "failure", client.app_id, 90094,
                              f"{user.user_principal_name}: {expected.description}")
    assert world.ids.made == [] and await world.events(world.fabrikam) == []


@pytest.mark.parametrize("role", ["Global Administrator", "Application Administrator",
                                  "Cloud Application Administrator"])
async def test_every_administrator_role_grants_an_ordinary_api(
        world: World, mail: Mail, consent: AdminConsentService, role: DirectoryRoleName) -> None:
    user = await world.user(world.contoso, "Ivy", role)
    plan = await consent.prepare(world.contoso, ask(mail.daemon))
    await world.written(consent.grant(plan, user))
    [event] = await world.events(world.contoso)
    assert (event.kind, event.detail) == (
        "consent.admin.granted",
        f"ivy@contoso.example: {EVERY_MAIL_PERMISSION}; 2 new assignment(s)")


async def test_a_global_administrator_grants_the_management_apis_roles(
        world: World, mail: Mail, consent: AdminConsentService) -> None:
    client = await mail.client(world, _management(ROLE_READ))
    await consent.grant(await consent.prepare(world.contoso, ask(client)), mail.admin)
    sp = await world.sp_of(world.contoso, client)
    assert sp is not None
    assert [(a.resource_id, a.app_role_id) for a in await world.store.assignments_of(sp.id)] == [
        (mail.management_sp.id, MANAGEMENT_ROLE[ROLE_READ])]
