"""The sample mail API: Graph shapes, query options, and who may read which mailbox.

Tokens come from a fake authority (``conftest.py``); the last test uses real tokens from an
in-process Credo (``support.make_services``) to show the two fit together.
"""

from __future__ import annotations

import base64
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from example_fakes import (
    CONTOSO,
    EMPTY,
    FABRIKAM,
    HOST,
    MAIL_API_URI,
    MakeApi,
    app_claims,
    sign,
    user_claims,
)
from examples.mail_api import MailStore, Settings, create_app
from examples.mail_api.seed import MAIL, PEOPLE, mailboxes_for, seed_tenant

from credo import certs
from credo.resource import TokenValidator
from credo.service.runtime import close_services
from support import (
    BASE_URL,
    asgi_client,
    bearer,
    make_services,
    operator_token,
    token_with_certificate,
)

ANA = "ana.torres@contoso.example"
BEN = "ben.okafor@contoso.example"
CONTOSO_BOXES = {b.user_principal_name: b for b in mailboxes_for(CONTOSO, "contoso.example")}
UNREAD_OF_ANA = sum(1 for m in MAIL if m.to == 0 and not m.is_read)
MAIL_OF_ANA = sum(1 for m in MAIL if m.to == 0)


def challenge(response: httpx.Response) -> dict[str, str]:
    """The parameters of the RFC 6750 ``WWW-Authenticate: Bearer …`` challenge."""
    header = response.headers["www-authenticate"]
    assert header.startswith("Bearer")
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


def assert_refused(response: httpx.Response, status: int, error: str) -> dict[str, str]:
    assert response.status_code == status, response.text
    params = challenge(response)
    assert params["error"] == error
    assert response.json()["error"] == error
    assert response.json()["error_description"] == params["error_description"]
    return params


# -- what a daemon sees ------------------------------------------------------------------


async def test_daemon_lists_mailboxes_and_unread_mail(make_api: MakeApi) -> None:
    api = await make_api()
    users = await api.get("/v1.0/users", app_claims())
    assert users.status_code == 200, users.text
    body = users.json()
    assert body["@odata.context"] == "https://mail.test/v1.0/$metadata#users"
    assert [u["userPrincipalName"] for u in body["value"]] == sorted(
        (f"{p.alias}@contoso.example" for p in PEOPLE),
        key=lambda upn: CONTOSO_BOXES[upn].display_name)
    ana = next(u for u in body["value"] if u["userPrincipalName"] == ANA)
    assert ana == CONTOSO_BOXES[ANA].to_graph()
    assert set(ana) == {"id", "displayName", "givenName", "surname", "mail",
                        "userPrincipalName", "jobTitle", "officeLocation"}

    unread = await api.get(f"/v1.0/users/{ana['id']}/messages", app_claims(),
                           **{"$filter": "isRead eq false"})
    assert unread.status_code == 200
    messages = unread.json()["value"]
    assert len(messages) == UNREAD_OF_ANA > 0
    assert all(m["isRead"] is False for m in messages)
    received = [m["receivedDateTime"] for m in messages]
    assert received == sorted(received, reverse=True)
    first = messages[0]
    assert set(first) >= {"id", "subject", "bodyPreview", "from", "toRecipients", "body",
                          "receivedDateTime", "importance", "isRead"}
    assert first["toRecipients"] == [{"emailAddress": {"name": "Ana Torres", "address": ANA}}]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first["receivedDateTime"])

    read = await api.get(f"/v1.0/users/{ANA}/messages", app_claims(),
                         **{"$filter": "isRead eq true"})
    assert len(read.json()["value"]) == MAIL_OF_ANA - UNREAD_OF_ANA
    assert all(m["isRead"] for m in read.json()["value"])


