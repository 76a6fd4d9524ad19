"""App registrations in the portal, in-process: registration, certificates and secrets,
the manifest with its problems in place, Expose an API, API permissions and admin consent.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from browser import Browser, forms
from credo import certs
from credo.cli.main import app as credo_app
from credo.service.runtime import Services
from support import directory_rows

from .conftest import Org, act, signed_in


@pytest.fixture(scope="module")
async def admin(services: Services, org: Org) -> Browser:
    return await signed_in(services, org, org.admin)


async def _register(admin: Browser, org: Org, name: str, **extra: str) -> str:
    """Registers ``name``; the object id of the new app."""
    page = await act(admin, org.home + "apps/new", {"name": name, "audience": "AzureADMyOrg",
                                                    "platform": "web", "redirect": "", **extra})
    assert page.status_code == 200, page.text[:2000]
    assert f"Registered {name}." in page.text
    return str(urlsplit(str(page.url)).path.split("/")[-1])


def _cert(days: int = 365) -> tuple[bytes, certs.Thumbprints]:
    now = datetime.now(UTC)
    _, cert = certs.create_self_signed("CN=portal test", now - timedelta(minutes=1),
                                       now + timedelta(days=days), 2048)
    return certs.certificate_pem(cert), certs.thumbprints(cert)


def _field_error(page: httpx.Response, field: str) -> str:
    """The message shown beside the form control ``field`` (its ``aria-describedby``)."""
    control = re.search(rf'<[^>]+id="{field}"[^>]*>', page.text)
    assert control and 'aria-invalid="true"' in control.group(0), page.text[:3000]
    error = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', page.text, re.S)
    assert error, page.text[:3000]
    return error.group(1)


async def test_registration_errors_are_beside_their_field(admin: Browser, org: Org,
                                                          services: Services) -> None:
    before = len(await services.directory.applications(org.tenant))
    page = await act(admin, org.home + "apps/new", {
        "name": " ", "audience": "AzureADMyOrg", "platform": "web", "redirect": "not a url"})
    assert page.status_code == 400
    assert "A display name is required." in _field_error(page, "name")
    assert _field_error(page, "redirect")
    assert 'value="not a url"' in page.text  # what was typed stays
    assert len(await services.directory.applications(org.tenant)) == before


async def test_overview_shows_the_ids_and_endpoints_to_copy(admin: Browser, org: Org,
                                                            services: Services) -> None:
    app_id = await _register(admin, org, "Overview app", redirect="https://app.example/cb")
    page = await admin.get(org.home + f"apps/{app_id}")
    app = await services.directory.application(org.tenant, app_id)
    base, tid = services.settings.base_url, org.tenant.id
    for value in (app.app_id, app.id, tid, f"{base}/{tid}/oauth2/v2.0/token",
                  f"{base}/{tid}/oauth2/token", f"{base}/{tid}/oauth2/v2.0/authorize",
                  f"{base}/{tid}/v2.0/.well-known/openid-configuration",
                  "https://app.example/cb"):
        assert f">{value}</code>" in page.text or value in page.text, value
    assert page.text.count('data-copy="') >= 9
    assert 'aria-label="Copy Application (client) ID"' in page.text


async def test_certificates_in_der_and_pem_and_a_bad_file(admin: Browser, org: Org,
                                                          services: Services) -> None:
    app_id = await _register(admin, org, "Cert app")
    url = org.home + f"apps/{app_id}/credentials"
    pem, prints = _cert()
    der = certs.certificate_der(certs.load_certificate(pem))
    done = await act(admin, url, {"action": "upload", "description": "as DER"},
                     files={"certificate": ("app.cer", der)})
    assert "Certificate uploaded." in done.text
    assert prints.sha1_hex in done.text and prints.sha256.hex().upper() in done.text
    soon, soon_prints = _cert(days=10)
    done = await act(admin, url, {"action": "upload", "description": "as PEM"},
                     files={"certificate": ("app.pem", soon)})
    assert soon_prints.sha1_hex in done.text and "Expires in 9 days" in done.text
    bad = await act(admin, url, {"action": "upload", "description": ""},
                    files={"certificate": ("app.cer", b"\x00\x01 not a certificate")})
    assert bad.status_code == 400 and _field_error(bad, "certificate")
    app = await services.directory.application(org.tenant, app_id)
    assert len(app.key_credentials) == 2
    key_id = app.key_credentials[0].key_id
    removed = await act(admin, url, {"action": "remove-key", "keyId": key_id})
    assert "Certificate removed." in removed.text and prints.sha1_hex not in removed.text


async def test_a_new_client_secret_is_shown_once(admin: Browser, org: Org,
                                                 services: Services) -> None:
    app_id = await _register(admin, org, "Secret app")
    url = org.home + f"apps/{app_id}/credentials"
    shown = await act(admin, url, {"action": "new-secret", "description": "ci",
                                   "expires": "90"})
    value = re.search(r'<span class="secret" id="secret-value">([^<]+)</span>', shown.text)
    assert value and len(value.group(1)) == 40
    assert shown.headers["cache-control"] == "no-store"
    assert 'data-copy="secret-value"' in shown.text
    again = await admin.get(url)
    assert value.group(1) not in again.text and f"{value.group(1)[:3]}***" in again.text
    app = await services.directory.application(org.tenant, app_id)
    (secret,) = app.password_credentials
    assert 89 <= (secret.end - secret.start).days <= 90


async def test_the_manifest_shows_each_problem_beside_its_member(
        admin: Browser, org: Org, services: Services) -> None:
    app_id = await _register(admin, org, "Manifest app")
    url = org.home + f"apps/{app_id}/manifest"
    doc = json.loads((await admin.get(url + "?download=1")).text)
    before = await services.directory.application(org.tenant, app_id)
    doc.update(signInAudience="Everyone", appRoles=[{
        "id": "nope", "value": "Two words", "displayName": "x", "description": "x",
        "allowedMemberTypes": ["Application"], "isEnabled": True}])
    page = await act(admin, url, {"action": "save", "manifest": json.dumps(doc, indent=2)})
    assert page.status_code == 400
    lines = _bad_lines(page.text)
    assert any('"signInAudience": "Everyone"' in text and "signInAudience: Must be" in problems
               for text, problems in lines)
    assert any('"id": "nope"' in text and "appRoles[0].id:" in problems
               for text, problems in lines)
    assert any('"value": "Two words"' in text and "appRoles[0].value:" in problems
               for text, problems in lines)
    assert await services.directory.application(org.tenant, app_id) == before


def _bad_lines(html: str) -> list[tuple[str, str]]:
    """(line text, problems shown under it) of every flagged line of the manifest view."""
    found = re.findall(r'<li id="line-\d+" class="bad">.*?<pre>(.*?)</pre>(.*?)</li>', html, re.S)
    return [(text.replace("&#34;", '"').replace("&#39;", "'"),
             problems.replace("&#34;", '"').replace("&#39;", "'")) for text, problems in found]


async def test_invalid_json_is_shown_at_its_line(admin: Browser, org: Org) -> None:
    app_id = await _register(admin, org, "Broken JSON app")
    page = await act(admin, org.home + f"apps/{app_id}/manifest",
                     {"action": "save", "manifest": '{\n  "displayName": "x",\n  oops\n}'})
    assert page.status_code == 400
    assert _bad_lines(page.text)[0][1].count("Line 3, column 3:") == 1


async def test_json_the_api_cannot_take_is_a_page_not_a_500(admin: Browser, org: Org,
                                                             services: Services) -> None:
    """Found by an attacker's probe: ``1e400`` (read as infinity) and deep nesting were 500s."""
    app_id = await _register(admin, org, "Out of range app")
    before = await directory_rows(services)
    for text, summary in (('{"displayName": 1e400}', "The manifest is not valid JSON."),
                          ('{"displayName": NaN}', "The manifest is not valid JSON."),
                          ("[" * 5000 + "]" * 5000, "The manifest cannot be read.")):
        page = await act(admin, org.home + f"apps/{app_id}/manifest",
                         {"action": "save", "manifest": text})
        assert page.status_code == 400 and summary in page.text, text[:20]
    assert await directory_rows(services) == before


