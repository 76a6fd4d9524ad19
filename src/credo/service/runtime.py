"""The composition root: open the store, build the services, run the background tasks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from credo import metrics
from credo.cache.failures import LocalFailures, RedisFailures
from credo.cache.replay import RedisReplay
from credo.config import ConfigError, Settings
from credo.model import AuditEvent, AuditTarget
from credo.service.accounts import Accounts, open_accounts
from credo.service.audit import AuditBuffer
from credo.service.bootstrap import ensure_management_api, ensure_portal
from credo.service.directory import DirectoryService
from credo.service.federation import FederatedKeys, ssl_context
from credo.service.grants import Grant, GrantServices, build_grants
from credo.service.keys import KeyService
from credo.service.managed_identity import (
    ManagedIdentityService,
    identity_secret,
    is_loopback,
)
from credo.service.management import Management, open_management
from credo.service.management.activities import ROTATE
from credo.service.portal import PortalSignIn
from credo.service.secrets import SecretHasher
from credo.service.signin import ThrottlePolicy
from credo.service.snapshots import DirectoryCache, poll_versions
from credo.service.sources import SYSTEM, Sources
from credo.service.throttle import OnThrottle, ThrottleLimits, TokenThrottle
from credo.service.token import TokenService
from credo.service.user_flows import UserFlows, open_user_flows
from credo.store.api import FailureCounter, ReplayStore
from credo.store.seal import Sealer
from credo.store.sql import SqlStore, open_store

log = logging.getLogger("credo.runtime")
SAMPLE_SECONDS = 5.0
PURGE_SECONDS = 3600.0


@dataclass
class Services:
    settings: Settings
    store: SqlStore
    sources: Sources
    replay: ReplayStore
    cache: DirectoryCache
    keys: KeyService
    audit: AuditBuffer
    tokens: TokenService
    directory: DirectoryService
    accounts: Accounts
    delegated: UserFlows
    management: Management
    portal: PortalSignIn
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    managed_identity: ManagedIdentityService | None = None
    federation: FederatedKeys | None = None


def _token_throttle(settings: Settings, sources: Sources, on_throttle: OnThrottle | None
                    ) -> TokenThrottle:
    """Failure budgets shared through Redis when configured, per process otherwise."""
    failures: FailureCounter = (RedisFailures(settings.redis_url) if settings.redis_url
                                else LocalFailures())
    limits = ThrottleLimits(settings.token_client_failures, settings.token_tenant_failures,
                            settings.token_failure_window, sync_every=settings.cache_seconds)
    return TokenThrottle(failures, limits, clock=sources.clock, on_throttle=on_throttle)


def _federation(settings: Settings) -> FederatedKeys:
    return FederatedKeys(timeout=settings.federation_timeout,
                         ttl=settings.federation_cache_seconds,
                         verify=ssl_context(settings.federation_ca_file, own_ca=settings.ca_path))


def _identity_ids(settings: Settings) -> tuple[str, ...]:
    """The appIds of the local managed identity; none when its listener is off."""
    if not settings.managed_identity_port:
        return ()
    client_ids = tuple(c.strip() for c in settings.managed_identity_client_ids.split(",")
                       if c.strip())
    if not settings.managed_identity_tenant or not client_ids:
        raise ConfigError("managed_identity_port is set: set managed_identity_tenant and "
                          "managed_identity_client_ids too (the tenant and the appIds the "
                          "local managed identity is)")
    return client_ids


def _managed_identity(settings: Settings, client_ids: tuple[str, ...], cache: DirectoryCache,
                      grant: Grant, audit: AuditBuffer,
                      sources: Sources) -> ManagedIdentityService | None:
    if not client_ids:
        return None
    return ManagedIdentityService(
        tenant=settings.managed_identity_tenant, client_ids=client_ids,
        secret=identity_secret(settings.managed_identity_secret, settings.data_dir),
        cache=cache, grant=grant, audit=audit, sources=sources,
        remote_allowed=not is_loopback(settings.managed_identity_host))


def _lockout(settings: Settings) -> ThrottlePolicy:
    return ThrottlePolicy(user_threshold=settings.lockout_threshold,
                          address_threshold=settings.lockout_address_threshold,
                          base_lockout=settings.lockout_seconds)


async def open_services(settings: Settings, sources: Sources = SYSTEM, *,
                        on_throttle: OnThrottle | None = None) -> Services:
    """Everything a node needs; the database must already be migrated (``credo init``).
    ``on_throttle`` is told the kind of every throttle refusal (the throttle metric by
    default)."""
    on_throttle = on_throttle or metrics.throttled
    identity_ids = _identity_ids(settings)
    federation = _federation(settings)
    sealer = Sealer.from_env_or_file(settings.data_dir / "master.key", create=False)
    store = await open_store(settings.database_url, sealer)
    replay: ReplayStore = RedisReplay(settings.redis_url) if settings.redis_url else store
    cache = DirectoryCache(store, max_age=settings.cache_seconds + settings.max_stale_seconds)
    await cache.refresh()
    keys = KeyService(store, rotation_days=settings.key_rotation_days,
                      retention_days=settings.key_retention_days)
    await keys.load()
    audit = AuditBuffer(store)
    hasher = SecretHasher.from_data_dir(settings.data_dir)
    directory = DirectoryService(store, secret_hasher=hasher, on_change=cache.invalidate,
                                 sources=sources)
    accounts = open_accounts(store, audit, key_source=hasher, on_change=cache.invalidate,
                             sources=sources, lockout=_lockout(settings),
                             on_throttle=on_throttle)
    delegated = open_user_flows(store.flows, base_url=settings.base_url, cache=cache,
                                keys=keys, audit=audit, hasher=hasher, directory=directory,
                                token_lifetime=settings.token_lifetime, sources=sources)
    grants = build_grants(GrantServices(
        base_url=settings.base_url, cache=cache, keys=keys, user_tokens=delegated.user_tokens,
        flows=delegated.store, users=accounts.users, token_lifetime=settings.token_lifetime,
        new_id=sources.new_token_id))
    metrics.bind_token_outcomes(list(grants))
    tokens = TokenService(base_url=settings.base_url, cache=cache, replay=replay, audit=audit,
                          secret_hasher=hasher, grants=grants, clock=sources.clock,
                          throttle=_token_throttle(settings, sources, on_throttle),
                          federation=federation)
    await ensure_management_api(directory)
    await ensure_portal(directory, store.flows, settings.base_url)
    management = open_management(
        base_url=settings.base_url, directory=directory, keys=keys, users=accounts.users,
        flows=store.flows, audit=audit, log=store, bootstrap_tenant=settings.bootstrap_tenant,
        operator_app_id=settings.operator_app_id)
    portal = PortalSignIn(base_url=settings.base_url, tokens=tokens, store=store.portal,
                          sessions=accounts.sessions, sources=sources)
    return Services(settings, store, sources, replay, cache, keys, audit, tokens, directory,
                    accounts, delegated, management, portal,
                    managed_identity=_managed_identity(settings, identity_ids, cache,
                                                       grants["client_credentials"], audit,
                                                       sources),
                    federation=federation)


async def _key_maintenance(services: Services) -> None:
    """Pick up rotations made by other nodes; rotate on schedule (every node may try: the
    store's compare-and-swap lets exactly one win, and only the winner audits it)."""
    keys = services.keys
    while True:
        await asyncio.sleep(30)
        try:
            before = keys.active_kid
            rotated = await keys.maintain(datetime.now(UTC))
        except Exception:
            log.warning("key maintenance failed", exc_info=True)
            continue
        if rotated:
            services.audit.add(AuditEvent(
                time=services.sources.now(), tenant_id=services.settings.bootstrap_tenant,
                kind="keys.rotate", outcome="success", detail=f"scheduled; was {before}",
                activity=ROTATE, category="KeyManagement",
                targets=(AuditTarget("SigningKey", keys.active_kid or ""),)))


async def _purge_audit(services: Services) -> None:
    """Delete audit events past ``audit_retention_days`` (every node may: deletes commute)."""
    keep = timedelta(days=services.settings.audit_retention_days)
    while True:
        try:
            purged = await services.store.purge_events(services.sources.now() - keep)
            if purged:
                log.info("audit: %d events older than %s deleted", purged, keep)
        except Exception:
            log.warning("audit purge failed", exc_info=True)
        await asyncio.sleep(PURGE_SECONDS)


async def _sample(services: Services) -> None:
    """The gauges nothing on a request path sets: cache age, database pool."""
    while True:
        metrics.CACHE_AGE.set(services.cache.age)
        size, used = services.store.pool_status()
        metrics.DB_POOL_SIZE.set(size)
        metrics.DB_POOL_CHECKED_OUT.set(used)
        await asyncio.sleep(SAMPLE_SECONDS)


def start_background(services: Services) -> None:
    s = services
    s.tasks = [asyncio.create_task(poll_versions(s.cache, s.settings.cache_seconds,
                                                 on_change=s.keys.load)),
               asyncio.create_task(s.audit.run()),
               asyncio.create_task(_key_maintenance(s)),
               asyncio.create_task(_purge_audit(s)),
               asyncio.create_task(_sample(s))]


async def close_services(services: Services) -> None:
    for task in services.tasks:
        task.cancel()
    with contextlib.suppress(Exception):
        await services.audit.flush()
    if services.federation is not None:
        await services.federation.close()
    await services.store.close()
