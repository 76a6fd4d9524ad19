"""The seed's story in the portal, in headless Chromium (Debian's, driven by Playwright).

A real ``credo serve`` over HTTPS of its own (the story rotates its signing keys). A Global
Administrator signs in to the portal, registers the Mail API with an app role, registers
the daemon, uploads the certificate ``credo cert create`` made, adds the permission and
grants admin consent on Credo's consent page; the daemon, with MSAL, then gets a token
with the role; its sign-in shows in the Sign-in logs; the assignment is removed in
Enterprise applications and the daemon is refused. A plain user neither sees nor can do
what only administrators may; a manifest with errors shows each one beside its member; the
operator sees the tenants and rotates the signing keys. One screenshot per main page goes
to ``artifacts/portal/``, and axe-core finds no serious or critical violation on them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msal
import pytest
from typer.testing import CliRunner

from credo import certs
from credo.cli.api import Management
from credo.cli.main import app as credo_app
from live import LiveServer, start_server, stop_server
from support import claims_of

from .chromium import axe_script, launch, new_page, require_browser, serious_violations, shot

pytestmark = pytest.mark.slow
PASSWORD = "Portal story password 7"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(tmp_path_factory.mktemp("portal-live"))
    try:
        yield live
    finally:
        stop_server(live)


@pytest.fixture
def trust(server: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """MSAL (requests) trusts this server's CA (``REQUESTS_CA_BUNDLE`` wins over ``verify``)."""
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.setenv(name, str(server.ca_path))


