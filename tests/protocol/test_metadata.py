"""Discovery documents, issuers and assertion audiences (OIDC Discovery 1.0 §3; RFC 8414 §2)."""

from __future__ import annotations

from dataclasses import replace

from credo.protocol import metadata
from credo.protocol.client_auth import METHODS

from .factory import BASE, TENANT, TID

G = f"{BASE}/{TID}"


def test_issuers() -> None:
    assert metadata.issuer_v2(BASE, TID) == f"{G}/v2.0"
    assert metadata.issuer_v1(BASE + "/", TID) == f"{G}/"


GRANT_TYPES = ("client_credentials", "authorization_code", "refresh_token")


def test_discovery_v2() -> None:
    doc = metadata.discovery(BASE + "/", TID, 2, grant_types=GRANT_TYPES)
    assert doc == {
        "token_endpoint": f"{G}/oauth2/v2.0/token",
        "token_endpoint_auth_methods_supported": [
            "client_secret_post", "federated_identity_credential", "private_key_jwt",
            "client_secret_basic"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "PS256"],
        "jwks_uri": f"{G}/discovery/v2.0/keys",
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
        "grant_types_supported": list(GRANT_TYPES),
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "issuer": f"{G}/v2.0",
        "request_uri_parameter_supported": False,
        "authorization_endpoint": f"{G}/oauth2/v2.0/authorize",
        "http_logout_supported": True,
        "frontchannel_logout_supported": True,
        "end_session_endpoint": f"{G}/oauth2/v2.0/logout",
        "claims_supported": list(metadata.CLAIMS_V2),
        "cloud_instance_name": "login.credo.test",
        "msgraph_host": "login.credo.test",
    }
    assert list(doc)[:4] == ["token_endpoint", "token_endpoint_auth_methods_supported",
                             "token_endpoint_auth_signing_alg_values_supported", "jwks_uri"]


def test_discovery_v1() -> None:
    doc = metadata.discovery("https://login.credo.test:8443", TID, 1, grant_types=GRANT_TYPES,
                             auth_signing_algs=["PS256"])
    g = f"https://login.credo.test:8443/{TID}"
    assert (doc["issuer"], doc["token_endpoint"], doc["jwks_uri"]) == (
        f"{g}/", f"{g}/oauth2/token", f"{g}/discovery/keys")
    assert (doc["authorization_endpoint"], doc["end_session_endpoint"]) == (
        f"{g}/oauth2/authorize", f"{g}/oauth2/logout")
    assert "device_authorization_endpoint" not in doc and "userinfo_endpoint" not in doc
    assert doc["response_types_supported"] == ["code", "id_token", "code id_token",
                                               "token id_token", "token"]
    assert (doc["scopes_supported"], doc["microsoft_multi_refresh_token"]) == (["openid"], True)
    assert doc["token_endpoint_auth_signing_alg_values_supported"] == ["PS256"]
    assert (doc["cloud_instance_name"], doc["msgraph_host"]) == (
        "login.credo.test", "login.credo.test:8443")
    assert "amr" in doc["claims_supported"] and "tid" not in doc["claims_supported"]
    assert "request_uri_parameter_supported" not in doc


def test_the_versions_differ_only_in_their_editions() -> None:
    v1, v2 = (metadata.discovery(BASE, TID, v, grant_types=GRANT_TYPES) for v in (1, 2))
    assert list(v1) == [k if k != "request_uri_parameter_supported"
                        else "microsoft_multi_refresh_token" for k in v2]
    same = {k for k in v2 if k in v1 and v1[k] == v2[k]}
    assert set(v2) - same == {"token_endpoint", "jwks_uri", "response_types_supported",
                              "scopes_supported", "issuer", "request_uri_parameter_supported",
                              "authorization_endpoint", "end_session_endpoint",
                              "claims_supported"}


def test_auth_methods_are_the_registry() -> None:
    doc = metadata.discovery(BASE, TID, 2, grant_types=())
    assert doc["token_endpoint_auth_methods_supported"] == list(METHODS)
    assert doc["grant_types_supported"] == []


def test_documents_are_fresh_values() -> None:
    first = metadata.discovery(BASE, TID, 2, grant_types=GRANT_TYPES)
    for name in ("token_endpoint_auth_methods_supported", "claims_supported",
                 "grant_types_supported"):
        first[name].append("x")
    again = metadata.discovery(BASE, TID, 2, grant_types=GRANT_TYPES)
    assert "x" not in again["token_endpoint_auth_methods_supported"]
    assert "x" not in again["claims_supported"] and "x" not in again["grant_types_supported"]


def test_token_endpoints_by_guid_and_every_domain() -> None:
    tenant = replace(TENANT, domains=("contoso.example", "Fabrikam.Example"))
    assert metadata.token_endpoints(BASE, tenant) == {
        f"{BASE}/{seg}/oauth2/{v}token"
        for seg in (TID, "contoso.example", "fabrikam.example") for v in ("", "v2.0/")}


def test_assertion_audiences_per_profile() -> None:
    issuers = {f"{G}/", f"{G}/v2.0"}
    assert metadata.assertion_audiences(BASE, TENANT, "strict") == issuers
    assert metadata.assertion_audiences(BASE, TENANT, "entra") == issuers | {
        f"{G}/oauth2/token", f"{G}/oauth2/v2.0/token",
        f"{BASE}/contoso.example/oauth2/token", f"{BASE}/contoso.example/oauth2/v2.0/token"}
