"""Bad input to the management API gets a clear Graph 400 naming the field, and writes nothing.

Regressions of what the fuzzers found (issue 8, finding 6): a lone surrogate in a JSON body
(``{"displayName":"\\ud800"}`` answered 500); display names holding control,
bidirectional-override or zero-width characters (consent-page spoofing) refused wherever a
display name is accepted; a path holding a newline answered the protocol's 404 instead of
Graph's; the OpenAPI document lists the Graph errors the API really answers.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from credo import certs
from credo.service.runtime import Services

from .conftest import call, unique_domain
from .fuzzing import Tables

REFUSED = ["\x00", "\x1f", "\x7f", "\x85", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
           "\u2066", "\u2067", "\u2068", "\u2069", "\u200b", "\u200c", "\u200d", "\ufeff",
           "\u200e", "\u2028", "\t", "\n"]
NAMES = [f"U+{ord(c):04X}" for c in REFUSED]
ACCEPTED = ["Café Ünïcödé", "東京 アプリ", "I \u2764\ufe0f mail", "Contoso\u00a0Mail", "Ω-API"]


def problem(char: str, position: int) -> str:
    return (f"Must not contain control, bidirectional-formatting or invisible characters "
            f"(U+{ord(char):04X} at position {position}).")


@pytest.fixture(scope="module")
async def tables(services: Services) -> AsyncIterator[Tables]:
    watched = Tables(services)
    yield watched
    watched.close()


async def refused(client: httpx.AsyncClient, tables: Tables, method: str, path: str,
                  headers: dict[str, str], body: Any, *, message: str,
                  target: str, detail: str) -> None:
    """A Graph 400 with exactly one field error, and no table changed."""
    before = await tables.read()
    response = await client.request(method, f"/v1.0{path}", content=json.dumps(body),
                                    headers={**headers, "content-type": "application/json"})
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("Request_BadRequest", message)
    assert error["details"] == [{"code": "Request_BadRequest", "target": target,
                                 "message": detail}]
    assert await tables.read() == before


@pytest.fixture(scope="module")
async def app(client: httpx.AsyncClient, operator: dict[str, str]) -> dict[str, Any]:
    return dict(await call(client, "POST", "/applications", operator,
                           {"displayName": "Plain name"}, expect=201))


async def test_a_lone_surrogate_is_a_400_naming_the_member(
        client: httpx.AsyncClient, tables: Tables, operator: dict[str, str],
        app: dict[str, Any]) -> None:
    """``{"displayName":"\\ud800"}`` was a 500 (SQLite could not encode it)."""
    surrogate = "Must be Unicode text: a lone UTF-16 surrogate is not a character."
    cases = [("POST", "/applications", {"displayName": "\ud800"}, "displayName"),
             ("PATCH", f"/applications/{app['id']}",
              {"appRoles": [{"displayName": "ok", "description": "x\udfff"}]},
              "appRoles[0].description"),
             ("POST", "/users", {"displayName": "u", "userPrincipalName": "a\ud800@credo.test",
                                 "passwordProfile": {"password": "Long enough 1!"}},
              "userPrincipalName"),
             ("POST", "/tenants", {"domain": "x.test", "\ud800": 1}, "\\ud800")]
    for method, path, body, target in cases:
        await refused(client, tables, method, path, operator, body,
                      message="The request body is not valid.", target=target,
                      detail=surrogate)


@pytest.mark.parametrize("char", REFUSED, ids=NAMES)
async def test_display_names_refuse_control_and_bidi_characters(
        client: httpx.AsyncClient, tables: Tables, operator: dict[str, str],
        app: dict[str, Any], char: str) -> None:
    name = f"Mail{char}API"
    manifest = "The manifest is not valid."
    await refused(client, tables, "POST", "/applications", operator, {"displayName": name},
                  message=manifest, target="displayName", detail=problem(char, 5))
    await refused(client, tables, "PATCH", f"/applications/{app['id']}", operator,
                  {"name": name}, message=manifest, target="name", detail=problem(char, 5))
    role = {"id": str(uuid.uuid4()), "allowedMemberTypes": ["Application"], "value": "R",
            "displayName": "Read", "description": name, "isEnabled": True}
    await refused(client, tables, "PATCH", f"/applications/{app['id']}", operator,
                  {"appRoles": [role]}, message=manifest, target="appRoles[0].description",
                  detail=problem(char, 5))
    scope = {"id": str(uuid.uuid4()), "value": "S", "type": "User", "isEnabled": True,
             "adminConsentDisplayName": "Use", "adminConsentDescription": "Use",
             "userConsentDisplayName": name}
    await refused(client, tables, "PATCH", f"/applications/{app['id']}", operator,
                  {"api": {"oauth2PermissionScopes": [scope]}}, message=manifest,
                  target="api.oauth2PermissionScopes[0].userConsentDisplayName",
                  detail=problem(char, 5))


@pytest.mark.parametrize("char", ["\u202e", "\x00", "\u200b"], ids=["RLO", "NUL", "ZWSP"])
async def test_every_other_display_name_refuses_them_too(
        client: httpx.AsyncClient, tables: Tables, operator: dict[str, str],
        app: dict[str, Any], char: str) -> None:
    """Credentials, users and tenants: one rule, the field named."""
    name = f"{char}evil"
    _, cert = certs.create_self_signed("CN=k", datetime.now(UTC),
                                       datetime.now(UTC) + timedelta(days=30))
    key = {"type": "AsymmetricX509Cert", "usage": "Verify", "displayName": name,
           "key": base64.b64encode(certs.certificate_der(cert)).decode()}
    await refused(client, tables, "POST", f"/applications/{app['id']}/addKey", operator,
                  {"keyCredential": key}, message="The request is not valid.",
                  target="keyCredential.displayName", detail=problem(char, 1))
    await refused(client, tables, "POST", f"/applications/{app['id']}/addPassword",
                  operator, {"passwordCredential": {"displayName": name}},
                  message="Invalid value specified for property "
                          "'passwordCredential.displayName' of resource 'Application'.",
                  target="passwordCredential.displayName", detail=problem(char, 1))
    user = {"displayName": name, "userPrincipalName": f"u{uuid.uuid4().hex[:6]}@credo.test",
            "passwordProfile": {"password": "Long enough password 1!"}}
    user_message = "Invalid value specified for property 'displayName' of resource 'User'."
    await refused(client, tables, "POST", "/users", operator, user, message=user_message,
                  target="displayName", detail=problem(char, 1))
    await refused(client, tables, "POST", "/tenants", operator,
                  {"domain": unique_domain("names"), "displayName": name},
                  message="Invalid value specified for property 'displayName' of resource "
                          "'Tenant'.", target="displayName", detail=problem(char, 1))


async def test_a_user_rename_is_checked_too(client: httpx.AsyncClient, tables: Tables,
                                            operator: dict[str, str]) -> None:
    user = await call(client, "POST", "/users", operator, {
        "displayName": "Fine", "userPrincipalName": f"r{uuid.uuid4().hex[:6]}@credo.test",
        "passwordProfile": {"password": "Long enough password 1!"}}, expect=201)
    await refused(client, tables, "PATCH", f"/users/{user['id']}", operator,
                  {"displayName": "Ad\u202emin"},
                  message="Invalid value specified for property 'displayName' of resource "
                          "'User'.", target="displayName", detail=problem("\u202e", 3))


@pytest.mark.parametrize("name", ACCEPTED)
async def test_ordinary_unicode_names_are_kept(client: httpx.AsyncClient,
                                               operator: dict[str, str], name: str) -> None:
    created = await call(client, "POST", "/applications", operator, {
        "displayName": name, "appRoles": [{
            "id": str(uuid.uuid4()), "allowedMemberTypes": ["Application"], "value": "R",
            "displayName": name, "description": name, "isEnabled": True}]}, expect=201)
    assert created["displayName"] == created["appRoles"][0]["description"] == name
    secret = await call(client, "POST", f"/applications/{created['id']}/addPassword",
                        operator, {"passwordCredential": {"displayName": name}}, expect=200)
    assert secret["displayName"] == name


async def test_a_path_with_a_newline_gets_graph_s_404(client: httpx.AsyncClient,
                                                      operator: dict[str, str]) -> None:
    """Starlette's mount pattern stopped at the newline: the protocol's 404 answered."""
    response = await client.get("/v1.0/users/a%0Ab", headers=operator)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == "Request_ResourceNotFound"


async def test_the_document_lists_graph_errors_not_422(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/v1.0/openapi.json")).json()
    error = {"$ref": "#/components/schemas/GraphErrorBody"}
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "422" not in responses, (method, path)
            for status in ("400", "401", "403", "404", "409", "413"):
                assert responses[status]["content"]["application/json"]["schema"] == error
    assert "HTTPValidationError" not in spec["components"]["schemas"]


async def test_a_member_name_given_twice_is_a_400_naming_it(
        client: httpx.AsyncClient, tables: Tables, operator: dict[str, str],
        app: dict[str, Any]) -> None:
    """Found by an attacker's probe: ``{"displayName":"a","displayName":"b"}`` was read as
    its last value; an I-JSON body names each member once (RFC 7493 §2.3)."""
    cases = [("POST", "/applications", b'{"displayName":"a","displayName":"b"}',
              "displayName"),
             ("PATCH", f"/applications/{app['id']}",
              b'{"appRoles":[{"value":"x","value":"y"}]}', "value"),
             ("POST", "/tenants", b'{"domain":"x.test","\\ud800":1,"\\ud800":2}', "\\ud800")]
    for method, path, body, target in cases:
        before = await tables.read()
        response = await client.request(method, f"/v1.0{path}", content=body, headers={
            **operator, "content-type": "application/json"})
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert (error["code"], error["message"]) == ("Request_BadRequest",
                                                     "The request body is not valid.")
        assert error["details"] == [{
            "code": "Request_BadRequest", "target": target,
            "message": "Must appear once: the member names of a JSON object are unique."}]
        assert await tables.read() == before
