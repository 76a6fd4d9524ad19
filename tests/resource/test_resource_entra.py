"""The validator against Entra ID-shaped metadata: recorded discovery documents, test keys.

``data/entra-*-openid-configuration.json`` are the documents Entra serves, field for field
(the v2 document as recorded in Azure/azure-sdk-for-js, the v1 shape with ``issuer``
``https://sts.windows.net/{tid}/`` and ``jwks_uri`` ``…/common/discovery/keys``, and the
``organizations`` document with the templated issuer). The key sets have Entra's shape
(``kty, use, kid, x5t, n, e, x5c``, plus ``issuer`` and ``cloud_instance_name`` on v2
keys) with keys generated in the test; the tokens carry Entra's claims.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from resource_fakes import NOW, Key, sign

from credo.errors import TokenValidationError
from credo.resource import TokenValidator

DATA = Path(__file__).parent / "data"
LOGIN = "https://login.microsoftonline.com"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
PARTNER = "4b5c6d7e-8f90-4a1b-9c2d-3e4f5a6b7c8d"
STRANGER = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
MSA_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
API_APP_ID = "e5b7a1c2-3d4f-4a5b-8c6d-7e8f9a0b1c2d"
API_URI = "api://contoso.example/mail"
DAEMON = "d4c3b2a1-0f9e-4d8c-b7a6-5f4e3d2c1b0a"


def document(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((DATA / f"entra-{name}-openid-configuration.json")
                                      .read_text(encoding="utf-8"))
    return body


class Entra:
    """``login.microsoftonline.com`` for ``TENANT`` and ``organizations``, served in memory."""

    def __init__(self, key: Key, msa_key: Key) -> None:
        v2_key = key.jwk(issuer=f"{LOGIN}/{{tenantid}}/v2.0",
                         cloud_instance_name="microsoftonline.com")
        msa = msa_key.jwk(issuer=f"{LOGIN}/{MSA_TENANT}/v2.0",
                          cloud_instance_name="microsoftonline.com")
        self.routes: dict[str, dict[str, Any]] = {
            f"/{TENANT}/v2.0/.well-known/openid-configuration": document("v2"),
            f"/{TENANT}/.well-known/openid-configuration": document("v1"),
            "/organizations/v2.0/.well-known/openid-configuration": document("organizations-v2"),
            f"/{TENANT}/discovery/v2.0/keys": {"keys": [v2_key, msa]},
            "/organizations/discovery/v2.0/keys": {"keys": [v2_key, msa]},
            "/common/discovery/keys": {"keys": [key.jwk()]},
        }
        self.requests: list[str] = []

    def answer(self, request: httpx.Request) -> httpx.Response:
        assert request.url.host == "login.microsoftonline.com"
        self.requests.append(request.url.path)
        body = self.routes.get(request.url.path)
        return httpx.Response(200, json=body) if body else httpx.Response(404)

    def validator(self, authority: str, audience: str, **options: Any) -> TokenValidator:
        client = httpx.AsyncClient(transport=httpx.MockTransport(self.answer))
        return TokenValidator(authority, audience, http_client=client, clock=lambda: NOW,
                              **options)


@pytest.fixture
def entra(keys: Any) -> Entra:
    return Entra(keys.primary, keys.rotated)


def v2_app_token(key: Key, tenant: str = TENANT, **override: Any) -> str:
    """Header ``typ, alg, kid``; payload as in real v2 app-only tokens."""
    claims = {"aud": API_APP_ID, "iss": f"{LOGIN}/{tenant}/v2.0", "iat": int(NOW) - 300,
              "nbf": int(NOW) - 300, "exp": int(NOW) + 3299, "aio": "E2RgYJj+opaque=",
              "azp": DAEMON, "azpacr": "1", "oid": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
              "rh": "0.AAAA-opaque.", "roles": ["Mail.Read", "Calendars.Read"],
              "sub": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d", "tid": tenant,
              "uti": "Qm9vLXRoZS1raWQ", "ver": "2.0", "xms_ftd": "opaque", **override}
    return sign(key, claims)


def v1_app_token(key: Key) -> str:
    """Header ``typ, alg, x5t, kid``; payload as in a real v1 Graph app-only token."""
    iss = f"https://sts.windows.net/{TENANT}/"
    claims = {"aud": API_URI, "iss": iss, "iat": int(NOW) - 300, "nbf": int(NOW) - 300,
              "exp": int(NOW) + 3299, "aio": "opaque", "app_displayname": "mail daemon",
              "appid": DAEMON, "appidacr": "2", "idp": iss, "idtyp": "app",
              "oid": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d", "rh": "opaque",
              "roles": ["Mail.Read"], "sub": "9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d",
              "tenant_region_scope": "WW", "tid": TENANT, "uti": "opaque", "ver": "1.0"}
    return sign(key, claims, x5t=key.kid)


async def test_v2_app_only_token(entra: Entra, keys: Any) -> None:
    principal = await entra.validator(f"{LOGIN}/{TENANT}", API_APP_ID).validate(
        v2_app_token(keys.primary))
    assert (principal.tenant_id, principal.app_id, principal.is_app_only) == (
        TENANT, DAEMON, True)
    assert principal.roles == frozenset({"Mail.Read", "Calendars.Read"})
    assert entra.requests == [f"/{TENANT}/v2.0/.well-known/openid-configuration",
                              f"/{TENANT}/discovery/v2.0/keys"]


async def test_v2_authority_written_with_its_version_suffix(entra: Entra, keys: Any) -> None:
    validator = entra.validator(f"{LOGIN}/{TENANT}/v2.0", API_APP_ID)
    assert (await validator.validate(v2_app_token(keys.primary))).version == "2.0"


async def test_v1_app_only_token_uses_the_sts_issuer_and_common_keys(entra: Entra,
                                                                      keys: Any) -> None:
    principal = await entra.validator(f"{LOGIN}/{TENANT}", API_URI).validate(
        v1_app_token(keys.primary))
    assert (principal.version, principal.app_id) == ("1.0", DAEMON)
    assert entra.requests == [f"/{TENANT}/.well-known/openid-configuration",
                              "/common/discovery/keys"]


async def test_delegated_v2_token(entra: Entra, keys: Any) -> None:
    token = v2_app_token(keys.primary, roles=[], scp="Mail.Read User.Read", name="Megan Bowen",
                         preferred_username="meganb@contoso.example",
                         sub="AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ")
    principal = await entra.validator(f"{LOGIN}/{TENANT}", API_APP_ID).validate(token)
    assert not principal.is_app_only
    assert principal.preferred_username == "meganb@contoso.example"
    principal.require_scopes("Mail.Read")


async def test_multi_tenant_api_with_an_allow_list(entra: Entra, keys: Any) -> None:
    validator = entra.validator(f"{LOGIN}/organizations", API_APP_ID,
                                tenants=[TENANT, PARTNER])
    for tenant in (TENANT, PARTNER):
        principal = await validator.validate(v2_app_token(keys.primary, tenant))
        assert principal.tenant_id == tenant
    with pytest.raises(TokenValidationError) as caught:
        await validator.validate(v2_app_token(keys.primary, STRANGER))
    assert caught.value.description == (
        f"The token was issued by tenant '{STRANGER}', which this API does not accept.")
    # A listed tenant's tid with another tenant's issuer: the substituted issuer differs.
    with pytest.raises(TokenValidationError) as caught:
        await validator.validate(v2_app_token(keys.primary, PARTNER,
                                              iss=f"{LOGIN}/{STRANGER}/v2.0"))
    assert caught.value.description == (
        f"The token issuer '{LOGIN}/{STRANGER}/v2.0' is not the expected issuer "
        f"'{LOGIN}/{PARTNER}/v2.0'.")


async def test_any_tenant_only_when_asked_unsafely(entra: Entra, keys: Any) -> None:
    validator = entra.validator(f"{LOGIN}/organizations", API_APP_ID,
                                unsafe_allow_any_tenant=True)
    assert (await validator.validate(v2_app_token(keys.primary, STRANGER))).tenant_id == (
        STRANGER)


async def test_a_key_bound_to_another_issuer(entra: Entra, keys: Any) -> None:
    """The MSA tenant's key (JWK ``issuer`` is concrete) cannot sign for a work tenant."""
    validator = entra.validator(f"{LOGIN}/{TENANT}", API_APP_ID)
    with pytest.raises(TokenValidationError) as caught:
        await validator.validate(v2_app_token(keys.rotated))
    assert caught.value.description == (
        f"The signing key '{keys.rotated.kid}' is not valid for the issuer "
        f"'{LOGIN}/{TENANT}/v2.0'.")


async def test_entra_v2_token_is_not_a_v1_token(entra: Entra, keys: Any) -> None:
    validator = entra.validator(f"{LOGIN}/{TENANT}", [API_APP_ID, API_URI], versions=["1.0"])
    with pytest.raises(TokenValidationError, match=r"The token version '2\.0' is not accepted"):
        await validator.validate(v2_app_token(keys.primary))
