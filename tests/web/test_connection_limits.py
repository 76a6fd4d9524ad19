"""Finding 6: slow clients are cut off, connections are capped, HSTS on every response.

A real ``credo serve`` over TLS with small limits: connections that trickle a request head
or body get ``408`` and are closed while a normal client is served; connections past the cap
are closed without a byte read. (Socket timeouts here only keep a broken server from
hanging the suite; what is asserted is what the server sent.)
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from live import LiveServer, start_server, stop_server

pytestmark = pytest.mark.slow
LIMITS = {"CREDO_HEADER_TIMEOUT": "2", "CREDO_BODY_TIMEOUT": "2",
          "CREDO_MAX_CONNECTIONS": "40"}
TIMEOUT_408 = b"HTTP/1.1 408 Request Timeout"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(Path(tmp_path_factory.mktemp("limits")) / "credo", env=LIMITS)
    yield live
    stop_server(live)


def _connect(server: LiveServer) -> ssl.SSLSocket:
    host, port = server.url.removeprefix("https://").split(":")
    raw = socket.create_connection((host, int(port)), timeout=30)
    return server.ssl_context().wrap_socket(raw, server_hostname=host)


def _answer(sock: ssl.SSLSocket) -> bytes:
    """Everything the server sends until it closes (or resets) the connection."""
    chunks = []
    try:
        while chunk := sock.recv(4096):
            chunks.append(chunk)
    except (ConnectionResetError, ssl.SSLError):
        pass
    sock.close()
    return b"".join(chunks)


def test_a_trickling_request_head_gets_408_while_others_are_served(server: LiveServer) -> None:
    slow = [_connect(server) for _ in range(30)]
    for sock in slow:
        sock.sendall(b"POST /common/oauth2/v2.0/tok")
    with httpx.Client(verify=server.ssl_context()) as client:
        served = client.get(f"{server.url}/{server.bootstrap_tenant}/discovery/v2.0/keys")
    assert served.status_code == 200
    assert served.headers["strict-transport-security"] == "max-age=31536000"
    for sock in slow:
        assert _answer(sock).startswith(TIMEOUT_408)


def test_one_hsts_header_on_every_kind_of_answer(server: LiveServer) -> None:
    """The server adds it (``hsts_seconds``); the portal once added a second, fixed one."""
    with httpx.Client(verify=server.ssl_context()) as client:
        for path in (f"/{server.bootstrap_tenant}/discovery/v2.0/keys", "/portal/",
                     f"/{server.bootstrap_tenant}/oauth2/v2.0/logout", "/v1.0/applications"):
            answer = client.get(f"{server.url}{path}")
            assert answer.headers.get_list("strict-transport-security") == [
                "max-age=31536000"], path


def test_a_trickling_body_gets_408(server: LiveServer) -> None:
    sock = _connect(server)
    sock.sendall(f"POST /{server.bootstrap_tenant}/oauth2/v2.0/token HTTP/1.1\r\n"
                 "Host: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                 "Content-Length: 100\r\n\r\n".encode())
    try:
        for _ in range(6):  # one byte a second: the 100 bytes would take far over 2 s
            sock.sendall(b"a")
            time.sleep(1)
    except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
        pass
    assert _answer(sock).startswith(TIMEOUT_408)


def test_connections_past_the_cap_are_closed_unread(server: LiveServer) -> None:
    held = [_connect(server) for _ in range(40)]
    extra = []
    for _ in range(5):
        try:
            extra.append(_connect(server))
        except (ConnectionResetError, ssl.SSLError, OSError):
            extra.append(None)
    for sock in extra:  # closed at once: no 408, nothing at all
        assert sock is None or _answer(sock) == b""
    for sock in held:  # the held ones are timed out as slow clients
        assert _answer(sock).startswith(TIMEOUT_408)
