"""``credo init`` and ``credo serve``: a private data dir, one address, true banners.

The refusals run in-process (``credo serve`` stops before it listens); one slow test starts
the real server and reads its banner.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import ssl
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from live import free_port

from .conftest import failed, ok, ok_json, run


def _modes(root: Path) -> dict[str, int]:
    paths = [root, *root.rglob("*")]
    return {str(p.relative_to(root)): stat.S_IMODE(p.stat().st_mode) for p in paths}


def test_init_makes_an_existing_0755_data_dir_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "credo"
    data_dir.mkdir(mode=0o755)
    data_dir.chmod(0o755)
    info = ok_json("init", "--data-dir", data_dir, "--port", "18443", "--domain", "Contoso.Test")
    assert info == {"tenantId": info["tenantId"], "domain": "contoso.test",
                    "serverUrl": "https://127.0.0.1:18443",
                    "caPath": str(data_dir / "tls" / "ca.pem"),
                    "operatorAppId": info["operatorAppId"], "dataDir": str(data_dir)}
    with sqlite3.connect(data_dir / "credo.db") as db:  # WAL files inherit the db's mode
        db.execute("pragma journal_mode = wal")
        db.execute("create table probe (x)")
        modes = _modes(data_dir)
    assert {"credo.db-wal", "credo.db-shm", "master.key", "secrets.key", "credo.toml",
            "tls/ca.key.pem", "tls/ca.pem", "tls/server.pem", "tls/server.key.pem",
            "operator/operator.pem", "operator/operator.key.pem"} <= set(modes)
    assert modes == {name: 0o700 if (data_dir / name).is_dir() else 0o600 for name in modes}
    assert (data_dir / "credo.toml").read_text() == (
        f'bootstrap_domain = "contoso.test"\nbootstrap_tenant = "{info["tenantId"]}"\n'
        f'host = "127.0.0.1"\noperator_app_id = "{info["operatorAppId"]}"\nport = 18443\n')


def test_init_if_needed_says_what_is_there(initialized: Path,
                                           initialized_template: tuple[Path, Any]) -> None:
    summary = {**initialized_template[1], "caPath": str(initialized / "tls" / "ca.pem"),
               "dataDir": str(initialized)}
    assert ok_json("init", "--if-needed", "--data-dir", initialized) == summary
    text = ok("init", "--if-needed", "--data-dir", initialized)
    assert text.stdout.startswith(f"{initialized} is already initialized; nothing changed.\n")
    assert f"template.test ({summary['tenantId']})" in text.stdout
    assert "export REQUESTS_CA_BUNDLE=" in text.stdout
    moved = ok("init", "--if-needed", "--port", "9000", "--data-dir", initialized)
    assert moved.stderr == (f"warning: --port 9000 is ignored: {initialized} is set up for "
                            "https://127.0.0.1:18443 (`credo config set port 9000` moves it)\n")
    again = failed("init", "--data-dir", initialized)
    assert (again.exit_code, again.stderr) == (
        2, f"error: {initialized} is already initialized (--if-needed accepts that)\n")


def test_init_with_another_address_on_an_initialized_dir_says_how_to_move_it(
        initialized: Path) -> None:
    moved = failed("init", "--port", "8632", "--data-dir", initialized)
    assert (moved.exit_code, moved.stderr) == (2, (
        f"error: {initialized} is already initialized (--if-needed accepts that); to change its "
        "address: `credo config set port 8632`, then restart `credo serve`\n"))
    both = failed("init", "--port", "8632", "--host", "localhost", "--data-dir", initialized)
    assert both.stderr.endswith("to change its address: `credo config set host localhost` and "
                                "`credo config set port 8632`, then restart `credo serve`\n")
    same = failed("init", "--port", "18443", "--data-dir", initialized)  # already its port
    assert same.stderr == (f"error: {initialized} is already initialized (--if-needed accepts "
                           "that)\n")


def test_init_if_needed_finds_the_domain_of_an_older_data_dir(initialized: Path) -> None:
    toml = initialized / "credo.toml"
    toml.write_text("".join(line for line in toml.read_text().splitlines(keepends=True)
                            if not line.startswith("bootstrap_domain")))
    assert ok_json("init", "--if-needed", "--data-dir", initialized)["domain"] == "template.test"


def test_serve_refuses_a_port_the_issuer_does_not_name(initialized: Path) -> None:
    result = failed("serve", "--data-dir", initialized, "--port", "9000")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "error: --port 9000 does not match this data dir: it publishes https://127.0.0.1:18443 "
        "(port 18443 from credo.toml), so discovery, tokens and the CLI would point where "
        "nothing listens. Start it as set up (`credo serve` without --port), or move it for "
        "good: `credo config set port 9000`, then `credo serve`\n")
    host = failed("serve", "--data-dir", initialized, "--host", "10.9.8.7")
    assert host.stderr.startswith("error: --host 10.9.8.7 does not match this data dir: it "
                                  "publishes https://127.0.0.1:18443 (host 127.0.0.1 from "
                                  "credo.toml)")


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield int(holder.getsockname()[1])


def test_a_taken_port_stops_serve_before_any_banner(initialized: Path, taken_port: int) -> None:
    ok("config", "set", "port", str(taken_port), "--data-dir", initialized)
    result = run("serve", "--data-dir", initialized)
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: cannot listen on 127.0.0.1:{taken_port}: Address already in use (another "
        "`credo serve` or another program may have it; `credo doctor` shows what answers "
        "there); to use another port: `credo config set port N` with a free port N, then "
        "`credo serve`\n")


def test_a_taken_metrics_port_names_what_chose_it(initialized: Path, taken_port: int) -> None:
    ok("config", "set", "port", str(free_port()), "--data-dir", initialized)
    taken = (f"error: cannot listen on 127.0.0.1:{taken_port}: Address already in use (another "
             "`credo serve` or another program may have it; `credo doctor` shows what answers "
             "there); to use another port: ")
    given = run("serve", "--data-dir", initialized, "--metrics-port", str(taken_port))
    assert (given.exit_code, given.stderr) == (
        1, f"{taken}`credo serve --metrics-port N` with a free port N\n")
    ok("config", "set", "metrics_port", str(taken_port), "--data-dir", initialized)
    configured = run("serve", "--data-dir", initialized)
    assert (configured.exit_code, configured.stderr) == (
        1, f"{taken}`credo config set metrics_port N` with a free port N, then `credo serve`\n")


def test_an_issuer_of_its_own_lets_serve_listen_elsewhere(initialized: Path, taken_port: int,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDO_BASE_URL", "https://login.example.com")
    result = run("serve", "--data-dir", initialized, "--port", str(taken_port))
    assert result.stderr.startswith(f"error: cannot listen on 127.0.0.1:{taken_port}: ")
    assert result.stderr.endswith("; to use another port: `credo serve --port N` with a free "
                                  "port N\n")


def test_serve_makes_loose_modes_private_with_a_warning(initialized: Path,
                                                        taken_port: int) -> None:
    loose = [initialized, initialized / "credo.db", initialized / "tls" / "server.key.pem"]
    ok("config", "set", "port", str(taken_port), "--data-dir", initialized)
    for path in loose:
        path.chmod(0o755 if path.is_dir() else 0o644)
    result = run("serve", "--data-dir", initialized)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        f"warning: {path} was {'0755' if path.is_dir() else '0644'}; set to "
        f"{'0700' if path.is_dir() else '0600'} (the data dir holds keys and password hashes)"
        for path in sorted(loose)]
    assert set(_modes(initialized).values()) == {0o700, 0o600}


def test_serve_needs_an_initialized_data_dir(tmp_path: Path) -> None:
    result = failed("serve", "--data-dir", tmp_path)
    assert (result.exit_code, result.stderr) == (
        2, f"error: {tmp_path} is not initialized: run `credo init` first\n")


@pytest.mark.slow
def test_the_banner_comes_once_the_server_answers(initialized: Path) -> None:
    port = free_port()
    ok("config", "set", "port", str(port), "--data-dir", initialized)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDO_")}
    process = subprocess.Popen([sys.executable, "-m", "credo.cli.main", "serve", "--data-dir",
                                str(initialized)], stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stderr is not None
        banner = ""
        deadline = time.monotonic() + 60
        while not banner.startswith("Credo on") and time.monotonic() < deadline:
            banner = process.stderr.readline()
        assert banner == (f"Credo on https://127.0.0.1:{port} — clients must trust "
                          f"{initialized}/tls/ca.pem\n")
        tenant = ok_json("config", "show", "--data-dir", initialized)
        tid = next(r["value"] for r in tenant if r["name"] == "bootstrap_tenant")
        answer = httpx.get(f"https://127.0.0.1:{port}/{tid}/v2.0/.well-known/"
                           "openid-configuration", verify=ssl.create_default_context(
                               cafile=str(initialized / "tls" / "ca.pem")))
        assert answer.json()["issuer"] == f"https://127.0.0.1:{port}/{tid}/v2.0"
    finally:
        process.terminate()
        process.wait(timeout=30)
