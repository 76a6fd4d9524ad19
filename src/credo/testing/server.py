"""A real ``credo serve`` in a subprocess: HTTPS on a free loopback port, SQLite in a data dir.

``credo init --data-dir D --domain X --host 127.0.0.1 --port P --json`` prepares the data
dir (local CA, keys, database, bootstrap tenant, operator app); ``credo serve`` runs it.
The child gets none of the caller's ``CREDO_*`` variables, so a developer's
``CREDO_DATABASE_URL`` can never point the test server at a real database. Startup waits
until discovery answers; ``stop`` is bounded (terminate, force, then kill).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

HOST = "127.0.0.1"
BOOTSTRAP_DOMAIN = "credo-testing.example"
START_ATTEMPTS = 3
"""A free port can be taken between choosing it and binding it: try a new one then."""
GRACE_SECONDS = 1.0
STOP_SECONDS = 10.0


class ServerError(RuntimeError):
    """``credo init`` or ``credo serve`` failed; the message ends with the server's log."""


@dataclass(frozen=True)
class ServerInfo:
    """What ``credo init --json`` reported about the data dir."""

    url: str
    data_dir: Path
    ca_path: Path
    bootstrap_tenant: str
    operator_app_id: str

    @property
    def operator_cert(self) -> Path:
        return self.data_dir / "operator" / "operator.pem"

    @property
    def operator_key(self) -> Path:
        return self.data_dir / "operator" / "operator.key.pem"


def credo_command() -> list[str]:
    """The ``credo`` console script next to this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("credo")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "credo.cli.main"]


def child_environment(settings: Mapping[str, object] | None = None) -> dict[str, str]:
    """The caller's environment without any ``CREDO_*`` setting, plus ``settings`` (names
    of docs/configuration.md, such as ``federation_ca_file``) as ``CREDO_<NAME>``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDO_")}
    env.update({f"CREDO_{name.upper()}": str(value) for name, value in (settings or {}).items()})
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def initialize(data_dir: Path, port: int, *, timeout: float) -> ServerInfo:
    """``credo init`` into the (new) ``data_dir`` for ``https://127.0.0.1:<port>``."""
    args = ["init", "--data-dir", str(data_dir), "--domain", BOOTSTRAP_DOMAIN,
            "--host", HOST, "--port", str(port), "--json"]
    done = subprocess.run([*credo_command(), *args], capture_output=True,  # noqa: S603 - no shell
                          text=True, env=child_environment(), timeout=timeout, check=False)
    if done.returncode != 0:
        raise ServerError(f"credo init failed ({done.returncode}):\n{done.stderr}")
    info = json.loads(done.stdout)
    return ServerInfo(str(info["serverUrl"]).rstrip("/"), data_dir, Path(info["caPath"]),
                      str(info["tenantId"]), str(info["operatorAppId"]))


class ServerProcess:
    """One running ``credo serve``; ``stop()`` ends it within ``STOP_SECONDS`` (+ a kill)."""

    def __init__(self, info: ServerInfo, port: int,
                 settings: Mapping[str, object] | None = None) -> None:
        self.info = info
        self.log_path = info.data_dir / "server.log"
        self._log: IO[bytes] = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        args = ["serve", "--data-dir", str(info.data_dir), "--host", HOST, "--port", str(port)]
        self._process = subprocess.Popen([*credo_command(), *args],  # noqa: S603 - no shell
                                         stdout=self._log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=child_environment(settings))

    @property
    def pid(self) -> int:
        return self._process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until_ready(self, timeout: float) -> bool:
        """True once discovery answers over HTTPS; False when the process has exited."""
        context = ssl.create_default_context(cafile=str(self.info.ca_path))
        probe = (f"{self.info.url}/{self.info.bootstrap_tenant}"
                 "/v2.0/.well-known/openid-configuration")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(  # noqa: S310 - https, built from init's output
                        probe, context=context, timeout=5):
                    return True
            except OSError:  # not listening yet (HTTP errors are OSErrors too)
                time.sleep(0.05)
        raise ServerError(f"credo serve did not answer within {timeout:.0f} s:\n{self.log()}")

    def stop(self) -> None:
        """SIGTERM; after ``GRACE_SECONDS`` SIGINT, uvicorn's "force quit" that stops waiting
        for idle keep-alive connections; after ``STOP_SECONDS`` more, SIGKILL."""
        stages = [(self._process.terminate, GRACE_SECONDS)]
        if os.name == "posix":
            stages.append((lambda: self._process.send_signal(signal.SIGINT), STOP_SECONDS))
        stages.append((self._process.kill, STOP_SECONDS))
        for send, seconds in stages:
            if self._process.poll() is not None:
                break
            send()
            try:
                self._process.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                continue
        self._log.close()


def start(directory: Path, *, timeout: float = 60.0,
          settings: Mapping[str, object] | None = None) -> ServerProcess:
    """Initialise a data dir under ``directory`` and serve it (with ``settings``); retried
    on a port clash."""
    attempt = 0
    while True:
        attempt += 1
        port = free_port()
        server = ServerProcess(initialize(directory / f"credo-{attempt}", port,
                                          timeout=timeout), port, settings)
        try:
            if server.wait_until_ready(timeout):
                return server
        except BaseException:
            server.stop()
            raise
        server.stop()
        if "address already in use" not in server.log().lower() or attempt == START_ATTEMPTS:
            raise ServerError(f"credo serve exited during startup:\n{server.log()}")
