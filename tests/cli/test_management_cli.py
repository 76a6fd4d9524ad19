"""The management CLI (tenant, app, consent, keys, token) against a real ``credo serve``.

The slow tests walk the issue's daemon story, steps 1-8, through Typer's CliRunner with the
live server's data dir: the CLI authenticates as the operator app with the certificate
``credo init`` wrote, over HTTPS trusting the local CA. The fast tests pin the error
output with an ``httpx.MockTransport`` in place of the server.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer
from typer.testing import CliRunner, Result

from credo import certs
from credo.cli.api import Management
from credo.cli.common import CliError, handle_errors
from credo.cli.logs import since
from credo.cli.main import app as credo_app
from credo.config import load_settings, write_settings
from credo.errors import BadRequest, NotFound
from live import LiveServer

from .conftest import failed, ok, ok_json, run

slow = pytest.mark.slow


@dataclass
class World:
    server: LiveServer
    domain: str
    tenant_id: str
    api_uri: str
    api_app_id: str
    daemon_app_id: str
    files: Path

    def dd(self) -> tuple[str, str]:
        return ("--data-dir", str(self.server.data_dir))

    def t(self) -> tuple[str, str]:
        return ("--tenant", self.domain)

    def token(self, *extra: str | Path) -> Result:
        return run("token", "get", self.daemon_app_id, "--tenant", self.domain, *extra,
                   *self.dd())

    def cert_token(self, name: str, *extra: str) -> Result:
        return self.token("--cert", self.files / f"{name}.pem", "--key",
                          self.files / f"{name}.key.pem", *extra)

    def roles(self, name: str = "superapp", *extra: str) -> list[str] | None:
        result = self.cert_token(name, "--scope", f"{self.api_uri}/.default", "--decode",
                                 "--json", *extra)
        if result.exit_code != 0:
            return None
        decoded = json.loads(result.stdout)
        assert decoded["signatureVerified"] is False
        return list(decoded["claims"].get("roles", []))


@pytest.fixture(scope="module")
def world(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> World:
    """Steps 1, 4 and 5: certificates, a tenant, an API with roles and a daemon client."""
    files = tmp_path_factory.mktemp("cli-files")
    for name in ("superapp", "superapp2"):
        ok("cert", "create", "--subject", f"CN=Contoso {name} Cert", "--days", "365",
           "--out", files / name)
    dd = ("--data-dir", str(live_server.data_dir))
    suffix = uuid.uuid4().hex[:8]
    domain, api_uri = f"contoso-{suffix}.example", f"api://mail-{suffix}"
    tenant = ok_json("tenant", "create", domain, "--profile", "entra", *dd)
    assert tenant["verifiedDomains"][0]["name"] == domain
    api = ok_json("app", "create", f"Mail API {suffix}", "--tenant", domain, "--identifier-uri",
                  api_uri, "--app-role", "Mail.Read", "--app-role", "Mail.Send", *dd)
    assert [r["value"] for r in api["appRoles"]] == ["Mail.Read", "Mail.Send"]
    assert all(r["allowedMemberTypes"] == ["Application"] for r in api["appRoles"])
    daemon = ok_json("app", "create", f"SuperApp daemon {suffix}", "-t", tenant["id"], *dd)
    return World(live_server, domain, tenant["id"], api_uri, api["appId"], daemon["appId"],
                 files)


@slow
def test_tenant_list_show_and_profile(world: World) -> None:
    listed = ok_json("tenant", "list", *world.dd())
    assert world.tenant_id in [t["id"] for t in listed]
    assert ok_json("tenant", "show", world.domain, *world.dd())["id"] == world.tenant_id
    assert ok_json("tenant", "show", "-t", world.domain, *world.dd())["id"] == world.tenant_id
    assert "strict" in ok("tenant", "set-profile", world.domain, "--profile", "strict",
                          *world.dd()).stdout
    back = ok_json("tenant", "set-profile", "--tenant", world.tenant_id, "--profile", "entra",
                   *world.dd())
    assert back["profile"] == "entra"
    assert world.domain in ok("tenant", "list", *world.dd()).stdout
    twice = failed("tenant", "show", world.domain, "-t", world.domain, *world.dd())
    assert (twice.exit_code, twice.stderr) == (2, "error: name the tenant once: `credo tenant "
                                                  "VERB TENANT` or --tenant TENANT\n")


@slow
def test_the_tenant_of_an_app_is_found_without_asking(world: World) -> None:
    dd = world.dd()
    name = ok_json("app", "show", world.api_app_id, *dd)["displayName"]
    for ref in (world.api_uri, name, world.api_app_id):
        assert ok_json("app", "show", ref, *dd)["appId"] == world.api_app_id
        assert ok_json("app", "show", ref, "-t", world.domain, *dd)["appId"] == world.api_app_id
    assert "Mail.Read, Mail.Send" in ok("app", "show", name, *dd).stdout
    apps = ok_json("app", "list", "--tenant", world.domain, *dd)
    assert {world.api_app_id, world.daemon_app_id} <= {a["appId"] for a in apps}
    other = ok_json("tenant", "create", f"twin-{uuid.uuid4().hex[:8]}.example", *dd)
    twin = f"Twin {uuid.uuid4().hex[:6]}"
    first = ok_json("app", "create", twin, "-t", world.domain, *dd)
    second = ok_json("app", "create", twin, "-t", other["id"], *dd)
    ambiguous = failed("app", "show", twin, *dd)
    names = {first["appId"]: world.domain, second["appId"]: other["verifiedDomains"][0]["name"]}
    assert ambiguous.exit_code == 2
    assert ambiguous.stderr.startswith(f"error: '{twin}' names 2 applications: ")
    for app_id, tenant in names.items():
        assert f"{twin} (appId {app_id}) in {tenant}" in ambiguous.stderr
    assert ambiguous.stderr.endswith("; give --tenant or the appId\n")
    assert ok_json("app", "show", twin, "-t", world.domain, *dd)["appId"] == first["appId"]
    assert ok_json("app", "show", second["appId"], *dd)["id"] == second["id"]
    nowhere = failed("app", "show", "No such app", *dd)
    assert (nowhere.exit_code, nowhere.stderr) == (
        1, "error: no application 'No such app' in any tenant\n")


@slow
def test_daemon_story_grant_token_revoke(world: World) -> None:
    """Steps 5-8: manifest with a pasted keyCredential, cert add, secret, consent, token."""
    dd, files, daemon = world.dd(), world.files, world.daemon_app_id
    # Step 5: Manage Manifest with the entry `credo cert keycredential` prints (step 3).
    entry = json.loads(ok("cert", "keycredential", files / "superapp.pem").stdout)
    manifest_path = files / "m.json"
    manifest_path.write_text(ok("app", "manifest", "get", daemon, *dd).stdout)
    manifest = json.loads(manifest_path.read_text())
    manifest["keyCredentials"].append(entry)
    manifest_path.write_text(json.dumps(manifest))
    ok("app", "manifest", "set", daemon, manifest_path, *dd)
    # Step 6: certificates and secrets, the app named by its display name, no tenant given.
    name = ok_json("app", "show", daemon, *dd)["displayName"]
    added = ok_json("app", "cert", "add", name, files / "superapp2.pem", *dd)
    listed = ok_json("app", "cert", "list", daemon, *dd)
    assert {entry["keyId"], added["keyId"]} <= {c["keyId"] for c in listed}
    secret = ok_json("app", "secret", "add", daemon, "--display-name", "ci", *dd)
    assert len(secret["secretText"]) >= 32
    assert secret["secretText"] not in ok("app", "secret", "list", daemon, *dd).stdout
    # Without consent the API requires an assignment: no token.
    refused = world.cert_token("superapp", "--scope", f"{world.api_uri}/.default")
    assert refused.exit_code != 0 and "error: AADSTS" in refused.stderr
    # Step 7: admin consent; granting twice says so and exits 0.
    granted = ok_json("consent", "grant", daemon, "--resource", world.api_uri, "--role",
                      "Mail.Read", *dd)
    assert (len(granted["granted"]), granted["alreadyGranted"]) == (1, [])
    again = ok("consent", "grant", daemon, "--resource", world.api_uri, "--role", "Mail.Read",
               "-t", world.domain, *dd)
    assert again.stdout == "already granted: Mail.Read\n"
    grants = ok_json("consent", "list", daemon, *dd)
    assert [g["appRoleId"] for g in grants] == [granted["granted"][0]["appRoleId"]]
    assert "Mail.Read" in ok("consent", "list", "-t", world.domain, *dd).stdout
    # Step 8: tokens with both certificates, a secret and the v1 endpoint.
    assert world.roles("superapp") == ["Mail.Read"]
    assert world.roles("superapp2") == ["Mail.Read"]
    secret_file = files / "secret.txt"
    secret_file.write_text(secret["secretText"] + "\n")
    raw = world.token("--secret-file", secret_file, "--scope", f"{world.api_uri}/.default")
    assert raw.exit_code == 0, raw.stderr
    assert raw.stdout.strip().count(".") == 2
    by_name = run("token", "get", name, "--secret-file", secret_file, "--scope",
                  f"{world.api_uri}/.default", *dd)
    assert by_name.exit_code == 0, by_name.stderr
    v1 = world.cert_token("superapp", "--v1", "--resource", world.api_uri, "--decode", "--json")
    assert v1.exit_code == 0, v1.stderr
    assert json.loads(v1.stdout)["claims"]["roles"] == ["Mail.Read"]
    # Revoking what is not granted says so and exits 0, as granting twice does.
    not_held = ok_json("consent", "revoke", daemon, "--resource", world.api_uri, "--role",
                       "Mail.Send", *dd)
    assert not_held == {"revoked": [], "notGranted": ["Mail.Send"]}
    assert ok("consent", "revoke", daemon, "--resource", world.api_uri, "--role", "Mail.Send",
              *dd).stdout == "not granted: Mail.Send\n"
    # Revoke: within the documented cache bound the next token carries no role (or none is
    # issued, since the API requires an assignment).
    revoked = ok("consent", "revoke", daemon, "--resource", world.api_uri, "--role",
                 "Mail.Read", *dd)
    assert revoked.stdout.startswith("revoked Mail.Read on Mail API")
    assert _eventually(lambda: world.roles("superapp") in (None, []), seconds=5.0)
    assert ok_json("consent", "list", daemon, *dd) == []
    nothing = ok("consent", "revoke", daemon, "--resource", world.api_uri, "--all", *dd)
    assert nothing.stdout.endswith(" holds no permission on "
                                   f"{ok_json('app', 'show', world.api_app_id, *dd)['displayName']}"
                                   ": nothing to revoke\n")


def _eventually(check: Callable[[], bool], *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)


@slow
def test_multi_tenant_client_is_installed_by_consent_then_disabled(world: World) -> None:
    dd = world.dd()
    other = ok_json("tenant", "create", f"fabrikam-{uuid.uuid4().hex[:8]}.example", *dd)
    client = ok_json("app", "create", "Fabrikam daemon", "--tenant", other["id"],
                     "--multi-tenant", "--token-version", "2", *dd)
    assert client["signInAudience"] == "AzureADMultipleOrgs"
    assert client["api"]["requestedAccessTokenVersion"] == 2
    failed("app", "sp", "show", client["appId"], *world.t(), *dd)
    ok("consent", "grant", client["appId"], *world.t(), "--resource", world.api_uri,
       "--role", "Mail.Send", *dd)
    sp = ok_json("app", "sp", "show", client["appId"], *world.t(), *dd)
    assert sp["appOwnerOrganizationId"] == other["id"] and sp["accountEnabled"] is True
    home_sp = ok_json("app", "sp", "show", client["appId"], *dd)
    assert home_sp["id"] != sp["id"]
    secret_file = world.files / "fabrikam-secret.txt"
    secret_file.write_text(ok_json("app", "secret", "add", client["appId"], *dd)["secretText"])

    def roles() -> list[str] | None:
        result = run("token", "get", client["appId"], "--tenant", world.tenant_id,
                     "--secret-file", secret_file, "--scope", f"{world.api_uri}/.default",
                     "--decode", "--json", *dd)
        return json.loads(result.stdout)["claims"].get("roles") if result.exit_code == 0 else None

    assert roles() == ["Mail.Send"]
    disabled = ok("app", "disable", client["appId"], *world.t(), *dd)
    assert disabled.stdout == (f"Fabrikam daemon (appId {client['appId']}) disabled (it gets "
                               f"no more tokens in this tenant) in {world.domain}\n")
    assert ok_json("app", "sp", "show", client["appId"], *world.t(), *dd)["accountEnabled"] is False
    assert _eventually(lambda: roles() is None, seconds=5.0)
    enabled = ok_json("app", "enable", client["appId"], *world.t(), *dd)
    assert (enabled["id"], enabled["accountEnabled"]) == (sp["id"], True)
    assert _eventually(lambda: roles() == ["Mail.Send"], seconds=5.0)
    ok("consent", "revoke", client["appId"], *world.t(), "--resource", world.api_uri, "--all",
       *dd)
    third = ok_json("tenant", "create", f"tailspin-{uuid.uuid4().hex[:8]}.example", *dd)
    installed = ok_json("app", "sp", "create", client["appId"], "--tenant", third["id"], *dd)
    assert installed["appId"] == client["appId"]


@slow
def test_credentials_removed_and_app_deleted(world: World) -> None:
    dd = world.dd()
    app = ok_json("app", "create", f"Short-lived {uuid.uuid4().hex[:6]}", *world.t(), *dd)
    added = ok_json("app", "cert", "add", app["appId"], world.files / "superapp.pem",
                    "--display-name", "laptop", *dd)
    assert added["displayName"] == "laptop"
    shown = json.loads(ok("cert", "show", world.files / "superapp.pem", "--json").stdout)
    table = ok("app", "cert", "list", app["appId"], *dd).stdout
    assert "thumbprint (SHA-256)" in table and shown["sha256Hex"] in table
    assert shown["sha1Hex"] in table
    removed = ok_json("app", "cert", "remove", app["appId"], shown["sha256Hex"].lower(), *dd)
    assert removed["keyId"] == added["keyId"]
    assert ok_json("app", "cert", "list", app["appId"], *dd) == []
    secret = ok_json("app", "secret", "add", app["appId"], *dd)
    ok("app", "secret", "remove", app["appId"], secret["keyId"], *dd)
    assert ok_json("app", "secret", "list", app["appId"], *dd) == []
    unconfirmed = failed("app", "delete", app["appId"], *dd)
    assert unconfirmed.exit_code == 2
    assert unconfirmed.stderr.endswith("error: not confirmed: add --yes to go ahead without a "
                                       "question\n")
    declined = CliRunner().invoke(credo_app, ["app", "delete", app["appId"], *dd], input="n\n")
    assert (declined.exit_code, declined.stderr.splitlines()[-1]) == (
        1, "error: cancelled; nothing was changed")
    assert ok_json("app", "show", app["appId"], *dd)["id"] == app["id"]
    deleted = ok_json("app", "delete", app["id"], "--yes", *dd)
    assert deleted["appId"] == app["appId"]
    gone = failed("app", "show", app["appId"], *dd)
    assert gone.stderr == f"error: no application '{app['appId']}' in any tenant\n"


@slow
def test_errors_are_one_line_with_details(world: World) -> None:
    dd = world.dd()
    unknown = failed("app", "list", "--tenant", "nowhere.example", *dd)
    assert unknown.stderr == ("error: unknown tenant 'nowhere.example'\n"
                              "hint: `credo tenant list` shows the tenants\n")
    bad = world.files / "bad.json"
    bad.write_text(json.dumps({"signInAudience": "Everyone", "identifierUris": [7]}))
    refused = failed("app", "manifest", "set", world.api_app_id, bad, *dd)
    lines = refused.stderr.splitlines()
    assert lines[0].startswith("error: ")
    assert any(line.strip().startswith("signInAudience: ") for line in lines[1:])
    assert any(line.strip().startswith("identifierUris") for line in lines[1:])
    role = failed("consent", "grant", world.daemon_app_id, "--resource", world.api_uri,
                  "--role", "Mail.Delete", *dd)
    name = ok_json("app", "show", world.api_app_id, *dd)["displayName"]
    assert (role.exit_code, role.stderr) == (2, (
        f"error: 'Mail.Delete' is not an application permission of '{name}' (it offers: "
        "Mail.Read, Mail.Send)\n"))
    no_scope = failed("token", "get", world.daemon_app_id, "-t", world.domain, "--secret", "x",
                      *dd)
    assert no_scope.stderr == "error: give --scope, e.g. --scope api://mail/.default\n"
    wrong = world.token("--secret", "not-the-secret", "--scope", f"{world.api_uri}/.default")
    assert wrong.exit_code == 1 and wrong.stderr.startswith("error: AADSTS7000215: ")
    assert len(wrong.stderr.splitlines()) == 1


@slow
def test_an_unknown_tenant_is_worded_once_for_every_command(world: World) -> None:
    dd, nowhere = world.dd(), "nowhere.example"
    commands = [("tenant", "show", nowhere), ("tenant", "set-profile", nowhere, "--profile",
                                               "strict"),
                ("app", "list", "-t", nowhere), ("user", "list", "-t", nowhere),
                ("user", "show", f"ada@{nowhere}"), ("logs", "signins", "-t", nowhere),
                ("consent", "list", "-t", nowhere),
                ("token", "get", world.daemon_app_id, "-t", nowhere, "--secret", "s",
                 "--scope", f"{world.api_uri}/.default")]
    for command in commands:
        result = failed(*command, *dd)
        assert (result.exit_code, result.stderr) == (1, (
            f"error: unknown tenant '{nowhere}'\n"
            "hint: `credo tenant list` shows the tenants\n")), command


@slow
def test_token_refusals_name_the_command_that_helps(world: World) -> None:
    dd, name = world.dd(), f"Hinted daemon {uuid.uuid4().hex[:6]}"
    app = ok_json("app", "create", name, *world.t(), *dd)
    cert, key = world.files / "superapp2.pem", world.files / "superapp2.key.pem"

    def token(*extra: str) -> list[str]:
        result = failed("token", "get", name, "--cert", cert, "--key", key, "--scope",
                        f"{world.api_uri}/.default", *extra, *dd)
        assert result.exit_code == 1
        return result.stderr.splitlines()

    unknown_key = token()
    assert unknown_key[0].startswith(
        "error: AADSTS700027: Client assertion contains an invalid signature. [Reason - The key "
        "was not found., Thumbprint of key used by client: ")
    assert unknown_key[1:] == [
        f"hint: `credo app cert list '{name}'` shows the app's certificates and their "
        f"thumbprints; `credo app cert add '{name}' {cert}` uploads this one"]
    ok("app", "cert", "add", name, cert, *dd)
    ok("app", "disable", name, *dd)
    assert token() == [f"error: AADSTS7000112: Application '{app['appId']}'({name}) is disabled.",
                       f"hint: `credo app enable '{name}'` enables it"]
    assert token("--tenant", world.domain)[1:] == [
        f"hint: `credo app enable '{name}' --tenant {world.domain}` enables it"]


@slow
def test_keys_list_and_rotate(world: World) -> None:
    dd = world.dd()
    before = ok_json("keys", "list", *dd)
    states = {k["state"] for k in before["value"]}
    assert {"active", "next"} <= states
    upcoming = next(k["kid"] for k in before["value"] if k["state"] == "next")
    rotated = ok_json("keys", "rotate", *dd)
    assert rotated["activeKid"] == upcoming
    assert ok_json("keys", "list", *dd)["activeKid"] == upcoming
    assert upcoming in ok("keys", "list", *dd).stdout


# -- fast: error rendering without a server --------------------------------------------------

@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data dir with settings and an operator certificate, but no server."""
    now = datetime.now(UTC)
    key, cert = certs.create_self_signed("CN=operator", now - timedelta(days=1),
                                         now + timedelta(days=30))
    (tmp_path / "operator").mkdir()
    certs.write_bundle(tmp_path / "operator" / "operator", key, cert, None)
    write_settings(load_settings(tmp_path), base_url="https://credo.test",
                   bootstrap_tenant=str(uuid.uuid4()), operator_app_id=str(uuid.uuid4()))
    return tmp_path


