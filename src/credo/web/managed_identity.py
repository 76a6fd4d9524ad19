"""The managed-identity listener: ``GET /msi/token`` on its own port, loopback by default.

A separate listener rather than a route of the main port: a reverse proxy in front of the
main port can never forward to it, and its port is what ``IDENTITY_ENDPOINT`` names
(``http://127.0.0.1:<managed_identity_port>/msi/token``, plain HTTP on loopback as on App
Service). Each worker process serves it from the same socket address (``SO_REUSEPORT``).
Answers are JSON: the token (200), or ``{"statusCode", "message", "correlationId"}`` with the
status of the refusal, as App Service answers. Every request gets an access line and a latency
observation, as on the main port; uvicorn's ``X-Forwarded-For`` handling is off, so the
address checked and logged is the socket's. The rules are in ``service/managed_identity.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Iterator, Mapping
from urllib.parse import parse_qsl

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from credo.service.managed_identity import IdentityRefused, IdentityRequest
from credo.service.runtime import Services
from credo.web import render
from credo.web.access import UNMATCHED, answered

PATH = "/msi/token"


def managed_identity_app(services: Services) -> ASGIApp:
    """The ASGI app of the listener (tests call it with ``httpx.ASGITransport``)."""
    service = services.managed_identity

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        correlation = render.correlation_id(_header(scope, b"x-ms-client-request-id"))
        body: Mapping[str, object]
        if scope["path"] != PATH:
            status, body = 404, _refusal(404, f"No endpoint at {scope['path'][:100]}.",
                                         correlation)
        elif scope["method"] != "GET":
            status, body = 405, _refusal(405, "Use GET.", correlation)
        elif service is None:
            status, body = 404, _refusal(404, "No managed identity is configured.", correlation)
        else:
            request = IdentityRequest(
                params=_query(scope), header=_header(scope, b"x-identity-header"),
                peer=(scope.get("client") or ("", 0))[0], correlation_id=correlation)
            try:
                status, body = 200, await service.token(request)
            except IdentityRefused as refused:
                status, body = refused.status, _refusal(refused.status, refused.description,
                                                        correlation)
        headers = [*render.NO_STORE]
        if status == 405:
            headers.append((b"allow", b"GET"))
        try:
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": render.json_bytes(body)})
        finally:  # every request, refused or not: one access line, one latency observation
            answered(scope, PATH if scope["path"] == PATH else UNMATCHED, status, correlation,
                     time.perf_counter() - started)

    return app


def _refusal(status: int, message: str, correlation: str) -> dict[str, object]:
    return {"statusCode": status, "message": message, "correlationId": correlation}


def _header(scope: Scope, name: bytes) -> str | None:
    found = [v for k, v in scope["headers"] if k == name]
    return found[0].decode("latin-1") if len(found) == 1 else None


def _query(scope: Scope) -> dict[str, str]:
    """The query's parameters; a repeated one counts as absent (nothing is guessed)."""
    pairs = parse_qsl(scope["query_string"].decode("latin-1"), errors="replace")
    names = [k for k, _ in pairs]
    return {k: v for k, v in pairs if names.count(k) == 1}


class _Server(uvicorn.Server):
    """A second uvicorn server inside a worker: the main server owns the signals."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Listener:
    """The running listener of one worker; ``stop`` ends it."""

    def __init__(self, server: _Server, task: asyncio.Task[None]) -> None:
        self._server = server
        self._task = task

    async def stop(self) -> None:
        self._server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(self._task, timeout=5)


async def start_listener(services: Services) -> Listener | None:
    """Listen on ``managed_identity_host:managed_identity_port`` when a port is set."""
    settings = services.settings
    if not settings.managed_identity_port:
        return None
    family = socket.AF_INET6 if ":" in settings.managed_identity_host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if hasattr(socket, "SO_REUSEPORT"):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((settings.managed_identity_host, settings.managed_identity_port))
    config = uvicorn.Config(managed_identity_app(services), lifespan="off", log_config=None,
                            access_log=False, server_header=False, proxy_headers=False)
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if task.done():
        task.result()  # raises what stopped it
        raise RuntimeError("the managed-identity listener stopped as it started")
    return Listener(server, task)