async def test_a_pasted_keycredential_entry_and_an_uploaded_manifest(
        admin: Browser, org: Org, services: Services, tmp_path: Path) -> None:
    app_id = await _register(admin, org, "Paste app")
    pem, prints = _cert()
    (tmp_path / "c.pem").write_bytes(pem)
    made = CliRunner().invoke(credo_app, ["cert", "keycredential", str(tmp_path / "c.pem")])
    assert made.exit_code == 0, made.output
    url = org.home + f"apps/{app_id}/manifest"
    doc: dict[str, Any] = json.loads((await admin.get(url + "?download=1")).text)
    doc["keyCredentials"] = [json.loads(made.output)]
    saved = await act(admin, url, {"action": "save", "manifest": json.dumps(doc)})
    assert "Manifest saved." in saved.text
    app = await services.directory.application(org.tenant, app_id)
    assert [k.sha1 for k in app.key_credentials] == [prints.sha1]
    doc = json.loads((await admin.get(url + "?download=1")).text)
    doc["displayName"] = "Uploaded app"
    uploaded = await act(admin, url, {"action": "upload"},
                         files={"file": ("m.json", json.dumps(doc).encode())})
    assert "Manifest saved." in uploaded.text and "Uploaded app" in uploaded.text


async def test_download_is_the_manifest_as_an_attachment(admin: Browser, org: Org) -> None:
    app_id = await _register(admin, org, "Download me / please")
    got = await admin.get(org.home + f"apps/{app_id}/manifest?download=1")
    assert got.headers["content-disposition"] == 'attachment; filename="Download-me-please.json"'
    assert json.loads(got.text)["displayName"] == "Download me / please"
    assert "@odata.context" not in got.text


