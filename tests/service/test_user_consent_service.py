"""User consent on SQLite, without HTTP: the delegated grants the consent page writes.

A user's consent is their own ``Principal`` grant, an administrator's for the organisation
one ``AllPrincipals`` grant; new values merge into the matching grant, and a concurrent
consent that wins the insert is merged on one retry. Ids and times come from the injected
``Sources``; a multi-tenant client's first consent creates its service principal through
the directory service, as the composition root wires it (``service/user_flows.py``).
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from credo.errors import InvalidInput, ObjectConflict
from credo.model import DelegatedGrant, ObjectId, ServicePrincipal, User
from credo.service.directory import DirectoryService
from credo.service.secrets import SecretHasher
from credo.service.user_consent import UserConsentService

from .directory_world import ALL_MAIL, BASIC, REDIRECT, Mail, World, guid
from .token_world import T0_DT

pytestmark = pytest.mark.asyncio(loop_scope="session")
EARLIER = T0_DT - timedelta(days=1)


@pytest.fixture
def consent(world: World) -> UserConsentService:
    directory = DirectoryService(world.store, secret_hasher=SecretHasher(b"p" * 32),
                                 on_change=world.changes, sources=world.sources)
    return UserConsentService(world.store.flows, world.audit, sources=world.sources,
                              new_service_principal=directory.create_service_principal)


async def grants(world: World, client: ObjectId) -> list[DelegatedGrant]:
    return await world.store.flows.delegated_grants(world.contoso.id, client_id=client)


def grant(world: World, mail: Mail, user: User | None, scope: str) -> DelegatedGrant:
    """A grant to the daemon on the Mail API, made before the test (for ``user`` or all)."""
    return DelegatedGrant(guid(), world.contoso.id, mail.daemon_sp.id,
                          "Principal" if user else "AllPrincipals", user.id if user else None,
                          mail.api_sp.id, scope, EARLIER)


async def test_a_users_consent_is_their_own_grant(world: World, mail: Mail,
                                                 consent: UserConsentService) -> None:
    await consent.consent(tenant=world.contoso, client=mail.daemon, client_sp=mail.daemon_sp,
                          resource_sp=mail.api_sp, scopes=[BASIC], user=mail.plain,
                          for_org=False)
    [made] = world.ids.made
    assert await grants(world, mail.daemon_sp.id) == [DelegatedGrant(
        made, world.contoso.id, mail.daemon_sp.id, "Principal", mail.plain.id, mail.api_sp.id,
        "Mail.ReadBasic", T0_DT)]
    [event] = await world.events(world.contoso)
    assert (event.time, event.kind, event.outcome, event.client_id, event.code,
            event.detail) == (T0_DT, "consent.user.granted", "success", mail.daemon.app_id, 0,
                              "uma@contoso.example: Mail.ReadBasic")
    assert world.changes.calls == 0  # no directory object changed


async def test_an_administrator_consents_for_the_organisation(
        world: World, mail: Mail, consent: UserConsentService) -> None:
    await consent.consent(tenant=world.contoso, client=mail.daemon, client_sp=mail.daemon_sp,
                          resource_sp=mail.api_sp, scopes=[ALL_MAIL, BASIC], user=mail.admin,
                          for_org=True)
    [made] = world.ids.made
    assert await grants(world, mail.daemon_sp.id) == [DelegatedGrant(
        made, world.contoso.id, mail.daemon_sp.id, "AllPrincipals", None, mail.api_sp.id,
        "Mail.ReadAll Mail.ReadBasic", T0_DT)]
    [event] = await world.events(world.contoso)
    assert (event.kind, event.outcome, event.detail) == (
        "consent.admin.delegated", "success", "ada@contoso.example: Mail.ReadAll Mail.ReadBasic")


async def test_new_values_merge_into_the_matching_grant_only(
        world: World, mail: Mail, consent: UserConsentService) -> None:
    mine, theirs, org = (grant(world, mail, mail.admin, "Mail.ReadBasic"),
                         grant(world, mail, mail.plain, "Mail.ReadBasic"),
                         grant(world, mail, None, "Mail.ReadBasic"))
    for existing in (mine, theirs, org):
        await world.store.flows.save_delegated_grant(existing)
    await consent.consent(tenant=world.contoso, client=mail.daemon, client_sp=mail.daemon_sp,
                          resource_sp=mail.api_sp, scopes=[ALL_MAIL, BASIC], user=mail.admin,
                          for_org=False)
    assert sorted(await grants(world, mail.daemon_sp.id), key=lambda g: g.id) == sorted(
        [dataclasses.replace(mine, scope="Mail.ReadBasic Mail.ReadAll"), theirs, org],
        key=lambda g: g.id)
    assert world.ids.made == []


async def test_a_multi_tenant_clients_first_consent_creates_its_service_principal(
        world: World, mail: Mail, consent: UserConsentService) -> None:
    await consent.consent(tenant=world.contoso, client=mail.partner, client_sp=None,
                          resource_sp=mail.api_sp, scopes=[BASIC], user=mail.plain,
                          for_org=False)
    sp_id, made = world.ids.made
    assert await world.sp_of(world.contoso, mail.partner) == ServicePrincipal(
        ObjectId(sp_id), mail.partner.app_id, world.contoso.id, "Partner", True, True, T0_DT)
    assert await grants(world, ObjectId(sp_id)) == [DelegatedGrant(
        made, world.contoso.id, ObjectId(sp_id), "Principal", mail.plain.id, mail.api_sp.id,
        "Mail.ReadBasic", T0_DT)]
    assert world.changes.calls == 1  # the new service principal drops the snapshot cache


async def test_sign_in_only_consent_writes_no_grant(world: World, mail: Mail,
                                                   consent: UserConsentService) -> None:
    await consent.consent(tenant=world.contoso, client=mail.partner, client_sp=None,
                          resource_sp=None, scopes=[], user=mail.plain, for_org=False)
    [sp_id] = world.ids.made
    assert await grants(world, ObjectId(sp_id)) == []
    [event] = await world.events(world.contoso)
    assert event.detail == "uma@contoso.example: sign-in only"


async def test_a_single_tenant_client_of_another_tenant_gets_nothing(
        world: World, mail: Mail, consent: UserConsentService) -> None:
    foreign = await world.app(world.fabrikam, "Fabrikam only", web_redirect_uris=(REDIRECT,))
    err = await world.unchanged(consent.consent(
        tenant=world.contoso, client=foreign, client_sp=None, resource_sp=mail.api_sp,
        scopes=[BASIC], user=mail.plain, for_org=False), InvalidInput)
    assert "is not multi-tenant" in err.description
    assert await world.events(world.contoso) == []


async def test_a_concurrent_consent_is_merged_on_retry(world: World, mail: Mail,
                                                      consent: UserConsentService,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    flows = world.store.flows
    save, rival = flows.save_delegated_grant, grant(world, mail, mail.plain, "Mail.ReadAll")
    attempts: list[DelegatedGrant] = []

    async def racing(new: DelegatedGrant) -> None:
        attempts.append(new)
        if len(attempts) == 1:
            await save(rival)  # another request's consent commits between read and write
        await save(new)

    monkeypatch.setattr(flows, "save_delegated_grant", racing)
    await consent.consent(tenant=world.contoso, client=mail.daemon, client_sp=mail.daemon_sp,
                          resource_sp=mail.api_sp, scopes=[BASIC], user=mail.plain,
                          for_org=False)
    assert [a.id for a in attempts] == [world.ids.made[0], rival.id]
    assert await grants(world, mail.daemon_sp.id) == [
        dataclasses.replace(rival, scope="Mail.ReadAll Mail.ReadBasic")]
    [event] = await world.events(world.contoso)
    assert (event.kind, event.outcome) == ("consent.user.granted", "success")


async def test_a_second_conflict_is_raised_and_not_recorded(
        world: World, mail: Mail, consent: UserConsentService,
        monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[DelegatedGrant] = []

    async def always_lost(new: DelegatedGrant) -> None:
        attempts.append(new)
        raise ObjectConflict("another object with the same key already exists")

    monkeypatch.setattr(world.store.flows, "save_delegated_grant", always_lost)
    await world.unchanged(consent.consent(
        tenant=world.contoso, client=mail.daemon, client_sp=mail.daemon_sp,
        resource_sp=mail.api_sp, scopes=[BASIC], user=mail.plain, for_org=False),
        ObjectConflict)
    assert len(attempts) == 2 and await world.events(world.contoso) == []


async def test_declining_writes_nothing_and_is_recorded(world: World, mail: Mail,
                                                       consent: UserConsentService) -> None:
    before = await world.rows()
    consent.declined(world.contoso, mail.daemon, mail.plain)
    assert (await world.rows(), world.ids.made) == (before, [])
    [event] = await world.events(world.contoso)
    assert (event.time, event.kind, event.outcome, event.client_id, event.code,
            event.detail) == (T0_DT, "consent.user.declined", "failure", mail.daemon.app_id,
                              65004, "uma@contoso.example")
