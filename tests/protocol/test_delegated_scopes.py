"""Delegated scope requests (RFC 6749 §3.3; OIDC Core §5.4, §11; Entra's ``<resource>/<scope>``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credo.errors import InvalidRequest, InvalidScope, OAuthError
from credo.protocol.delegated_scopes import ScopeRequest, parse_scope, parse_v1


def test_msal_shaped_request() -> None:
    found = parse_scope("api://mail/Mail.Read api://mail/Mail.Send openid profile offline_access")
    assert found == ScopeRequest(("openid", "profile", "offline_access"), "api://mail",
                                 ("Mail.Read", "Mail.Send"), False)
    assert found.openid and found.offline_access
    assert found.text() == ("api://mail/Mail.Read api://mail/Mail.Send openid profile "
                            "offline_access")


def test_resource_is_everything_before_the_last_slash() -> None:
    assert parse_scope("https://api.example/v1/Files.Read").resource == "https://api.example/v1"
    assert parse_scope("https://api.example//.default") == ScopeRequest(
        (), "https://api.example/", (), True)


def test_default_and_repeats() -> None:
    assert parse_scope("OPENID api://x/.default openid") == ScopeRequest(
        ("openid",), "api://x", (), True)
    assert parse_scope("api://x/A api://x/A").values == ("A",)


def test_oidc_only() -> None:
    found = parse_scope("openid email")
    assert (found.resource, found.values, found.text()) == (None, (), "openid email")


@pytest.mark.parametrize(("scope", "error", "code"), [
    ("", InvalidRequest, 900144),
    ("   ", InvalidRequest, 900144),
    ("User.Read", InvalidScope, 70011),
    ("api://x/", InvalidScope, 70011),
    ("/Mail.Read", InvalidScope, 70011),
    ("api://x/.default api://x/Mail.Read", InvalidScope, 70011),
    ("api://x/A api://y/B", InvalidScope, 28000),
], ids=["empty", "blank", "bare", "no-value", "no-resource", "default-mixed", "two-resources"])
def test_refusals(scope: str, error: type[OAuthError], code: int) -> None:
    with pytest.raises(error) as info:
        parse_scope(scope)
    assert info.value.code == code


def test_v1_resource_means_static_consent_and_refresh() -> None:
    assert parse_v1("api://mail", "openid") == ScopeRequest(
        ("openid", "offline_access"), "api://mail", (), True)
    assert parse_v1(None, None) == ScopeRequest(("offline_access",), None, (), False)


@given(st.text(max_size=200))
def test_parser_never_crashes(scope: str) -> None:
    try:
        found = parse_scope(scope)
    except OAuthError:
        return
    assert parse_scope(found.text()) == found
