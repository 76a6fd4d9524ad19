"""``credo doctor``: every check reports what a user would hit, with the fix."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from credo import certs, local_ca
from credo.cli import doctor_server
from credo.config import load_settings
from live import LiveServer, free_port

from .conftest import ok, run


def _doctor(data_dir: Path, *args: str) -> tuple[int, dict[str, dict[str, Any]]]:
    result = run("doctor", "--data-dir", data_dir, "--json", *args)
    report = json.loads(result.stdout)
    assert report["healthy"] is (result.exit_code == 0)
    return result.exit_code, {c["check"]: c for c in report["checks"]}


@pytest.fixture
def idle(initialized: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An initialised data dir whose server is not running; clients trust its CA."""
    ok("config", "set", "port", str(free_port()), "--data-dir", initialized)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(initialized / "tls" / "ca.pem"))
    return initialized


def test_a_data_dir_without_its_server(idle: Path) -> None:
    code, checks = _doctor(idle)
    assert code == 1
    assert {name: c["status"] for name, c in checks.items()} == {
        "settings": "ok", "files": "ok", "permissions": "ok", "tls certificate": "ok",
        "operator certificate": "ok", "migrations": "ok", "client trust": "ok",
        "server": "fail", "issuer": "skip", "clock": "skip", "signing keys": "skip",
        "operator": "skip"}
    port = load_settings(idle).port
    assert checks["server"]["message"].startswith(
        f"cannot reach Credo at https://127.0.0.1:{port} (")
    assert checks["server"]["fix"] == f"start it: credo serve --data-dir {idle}"
    text = run("doctor", "--data-dir", idle).stdout.splitlines()
    assert text[0] == "ok    settings              credo.toml and CREDO_* variables are valid"
    assert text[-6].startswith("FAIL  server                cannot reach Credo at ")
    assert text[-5] == f"                            fix: start it: credo serve --data-dir {idle}"
    assert text[-1] == "--    operator              the server did not answer"


def test_loose_modes_and_missing_files(idle: Path) -> None:
    (idle / "credo.db").chmod(0o644)
    (idle / "operator" / "operator.key.pem").unlink()
    _, checks = _doctor(idle)
    assert checks["permissions"] == {
        "check": "permissions", "status": "warn",
        "message": f"others may read the data dir's keys: {idle}/credo.db is 0644",
        "fix": f"`credo serve` sets them on start, or chmod 0600 {idle}/credo.db (0700 for "
               "directories, 0600 for files)"}
    assert checks["files"]["status"] == "fail"
    assert checks["files"]["message"] == f"missing in {idle}: operator/operator.key.pem"


def test_a_certificate_that_does_not_name_the_issuer(idle: Path) -> None:
    ok("config", "set", "host", "login.example.com", "--data-dir", idle)
    _, checks = _doctor(idle)
    assert checks["tls certificate"]["status"] == "fail"
    assert checks["tls certificate"]["message"] == (
        "the server's certificate does not name login.example.com, the issuer's host (it names "
        "127.0.0.1, ::1, localhost): clients will refuse it")


def test_a_missing_database(idle: Path) -> None:
    (idle / "credo.db").unlink()
    _, checks = _doctor(idle)
    assert checks["migrations"]["status"] == "fail"
    assert checks["migrations"]["message"] == f"the database {idle}/credo.db is missing"


def test_bad_settings_and_no_init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, checks = _doctor(tmp_path)
    assert code == 1 and list(checks) == ["settings", "initialized"]
    assert checks["initialized"]["fix"] == f"credo init --data-dir {tmp_path}"
    monkeypatch.setenv("CREDO_PORT", "eighty")
    code, checks = _doctor(tmp_path)
    assert checks == {"settings": {
        "check": "settings", "status": "fail",
        "message": "CREDO_PORT: expected an integer, got 'eighty'",
        "fix": "correct or remove it (docs/configuration.md)"}}


def test_client_trust(idle: Path, tmp_path: Path) -> None:
    settings = load_settings(idle)
    ca = str(settings.ca_path)
    assert doctor_server.client_trust(settings, {"REQUESTS_CA_BUNDLE": ca}).status == "ok"
    unset = doctor_server.client_trust(settings, {})
    assert (unset.status, unset.fix) == ("warn", f"export REQUESTS_CA_BUNDLE={ca}")
    other = tmp_path / "other.pem"
    other.write_text("")
    elsewhere = doctor_server.client_trust(settings, {"REQUESTS_CA_BUNDLE": str(other)})
    assert elsewhere.message == (f"REQUESTS_CA_BUNDLE={other} does not hold Credo's CA: MSAL "
                                 "will fail with CERTIFICATE_VERIFY_FAILED")


def test_issuer_and_clock_findings(idle: Path) -> None:
    settings = load_settings(idle)
    tid = settings.bootstrap_tenant
    good = doctor_server._issuer(settings, {"issuer": f"{settings.base_url}/{tid}/v2.0"})
    assert good.status == "ok"
    other = doctor_server._issuer(settings, {"issuer": f"https://elsewhere/{tid}/v2.0"})
    assert other.status == "fail" and other.message.startswith(
        f"the server publishes https://elsewhere/{tid}/v2.0, this data dir expects ")

    def at(skew: timedelta) -> str:
        date = format_datetime(datetime.now(UTC) - skew, usegmt=True)
        return doctor_server._clock(httpx.Response(200, headers={"date": date})).status

    assert [at(timedelta(seconds=s)) for s in (0, 100, -100, 600)] == [
        "ok", "warn", "warn", "fail"]
    assert doctor_server._clock(httpx.Response(200)).status == "skip"


@pytest.mark.slow
def test_a_healthy_deployment(live_server: LiveServer, monkeypatch: pytest.MonkeyPatch,
                              tmp_path: Path) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(live_server.ca_path))
    code, checks = _doctor(live_server.data_dir)
    assert code == 0, checks
    assert {c["status"] for c in checks.values()} == {"ok"}
    foreign = tmp_path / "foreign.pem"
    foreign.write_bytes(certs.certificate_pem(local_ca.create_ca("Someone else's CA")[1]))
    code, checks = _doctor(live_server.data_dir, "--ca", str(foreign))
    assert code == 1
    assert checks["server"]["message"].startswith(
        f"the TLS certificate of {live_server.url} is not trusted (")