async def test_upn_lookup_is_case_insensitive_and_unknown_users_are_404(
        make_api: MakeApi) -> None:
    api = await make_api()
    by_upn = await api.get(f"/v1.0/users/{ANA.upper()}", app_claims())
    assert by_upn.status_code == 200 and by_upn.json()["id"] == CONTOSO_BOXES[ANA].id
    missing = await api.get("/v1.0/users/nobody@contoso.example/messages", app_claims())
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "Request_ResourceNotFound"


async def test_events_and_contacts_need_their_own_roles(make_api: MakeApi) -> None:
    api = await make_api()
    ana = CONTOSO_BOXES[ANA].id
    calendar = app_claims(roles=("Calendars.Read",))
    events = await api.get(f"/v1.0/users/{ana}/events", calendar)
    assert events.status_code == 200
    starts = [e["start"]["dateTime"] for e in events.json()["value"]]
    assert starts and starts == sorted(starts)
    assert events.json()["value"][0]["start"]["timeZone"] == "UTC"
    # Any one of the three permissions lists the mailboxes: a calendar daemon must find them.
    assert (await api.get("/v1.0/users", calendar)).status_code == 200
    params = assert_refused(await api.get(f"/v1.0/users/{ana}/messages", calendar), 403,
                            "insufficient_scope")
    assert "Mail.Read" in params["error_description"]
    assert params["realm"] == MAIL_API_URI
    assert_refused(await api.get(f"/v1.0/users/{ana}/contacts", calendar), 403,
                   "insufficient_scope")

    contacts = await api.get(f"/v1.0/users/{ana}/contacts", app_claims(
        roles=("Contacts.Read",)))
    assert contacts.status_code == 200
    assert contacts.json()["value"][0]["emailAddresses"][0]["address"].endswith(".example")


async def test_a_token_without_roles_is_refused(make_api: MakeApi) -> None:
    api = await make_api()
    for path in ("/v1.0/users", f"/v1.0/users/{ANA}/messages", f"/v1.0/users/{ANA}/events"):
        assert_refused(await api.get(path, app_claims(roles=())), 403, "insufficient_scope")


async def test_no_token_and_bad_tokens_are_401(make_api: MakeApi, stranger_key: Any) -> None:
    api = await make_api()
    bare = await api.get("/v1.0/users")
    assert bare.status_code == 401
    assert bare.headers["www-authenticate"] == f'Bearer realm="{MAIL_API_URI}"'

    garbage = await api.http.get("/v1.0/users", headers={"Authorization": "Bearer not.a.jwt"})
    assert_refused(garbage, 401, "invalid_token")
    forged = await api.http.get("/v1.0/users",
                                headers=bearer(sign(stranger_key, app_claims())))
    assert_refused(forged, 401, "invalid_token")
    wrong_audience = {**app_claims(), "aud": "api://someone-else"}
    assert_refused(await api.get("/v1.0/users", wrong_audience), 401, "invalid_token")
    expired = {**app_claims(), "exp": int(datetime(2020, 1, 1, tzinfo=UTC).timestamp())}
    assert "expired" in assert_refused(await api.get("/v1.0/users", expired), 401,
                                       "invalid_token")["error_description"]


async def test_v1_and_v2_tokens_are_both_accepted(make_api: MakeApi) -> None:
    api = await make_api()
    for version in ("1.0", "2.0"):
        response = await api.get("/v1.0/users", app_claims(version=version))
        assert response.status_code == 200, (version, response.text)


async def test_app_only_token_on_me_is_403(make_api: MakeApi) -> None:
    api = await make_api()
    for path in ("/v1.0/me", "/v1.0/me/messages", "/v1.0/me/events", "/v1.0/me/contacts"):
        params = assert_refused(await api.get(path, app_claims(
            roles=("Mail.Read", "Calendars.Read", "Contacts.Read"))), 403, "insufficient_scope")
        assert "signed-in user" in params["error_description"]


# -- what a signed-in user sees ----------------------------------------------------------


