"""User and admin consent to delegated scopes (OIDC Core §3.1.2.4)."""

from __future__ import annotations

import pytest

from credo.errors import ConsentRequired, InvalidGrant, InvalidScope
from credo.model import (
    AppId,
    Application,
    DelegatedGrant,
    ObjectId,
    PermissionScope,
    RequiredResourceAccess,
    ResourceAccess,
    TenantId,
)
from credo.protocol.delegated_scopes import parse_scope
from credo.protocol.user_consent import (
    ConsentState,
    consent_state,
    merged_scope,
    must_prompt,
    require_consented,
)

TID = TenantId("3f0c1b5e-8d1a-4c52-9b7e-2a6d4e8f9a10")
ALICE, BOB = ObjectId("a" * 8 + "-0000-4000-8000-" + "0" * 12), ObjectId(
    "b" * 8 + "-0000-4000-8000-" + "0" * 12)
READ = PermissionScope("11111111-0000-4000-8000-000000000001", "Mail.Read", "User")
SEND = PermissionScope("11111111-0000-4000-8000-000000000002", "Mail.Send", "User")
ALL = PermissionScope("11111111-0000-4000-8000-000000000003", "Mail.ReadAll", "Admin")
OFF = PermissionScope("11111111-0000-4000-8000-000000000004", "Old", "User", is_enabled=False)
API = Application(ObjectId("22222222-0000-4000-8000-000000000000"),
                  AppId("33333333-0000-4000-8000-000000000000"), TID, "Mail API",
                  oauth2_permission_scopes=(READ, SEND, ALL, OFF))
CLIENT = Application(ObjectId("44444444-0000-4000-8000-000000000000"),
                     AppId("55555555-0000-4000-8000-000000000000"), TID, "Client",
                     required_resource_access=(RequiredResourceAccess(
                         API.app_id, (ResourceAccess(READ.id, "Scope"),)),))
SP_C, SP_R = ObjectId("66666666-0000-4000-8000-000000000000"), ObjectId(
    "77777777-0000-4000-8000-000000000000")


def grant(scope: str, principal: ObjectId | None) -> DelegatedGrant:
    kind = "AllPrincipals" if principal is None else "Principal"
    return DelegatedGrant("g-" + scope, TID, SP_C, kind, principal, SP_R, scope)


def state(scope: str, *grants: DelegatedGrant, user: ObjectId = ALICE) -> ConsentState:
    return consent_state(client=CLIENT, resource=API, request=parse_scope(scope),
                         grants=grants, user_id=user)


def test_nothing_consented_yet() -> None:
    found = state("api://mail/Mail.Read api://mail/Mail.Send")
    assert [s.value for s in found.missing] == ["Mail.Read", "Mail.Send"]
    assert found.scp == () and found.needs_admin == ()


def test_scp_is_requested_and_granted_for_this_user() -> None:
    mine = grant("Mail.Read", ALICE)
    others = grant("Mail.Send", BOB)
    found = state("api://mail/Mail.Read api://mail/Mail.Send", mine, others)
    assert found.scp == ("Mail.Read",)
    assert [s.value for s in found.missing] == ["Mail.Send"]
    assert state("api://mail/Mail.Send", grant("Mail.Send", None)).scp == ("Mail.Send",)


def test_default_is_static_permissions_plus_consented() -> None:
    assert [s.value for s in state("api://mail/.default").wanted] == ["Mail.Read"]
    found = state("api://mail/.default", grant("Mail.Send", ALICE))
    assert ([s.value for s in found.wanted], found.scp) == (["Mail.Read", "Mail.Send"],
                                                            ("Mail.Send",))
    bare = Application(CLIENT.id, CLIENT.app_id, TID, "Client")
    with pytest.raises(InvalidScope) as info:
        consent_state(client=bare, resource=API, request=parse_scope("api://mail/.default"),
                      grants=(), user_id=ALICE)
    assert info.value.code == 650057


@pytest.mark.parametrize("value", ["Mail.Delete", "Old"])
def test_unknown_or_disabled_scope(value: str) -> None:
    with pytest.raises(InvalidScope) as info:
        state(f"api://mail/{value}")
    assert info.value.code == 650053


def test_prompting_rules() -> None:
    missing = state("api://mail/Mail.Read")
    assert must_prompt(missing, prompt=frozenset(), is_admin=False, client=CLIENT)
    done = state("api://mail/Mail.Read", grant("Mail.Read", ALICE))
    assert not must_prompt(done, prompt=frozenset(), is_admin=False, client=CLIENT)
    assert must_prompt(done, prompt=frozenset({"consent"}), is_admin=False, client=CLIENT)
    with pytest.raises(ConsentRequired) as info:
        must_prompt(missing, prompt=frozenset({"none"}), is_admin=False, client=CLIENT)
    assert info.value.code == 65001


def test_admin_scopes_need_an_admin() -> None:
    admin_only = state("api://mail/Mail.ReadAll")
    with pytest.raises(ConsentRequired) as info:
        must_prompt(admin_only, prompt=frozenset(), is_admin=False, client=CLIENT)
    assert (info.value.error, info.value.code) == ("consent_required", 90094)
    assert must_prompt(admin_only, prompt=frozenset(), is_admin=True, client=CLIENT)
    org = state("api://mail/Mail.ReadAll", grant("Mail.ReadAll", None))
    assert not must_prompt(org, prompt=frozenset(), is_admin=False, client=CLIENT)


def test_refresh_requires_consent() -> None:
    require_consented(state("api://mail/Mail.Read", grant("Mail.Read", ALICE)), CLIENT)
    with pytest.raises(InvalidGrant) as info:
        require_consented(state("api://mail/Mail.Read"), CLIENT)
    assert info.value.code == 65001


def test_merged_scope() -> None:
    assert merged_scope("", ["A", "B", "A"]) == "A B"
    assert merged_scope("B C", ["A", "C"]) == "B C A"
