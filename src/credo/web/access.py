"""The outermost ASGI layer: one access-log line and one latency observation per request.

The line names the route template (``/{tenant}/oauth2/v2.0/token``,
``/v1.0/applications/{app_ref}``), never the raw path or the query, so ids, tenant names and
anything a client puts in a URL stay out of the log; an unknown path is ``unmatched``.
The correlation id is the ``client-request-id`` the response carries (the caller's when it
was sane, else one Credo made), else the request's own header when it is a sane token. The
tenant and client id are noted by the inner layers when they know them (``note_caller``):
the token endpoint after its pipeline, the management API once the caller is authenticated.

The token route is answered outside this layer and calls ``answered`` itself, with what it
already knows (route, status, correlation id): the busiest route skips a wrapped ``send``
and a header scan.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from credo import logs, metrics

log = logging.getLogger("credo.access")

CALLER = "credo.caller"
LINE = "%s %s %d %.1f ms"
UNMATCHED = "unmatched"
_SANE = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def note_caller(scope: Scope, tenant_id: str, client_id: str) -> None:
    """The tenant and client of the request, for its access-log line."""
    scope[CALLER] = (tenant_id, client_id)


def route_template(scope: Scope) -> str:
    """The template of the route that answered (mount prefix included), or ``unmatched``."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    if route is None or isinstance(route, Mount) or not isinstance(path, str):
        return UNMATCHED
    return str(scope.get("root_path", "")) + path


def _header(headers: Any, name: bytes) -> str:
    for key, value in headers or ():
        if key.lower() == name:
            text = bytes(value).decode("latin-1")
            return text if _SANE.match(text) else ""
    return ""


class AccessLog:
    """ASGI middleware around the whole application."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.perf_counter()
        answer: list[Any] = [500, None]

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer[0], answer[1] = message["status"], message.get("headers")
            await send(message)

        try:
            await self._app(scope, receive, watch)
        finally:
            correlation = (_header(answer[1], b"client-request-id")
                           or _header(scope["headers"], b"client-request-id"))
            answered(scope, route_template(scope), answer[0], correlation,
                     time.perf_counter() - started)


def answered(scope: Scope, route: str, status: int, correlation: str, seconds: float) -> None:
    """The request's latency observation and access-log line."""
    metrics.request_answered(route, scope["method"], status, seconds)
    if log.isEnabledFor(logging.INFO):
        tenant, client_id = scope.get(CALLER, ("", ""))
        method = scope["method"][:16]
        fields = {"method": method, "route": route, "status": status,
                  "duration_ms": round(seconds * 1000, 2), "correlation_id": correlation,
                  "tenant": tenant, "client_id": client_id}
        args = (method, route, status, seconds * 1000)
        if not logs.write_direct(log, LINE % args, fields):
            log.info(LINE, *args, extra=fields)