def _fake_server(api: Callable[[httpx.Request], httpx.Response]) -> httpx.MockTransport:
    """Discovery and the token endpoint answer; every other request goes to ``api``."""
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("openid-configuration"):
            return httpx.Response(200, json={
                "token_endpoint": "https://credo.test/t/oauth2/v2.0/token"})
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"token_type": "Bearer", "expires_in": 3599,
                                             "access_token": "a.b.c"})
        return api(request)
    return httpx.MockTransport(handler)


def _graph(status: int, error: dict[str, Any]) -> httpx.MockTransport:
    return _fake_server(lambda _: httpx.Response(status, json={"error": error}))


def _invoke(command: Callable[[], None]) -> Result:
    cli = typer.Typer()
    cli.command()(handle_errors(command))
    return CliRunner().invoke(cli, [])


def test_graph_error_details_are_listed(data_dir: Path) -> None:
    body = {"code": "Request_BadRequest", "message": "The manifest is invalid.", "details": [
        {"code": "Request_BadRequest", "target": "signInAudience", "message": "Not allowed."},
        {"code": "Request_BadRequest", "target": "appRoles[0].value", "message": "Required."}]}

    def command() -> None:
        with Management(data_dir, transport=_graph(400, body)) as api:
            api.patch("t", "/applications/x", {})

    result = _invoke(command)
    assert result.exit_code == 1
    assert result.stderr == ("error: The manifest is invalid.\n"
                             "  signInAudience: Not allowed.\n"
                             "  appRoles[0].value: Required.\n")


