"""The composition root: open the store, build the services, wire the ASGI application."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import ASGIApp

from credo.cache.replay import RedisReplay
from credo.config import Settings, load_settings
from credo.errors import InvalidRequest
from credo.service.audit import AuditBuffer
from credo.service.directory import DirectoryService
from credo.service.keys import KeyService
from credo.service.secrets import SecretHasher
from credo.service.snapshots import DirectoryCache, poll_versions
from credo.service.token import TokenService
from credo.store.api import ReplayStore
from credo.store.seal import Sealer
from credo.store.sql import SqlStore, open_store
from credo.web import render
from credo.web.protocol import ProtocolRoutes
from credo.web.token_endpoint import TokenEndpoint

log = logging.getLogger("credo.web")


@dataclass
class Services:
    settings: Settings
    store: SqlStore
    replay: ReplayStore
    cache: DirectoryCache
    keys: KeyService
    audit: AuditBuffer
    tokens: TokenService
    directory: DirectoryService
    tasks: list[asyncio.Task[None]] = field(default_factory=list)


async def open_services(settings: Settings) -> Services:
    """Everything a node needs; the database must already be migrated (``credo init``)."""
    sealer = Sealer.from_env_or_file(settings.data_dir / "master.key", create=False)
    store = await open_store(settings.database_url, sealer)
    replay: ReplayStore = RedisReplay(settings.redis_url) if settings.redis_url else store
    cache = DirectoryCache(store)
    await cache.refresh()
    keys = KeyService(store, rotation_days=settings.key_rotation_days,
                      retention_days=settings.key_retention_days)
    await keys.load()
    audit = AuditBuffer(store)
    hasher = SecretHasher.from_data_dir(settings.data_dir)
    tokens = TokenService(base_url=settings.base_url, cache=cache, keys=keys, replay=replay,
                          audit=audit, secret_hasher=hasher,
                          token_lifetime=settings.token_lifetime)
    directory = DirectoryService(store, secret_hasher=hasher, on_change=cache.invalidate)
    return Services(settings, store, replay, cache, keys, audit, tokens, directory)


async def _key_maintenance(keys: KeyService) -> None:
    """Pick up rotations made by other nodes; rotate on schedule (every node may try: the
    store's compare-and-swap lets exactly one win)."""
    while True:
        await asyncio.sleep(30)
        try:
            await keys.maintain(datetime.now(UTC))
        except Exception:  # noqa: BLE001 - keep serving with the keys we have
            log.warning("key maintenance failed", exc_info=True)


def start_background(services: Services) -> None:
    s = services
    s.tasks = [asyncio.create_task(poll_versions(s.cache, s.settings.cache_seconds)),
               asyncio.create_task(s.audit.run()),
               asyncio.create_task(_key_maintenance(s.keys))]


async def close_services(services: Services) -> None:
    for task in services.tasks:
        task.cancel()
    with contextlib.suppress(Exception):
        await services.audit.flush()
    await services.store.close()


def _not_found(request: Request, exc: Exception) -> Response:
    err = InvalidRequest(90100, f"The requested path '{request.url.path[:200]}' does not exist.",
                         status=404)
    return render.oauth_error_response(err, render.correlation_id(None))


def _not_allowed(request: Request, exc: Exception) -> Response:
    err = InvalidRequest(900561, f"The endpoint does not accept {request.method[:10]} requests.",
                         status=405)
    return render.oauth_error_response(err, render.correlation_id(None))


def build_app(services: Services) -> ASGIApp:
    """The whole HTTP surface over already-open services (tests use it with ASGITransport)."""
    from credo.web.management import management_app

    protocol = ProtocolRoutes(services.settings.base_url, services.cache, services.keys)
    routes = [*protocol.routes(), Mount("/v1.0", app=management_app(services))]
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_allowed})
    return TokenEndpoint(services.tokens, app)


def create_app() -> ASGIApp:
    """The uvicorn factory (``credo.web.app:create_app``); settings from ``CREDO_*``."""
    settings = load_settings()
    holder: dict[str, Services] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: object) -> AsyncIterator[None]:
        services = await open_services(settings)
        start_background(services)
        holder["services"] = services
        yield
        await close_services(services)

    return _Deferred(holder, lifespan)


class _Deferred:
    """Builds the real app once the lifespan has opened the services."""

    def __init__(self, holder: dict[str, Services], lifespan: object) -> None:
        self._holder = holder
        self._lifespan = lifespan
        self._app: ASGIApp | None = None

    async def __call__(self, scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        if scope["type"] == "lifespan":
            await Starlette(lifespan=self._lifespan)(scope, receive, send)  # type: ignore[arg-type]
            return
        if self._app is None:
            self._app = build_app(self._holder["services"])
        await self._app(scope, receive, send)  # type: ignore[arg-type]
