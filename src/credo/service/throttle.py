"""The token endpoint's failure budgets: per (tenant, client) and per tenant.

A failure is a presented client credential that does not verify (RFC 6749 §2.3: wrong
secret, bad assertion, replayed ``jti``), counted on two keys: the (tenant, client) pair and
the tenant. Only clients that exist in the tenant are counted, so an unknown client id
throttles nothing. Once a client has ``client_failures`` in the current window, its requests
are answered 429 (AADSTS50196, ``Retry-After`` = the rest of the window): a client secret,
even the right one, is refused unread; an assertion is still verified and refused only when
it fails (``TokenService._authenticate``), so knowing a client id is not enough to lock out
a client that signs with its certificate. Once the tenant has ``tenant_failures``, the
clients of the tenant that failed in this window are refused too (AADSTS90055); a client
without failures of its own is never refused. A refused request is not counted, so a
throttled client adds at most ``client_failures`` per window to its tenant's count.

The success path pays one dictionary look-up: the budget is read only for a client this
process knows to have failures in an open window. A process learns of its own failures at
once and of other processes' failures (through the shared counter) at most every
``sync_every`` seconds. A counter that cannot answer fails open, with a warning: throttling
brakes guessing and load; a credential's strength never depends on it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from credo.aadsts.client import CLIENT_THROTTLED, TENANT_THROTTLED
from credo.cache.failures import LocalFailures
from credo.errors import OAuthError, StoreUnavailable
from credo.model import Tenant
from credo.store.api import FailureCounter

log = logging.getLogger("credo.throttle")
OnThrottle = Callable[[str], None]
"""Told the kind of every refusal (``token.client``, ``token.tenant``, ``signin.user``, …)."""


@dataclass(frozen=True)
class ThrottleLimits:
    client_failures: int = 20
    tenant_failures: int = 200
    window: float = 60.0
    sync_every: float = 2.0
    """How often a process reads which clients failed elsewhere (the propagation bound)."""


class TokenThrottle:
    """``over_budget`` before a client's credential is verified; ``failed`` when it does not."""

    def __init__(self, counter: FailureCounter | None = None,
                 limits: ThrottleLimits | None = None, *, clock: Callable[[], float] = time.time,
                 on_throttle: OnThrottle | None = None) -> None:
        """``counter``: Redis's (shared) or, by default, this process's own."""
        self._counter = counter or LocalFailures()
        self.limits = limits or ThrottleLimits()
        self._clock = clock
        self._on_throttle = on_throttle
        self._hints: dict[str, float] = {}
        self._sync_due = 0.0

    async def over_budget(self, tenant: Tenant, client_id: str) -> OAuthError | None:
        """AADSTS50196 or 90055 (429) when the client or its tenant is over budget, to be
        raised through ``refuse``; None otherwise."""
        now = self._clock()
        if now >= self._sync_due:
            await self._sync(now)
        key = _client_key(tenant, client_id)
        if self._hints.get(key, 0.0) <= now:
            return None  # no failure of this client in an open window: nothing to read
        try:
            (mine, mine_ends), (all_, all_ends) = await self._counter.counts(
                [key, _tenant_key(tenant)], now)
        except StoreUnavailable as exc:
            log.warning("token throttle not checked: %s (%s)", exc.description, exc.detail)
            return None
        if mine >= self.limits.client_failures:
            return CLIENT_THROTTLED(retry_after=_seconds(mine_ends - now),
                                    detail=f"{mine} failed authentications of the client")
        if mine and all_ >= self.limits.tenant_failures:
            return TENANT_THROTTLED(retry_after=_seconds(all_ends - now),
                                    detail=f"{all_} failed authentications in the tenant")
        if not mine:
            self._hints.pop(key, None)
        return None

    def refuse(self, err: OAuthError) -> OAuthError:
        """``err`` (from ``over_budget``), noted for metrics, to raise."""
        if self._on_throttle is not None:
            self._on_throttle("token.tenant" if err.code == TENANT_THROTTLED.code
                              else "token.client")
        return err

    async def failed(self, tenant: Tenant, client_id: str) -> None:
        """Counts one failed authentication of the client (and of its tenant)."""
        now = self._clock()
        key = _client_key(tenant, client_id)
        try:
            windows = await self._counter.add([key, _tenant_key(tenant)], self.limits.window,
                                              now)
        except StoreUnavailable as exc:
            log.warning("token failure not counted: %s (%s)", exc.description, exc.detail)
            return
        self._hints[key] = windows[0][1]

    async def _sync(self, now: float) -> None:
        """Learn the clients that failed on other processes; keep this one's open hints."""
        self._sync_due = now + self.limits.sync_every
        try:
            fresh = await self._counter.failing(now)
        except StoreUnavailable as exc:
            log.warning("token throttle hints not refreshed: %s", exc.detail)
            return
        self._hints = {k: ends for k, ends in self._hints.items() if ends > now} | fresh


def _client_key(tenant: Tenant, client_id: str) -> str:
    return f"client:{tenant.id}:{client_id.lower()}"


def _tenant_key(tenant: Tenant) -> str:
    return f"tenant:{tenant.id}"


def _seconds(remaining: float) -> int:
    """An integer ``Retry-After`` (RFC 9110 §10.2.3), never 0."""
    return max(1, math.ceil(remaining))