async def test_expose_an_api(admin: Browser, org: Org, services: Services) -> None:
    app_id = await _register(admin, org, "Exposed API")
    url = org.home + f"apps/{app_id}/expose"
    bad = await act(admin, url, {"action": "add-role", "displayName": "Read", "value": "Has space",
                                 "description": "d", "memberTypes": "Application"})
    assert bad.status_code == 400 and "Must not contain spaces." in _field_error(bad, "role-value")
    await act(admin, url, {"action": "uri", "identifierUri": f"api://exposed-{app_id[:8]}"})
    await act(admin, url, {"action": "add-role", "displayName": "Read", "value": "Thing.Read",
                           "description": "Read things", "memberTypes": "Both"})
    page = await act(admin, url, {"action": "add-scope", "value": "Thing.Use", "type": "User",
                                  "adminConsentDisplayName": "Use things",
                                  "adminConsentDescription": "Use them"})
    assert "Thing.Read" in page.text and f"api://exposed-{app_id[:8]}/Thing.Use" in page.text
    app = await services.directory.application(org.tenant, app_id)
    (role,), (scope,) = app.app_roles, app.oauth2_permission_scopes
    assert role.allowed_member_types == ("User", "Application") and scope.type == "User"
    refused = await act(admin, url, {"action": "delete", "id": role.id})
    assert refused.status_code == 400  # enabled: disable it first
    await act(admin, url, {"action": "disable", "id": role.id})
    await act(admin, url, {"action": "delete", "id": role.id})
    assert (await services.directory.application(org.tenant, app_id)).app_roles == ()


async def test_add_a_permission_then_grant_admin_consent(admin: Browser, org: Org,
                                                         services: Services) -> None:
    api_id = await _register(admin, org, "Consent API")
    await act(admin, org.home + f"apps/{api_id}/expose", {
        "action": "add-role", "displayName": "Read", "value": "Data.Read",
        "description": "Read data", "memberTypes": "Application"})
    client_id = await _register(admin, org, "Consent daemon")
    apis = await admin.get(org.home + f"apps/{client_id}/permissions/add")
    api_sp = await services.directory.service_principal(
        org.tenant, (await services.directory.application(org.tenant, api_id)).app_id)
    assert f"permissions/add/{api_sp.id}" in apis.text
    (role,) = (await services.directory.application(org.tenant, api_id)).app_roles
    added = await act(admin, org.home + f"apps/{client_id}/permissions/add/{api_sp.id}",
                      {f"role:{role.id}": "on"})
    assert "1 permission added." in added.text
    assert f"Not granted for {org.tenant.display_name}" in added.text
    consent = await _grant(admin, org, client_id, services)
    assert f"Admin consent granted for {org.tenant.display_name}" in consent.text
    assert f"Granted for {org.tenant.display_name}" in consent.text
    revoked = await act(admin, org.home + f"apps/{client_id}/permissions", {
        "action": "revoke", **_row_fields(consent.text, "revoke")})
    assert f"Not granted for {org.tenant.display_name}" in revoked.text
    removed = await act(admin, org.home + f"apps/{client_id}/permissions", {
        "action": "remove", **_row_fields(revoked.text, "remove")})
    assert "No permissions added." in removed.text


