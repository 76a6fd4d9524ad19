"""``Principal``: built from claims, and the permission checks with their exact refusals."""

from __future__ import annotations

from typing import Any

import pytest
from resource_fakes import TENANT_ID, app_claims, user_claims

from credo.errors import InsufficientScope, TokenValidationError
from credo.resource import Principal
from credo.resource.principal import NEITHER, principal_from_claims


def principal(claims: dict[str, Any]) -> Principal:
    return principal_from_claims(claims, TENANT_ID, str(claims.get("ver", "2.0")))


def refusal(check: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(InsufficientScope) as caught:
        check(*args, **kwargs)
    assert caught.value.error == "insufficient_scope" and caught.value.status == 403
    return caught.value.description


APP = principal(app_claims(roles=("Mail.Read", "Calendars.Read")))
USER = principal(user_claims(scp="Mail.Read User.Read"))


def test_app_only_principal() -> None:
    assert APP.is_app_only and APP.scopes == frozenset()
    assert APP.roles == frozenset({"Mail.Read", "Calendars.Read"})
    assert (APP.upn, APP.preferred_username, APP.name, APP.unique_name) == (None,) * 4


def test_claims_are_read_only() -> None:
    with pytest.raises(TypeError):
        APP.claims["roles"] = ["Mail.ReadWrite"]  # type: ignore[index]


def merged(base: dict[str, Any], claims: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in {**base, **claims}.items() if v is not None}


@pytest.mark.parametrize(("claims", "app_only"), [
    ({"idtyp": "app"}, True),
    ({"idtyp": None}, True),  # no idtyp: oid equal to sub, the service principal
    ({"idtyp": None, "upn": "bob@contoso.example"}, False),  # a user claim
    ({"idtyp": None, "sub": "pairwise"}, False),  # oid other than sub
    ({"idtyp": None, "scp": "Mail.Read"}, False),
    ({"idtyp": "user"}, False),  # idtyp decides
    ({"idtyp": "user", "roles": ["Mail.Read"]}, False),
], ids=["idtyp app", "oid is sub", "upn", "oid is not sub", "scp", "idtyp user",
        "user with roles"])
def test_app_only_or_user(claims: dict[str, Any], app_only: bool) -> None:
    assert principal(merged(app_claims(), claims)).is_app_only is app_only


@pytest.mark.parametrize(("claims", "description"), [
    ({"idtyp": "app", "scp": "Mail.Read"},
     "The token is app-only (idtyp 'app') but carries delegated permissions in 'scp'."),
    ({"idtyp": "device"}, "The token claim 'idtyp' is neither 'app' nor 'user'."),
    ({"idtyp": None, "oid": None}, NEITHER),
    ({"idtyp": None, "sub": None}, NEITHER),
    ({"idtyp": None, "oid": None, "sub": None}, NEITHER),
], ids=["app with scp", "unknown idtyp", "no oid", "no sub", "neither"])
def test_tokens_of_no_known_shape_are_refused(claims: dict[str, Any], description: str) -> None:
    with pytest.raises(TokenValidationError) as caught:
        principal(merged(app_claims(), claims))
    assert type(caught.value) is TokenValidationError
    assert caught.value.description == description


def test_v1_app_id_comes_from_appid() -> None:
    assert principal(app_claims("1.0")).app_id == app_claims("1.0")["appid"]


def test_require_roles() -> None:
    APP.require_roles("Mail.Read", "Calendars.Read")
    assert refusal(APP.require_roles, "Mail.Send") == (
        "The token lacks the application permission 'Mail.Send'.")
    assert refusal(APP.require_roles, "Mail.Read", "Mail.Send", "Contacts.Read") == (
        "The token lacks the application permissions 'Mail.Send', 'Contacts.Read'.")


def test_require_roles_is_for_app_only_callers() -> None:
    user = principal({**user_claims(), "roles": ["Mail.Read"]})
    assert refusal(user.require_roles, "Mail.Read") == (
        "This operation requires an app-only token; the token is for a signed-in user.")


def test_require_user_roles() -> None:
    user = principal({**user_claims(), "roles": ["Mail.Admin", "Mail.Read"]})
    user.require_user_roles("Mail.Admin")
    assert refusal(user.require_user_roles, "Mail.Admin", "Mail.Audit", "Mail.Purge") == (
        "The signed-in user lacks the app roles 'Mail.Audit', 'Mail.Purge'.")
    assert refusal(APP.require_user_roles, "Mail.Read") == (
        "This operation requires a signed-in user; the token is app-only.")


def test_require_scopes() -> None:
    USER.require_scopes("Mail.Read")
    assert refusal(USER.require_scopes, "Mail.Send") == (
        "The token lacks the delegated permission 'Mail.Send'.")
    assert refusal(APP.require_scopes, "Mail.Read") == (
        "The token lacks the delegated permission 'Mail.Read'.")


def test_require_any_accepts_either_kind_of_caller() -> None:
    for caller in (APP, USER):
        caller.require_any(roles=["Mail.Read"], scopes=["Mail.Read"])
    APP.require_any(roles=["Mail.ReadWrite", "Mail.Read"], scopes=[])


def test_require_any_refusals() -> None:
    assert refusal(APP.require_any, roles=["Contacts.Read"], scopes=["Mail.Read"]) == (
        "The token lacks the application permission 'Contacts.Read'.")
    assert refusal(USER.require_any, roles=["Mail.Read"], scopes=["Contacts.Read"]) == (
        "The token lacks the delegated permission 'Contacts.Read'.")
    assert refusal(APP.require_any, roles=["Mail.Send", "Mail.ReadWrite"]) == (
        "The token lacks the application permission 'Mail.Send' or 'Mail.ReadWrite'.")
    assert refusal(APP.require_any, scopes=["Mail.Read"]) == (
        "This operation does not accept application tokens.")
    assert refusal(USER.require_any, roles=["Mail.Read"]) == (
        "This operation does not accept delegated tokens.")


def test_require_user() -> None:
    USER.require_user()
    USER.require_user(scopes=["Mail.ReadWrite", "Mail.Read"])
    assert refusal(APP.require_user, scopes=["Mail.Read"]) == (
        "This operation requires a signed-in user; the token is app-only.")
    assert refusal(USER.require_user, scopes=["Mail.Send"]) == (
        "The token lacks the delegated permission 'Mail.Send'.")


def test_insufficient_scope_challenge() -> None:
    with pytest.raises(InsufficientScope) as caught:
        APP.require_roles("Mail.Send")
    assert caught.value.www_authenticate("api://mail") == (
        'Bearer realm="api://mail", error="insufficient_scope", '
        'error_description="The token lacks the application permission \'Mail.Send\'."')