def test_graph_errors_are_typed(data_dir: Path) -> None:
    missing = _graph(404, {"code": "Request_ResourceNotFound", "message": "gone"})
    with Management(data_dir, transport=missing) as api, pytest.raises(NotFound, match="gone"):
        api.get("t", "/applications/x")
    invalid = _graph(400, {"code": "x", "message": "bad",
                           "details": [{"target": "a", "message": "b"}]})
    with Management(data_dir, transport=invalid) as api, pytest.raises(BadRequest) as caught:
        api.post("t", "/applications", {})
    assert [(d.target, d.message) for d in caught.value.details] == [("a", "b")]


def test_uninitialized_data_dir_says_run_init(tmp_path: Path) -> None:
    result = run("app", "list", "--tenant", "contoso.example", "--data-dir", tmp_path)
    assert result.exit_code == 1
    assert result.stderr == (f"error: {tmp_path.resolve()} holds no operator credential: run "
                             "`credo init` or pass the server's --data-dir\n")


def _paged(next_link: str) -> httpx.MockTransport:
    def api(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "2":
            return httpx.Response(200, json={"value": [{"id": "2"}]})
        return httpx.Response(200, json={"@odata.context": "x", "value": [{"id": "1"}],
                                         "@odata.nextLink": next_link})
    return _fake_server(api)


def test_collections_follow_next_links_on_the_same_server_only(data_dir: Path) -> None:
    with Management(data_dir, transport=_paged("https://credo.test/v1.0/apps?page=2")) as api:
        assert api.collection("t", "/apps") == [{"id": "1"}, {"id": "2"}]
    elsewhere = _paged("https://evil.example/v1.0/apps?page=2")
    with Management(data_dir, transport=elsewhere) as api, pytest.raises(
            CliError, match=r"refusing to send the token to https://evil\.example"):
        api.collection("t", "/apps")


@pytest.mark.parametrize("value", ["5x", "yesterday", "30 m"])
def test_since_lists_the_forms_it_accepts(tmp_path: Path, value: str) -> None:
    for log in ("signins", "audit"):
        result = failed("logs", log, "--since", value, "--data-dir", tmp_path)
        assert (result.exit_code, result.stderr) == (2, (
            f"error: --since: invalid value {value!r}, expected minutes, hours or days ago "
            "(30m, 12h, 7d) or a date YYYY-MM-DD (or an ISO 8601 date-time, e.g. "
            "2026-01-31T08:00:00Z)\n"))
    now = datetime(2026, 2, 1, 12, tzinfo=UTC)
    assert since("30m", now) == datetime(2026, 2, 1, 11, 30, tzinfo=UTC)
    assert since("7d", now) == datetime(2026, 1, 25, 12, tzinfo=UTC)
    assert since("2026-01-31", now) == datetime(2026, 1, 31, tzinfo=UTC)
