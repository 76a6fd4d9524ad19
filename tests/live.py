"""A real ``credo serve`` subprocess over HTTPS, for the slow suites."""

from __future__ import annotations

import json
import os
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from credo.config import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
CREDO = [sys.executable, "-m", "credo.cli.main"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def credo(*args: str, data_dir: Path, check: bool = True,
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess against ``data_dir``."""
    full_env = {**os.environ, "CREDO_DATA_DIR": str(data_dir), **(env or {})}
    return subprocess.run([*CREDO, *args], capture_output=True, text=True, env=full_env,
                          check=check, timeout=120)


@dataclass
class LiveServer:
    url: str
    data_dir: Path
    ca_path: Path
    settings: Settings
    bootstrap_tenant: str
    process: subprocess.Popen[bytes]

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_path))

    def get_json(self, path: str) -> object:
        with urllib.request.urlopen(self.url + path, context=self.ssl_context(),
                                    timeout=10) as response:
            return json.load(response)


def start_server(data_dir: Path, *, workers: int = 1, domain: str = "credo.test",
                 env: dict[str, str] | None = None) -> LiveServer:
    """``credo init`` + ``credo serve`` on a free port; waits until discovery answers."""
    port = free_port()
    info = json.loads(credo("init", "--json", "--port", str(port), "--domain", domain,
                            data_dir=data_dir, env=env).stdout)
    return serve(data_dir, info["serverUrl"], workers=workers, env=env)


def serve(data_dir: Path, url: str, *, port: int | None = None, workers: int = 1,
          env: dict[str, str] | None = None) -> LiveServer:
    """``credo serve`` on an initialised data dir; ``port`` overrides the configured one."""
    args = ["serve", "--workers", str(workers)] + (["--port", str(port)] if port else [])
    log_path = data_dir / f"server-{port or 'main'}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen(
        [*CREDO, *args], stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "CREDO_DATA_DIR": str(data_dir), "CREDO_CACHE_SECONDS": "1",
             **(env or {})})
    settings = load_settings(data_dir)
    server = LiveServer(url, data_dir, settings.ca_path, settings, settings.bootstrap_tenant,
                        process)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(log_path.read_text())
        try:
            server.get_json(f"/{settings.bootstrap_tenant}/v2.0/.well-known/openid-configuration")
            return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise RuntimeError("credo serve did not start:\n" + log_path.read_text())


def stop_server(server: LiveServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