async def test_delegated_caller_reads_only_their_own_mailbox(make_api: MakeApi) -> None:
    api = await make_api()
    ana = user_claims(ANA, scp="Mail.Read User.Read")
    mine = await api.get("/v1.0/me/messages", ana)
    assert mine.status_code == 200
    assert len(mine.json()["value"]) == min(MAIL_OF_ANA, 10)
    assert all(m["toRecipients"][0]["emailAddress"]["address"] == ANA
               for m in mine.json()["value"])
    me = await api.get("/v1.0/me", ana)
    assert me.status_code == 200 and me.json()["userPrincipalName"] == ANA

    own_by_id = await api.get(f"/v1.0/users/{CONTOSO_BOXES[ANA].id}/messages", ana)
    assert own_by_id.status_code == 200
    listed = await api.get("/v1.0/users", ana)
    assert [u["userPrincipalName"] for u in listed.json()["value"]] == [ANA]

    params = assert_refused(await api.get(f"/v1.0/users/{BEN}/messages", ana), 403,
                            "insufficient_scope")
    assert "own mailbox" in params["error_description"]
    # A scope for mail is not a scope for the calendar.
    assert_refused(await api.get("/v1.0/me/events", ana), 403, "insufficient_scope")
    # An application permission's name in ``roles`` does not help a delegated token.
    with_roles = {**ana, "roles": ["Calendars.Read"]}
    assert_refused(await api.get("/v1.0/me/events", with_roles), 403, "insufficient_scope")
    calendar = user_claims(ANA, scp="Calendars.Read", version="1.0")
    assert (await api.get("/v1.0/me/events", calendar)).status_code == 200


async def test_delegated_caller_is_matched_by_object_id(make_api: MakeApi) -> None:
    api = await make_api()
    claims = user_claims("ana@legacy-alias.example", oid=CONTOSO_BOXES[ANA].id)
    response = await api.get("/v1.0/me", claims)
    assert response.status_code == 200 and response.json()["mail"] == ANA


async def test_user_without_a_mailbox(make_api: MakeApi) -> None:
    api = await make_api()
    stranger = user_claims("guest@contoso.example")
    response = await api.get("/v1.0/me/messages", stranger)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "MailboxNotEnabledForRESTAPI"
    assert (await api.get("/v1.0/users", stranger)).json()["value"] == []
    assert_refused(await api.get(f"/v1.0/users/{ANA}/messages", stranger), 403,
                   "insufficient_scope")


# -- tenants -------------------------------------------------------------------------------


async def test_single_tenant_api_refuses_other_tenants(make_api: MakeApi) -> None:
    api = await make_api()
    params = assert_refused(await api.get("/v1.0/users", app_claims(FABRIKAM)), 401,
                            "invalid_token")
    assert FABRIKAM in params["error_description"]


async def test_data_is_partitioned_by_the_tokens_tenant(make_api: MakeApi) -> None:
    """A multi-tenant API: each daemon sees its own tenant's mailboxes and nothing else."""
    api = await make_api(f"{HOST}/organizations", tenants=(CONTOSO, FABRIKAM, EMPTY))
    contoso = await api.get("/v1.0/users", app_claims(CONTOSO))
    fabrikam = await api.get("/v1.0/users", app_claims(FABRIKAM))
    contoso_upns = {u["userPrincipalName"] for u in contoso.json()["value"]}
    fabrikam_upns = {u["userPrincipalName"] for u in fabrikam.json()["value"]}
    assert contoso_upns == set(CONTOSO_BOXES)
    assert fabrikam_upns and all(u.endswith("@fabrikam.example") for u in fabrikam_upns)
    assert contoso_upns.isdisjoint(fabrikam_upns)
    ids = {u["id"] for u in contoso.json()["value"]}
    assert ids.isdisjoint(u["id"] for u in fabrikam.json()["value"])

    for user in (ANA, CONTOSO_BOXES[ANA].id):
        for path in (f"/v1.0/users/{user}", f"/v1.0/users/{user}/messages"):
            assert (await api.get(path, app_claims(FABRIKAM))).status_code == 404
    assert (await api.get("/v1.0/users", app_claims(EMPTY))).json()["value"] == []
    # A user of another tenant who happens to have the same name sees nothing of Contoso.
    stranger = user_claims(ANA, tenant=FABRIKAM)
    assert (await api.get("/v1.0/me/messages", stranger)).status_code == 404
    # Tenants outside the allow-list are refused by the validator.
    outsider = "11111111-2222-4333-8444-555555555555"
    assert_refused(await api.get("/v1.0/users", app_claims(outsider)), 401, "invalid_token")


