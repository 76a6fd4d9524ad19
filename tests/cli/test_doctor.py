"""``credo doctor``: every check reports what a user would hit, with the fix."""

from __future__ import annotations

import json
import socket
import ssl
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import httpx
import pytest

from credo import certs, local_ca
from credo.cli import doctor_server
from credo.config import load_settings
from live import LiveServer, free_port

from . import servers
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
    assert checks["server"]["message"] == (
        f"cannot reach Credo at https://127.0.0.1:{port} ([Errno 111] Connection refused) — is "
        "`credo serve` running?")  # not "`credo doctor` checks …": this is credo doctor
    assert checks["server"]["fix"] == f"start it: credo serve --data-dir {idle}"
    text = run("doctor", "--data-dir", idle).stdout.splitlines()
    assert text[0] == "ok    settings              credo.toml and CREDO_* variables are valid"
    assert text[-6].startswith("FAIL  server                cannot reach Credo at ")
    assert text[-5] == f"                            fix: start it: credo serve --data-dir {idle}"
    assert text[-1] == "--    operator              the server did not answer"


class _NotCredo(BaseHTTPRequestHandler):
    """Another program's web server: it has no discovery document."""

    def do_GET(self) -> None:
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def foreign_tls(tmp_path: Path) -> ssl.SSLContext:
    """A certificate for 127.0.0.1 from another CA than the data dir's."""
    return servers.foreign_tls(tmp_path)


def _taken_fix(data_dir: Path, port: int) -> str:
    return (f"port {port} is taken by another program: stop it, or move this server to a free "
            f"port N: credo config set port N --data-dir {data_dir}, then credo serve "
            f"--data-dir {data_dir}")


def _server_check(data_dir: Path, port: int, *args: str) -> dict[str, Any]:
    ok("config", "set", "port", str(port), "--data-dir", data_dir)
    code, checks = _doctor(data_dir, *args)
    assert code == 1
    return checks["server"]


def test_another_program_that_speaks_no_tls_on_the_port(idle: Path) -> None:
    with servers.listening(_NotCredo) as port:
        server = _server_check(idle, port)
    assert server["message"].startswith(f"https://127.0.0.1:{port} does not speak TLS (")
    assert server["fix"] == _taken_fix(idle, port)


def test_another_programs_https_server_on_the_port(idle: Path,
                                                   foreign_tls: ssl.SSLContext) -> None:
    with servers.listening(_NotCredo, foreign_tls) as port:
        server = _server_check(idle, port)
    assert server == {
        "check": "server", "status": "fail",
        "message": f"https://127.0.0.1:{port} is not this data dir's Credo: its TLS certificate "
                   f"is not from {idle}/tls/ca.pem (unable to get local issuer certificate)",
        "fix": _taken_fix(idle, port)}


def test_a_web_server_without_credo_on_the_port(idle: Path) -> None:
    tls = servers.tls_context(idle / "tls" / "server.pem", idle / "tls" / "server.key.pem")
    with servers.listening(_NotCredo, tls) as port:
        server = _server_check(idle, port)
    tid = load_settings(idle).bootstrap_tenant
    assert server["message"] == (
        f"https://127.0.0.1:{port}/{tid}/v2.0/.well-known/openid-configuration answered HTTP "
        "404: another server (or another data dir's Credo) answers at that address")
    assert server["fix"] == _taken_fix(idle, port)


def test_a_program_that_never_answers(idle: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(doctor_server, "TIMEOUT", 0.5)
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = int(silent.getsockname()[1])
        server = _server_check(idle, port)
    assert server["message"].startswith(f"https://127.0.0.1:{port} did not answer in time (")
    assert server["fix"] == _taken_fix(idle, port)


def test_server_naming_another_port_than_the_data_dirs(idle: Path) -> None:
    port = load_settings(idle).port
    elsewhere = free_port()
    _, checks = _doctor(idle, "--server", f"https://127.0.0.1:{elsewhere}")
    assert checks["server"]["fix"] == (
        f"--server names port {elsewhere}, but this data dir's server listens on port {port}: "
        f"leave --server out, or give --server https://127.0.0.1:{port}")
    _, same = _doctor(idle, "--server", f"https://127.0.0.1:{port}")
    assert same["server"]["fix"] == f"start it: credo serve --data-dir {idle}"
    ok("config", "set", "server", f"https://localhost:{elsewhere}", "--data-dir", idle)
    _, configured = _doctor(idle)
    assert configured["server"]["fix"] == (
        f"the server setting names port {elsewhere}, but this data dir's server listens on "
        f"port {port}: `credo config unset server`, or give --server https://127.0.0.1:{port}")


def test_a_ca_that_is_not_the_data_dirs(idle: Path, tmp_path: Path,
                                        foreign_tls: ssl.SSLContext) -> None:
    tls = servers.tls_context(idle / "tls" / "server.pem", idle / "tls" / "server.key.pem")
    with servers.listening(_NotCredo, tls) as port:
        server = _server_check(idle, port, "--ca", str(tmp_path / "other-ca.pem"))
    assert server["message"].startswith(
        f"the TLS certificate of https://127.0.0.1:{port} is not trusted (")
    assert server["fix"] == (f"give this data dir's CA, --ca {idle}/tls/ca.pem, or leave --ca "
                             "out (the CLI trusts that CA by itself)")


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