@dataclass
class Story:
    server: LiveServer
    domain: str
    tid: str
    admin: str
    member: str
    operator: str
    cert: Path
    pages: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Name → (who, URL) of each main page visited, for the accessibility check."""

    @property
    def portal(self) -> str:
        return f"{self.server.url}/portal/{self.tid}"


def _cli(server: LiveServer, *args: str, data_dir: bool = True) -> str:
    extra = ["--data-dir", str(server.data_dir)] if data_dir else []
    result = CliRunner().invoke(credo_app, [*args, *extra])
    assert result.exit_code == 0, result.output
    return result.output


def _user(server: LiveServer, folder: Path, upn: str, *roles: str) -> str:
    secret = folder / "password.txt"
    secret.write_text(PASSWORD + "\n")
    _cli(server, "user", "create", upn, "--display-name", upn.split("@")[0].title(),
         "--password-file", str(secret), *(a for r in roles for a in ("--role", r)))
    return upn


@pytest.fixture(scope="module")
def story(server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Story:
    require_browser()
    folder = tmp_path_factory.mktemp("portal-story")
    domain = f"portal-{uuid.uuid4().hex[:8]}.test"
    with Management(server.data_dir) as api:
        tid = api.post(api.bootstrap_tenant, "/tenants", {"domain": domain})["id"]
    _cli(server, "cert", "create", "--subject", "CN=Mail daemon", "--days", "365",
         "--out", str(folder / "daemon"), data_dir=False)
    admin = "Global Administrator"
    operator = f"op-{uuid.uuid4().hex[:6]}@{server.settings.bootstrap_domain}"
    return Story(server, domain, tid, _user(server, folder, f"ada@{domain}", admin),
                 _user(server, folder, f"mia@{domain}"), _user(server, folder, operator, admin),
                 folder / "daemon")


# -- steps ---------------------------------------------------------------------------------
def sign_in(page: Any, story: Story, upn: str, organization: str) -> None:
    page.goto(f"{story.server.url}/portal/")
    page.get_by_label("Your organization's domain or tenant ID").fill(organization)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Email, phone or user name").fill(upn)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


def nav(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="Portal").get_by_role("link", name=name).click()


def tab(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="App registration").get_by_role("link",
                                                                       name=name).click()


def visit(page: Any, story: Story, name: str, who: str = "") -> None:
    """Remember the page for axe, check it fits a laptop's width (no sideways scrolling of
    the page: wide tables scroll inside their own box), and take its screenshot."""
    story.pages[name] = (who or story.admin, page.url)
    wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"{name} is {wide}px wider than the window"
    shot(page, name)


def register(page: Any, story: Story, name: str) -> str:
    nav(page, "App registrations")
    page.get_by_role("link", name="New registration").click()
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Register").click()
    page.get_by_role("heading", name=name).wait_for()
    return str(page.locator("#app-id").inner_text())


def expose_mail_api(page: Any, story: Story, uri: str) -> None:
    tab(page, "Expose an API")
    page.get_by_role("textbox", name="Application ID URI").fill(uri)
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved.").wait_for()
    page.get_by_label("Display name", exact=True).fill("Read all mailboxes")
    page.get_by_label("Applications", exact=True).check()
    page.locator("#role-value").fill("Mail.Read")
    page.locator("#role-description").fill("Allows the app to read every mailbox.")
    page.get_by_role("button", name="Create app role").click()
    page.get_by_role("cell", name="Mail.Read", exact=True).wait_for()
    visit(page, story, "expose-an-api")


def upload_certificate(page: Any, story: Story) -> None:
    tab(page, "Certificates & secrets")
    page.get_by_label("Certificate file (.cer, .crt or .pem; DER or PEM)").set_input_files(
        str(story.cert.with_suffix(".cer")))
    page.locator("#description").fill("made by credo cert create")
    page.get_by_role("button", name="Upload certificate").click()
    page.get_by_text("Certificate uploaded.").wait_for()
    prints = certs.thumbprints(certs.load_certificate(story.cert.with_suffix(".pem")
                                                      .read_bytes()))
    cell = page.get_by_role("cell").filter(has_text=prints.sha1_hex)
    assert f"SHA-256 {prints.sha256.hex().upper()}" in cell.inner_text()
    visit(page, story, "certificates-and-secrets")


def add_permission_and_consent(page: Any, story: Story) -> None:
    tab(page, "API permissions")
    page.get_by_role("link", name="Add a permission").click()
    page.get_by_role("link", name="Mail API").click()
    page.get_by_role("checkbox", name="Mail.Read").check()
    page.get_by_role("button", name="Add permissions").click()
    page.get_by_text(f"Not granted for {story.domain}").wait_for()
    page.get_by_role("button", name=f"Grant admin consent for {story.domain}").click()
    page.get_by_role("heading", name="Permissions requested").wait_for()
    shot(page, "admin-consent")
    page.get_by_role("button", name="Accept").click()
    page.get_by_text(f"Admin consent granted for {story.domain}").wait_for()
    page.get_by_role("cell", name=f"✓ Granted for {story.domain}").wait_for()
    visit(page, story, "api-permissions")


def daemon_token(story: Story, client_id: str, api_uri: str) -> dict[str, Any]:
    """What MSAL gets for the daemon (a fresh app: no cached token)."""
    daemon = msal.ConfidentialClientApplication(
        client_id, authority=f"{story.server.url}/{story.tid}", instance_discovery=False,
        client_credential={"private_key": story.cert.with_suffix(".key.pem").read_text(),
                           "public_certificate": story.cert.with_suffix(".pem").read_text()})
    return dict(daemon.acquire_token_for_client([f"{api_uri}/.default"]))


def sign_in_log(page: Any, story: Story) -> None:
    nav(page, "Sign-in logs")
    page.get_by_label("Application").select_option(label="Mail daemon")
    page.get_by_role("button", name="Apply").click()
    row = page.get_by_role("row").filter(has_text="Mail daemon").first
    row.wait_for()
    assert "Success" in row.inner_text() and "Mail API" in row.inner_text()
    visit(page, story, "sign-in-logs")


def failures(page: Any, story: Story) -> None:
    """The refusal in the Sign-in logs, failures only, with its AADSTS code and message."""
    nav(page, "Sign-in logs")
    page.get_by_label("Application").select_option(label="Mail daemon")
    page.get_by_label("Failures only").check()
    page.get_by_role("button", name="Apply").click()
    row = page.get_by_role("row").filter(has_text="AADSTS501051").first
    row.wait_for()
    assert "Failure" in row.inner_text()
    assert page.get_by_role("row").filter(has_text="Success").count() == 0
    visit(page, story, "sign-in-logs-failures")


def remove_assignment(page: Any, story: Story) -> None:
    nav(page, "Enterprise applications")
    visit(page, story, "enterprise-applications")
    page.get_by_role("link", name="Mail daemon").click()
    row = page.get_by_role("row").filter(has_text="Mail.Read")
    assert story.admin in row.inner_text()  # who granted it: the directory audit log
    visit(page, story, "enterprise-application")
    page.get_by_role("button", name="Remove Mail.Read from Mail API").click()
    page.get_by_text("Permission removed.").wait_for()


def refused(story: Story, client_id: str, api_uri: str) -> dict[str, Any]:
    """The daemon's next token requests until refused (the propagation bound is 1 s)."""
    for _ in range(20):
        result = daemon_token(story, client_id, api_uri)
        if "access_token" not in result:
            return result
        time.sleep(0.5)
    raise AssertionError("the daemon still gets tokens after the assignment was removed")


def manifest_errors(page: Any, story: Story) -> None:
    """Two bad members: each message beside its own line, nothing saved."""
    nav(page, "App registrations")
    page.get_by_role("link", name="Mail daemon").click()
    tab(page, "Manifest")
    editor = page.get_by_label("Manifest", exact=True)
    text = editor.input_value().replace('"signInAudience": "AzureADMyOrg"',
                                        '"signInAudience": "Everyone"')
    text = text.replace('"appRoles": []', '"appRoles": [{"id": "not-a-guid", "value": '
                        '"Mail Read", "displayName": "x", "description": "x", '
                        '"allowedMemberTypes": ["Application"], "isEnabled": true}]')
    editor.fill(text)
    page.get_by_role("button", name="Save").click()
    page.get_by_role("heading", name="The manifest you sent, with its problems").wait_for()
    audience = page.locator("li.bad", has_text='"signInAudience": "Everyone"')
    assert "signInAudience: Must be 'AzureADMyOrg' or 'AzureADMultipleOrgs'" in \
        audience.inner_text()
    assert "appRoles[0].id" in page.locator("li.bad", has_text='"id": "not-a-guid"').inner_text()
    assert "appRoles[0].value" in page.locator("li.bad", has_text='"value": "Mail Read"') \
        .inner_text()
    visit(page, story, "manifest-with-errors")


