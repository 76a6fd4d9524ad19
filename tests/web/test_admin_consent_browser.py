"""Admin consent in headless Chromium (Debian's ``chromium``, driven by Playwright).

A real ``credo serve`` over HTTPS; the users come from ``credo user create``; the browser
follows the consent URL to the sign-in page, signs in, sees the consent page (saved as
``artifacts/admin-consent.png``), accepts, and lands on the app's redirect URI, served here
by a tiny local HTTP server. The client's next token then carries the roles granted.
"""

from __future__ import annotations

import http.server
import importlib.util
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from typer.testing import CliRunner

from availability import require_or_skip
from browser import query
from credo.cli.api import Management
from credo.cli.main import app as credo_app
from live import ROOT, LiveServer
from support import claims_of

pytestmark = pytest.mark.slow
CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PASSWORD = "correct horse battery staple"
ROLE_ID = str(uuid.uuid4())


def _require_browser() -> None:
    if not CHROMIUM.exists():
        require_or_skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        require_or_skip("playwright is not installed (pip install -e '.[dev]')")


class _Landing(http.server.BaseHTTPRequestHandler):
    paths: list[str] = []

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        body = b"<!doctype html><title>Daemon</title><h1>Consent recorded</h1>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def landing() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Landing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/consent/done"
    finally:
        server.shutdown()
        server.server_close()


def _register(server: LiveServer, domain: str, redirect_uri: str) -> dict[str, Any]:
    with Management(server.data_dir) as api:
        tid = api.post(api.bootstrap_tenant, "/tenants", {"domain": domain})["id"]
        mail = api.post(tid, "/applications", {
            "displayName": "Contoso Mail API", "identifierUris": [f"api://{domain}/mail"],
            "appRoles": [{"id": ROLE_ID, "allowedMemberTypes": ["Application"],
                          "value": "Mail.Read", "displayName": "Read all mailboxes",
                          "description": "Allows the app to read every mailbox.",
                          "isEnabled": True}]})
        daemon = api.post(tid, "/applications", {
            "displayName": "Mail Archiver", "web": {"redirectUris": [redirect_uri]},
            "requiredResourceAccess": [{"resourceAppId": mail["appId"],
                                        "resourceAccess": [{"id": ROLE_ID, "type": "Role"}]}]})
        secret = api.post(tid, f"/applications/{daemon['id']}/addPassword",
                          {"passwordCredential": {"displayName": "browser test"}})
    return {"tid": tid, "api_uri": mail["identifierUris"][0], "client_id": daemon["appId"],
            "secret": secret["secretText"]}


def _create_admin(server: LiveServer, domain: str, folder: Path) -> str:
    password_file = folder / "password.txt"
    password_file.write_text(PASSWORD + "\n")
    upn = f"ada@{domain}"
    result = CliRunner().invoke(credo_app, [
        "user", "create", upn, "--tenant", domain, "--display-name", "Ada Admin",
        "--password-file", str(password_file), "--role", "Global Administrator",
        "--data-dir", str(server.data_dir)])
    assert result.exit_code == 0, result.output
    return upn


def _drive(consent_url: str, upn: str, redirect_uri: str, screenshot: Path) -> str:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=ARGS)
        try:
            page = browser.new_context(ignore_https_errors=True).new_page()
            page.goto(consent_url)
            page.get_by_label("Email, phone or user name").fill(upn)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.get_by_role("heading", name="Permissions requested").wait_for()
            assert page.get_by_text("Read all mailboxes").is_visible()
            assert page.get_by_text("Contoso Mail API").is_visible()
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
            page.get_by_role("button", name="Accept").click()
            page.wait_for_url(f"{redirect_uri}?**")
            page.get_by_role("heading", name="Consent recorded").wait_for()
            return page.url
        finally:
            browser.close()


def test_admin_consent_in_headless_chromium(live_server: LiveServer, landing: str,
                                            tmp_path: Path) -> None:
    _require_browser()
    domain = f"browser-{uuid.uuid4().hex[:8]}.test"
    world = _register(live_server, domain, landing)
    upn = _create_admin(live_server, domain, tmp_path)
    url = f"{live_server.url}/{domain}/adminconsent?" + urlencode({
        "client_id": world["client_id"], "redirect_uri": landing, "state": "from-chromium"})
    screenshot = ROOT / "artifacts" / "admin-consent.png"
    final = _drive(url, upn, landing, screenshot)
    assert query(final) == [("admin_consent", "True"), ("tenant", world["tid"]),
                            ("state", "from-chromium")]
    assert any(p.startswith("/consent/done?admin_consent=True") for p in _Landing.paths)
    assert screenshot.stat().st_size > 5000
    token = httpx.post(f"{live_server.url}/{world['tid']}/oauth2/v2.0/token", data={
        "grant_type": "client_credentials", "client_id": world["client_id"],
        "client_secret": world["secret"], "scope": f"{world['api_uri']}/.default"},
        verify=live_server.ssl_context(), timeout=30)
    assert token.status_code == 200, token.text
    assert claims_of(token.json()["access_token"])["roles"] == ["Mail.Read"]
