"""ID tokens (OIDC Core §2, §3.1.3.6, §8.1) and delegated access tokens (entra facts §4)."""

from __future__ import annotations

import base64
import json

import pytest

from credo.model import ObjectId, TenantId, User
from credo.protocol.id_token import Subject, half_hash, id_token_claims, pairwise_subject
from credo.protocol.user_tokens import (
    DelegatedAccess,
    client_info,
    user_access_claims,
    user_token_response,
)

from .factory import NOW, hasher

TID = TenantId("3f0c1b5e-8d1a-4c52-9b7e-2a6d4e8f9a10")
USER = User(ObjectId("a1b2c3d4-0000-4000-8000-000000000001"), TID, "alice@contoso.example",
            "Alice Example")
SUBJECT = Subject(USER, "pairwise-sub", NOW - 60, "sid-1")
CLIENT = "6e1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b"
ISSUER = f"https://login.credo.test/{TID}/v2.0"


@pytest.mark.parametrize(("value", "expected"), [
    ("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y", "77QmUPtjPfzWtF2AnpK9RQ"),
    ("Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk", "LDktKdoQak3Pk0cnXxCltA"),
], ids=["oidc-a4-at-hash", "oidc-a3-c-hash"])
def test_half_hash_matches_oidc_core_examples(value: str, expected: str) -> None:
    assert half_hash(value) == expected


def test_pairwise_subject_is_stable_per_client_and_differs_across_clients() -> None:
    one = pairwise_subject(hasher, tenant_id=TID, user_id=USER.id, client_id=CLIENT)
    assert one == pairwise_subject(hasher, tenant_id=TID, user_id=USER.id,
                                   client_id=CLIENT.upper())
    other = pairwise_subject(hasher, tenant_id=TID, user_id=USER.id,
                             client_id="00000000-0000-4000-8000-000000000000")
    assert one != other and one != USER.id and len(one) == 43


def test_v2_id_token_claims() -> None:
    claims = id_token_claims(version=2, issuer=ISSUER, client_id=CLIENT, subject=SUBJECT,
                             oidc=("openid", "profile"), nonce="n-0S6", now=NOW, uti="u1",
                             access_token="at", code="c")
    assert claims == {
        "aud": CLIENT, "iss": ISSUER, "iat": int(NOW) - 300, "nbf": int(NOW) - 300,
        "exp": int(NOW) + 3600, "at_hash": half_hash("at"), "auth_time": int(NOW) - 60,
        "c_hash": half_hash("c"), "name": "Alice Example", "oid": USER.id,
        "preferred_username": "alice@contoso.example", "nonce": "n-0S6", "sid": "sid-1",
        "sub": "pairwise-sub", "tid": TID, "uti": "u1", "ver": "2.0"}


def test_v2_id_token_without_profile_has_no_names() -> None:
    claims = id_token_claims(version=2, issuer=ISSUER, client_id=CLIENT, subject=SUBJECT,
                             oidc=("openid",), nonce=None, now=NOW, uti="u1")
    assert "name" not in claims and "preferred_username" not in claims
    assert "nonce" not in claims and "at_hash" not in claims and claims["oid"] == USER.id


def test_v1_id_token_claims() -> None:
    claims = id_token_claims(version=1, issuer=f"https://login.credo.test/{TID}/",
                             client_id=CLIENT, subject=SUBJECT, oidc=("openid",), nonce="n",
                             now=NOW, uti="u1")
    assert (claims["ver"], claims["upn"], claims["unique_name"], claims["amr"]) == (
        "1.0", "alice@contoso.example", "alice@contoso.example", ["pwd"])


def test_delegated_access_claims_v2_and_v1() -> None:
    v2 = user_access_claims(access=DelegatedAccess("api-app-id", 2, ("Mail.Read", "Mail.Send"),
                                                   ("Reader",), "api://mail"),
                            issuer=ISSUER, client_id=CLIENT, acr="0", subject=SUBJECT, now=NOW,
                            uti="u1")
    assert v2 == {
        "aud": "api-app-id", "iss": ISSUER, "iat": int(NOW) - 300, "nbf": int(NOW) - 300,
        "exp": int(NOW) + 3600, "azp": CLIENT, "azpacr": "0", "idtyp": "user",
        "name": "Alice Example", "oid": USER.id, "preferred_username": "alice@contoso.example",
        "roles": ["Reader"], "scp": "Mail.Read Mail.Send", "sid": "sid-1",
        "sub": "pairwise-sub", "tid": TID, "uti": "u1", "ver": "2.0"}
    v1 = user_access_claims(access=DelegatedAccess("api://mail", 1, ("Mail.Read",), (),
                                                   "api://mail"),
                            issuer=f"https://login.credo.test/{TID}/", client_id=CLIENT,
                            acr="1", subject=SUBJECT, now=NOW, uti="u1")
    assert (v1["appid"], v1["appidacr"], v1["upn"], v1["ver"], "roles" in v1) == (
        CLIENT, "1", "alice@contoso.example", "1.0", False)
    assert v1["sub"] != v1["oid"]


def test_token_responses() -> None:
    access = DelegatedAccess("api-app-id", 2, ("Mail.Read",), (), "api://mail")
    v2 = user_token_response(endpoint=2, access=access, access_token="AT",
                             oidc=("openid", "offline_access"), now=NOW, lifetime=3600,
                             refresh_token="RT", id_token="IT", client_info_value="CI")
    assert v2 == {"token_type": "Bearer", "scope": "api://mail/Mail.Read openid offline_access",
                  "expires_in": 3599, "ext_expires_in": 3599, "access_token": "AT",
                  "refresh_token": "RT", "id_token": "IT", "client_info": "CI"}
    v1 = user_token_response(endpoint=1, access=access, access_token="AT", oidc=(), now=NOW,
                             lifetime=3600, refresh_token=None, id_token=None,
                             client_info_value=None)
    assert v1 == {"token_type": "Bearer", "scope": "Mail.Read", "expires_in": "3599",
                  "ext_expires_in": "3599", "expires_on": str(int(NOW) + 3600),
                  "not_before": str(int(NOW) - 300), "resource": "api://mail",
                  "access_token": "AT"}


def test_client_info_is_msal_shaped() -> None:
    raw = client_info(USER.id, TID)
    assert json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))) == {
        "uid": USER.id, "utid": TID}