def plain_user(browser: Any, story: Story, daemon_object_id: str) -> None:
    """Mia sees no administrator control, and the API refuses her when she tries anyway."""
    page, problems = new_page(browser)
    sign_in(page, story, story.member, story.domain)
    nav(page, "App registrations")
    assert page.get_by_role("link", name="New registration").count() == 0
    page.get_by_role("link", name="Mail daemon").click()
    assert page.get_by_role("link", name="Delete").count() == 0
    tab(page, "Certificates & secrets")
    assert page.get_by_role("button", name="Upload certificate").count() == 0
    assert page.get_by_role("button", name="New client secret").count() == 0
    tab(page, "API permissions")
    grant = page.get_by_role("button", name=f"Grant admin consent for {story.domain}")
    assert grant.is_disabled()
    assert "Only an administrator" in page.locator("#consent-why").inner_text()
    assert page.get_by_role("button", name="Revoke admin consent").count() == 0
    visit(page, story, "api-permissions-as-member", story.member)
    nav(page, "Users")
    assert page.get_by_role("link", name="New user").count() == 0
    page.goto(f"{story.portal}/apps/new")
    page.get_by_label("Name").fill("Mia's own app")
    page.get_by_role("button", name="Register").click()
    page.get_by_role("heading", name="You don't have access").wait_for()
    assert page.get_by_text("Insufficient privileges to complete the operation.").is_visible()
    assert page.get_by_text("Authorization_RequestDenied").is_visible()
    nav(page, "App registrations")
    assert page.get_by_role("link", name="Mia's own app").count() == 0
    assert problems == []


def operator(browser: Any, story: Story) -> None:
    page, problems = new_page(browser)
    sign_in(page, story, story.operator, story.server.settings.bootstrap_domain)
    nav(page, "Tenants")
    page.get_by_role("cell", name=story.tid).wait_for()
    visit(page, story, "tenants", story.operator)
    nav(page, "Signing keys")
    def kids(state: str) -> list[str]:
        rows = page.get_by_role("row").filter(has=page.get_by_role("cell", name=state,
                                                                    exact=True))
        return [row.inner_text().split()[0] for row in rows.all()]

    current, following = kids("Current"), kids("Next")
    page.get_by_role("button", name="Rotate signing keys").click()
    page.get_by_text("Rotated: the current key is now").wait_for()
    assert kids("Current") == following and current[0] in kids("Retired")
    visit(page, story, "signing-keys", story.operator)
    assert problems == []


def test_the_seed_story_in_the_portal(story: Story, trust: None) -> None:
    from playwright.sync_api import sync_playwright

    api_uri = f"api://mail-{story.domain.split('.')[0]}"
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page, problems = new_page(browser)
            sign_in(page, story, story.admin, story.domain)
            visit(page, story, "home")
            register(page, story, "Mail API")
            expose_mail_api(page, story, api_uri)
            client_id = register(page, story, "Mail daemon")
            visit(page, story, "app-overview")
            daemon_object_id = page.locator("#object-id").inner_text()
            upload_certificate(page, story)
            add_permission_and_consent(page, story)
            token = daemon_token(story, client_id, api_uri)
            assert claims_of(token["access_token"])["roles"] == ["Mail.Read"], token
            sign_in_log(page, story)
            remove_assignment(page, story)
            denied = refused(story, client_id, api_uri)
            assert "AADSTS501051" in denied.get("error_description", ""), denied
            failures(page, story)
            manifest_errors(page, story)
            nav(page, "App registrations")
            visit(page, story, "app-registrations")
            for name, label in (("users", "Users"), ("audit-logs", "Audit logs")):
                nav(page, label)
                visit(page, story, name)
            assert problems == [], problems
            plain_user(browser, story, daemon_object_id)
            operator(browser, story)
        except Exception:
            for context in browser.contexts:
                for n, open_page in enumerate(context.pages):
                    shot(open_page, f"failure-{n}")
            raise
        finally:
            browser.close()


def test_the_main_pages_pass_axe(story: Story) -> None:
    """After the story (which recorded them): no serious or critical axe-core violation."""
    from playwright.sync_api import sync_playwright

    if len(story.pages) < 10:
        pytest.skip("the story did not reach its pages")
    script = axe_script()
    found: dict[str, list[str]] = {}
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            for who in dict.fromkeys(who for who, _ in story.pages.values()):
                page, _ = new_page(browser)
                organization = (story.server.settings.bootstrap_domain
                                if who == story.operator else story.domain)
                sign_in(page, story, who, organization)
                for name, (visitor, url) in story.pages.items():
                    if visitor == who:
                        page.goto(url)
                        found[name] = serious_violations(page, script)
        finally:
            browser.close()
    assert {name: v for name, v in found.items() if v} == {}
    assert len(found) == len(story.pages)
