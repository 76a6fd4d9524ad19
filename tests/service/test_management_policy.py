"""The management permission model as a table: pure rules, no store, no HTTP.

What each directory role implies is written out here rather than read from ``IMPLIED``, so
widening a role fails a test; a new role fails ``test_every_directory_role_is_in_the_table``.
"""

from __future__ import annotations

import uuid
from typing import get_args

import pytest

from credo.errors import NotPermitted
from credo.model import DirectoryRoleName, TenantId
from credo.service.management.policy import (
    DENIED,
    GRANT_MANAGEMENT,
    MANAGEMENT_APP_ID,
    ROLE_APPS,
    ROLE_AUDIT,
    ROLE_DIRECTORY_ROLES,
    ROLE_GRANTS,
    ROLE_READ,
    ROLE_TENANTS,
    ROLE_USERS,
    Power,
    management_roles,
    require_any,
    require_covers,
    require_may_grant_management_role,
    require_not_builtin,
    user_power,
)

A = TenantId("aaaaaaaa-0000-4000-8000-000000000001")
B = TenantId("bbbbbbbb-0000-4000-8000-000000000002")
OPERATOR = Power(everything=True)
APP_ROLES = {ROLE_APPS, ROLE_GRANTS, ROLE_READ, ROLE_AUDIT}
ROLES: dict[DirectoryRoleName | None, set[str]] = {
    None: {ROLE_READ},
    "Application Administrator": APP_ROLES,
    "Cloud Application Administrator": APP_ROLES,
    "Global Administrator": APP_ROLES | {ROLE_USERS, ROLE_DIRECTORY_ROLES, GRANT_MANAGEMENT},
}
"""A user's power in their own tenant, by directory role (``None``: no role)."""
COVERS = {  # (caller, target): may the caller change a user holding the target role?
    (caller, target): caller == "Global Administrator" or target is None
    or (caller is not None and target != "Global Administrator")
    for caller in ROLES for target in ROLES}


def power(role: DirectoryRoleName | None, tenant: TenantId = A) -> Power:
    return user_power(tenant, () if role is None else (role,))


def refused(reason: str) -> tuple[str, str]:
    return DENIED, reason


def reason(err: pytest.ExceptionInfo[NotPermitted]) -> tuple[str, str]:
    return err.value.description, err.value.detail


def test_every_directory_role_is_in_the_table() -> None:
    assert set(get_args(DirectoryRoleName)) == set(ROLES) - {None}


@pytest.mark.parametrize("role", list(ROLES))
def test_a_directory_role_implies_its_permissions_in_its_tenant_only(
        role: DirectoryRoleName | None) -> None:
    assert power(role) == Power(frozenset((A, p) for p in ROLES[role]))
    assert not any(power(role).holds(B, p) for p in ROLES[role])


def test_roles_add_up_and_tenants_stay_apart() -> None:
    both = user_power(A, ("Application Administrator", "Global Administrator"))
    assert both == power("Global Administrator")
    assert power("Global Administrator") | power(None, B) == Power(
        frozenset({(A, p) for p in ROLES["Global Administrator"]} | {(B, ROLE_READ)}))


@pytest.mark.parametrize(("caller", "target"), list(COVERS))
def test_who_covers_whom_in_one_tenant(caller: DirectoryRoleName | None,
                                       target: DirectoryRoleName | None) -> None:
    assert power(caller).covers(power(target)) is COVERS[caller, target]


def test_no_role_covers_anyone_of_another_tenant() -> None:
    assert not power("Global Administrator", A).covers(power(None, B))
    assert (power("Global Administrator", A) | power(None, B)).covers(power(None, B))


def test_the_operator_holds_and_covers_everything_and_only_it_covers_the_operator() -> None:
    assert all(OPERATOR.holds(t, p) for t in (A, B) for p in (ROLE_TENANTS, GRANT_MANAGEMENT))
    assert OPERATOR.covers(power("Global Administrator", B)) and OPERATOR.covers(OPERATOR)
    assert not power("Global Administrator").covers(OPERATOR)
    assert (power(None) | OPERATOR).everything
    everything_else = Power(frozenset((t, p) for t in (A, B) for p in ROLES[
        "Global Administrator"] | {ROLE_TENANTS}))
    assert not everything_else.covers(OPERATOR)


