#!/usr/bin/env python3
"""Start the shared lean sketch (``../shared/bench/peers/py-lean``) as ``make bench``'s bound.

  <lean venv>/bin/python bench/lean_peer.py --port 8400 --workers 2 [--cert C --key K]

The sketch is not a peer: it is the leanest Python token endpoint the shared harness's
authors could write (raw ASGI, ``cryptography``, orjson, a per-process jti cache, no logs,
no directory, no sign-in log). ``make bench`` runs it beside Credo in the same sitting, with
the same HTTPS and the same number of processes, so the CPU a Python server needs per
token on this machine is printed next to Credo's and node's.

Each process runs uvicorn (uvloop, httptools) on its own listening socket bound with
``SO_REUSEPORT``, as ``credo serve`` does (``src/credo/web/reuseport.py``): with one
shared socket, the process that wakes first can take every connection wrk opens. The
sockets are made here, not passed with uvicorn's ``--fd``: uvicorn takes an inherited
descriptor for a Unix socket and never sets ``TCP_NODELAY`` on it, which costs every
response a delayed ACK (44 ms each, seen). Each process prints ``worker N: listening``
once its socket listens (a connection waits in that socket's queue until the
process accepts it). Runs in a venv of its own (uvicorn, uvloop, httptools, orjson,
cryptography): nothing here imports Credo.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
from pathlib import Path

SERVE = """
import socket, sys, uvicorn
sock = socket.socket()
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
sock.bind(("127.0.0.1", int(sys.argv[1])))
sock.listen(2048)  # connections wait in this socket's own queue from here on
tls = dict(ssl_certfile=sys.argv[3], ssl_keyfile=sys.argv[4]) if len(sys.argv) > 3 else {}
config = uvicorn.Config("app:app", loop="uvloop", http="httptools", access_log=False,
                        log_level="warning", lifespan="on", **tls)
server = uvicorn.Server(config)
config.load()
sys.stdout.write(f"worker {sys.argv[2]}: listening\\n")  # one write: the workers share a log
sys.stdout.flush()
server.run(sockets=[sock])
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sketch", type=Path, required=True, help="peers/py-lean of the harness")
    ap.add_argument("--port", type=int, default=8400)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cert", help="PEM certificate: serve HTTPS")
    ap.add_argument("--key", help="PEM private key of --cert")
    a = ap.parse_args()
    tls = [a.cert, a.key] if a.cert and a.key else []
    children = [subprocess.Popen([sys.executable, "-c", SERVE, str(a.port), str(n), *tls],
                                 cwd=a.sketch)
                for n in range(1, a.workers + 1)]

    def stop(*_: object) -> None:
        for child in children:
            child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    return max(child.wait() for child in children)


if __name__ == "__main__":
    sys.exit(main())
