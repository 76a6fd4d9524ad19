"""``credo logs signins|audit`` against a real server: filters by app, time and failure."""

from __future__ import annotations

import uuid

import httpx
import pytest

from cli.conftest import failed, ok, ok_json
from live import LiveServer

pytestmark = pytest.mark.slow


def test_logs_show_sign_ins_and_changes(live_server: LiveServer) -> None:
    dd = ("--data-dir", str(live_server.data_dir))
    tenant = live_server.bootstrap_tenant
    name = f"Logged app {uuid.uuid4().hex[:6]}"
    app = ok_json("app", "create", name, "-t", tenant, *dd)
    secret = ok_json("app", "secret", "add", app["appId"], *dd)
    with httpx.Client(verify=live_server.ssl_context(), timeout=30) as http:
        refused = http.post(f"{live_server.url}/{tenant}/oauth2/v2.0/token", data={
            "grant_type": "client_credentials", "client_id": app["appId"],
            "client_secret": "wrong-" + secret["secretText"][6:],
            "scope": "api://credo/.default"})
    assert refused.status_code == 401

    changes = ok_json("logs", "audit", "--since", "1h", *dd)
    added = [c for c in changes if c["activityDisplayName"] == "Add application"
             and c["targetResources"][0]["displayName"] == name]
    assert len(added) == 1 and added[0]["initiatedBy"]["app"]["appId"] == (
        live_server.settings.operator_app_id)
    failures = ok_json("logs", "signins", "--app", name, "--failed", *dd)
    assert [(f["appId"], f["status"]["errorCode"], f["clientCredentialType"])
            for f in failures] == [(app["appId"], 7000215, "clientSecret")]
    operator = ok_json("logs", "signins", "--app", live_server.settings.operator_app_id,
                       "-t", tenant, *dd)
    assert operator and {e["clientCredentialType"] for e in operator} == {"clientAssertion"}
    assert secret["secretText"] not in ok("logs", "signins", "--since", "1h", *dd).stdout
    text = ok("logs", "signins", "--app", name, *dd).stdout
    assert "AADSTS7000215" in text and "clientSecret" in text
    assert failed("logs", "audit", "--since", "yesterday", *dd).exit_code == 2