def test_require_any_needs_one_of_the_routes_permissions() -> None:
    require_any(power(None), A, (ROLE_APPS, ROLE_READ))
    require_any(OPERATOR, B, (ROLE_TENANTS,))
    with pytest.raises(NotPermitted) as err:
        require_any(power("Global Administrator"), B, (ROLE_READ, ROLE_APPS))
    assert reason(err) == refused(
        "needs one of ['Application.ReadWrite.All', 'Directory.Read.All']")


def test_require_covers_names_what_the_target_holds_more() -> None:
    require_covers(power("Application Administrator"), power("Cloud Application Administrator"),
                   "the user")
    with pytest.raises(NotPermitted) as err:
        require_covers(power("Application Administrator"), power("Global Administrator"),
                       "the user")
    assert reason(err) == refused(
        f"the user holds more than the caller: {ROLE_DIRECTORY_ROLES} in {A}, "
        f"{ROLE_USERS} in {A}, {GRANT_MANAGEMENT} in {A}")
    with pytest.raises(NotPermitted) as err:
        require_covers(power("Global Administrator"), OPERATOR, "the app")
    assert reason(err) == refused("the app holds more than the caller: everything")


def test_built_in_apps_are_never_changed() -> None:
    builtins = frozenset({MANAGEMENT_APP_ID, "0fe7a7f0-0000-4000-8000-000000000002"})
    require_not_builtin("11111111-0000-4000-8000-000000000003", builtins, "the app")
    with pytest.raises(NotPermitted) as err:
        require_not_builtin(MANAGEMENT_APP_ID, builtins, "the app")
    assert reason(err) == refused("the app is built in and cannot be changed through the API")


@pytest.mark.parametrize("role", sorted({ROLE_APPS, ROLE_GRANTS, ROLE_READ, ROLE_USERS,
                                         ROLE_DIRECTORY_ROLES}))
def test_the_operator_and_a_global_administrator_grant_management_roles(role: str) -> None:
    require_may_grant_management_role(OPERATOR, B, role)
    require_may_grant_management_role(power("Global Administrator"), A, role)


@pytest.mark.parametrize(("caller", "tenant", "role", "why"), [
    (OPERATOR, A, ROLE_TENANTS, "Tenant.ReadWrite.All is granted by `credo init` only"),
    (power("Global Administrator"), A, ROLE_TENANTS,
     "Tenant.ReadWrite.All is granted by `credo init` only"),
    (power("Application Administrator"), A, ROLE_READ,
     "only the operator or a Global Administrator grants management roles"),
    (power("Global Administrator"), B, ROLE_READ,
     "only the operator or a Global Administrator grants management roles"),
    (Power.of(A, {GRANT_MANAGEMENT, ROLE_READ}), A, ROLE_USERS,
     "the caller does not hold User.ReadWrite.All itself"),
], ids=["operator-tenants", "global-admin-tenants", "app-admin", "global-admin-elsewhere",
        "not-held"])
def test_who_may_not_grant_a_management_role(caller: Power, tenant: TenantId, role: str,
                                             why: str) -> None:
    with pytest.raises(NotPermitted) as err:
        require_may_grant_management_role(caller, tenant, role)
    assert reason(err) == refused(why)


def test_management_role_ids_are_stable() -> None:
    roles = management_roles()
    assert {r.value for r in roles} == {ROLE_APPS, ROLE_GRANTS, ROLE_READ, ROLE_AUDIT,
                                        ROLE_TENANTS, ROLE_USERS, ROLE_DIRECTORY_ROLES}
    assert all(r.id == str(uuid.uuid5(uuid.UUID(MANAGEMENT_APP_ID), r.value)) and r.is_enabled
               and r.allowed_member_types == ("Application",) for r in roles)
    assert management_roles() == roles
