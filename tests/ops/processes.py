"""The processes the fault tests run: their own PostgreSQL and Redis, and Credo nodes.

* ``OwnPostgres``: ``initdb`` into a temporary directory and ``pg_ctl`` on a free port of
  127.0.0.1 (as the ``postgres`` user when the tests run as root: PostgreSQL refuses root);
  ``stop()`` and ``start()`` are what an outage and its end look like. The shared server on
  5432 is never touched.
* ``OwnRedis``: ``redis-server`` on a free port, no persistence; ``stop()``, ``start()``.
* ``Node``: one ``credo serve`` process on a data dir, restartable with the same settings;
  ``wait_ready`` polls a server's ``/readyz``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import ssl
import subprocess
import tempfile
import time
from pathlib import Path
from typing import cast

import httpx

from availability import require_or_skip
from live import CREDO, free_port


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return found[-1].parent if found else None


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class OwnPostgres:
    """A private PostgreSQL cluster for one test module."""

    def __init__(self) -> None:
        bin_dir = _pg_bin()
        if bin_dir is None:
            require_or_skip("PostgreSQL's binaries (/usr/lib/postgresql/*/bin) are not installed")
        self.bin = cast(Path, bin_dir)
        self.root = Path(tempfile.mkdtemp(prefix="credo-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self.port = free_port()
        self._run("initdb", "-D", str(self.root / "data"), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--no-sync")
        self.start()

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(_as_postgres([str(self.bin / tool), *args]), check=True,
                       capture_output=True, timeout=120)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.root / "data"), "-o", options,
                  "-l", str(self.root / "log"), "-w", "start")

    def stop(self) -> None:
        """``pg_ctl stop -m fast``: every session is cut, as in a crash of the server."""
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self._run("dropdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "--force",
                  name)

    def url(self, name: str) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{name}"

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


class OwnRedis:
    """A private ``redis-server`` on 127.0.0.1; ``stop()`` and ``start()`` on the same port."""

    def __init__(self) -> None:
        if not shutil.which("redis-server"):
            require_or_skip("redis-server is not installed")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        self._process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis
        for _ in range(100):
            with contextlib.suppress(redis.RedisError):
                redis.Redis.from_url(self.url, socket_timeout=1).ping()
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None


class Node:
    """One ``credo serve`` (``args`` after ``serve``) on a data dir, answering at ``url``;
    ``stop()`` then ``start()`` is a restart with the same environment."""

    def __init__(self, data_dir: Path, url: str, env: dict[str, str], *,
                 args: tuple[str, ...] = ()) -> None:
        self.data_dir, self.url, self.env, self.args = data_dir, url, env, args
        self.log_path = data_dir.parent / f"{data_dir.name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*CREDO, "serve", *self.args], stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "CREDO_DATA_DIR": str(self.data_dir), **self.env})

    def stop(self) -> None:
        """SIGTERM (uvicorn finishes the requests in flight), SIGKILL after 20 s."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def wait_ready(url: str, context: ssl.SSLContext | bool, *, seconds: float = 60,
               process: subprocess.Popen[bytes] | None = None) -> float:
    """Poll ``url/readyz`` until 200; the seconds it took."""
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited ({process.returncode})")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/readyz", verify=context, timeout=2).status_code == 200:
                return time.monotonic() - began
        time.sleep(0.1)
    raise RuntimeError(f"{url}/readyz did not answer 200 within {seconds:.0f} s")
