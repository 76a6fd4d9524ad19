"""The scrape side: the multiprocess directory ``credo serve`` manages, and ``/metrics``.

With several workers, ``credo serve`` gives them one ``PROMETHEUS_MULTIPROC_DIR``: the
operator's (its old files removed at start) or a private temporary one (removed at exit).
The exposition is served by the supervising process on ``metrics_host:metrics_port``
(loopback by default), apart from the API's listener: a scrape needs no token, survives a
worker being replaced, and never reaches the public port. Each scrape first forgets the
live gauges of workers that are gone (a worker killed without its shutdown running), then
adds up every worker's files. With one worker, the server runs in the ``credo serve``
process itself and its own registry is served.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, MutableMapping
from pathlib import Path
from typing import Any

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def prepare_directory(env: MutableMapping[str, str]) -> tuple[Path, bool]:
    """The workers' directory, empty, set in ``env``; True when it is ours to remove."""
    given = env.get(VARIABLE)
    if given:
        path = Path(given)
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink(missing_ok=True)
        return path, False
    path = Path(tempfile.mkdtemp(prefix="credo-metrics-"))
    env[VARIABLE] = str(path)
    return path, True


def remove_directory(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def worker_exited(pid: int | None = None) -> None:
    """A worker's shutdown: its live gauges stop counting (no-op outside multiprocess mode)."""
    if os.environ.get(VARIABLE):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid or os.getpid())  # type: ignore[no-untyped-call]


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting for the supervisor to reap it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: a zombie counts until reaped
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def forget_dead_workers(path: Path) -> list[int]:
    """Marks dead every worker whose live-gauge file outlived it; returns their pids."""
    pids = {int(name.stem.rsplit("_", 1)[1]) for name in path.glob("gauge_live*_*.db")
            if name.stem.rsplit("_", 1)[1].isdigit()}
    dead = sorted(pid for pid in pids if not _alive(pid))
    for pid in dead:
        worker_exited(pid)
    return dead


class _Workers:
    """A collector over every worker's files, forgetting dead workers before each scrape."""

    def __init__(self, path: Path) -> None:
        from prometheus_client import multiprocess

        self._path = path
        self._files = multiprocess.MultiProcessCollector(  # type: ignore[no-untyped-call]
            None, path=str(path))

    def collect(self) -> Iterable[Any]:
        forget_dead_workers(self._path)
        found: Iterable[Any] = self._files.collect()  # type: ignore[no-untyped-call]
        return found


def start_server(host: str, port: int, path: Path | None) -> Any:
    """``/metrics`` on ``host:port`` from a daemon thread: ``path``'s workers added up, or
    (``None``) this process's own registry."""
    from prometheus_client import REGISTRY, CollectorRegistry, start_http_server

    registry = REGISTRY
    if path is not None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Workers(path))
    server, _thread = start_http_server(port, addr=host, registry=registry)
    return server
