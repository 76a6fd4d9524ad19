"""The log of a real ``credo serve --log-format json`` through a full run: one access line
per request naming the route template, refusals logged whole, and not one secret, assertion,
token, password or code that was sent or received anywhere in it."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest

from credo import certs, jose
from interop import delegated, harness
from live import LiveServer, start_server, stop_server

pytestmark = pytest.mark.slow
WRONG_PASSWORD = "Wrong-Horse-Battery-7"
WRONG_SECRET = "Wr0ng~secret.value_that-is-forty-chars-x"


def _assertion(cert: harness.CertFiles, client_id: str, audience: str) -> str:
    now = int(time.time())
    key = certs.load_private_key(cert.key_pem.encode())
    return jose.sign("RS256", key, {"typ": "JWT", "x5t": cert.thumbprints.x5t}, {
        "aud": audience, "iss": client_id, "sub": client_id, "jti": str(uuid.uuid4()),
        "nbf": now, "iat": now, "exp": now + 600})


def _post(http: httpx.Client, url: str, form: dict[str, str], expect: int) -> dict[str, Any]:
    response = http.post(url, data=form, headers={"client-request-id": str(uuid.uuid4())})
    assert response.status_code == expect, response.text
    body: dict[str, Any] = response.json()
    return body


def _app_only(world: harness.Interop, http: httpx.Client, sent: list[str]) -> str:
    """Client credentials with the secret and with the certificate, and a wrong secret."""
    url = world.token_endpoint(2)
    form = {"grant_type": "client_credentials", "client_id": world.daemon_app_id,
            "scope": world.mail.scope}
    assertion = _assertion(world.cert, world.daemon_app_id, url)
    for credential in ({"client_secret": world.secret},
                       {"client_assertion_type": harness.ASSERTION_TYPE,
                        "client_assertion": assertion}):
        sent.append(_post(http, url, {**form, **credential}, 200)["access_token"])
    sent += [world.secret, assertion, world.cert.key_pem, harness.PFX_PASSWORD]
    refused = _post(http, url, {**form, "client_secret": WRONG_SECRET}, 401)
    sent.append(WRONG_SECRET)
    return str(refused["error_description"]).split(": ", 1)[1].split(" Trace ID:")[0]


def _delegated(world: delegated.DelegatedWorld, sent: list[str]) -> None:
    """A wrong password, a sign-in, the code redeemed, the refresh token used."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    authorize = f"{world.authority}/oauth2/v2.0/authorize?" + urlencode({
        "client_id": world.client_id, "response_type": "code", "redirect_uri": delegated.WEB,
        "scope": f"openid offline_access {world.mail_uri}/Mail.Read", "state": "s1",
        "code_challenge": challenge.rstrip(b"=").decode(), "code_challenge_method": "S256"})
    browser = delegated.SignInBrowser(world.server)
    try:
        first = browser.http.get(authorize)
        while first.is_redirect:
            first = browser.http.get(first.headers["location"])
        form = delegated.read_form(first.text)
        form.fields.update(login=world.upn, passwd=WRONG_PASSWORD)
        wrong = browser.http.post(form.action, data=form.fields)
        assert wrong.status_code == 400 and "AADSTS50126" in wrong.text
        _, answer = browser.authorize(authorize, login=world.upn)
    finally:
        browser.close()
    code = answer["code"]
    url = f"{world.authority}/oauth2/v2.0/token"
    with httpx.Client(verify=world.server.ssl_context(), timeout=30) as http:
        tokens = _post(http, url, {"grant_type": "authorization_code", "code": code,
                                   "client_id": world.client_id, "client_secret": world.secret,
                                   "redirect_uri": delegated.WEB, "code_verifier": verifier},
                       200)
        again = _post(http, url, {"grant_type": "refresh_token",
                                  "refresh_token": tokens["refresh_token"],
                                  "client_id": world.client_id, "client_secret": world.secret},
                      200)
    sent += [world.secret, delegated.PASSWORD, WRONG_PASSWORD, code, verifier,
             *(tokens[k] for k in ("access_token", "id_token", "refresh_token")),
             *(again[k] for k in ("access_token", "id_token", "refresh_token"))]


def _lines(server: LiveServer) -> list[dict[str, Any]]:
    text = (server.data_dir / "server-main.log").read_text()
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_a_full_run_logs_every_request_and_no_secret(tmp_path: Path) -> None:
    server = start_server(tmp_path / "credo", env={"CREDO_LOG_FORMAT": "json",
                                                   "CREDO_LOG_LEVEL": "debug"})
    sent: list[str] = []
    try:
        world = harness.build(server, tmp_path)
        with httpx.Client(verify=server.ssl_context(), timeout=30) as http:
            description = _app_only(world, http, sent)
        users = delegated.build(server)
        _delegated(users, sent)
        user_sign_ins = users.api.call("GET", "/auditLogs/signIns?$filter=" + quote(
            f"appId eq '{users.client_id}'"), tenant=users.domain)["value"]
        world.api.close()
        users.api.close()
    finally:
        stop_server(server)
    log_text = (server.data_dir / "server-main.log").read_text()
    leaked = [value[:12] + "…" for value in sent if value and value in log_text]
    assert leaked == []
    lines = _lines(server)
    assert lines and all({"time", "level", "logger", "message"} <= set(e) for e in lines)
    access = [e for e in lines if e["logger"] == "credo.access"]
    routes = {e["route"] for e in access}
    assert {"/{tenant}/oauth2/v2.0/token", "/v1.0/applications/{app_ref}/addPassword",
            "/{tenant}/oauth2/v2.0/authorize"} <= routes
    assert all("?" not in e["route"] and world.tenant_id not in e["route"] for e in access)
    tokens = [e for e in access if e["route"] == "/{tenant}/oauth2/v2.0/token"]
    assert {e["client_id"] for e in tokens} >= {world.daemon_app_id}
    assert all(e["tenant"] and len(e["correlation_id"]) == 36 for e in tokens)
    assert {e["status"] for e in tokens} >= {200, 401}
    by_kind = {(e["signInEventTypes"][0], e["status"]["errorCode"]) for e in user_sign_ins}
    assert by_kind == {("interactiveUser", 0), ("nonInteractiveUser", 0)}
    assert {e["userPrincipalName"] for e in user_sign_ins} == {users.upn}
    redeemed = [e for e in user_sign_ins if e["signInEventTypes"] == ["nonInteractiveUser"]]
    assert len(redeemed) == 2 and {e["clientCredentialType"] for e in redeemed} == {
        "clientSecret"} and {e["resourceId"] for e in redeemed} == {users.mail_app_id}
    refused = [e for e in lines if e["message"].startswith("token refused: AADSTS7000215")]
    assert len(refused) == 1 and description in refused[0]["message"]
    assert refused[0]["aadsts"] == 7000215