# -- OData query options ---------------------------------------------------------------------


async def test_paging_with_top_and_next_link(make_api: MakeApi) -> None:
    api = await make_api()
    seen: list[str] = []
    url: str | None = f"/v1.0/users/{ANA}/messages?$top=1"
    pages = 0
    while url:
        response = await api.http.get(url, headers=api.token(app_claims()))
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["value"]) == 1
        seen.extend(m["id"] for m in page["value"])
        url = page.get("@odata.nextLink")
        pages += 1
    assert pages == MAIL_OF_ANA == len(set(seen))
    everything = await api.get(f"/v1.0/users/{ANA}/messages", app_claims(), **{"$top": "50"})
    assert [m["id"] for m in everything.json()["value"]] == seen
    assert "@odata.nextLink" not in everything.json()


async def test_select_returns_the_named_properties_and_id(make_api: MakeApi) -> None:
    api = await make_api()
    response = await api.get(f"/v1.0/users/{ANA}/messages", app_claims(),
                             **{"$select": "subject, isRead"})
    assert all(set(m) == {"id", "subject", "isRead"} for m in response.json()["value"])
    users = await api.get("/v1.0/users", app_claims(), **{"$select": "displayName"})
    assert all(set(u) == {"id", "displayName"} for u in users.json()["value"])