def _row_fields(html: str, button: str) -> dict[str, str]:
    form = next(f for f in forms(html) if button in f.buttons.get("action", []))
    return {k: v for k, v in form.fields.items() if k != "csrf"}


async def _grant(admin: Browser, org: Org, client_id: str,
                 services: Services) -> httpx.Response:
    """"Grant admin consent": Credo's consent page, Accept, back on API permissions."""
    page = await admin.get(org.home + f"apps/{client_id}/permissions")
    (form,) = [f for f in forms(page.text) if f.fields.get("action") == "consent"]
    sent = await admin.http.post(urlsplit(str(page.url)).path, data=form.fields)
    target = sent.headers["location"]
    query = dict(parse_qsl(urlsplit(target).query))
    assert target.startswith(f"{services.settings.base_url}/{org.tenant.id}/adminconsent?")
    assert query["redirect_uri"] == f"{services.settings.base_url}/portal/callback"
    consent = await admin.get(target)
    assert "Permissions requested" in consent.text
    return await admin.submit(consent, button=("action", "accept"))


async def test_delete_asks_first(admin: Browser, org: Org, services: Services) -> None:
    app_id = await _register(admin, org, "Short-lived app")
    confirm = await admin.get(org.home + f"apps/{app_id}/delete")
    assert "Delete app registration?" in confirm.text
    assert await services.directory.find_application(app_id) is not None
    gone = await act(admin, org.home + f"apps/{app_id}/delete", {})
    assert "Deleted Short-lived app." in gone.text
    assert await services.directory.find_application(app_id) is None


async def test_remove_a_secret(admin: Browser, org: Org, services: Services) -> None:
    app_id = await _register(admin, org, "Secret removal app")
    url = org.home + f"apps/{app_id}/credentials"
    await act(admin, url, {"action": "new-secret", "description": "old", "expires": "90"})
    (secret,) = (await services.directory.application(org.tenant, app_id)).password_credentials
    removed = await act(admin, url, {"action": "remove-secret", "keyId": secret.key_id})
    assert "Secret removed." in removed.text
    assert (await services.directory.application(org.tenant, app_id)).password_credentials == ()


async def test_delegated_permissions_are_granted_and_revoked_by_value(
        admin: Browser, org: Org, services: Services) -> None:
    api_id = await _register(admin, org, "Scoped API")
    for value in ("Notes.Read", "Notes.Write"):
        await act(admin, org.home + f"apps/{api_id}/expose", {
            "action": "add-scope", "value": value, "type": "User",
            "adminConsentDisplayName": value, "adminConsentDescription": value})
    client_id = await _register(admin, org, "Scoped client")
    api = await services.directory.application(org.tenant, api_id)
    api_sp = await services.directory.service_principal(org.tenant, api.app_id)
    await act(admin, org.home + f"apps/{client_id}/permissions/add/{api_sp.id}",
              {f"scope:{s.id}": "on" for s in api.oauth2_permission_scopes})
    granted = await _grant(admin, org, client_id, services)
    assert granted.text.count(f"Granted for {org.tenant.display_name}") == 2
    client_app = await services.directory.application(org.tenant, client_id)
    client_sp = await services.directory.service_principal(org.tenant, client_app.app_id)
    read = next(s for s in api.oauth2_permission_scopes if s.value == "Notes.Read")
    form = next(f for f in forms(granted.text) if f.fields.get("id") == read.id)
    await act(admin, org.home + f"apps/{client_id}/permissions", {
        "action": "revoke", **{k: v for k, v in form.fields.items() if k != "csrf"}})
    (grant,) = await services.store.flows.delegated_grants(org.tenant.id,
                                                           client_id=client_sp.id)
    assert grant.scope == "Notes.Write" and grant.consent_type == "AllPrincipals"
