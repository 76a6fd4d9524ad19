"""One listening socket per worker (``SO_REUSEPORT``), so the kernel spreads connections.

With one socket shared by every worker, the first worker to wake takes every connection
waiting (uvloop accepts until the queue is empty): a client that opens its connections at
once, as a connection pool or a load balancer does, lands them all on one worker. 16
keep-alive connections were seen split 16/0, 15/1 and 8/8 in consecutive runs, and a
16/0 split serves at half the throughput while a core idles.

With ``SO_REUSEPORT`` (Linux 3.9 and later) each worker listens on a socket of its own,
bound to the same address, and the kernel hashes each new connection onto one of them
(a 16/0 split of 16 connections has odds of 2 in 65,536). uvicorn's supervisor still
starts, watches and restarts the workers; it hands each worker the list it was given,
pickled. ``WorkerListeners`` is that list's one item: pickled in the supervisor, it
unpickles in the worker as a fresh socket bound there, so each worker, a restarted one
too, listens on its own. The supervisor keeps a bound socket that never listens, which
holds the port between restarts and makes a taken port fail at once.

A worker that dies drops the connections waiting in its own queue (its clients retry);
a shared queue would have kept them. That is the price of the balance.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

SUPPORTED = sys.platform == "linux" and hasattr(socket, "SO_REUSEPORT")


def bind(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` with ``SO_REUSEADDR`` and ``SO_REUSEPORT``; the
    server that receives it listens on it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class WorkerListeners:
    """The supervisor's stand-in for a socket: each worker unpickles it as its own."""

    def __init__(self, host: str, port: int) -> None:
        self._address = (host, port)
        self.reserved = bind(host, port)  # never listens: connections go to the workers

    def __reduce__(self) -> tuple[Any, tuple[str, int]]:
        return bind, self._address

    def close(self) -> None:
        self.reserved.close()
