"""Entra-shaped app-only token claims and responses (docs/protocol.md)."""

from __future__ import annotations

import pytest

from credo.protocol import metadata
from credo.protocol.claims import app_token_claims, token_response

from .factory import APP_ID, BASE, NOW, TID, secret_app, service_principal

SP = service_principal(APP_ID, oid="8b1c0d2e-0000-4000-8000-00000000c11e")
T = int(NOW)


def claims(version: int, roles: tuple[str, ...] = ("Mail.Read", "Mail.Send")) -> dict[str, object]:
    issuer = (metadata.issuer_v1 if version == 1 else metadata.issuer_v2)(BASE, TID)
    return app_token_claims(version=version, issuer=issuer, tenant_id=TID,  # type: ignore[arg-type]
                            client_app=secret_app(), client_sp=SP, audience="aud-x", roles=roles,
                            acr="2", now=NOW + 0.7, uti="uti-1")


def test_v1_claims_in_entra_order() -> None:
    issuer = f"{BASE}/{TID}/"
    assert list(claims(1).items()) == [
        ("aud", "aud-x"), ("iss", issuer), ("iat", T - 300), ("nbf", T - 300),
        ("exp", T + 3600), ("appid", APP_ID), ("appidacr", "2"), ("idp", issuer),
        ("idtyp", "app"), ("oid", SP.id), ("roles", ["Mail.Read", "Mail.Send"]), ("sub", SP.id),
        ("tid", TID), ("uti", "uti-1"), ("ver", "1.0")]


def test_v2_claims_in_entra_order() -> None:
    assert list(claims(2).items()) == [
        ("aud", "aud-x"), ("iss", f"{BASE}/{TID}/v2.0"), ("iat", T - 300), ("nbf", T - 300),
        ("exp", T + 3600), ("azp", APP_ID), ("azpacr", "2"), ("idtyp", "app"), ("oid", SP.id),
        ("roles", ["Mail.Read", "Mail.Send"]), ("sub", SP.id), ("tid", TID), ("uti", "uti-1"),
        ("ver", "2.0")]


@pytest.mark.parametrize("version", [1, 2])
def test_roles_omitted_when_none(version: int) -> None:
    assert "roles" not in claims(version, roles=())


def test_lifetime_parameter() -> None:
    out = app_token_claims(version=2, issuer="i", tenant_id=TID, client_app=secret_app(),
                           client_sp=SP, audience="a", roles=[], acr="1", now=NOW, uti="u",
                           lifetime=600)
    assert (out["exp"], out["azpacr"]) == (T + 600, "1")


def test_v2_response_numbers() -> None:
    out = token_response(version=2, access_token="tok", now=NOW, lifetime=3600,
                         resource_requested="api://mail")
    assert list(out.items()) == [("token_type", "Bearer"), ("expires_in", 3599),
                                 ("ext_expires_in", 3599), ("access_token", "tok")]


def test_v1_response_strings_in_entra_order() -> None:
    out = token_response(version=1, access_token="tok", now=NOW + 0.9, lifetime=3600,
                         resource_requested="https://service.contoso.com/")
    assert list(out.items()) == [
        ("token_type", "Bearer"), ("expires_in", "3599"), ("ext_expires_in", "3599"),
        ("expires_on", str(T + 3600)), ("not_before", str(T - 300)),
        ("resource", "https://service.contoso.com/"), ("access_token", "tok")]
    assert int(out["expires_on"]) - int(out["not_before"]) == 3900