@pytest.mark.parametrize(("path", "params", "fragment"), [
    ("messages", {"$filter": "subject eq 'x'"}, "isRead eq"),
    ("messages", {"$top": "0"}, "$top"),
    ("messages", {"$top": "1001"}, "$top"),
    ("messages", {"$skip": "-1"}, "$skip"),
    ("messages", {"$top": "²"}, "$top"),
    ("messages", {"$select": "subject,secret"}, "'secret'"),
    ("messages", {"$orderby": "subject"}, "$orderby"),
    ("events", {"$filter": "isRead eq false"}, "$filter"),
])
async def test_bad_query_options_are_graph_400s(make_api: MakeApi, path: str,
                                                params: dict[str, str], fragment: str) -> None:
    api = await make_api()
    roles = ("Mail.Read", "Calendars.Read")
    response = await api.get(f"/v1.0/users/{ANA}/{path}", app_claims(roles=roles), **params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "BadRequest" and fragment in error["message"]


async def test_health_needs_no_token(make_api: MakeApi) -> None:
    api = await make_api()
    assert (await api.get("/health")).json() == {"status": "ok"}


# -- the store and the seed ----------------------------------------------------------------


def test_seed_is_deterministic_and_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "mail.db"
    first = MailStore(path)
    boxes = seed_tenant(first, CONTOSO, "Contoso.Example")
    assert seed_tenant(first, CONTOSO, "contoso.example") == boxes
    page = first.mailboxes(CONTOSO, top=100)
    assert len(page.items) == len(PEOPLE) and not page.more
    first.close()
    again = MailStore(path)  # the file keeps the data; ids do not depend on the process
    assert again.mailboxes(CONTOSO, top=100).items == page.items
    assert MailStore().mailboxes(CONTOSO, top=100).items == []
    fresh = MailStore()
    seed_tenant(fresh, CONTOSO, "contoso.example")
    assert [b.id for b in fresh.mailboxes(CONTOSO, top=100).items] == [
        b.id for b in page.items]
    again.close()
    fresh.close()


# -- real tokens from Credo ------------------------------------------------------------------


async def test_tokens_issued_by_credo_are_accepted(tmp_path: Path) -> None:
    """An in-process Credo issues the daemon's token; the API validates it against Credo's
    own discovery document and JWKS (through the same in-process transport)."""
    services = await make_services(tmp_path)
    try:
        async with asgi_client(services) as credo:
            root = bearer(await operator_token(credo, services))

            async def call(method: str, path: str, headers: dict[str, str],
                           body: Any = None) -> Any:
                response = await credo.request(method, f"/v1.0{path}", headers=headers,
                                               json=body)
                assert response.status_code in (200, 201), response.text
                return response.json()

            tenant = await call("POST", "/tenants", root, {"domain": "contoso.example"})
            admin = bearer(await operator_token(credo, services, tenant["id"]))
            roles = {name: str(uuid.uuid4()) for name in
                     ("Mail.Read", "Calendars.Read", "Contacts.Read")}
            api_app = await call("POST", "/applications", admin, {
                "displayName": "Mail API", "identifierUris": [MAIL_API_URI],
                "appRoles": [{"allowedMemberTypes": ["Application"], "value": name,
                              "displayName": name, "description": f"{name} as the app",
                              "id": role_id, "isEnabled": True}
                             for name, role_id in roles.items()]})
            daemon = await call("POST", "/applications", admin, {"displayName": "Daemon"})
            start = datetime.now(UTC) - timedelta(hours=1)
            key, cert = certs.create_self_signed("CN=daemon", start, start + timedelta(days=7))
            prints = certs.thumbprints(cert)
            await call("POST", f"/applications/{daemon['id']}/addKey", admin, {
                "keyCredential": {
                    "customKeyIdentifier": prints.sha1_b64, "keyId": str(uuid.uuid4()),
                    "type": "AsymmetricX509Cert", "usage": "Verify",
                    "key": base64.b64encode(certs.certificate_der(cert)).decode(),
                    "displayName": "daemon"},
                "passwordCredential": None, "proof": None})
            api_sp = await call("GET", f"/servicePrincipals(appId='{api_app['appId']}')", admin)
            daemon_sp = await call("GET", f"/servicePrincipals(appId='{daemon['appId']}')",
                                   admin)
            await call("POST", f"/servicePrincipals/{api_sp['id']}/appRoleAssignedTo", admin,
                       {"principalId": daemon_sp["id"], "resourceId": api_sp["id"],
                        "appRoleId": roles["Mail.Read"]})
            token = await token_with_certificate(credo, tenant["id"], daemon["appId"], key,
                                                 cert, scope=f"{MAIL_API_URI}/.default")

            validator = TokenValidator(f"{BASE_URL}/contoso.example",
                                       (MAIL_API_URI, api_app["appId"]), http_client=credo)
            app = create_app(Settings(
                authority=f"{BASE_URL}/contoso.example",
                audiences=(MAIL_API_URI, api_app["appId"]),
                seed=((tenant["id"], "contoso.example"),), validator=validator))
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                         base_url="https://mail.test") as mail:
                users = await mail.get("/v1.0/users", headers=bearer(token))
                assert users.status_code == 200, users.text
                assert {u["userPrincipalName"] for u in users.json()["value"]} == set(
                    CONTOSO_BOXES)
                unread = await mail.get(f"/v1.0/users/{ANA}/messages", headers=bearer(token),
                                        params={"$filter": "isRead eq false"})
                assert len(unread.json()["value"]) == UNREAD_OF_ANA
                events = await mail.get(f"/v1.0/users/{ANA}/events", headers=bearer(token))
                assert_refused(events, 403, "insufficient_scope")
    finally:
        await close_services(services)
