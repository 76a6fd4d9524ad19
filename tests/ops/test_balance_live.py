"""``credo serve --workers 2`` spreads connections over its workers (web/reuseport.py).

Each worker listens on a socket of its own, a replacement for a killed worker too, and 32
connections opened at once land on both workers. With one shared socket the first worker
to wake took all of them (seen: 16/0); with a socket per worker the kernel hashes each
connection, and a split of 32 that leaves a worker fewer than 4 has odds of about 3 in a
million.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import sys
import time
from pathlib import Path

import pytest

from live import start_server, stop_server

from .faults import workers

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(sys.platform != "linux", reason="SO_REUSEPORT balance: Linux")]
CONNECTIONS = 32
LISTEN, ESTABLISHED = "0A", "01"


def sockets(port: int, state: str, *, local: bool) -> set[str]:
    """Inodes of the TCP sockets in ``state`` whose local (or remote) port is ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address = fields[1] if local else fields[2]
            if int(address.rsplit(":", 1)[1], 16) == port and fields[3] == state:
                found.add(fields[9])
    return found


def held_by(pid: int) -> set[str]:
    """Inodes of the sockets process ``pid`` holds open."""
    held = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with_target = os.readlink(fd) if fd.is_symlink() else ""
        if with_target.startswith("socket:["):
            held.add(with_target[len("socket:["):-1])
    return held


def listeners_by_worker(supervisor: int, port: int) -> dict[int, int]:
    """How many listening sockets on ``port`` each worker holds."""
    listening = sockets(port, LISTEN, local=True)
    return {pid: len(held_by(pid) & listening) for pid in workers(supervisor)}


def wait_for_two_listeners(supervisor: int, port: int) -> dict[int, int]:
    deadline = time.monotonic() + 60
    while (found := listeners_by_worker(supervisor, port)) != dict.fromkeys(found, 1) \
            or len(found) != 2:
        assert time.monotonic() < deadline, f"workers never listened on their own: {found}"
        time.sleep(0.1)
    return found


def test_every_worker_listens_on_its_own_and_gets_connections(tmp_path: Path) -> None:
    server = start_server(tmp_path / "credo", workers=2)
    port = int(server.url.rsplit(":", 1)[1])
    supervisor = server.process.pid
    try:
        first = wait_for_two_listeners(supervisor, port)
        assert len(sockets(port, LISTEN, local=True)) == 2  # the supervisor's never listens

        context = ssl.create_default_context(cafile=str(server.ca_path))
        opened = [socket.create_connection(("127.0.0.1", port)) for _ in range(CONNECTIONS)]
        tls = [context.wrap_socket(s, server_hostname="127.0.0.1") for s in opened]
        try:
            for conn in tls:  # a whole exchange: accepted and answered by a worker
                conn.sendall(b"GET /common/discovery/v2.0/keys HTTP/1.1\r\n"
                             b"Host: 127.0.0.1\r\n\r\n")
                assert conn.recv(64).startswith(b"HTTP/1.1 200 ")
            established = sockets(port, ESTABLISHED, local=True)
            spread = {pid: len(held_by(pid) & established) for pid in first}
            assert sum(spread.values()) == CONNECTIONS
            assert min(spread.values()) >= 4, spread
        finally:
            for conn in tls:
                conn.close()

        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        replaced = wait_for_two_listeners(supervisor, port)
        assert victim not in replaced and set(first) - {victim} <= set(replaced)
    finally:
        stop_server(server)
