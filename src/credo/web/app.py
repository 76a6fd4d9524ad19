"""The ASGI application over open services; ``create_app`` is the uvicorn factory."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from credo import logs
from credo.aadsts.request import METHOD_NOT_ALLOWED, PATH_NOT_FOUND
from credo.aadsts.service import TRANSIENT
from credo.config import load_settings
from credo.errors import StoreUnavailable
from credo.metrics.exposition import worker_exited
from credo.service.readiness import for_services
from credo.service.runtime import Services, close_services, open_services, start_background
from credo.web import admin_consent, authorize, health, managed_identity, portal, render, signin
from credo.web.access import AccessLog
from credo.web.connection_limits import LimitedHttpProtocol
from credo.web.protocol import ProtocolRoutes
from credo.web.token_endpoint import TokenEndpoint


def _not_found(request: Request, exc: Exception) -> Response:
    err = PATH_NOT_FOUND(path=request.url.path[:200])
    return render.oauth_error_response(err, render.correlation_id(None))


def _not_allowed(request: Request, exc: Exception) -> Response:
    err = METHOD_NOT_ALLOWED(method=request.method[:10])
    return render.oauth_error_response(err, render.correlation_id(None))


def _unavailable(request: Request, exc: Exception) -> Response:
    """The database did not answer a page or discovery request: 503 with Retry-After."""
    err = TRANSIENT(detail=str(exc))
    return render.oauth_error_response(err, render.correlation_id(None))


def build_app(services: Services) -> ASGIApp:
    """The whole HTTP surface over already-open services (tests use it with ASGITransport):
    the raw token route outermost (it writes its own access line), then the access log
    around Starlette."""
    from credo.web.management import management_app, management_mount

    protocol = ProtocolRoutes(services.settings.base_url, services.cache, services.keys)
    management = management_app(services)
    routes = [*health.routes(for_services(services)), *protocol.routes(), *signin.routes(),
              *admin_consent.routes(), *authorize.routes(), management_mount(management),
              *portal.routes(management)]
    app = Starlette(routes=routes, exception_handlers={
        404: _not_found, 405: _not_allowed, StoreUnavailable: _unavailable})
    app.state.services = services  # the pages' handlers (web/session.py services_of)
    return TokenEndpoint(services.tokens, AccessLog(app), services.settings)


def create_app() -> ASGIApp:
    """The uvicorn factory (``credo.web.app:create_app``); settings from ``CREDO_*``."""
    settings = load_settings()
    logs.configure(settings.log_level, settings.log_format)
    LimitedHttpProtocol.configure(header_timeout=settings.header_timeout,
                                  body_timeout=settings.body_timeout,
                                  max_connections=settings.max_connections)
    holder: dict[str, Services] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: object) -> AsyncIterator[None]:
        services = await open_services(settings)
        start_background(services)
        holder["services"] = services
        listener = await managed_identity.start_listener(services)
        yield
        if listener is not None:
            await listener.stop()
        await close_services(services)
        worker_exited()

    return _Deferred(holder, lifespan)


class _Deferred:
    """Builds the real app once the lifespan has opened the services."""

    def __init__(self, holder: dict[str, Services], lifespan: object) -> None:
        self._holder = holder
        self._lifespan = lifespan
        self._app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await Starlette(lifespan=self._lifespan)(scope, receive, send)  # type: ignore[arg-type]
            return
        if self._app is None:
            self._app = build_app(self._holder["services"])
        await self._app(scope, receive, send)
