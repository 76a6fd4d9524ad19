"""Password sign-in with smart lockout (Entra ID's, with familiar and unfamiliar locations).

The answers do not tell which users exist (OWASP Authentication Cheat Sheet, "Authentication
and Error Messages"): an unknown user, a wrong password and a user of another tenant all
get AADSTS50126 "Your account or password is incorrect." after the same argon2id work.

Failures are counted in the shared store, always within one tenant (``_counters``): an
address that signed this user in before (a *familiar* address) has its own count per (user,
address), so strangers' failures never lock the user out there; from every other address
the failures count per user name (known or not, so a lockout confirms nothing) and per
address. Past a key's threshold each further failure doubles its lockout,
up to ``max_lockout``. A locked key answers AADSTS50053 (HTTP 429, Retry-After) before any
password is checked, even a correct one. Only after a correct password does a disabled
account get its own answer, AADSTS50057, as Entra does. Addresses and user names are kept
only as keyed hashes (HMAC-SHA256 under a key derived from the deployment's pepper).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from collections.abc import Callable
from dataclasses import dataclass

from credo.aadsts import user as user_errors
from credo.errors import OAuthError
from credo.model import AuditEvent, ObjectId, Tenant, User
from credo.service.audit import AuditBuffer
from credo.service.passwords import Passwords
from credo.service.sources import SYSTEM, Sources
from credo.service.throttle import OnThrottle
from credo.store.api import FamiliarAddresses, SignInThrottle, UserDirectory

MAX_NAME = 320
_NOBODY = ObjectId("00000000-0000-0000-0000-000000000000")
_KEY_LABEL = "credo/sign-in keys/v1"


@dataclass(frozen=True)
class ThrottlePolicy:
    """Failures allowed before a lockout, per user name and per client address."""

    user_threshold: int = 5
    address_threshold: int = 20
    base_lockout: float = 60.0
    max_lockout: float = 900.0
    reset_after: float = 3600.0
    """A key with no failure for this long starts again from zero."""
    familiar_for: float = 90 * 86400.0
    """An address stays familiar to a user this long after it last signed them in."""

    def remaining(self, failures: int, last_failure: float, threshold: int,
                  now: float) -> float:
        """Seconds a key stays locked: 0 below ``threshold``, then base * 2**excess."""
        if failures < threshold or now - last_failure >= self.reset_after:
            return 0.0
        lockout = min(self.base_lockout * 2.0 ** min(failures - threshold, 32),
                      self.max_lockout)
        return max(0.0, last_failure + lockout - now)


@dataclass(frozen=True)
class Counter:
    """One failure count an attempt is checked against and counted on."""

    key: str
    threshold: int
    kind: str
    """``familiar`` (this user at this familiar address), ``user`` or ``address``."""


def throttled(retry_after: float, kind: str) -> OAuthError:
    return user_errors.LOCKED(retry_after=max(1, math.ceil(retry_after)),
                              detail=f"sign-in locked ({kind} key)")


class SignInService:
    """``sign_in`` checks a user name and password for one tenant, or raises ``OAuthError``."""

    def __init__(self, users: UserDirectory, throttle: SignInThrottle,
                 familiar: FamiliarAddresses, passwords: Passwords, audit: AuditBuffer, *,
                 key_source: Callable[[str], bytes], policy: ThrottlePolicy | None = None,
                 sources: Sources = SYSTEM, on_throttle: OnThrottle | None = None) -> None:
        self._users = users
        self._throttle = throttle
        self._familiar = familiar
        self._passwords = passwords
        self._audit = audit
        self._key = key_source(_KEY_LABEL)
        self._sources = sources
        self._on_throttle = on_throttle
        self.policy = policy or ThrottlePolicy()

    async def sign_in(self, tenant: Tenant, user_principal_name: str, password: str, *,
                      address: str, now: float) -> User:
        """The signed-in user; raises AADSTS50053 (locked), 50126 (bad) or 50057 (disabled)."""
        name = user_principal_name.strip().lower()[:MAX_NAME]
        user: User | None = None
        try:
            found = await self._users.user_by_upn(name) if name else None
            user = found if found is not None and found.tenant_id == tenant.id else None
            # The same queries whether or not the user exists (no timing difference).
            user_id = user.id if user is not None else _NOBODY
            seen = self._digest("seen", address)
            familiar = await self._familiar.is_familiar(user_id, seen,
                                                        now - self.policy.familiar_for)
            counters = self._counters(tenant, name, address, familiar)
            await self._check_lockout(counters, now)
            hashed = await self._users.password_hash(user_id)
            await self._verify(counters, hashed if user is not None else None, password, now)
            assert user is not None and hashed is not None  # verify raised otherwise
            await self._throttle.clear_failures([counters[0].key])
            if not user.account_enabled:
                raise user_errors.USER_DISABLED()
            await self._familiar.remember_address(user.id, seen, now,
                                                  now - self.policy.familiar_for)
            await self._upgrade_hash(user, hashed, password)
        except OAuthError as err:
            self._record(tenant, user, err.code, err.detail)
            raise
        self._record(tenant, user, 0, "")
        return user

    def _digest(self, *parts: str) -> str:
        message = "\x1f".join(parts).encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def _counters(self, tenant: Tenant, name: str, address: str,
                  familiar: bool) -> list[Counter]:
        """Familiar address: its own count for this user. Elsewhere: per user, per address."""
        threshold = self.policy.user_threshold
        if familiar:
            return [Counter(self._digest("familiar", tenant.id, name, address), threshold,
                            "familiar")]
        return [Counter(self._digest("user", tenant.id, name), threshold, "user"),
                Counter(self._digest("address", tenant.id, address),
                        self.policy.address_threshold, "address")]

    async def _check_lockout(self, counters: list[Counter], now: float) -> None:
        counts = await self._throttle.failure_counts([c.key for c in counters])
        waits = [(self.policy.remaining(*counts[c.key], c.threshold, now), c.kind)
                 for c in counters if c.key in counts]
        wait, kind = max(waits, default=(0.0, ""))
        if wait > 0:
            if self._on_throttle is not None:
                self._on_throttle(f"signin.{kind}")
            raise throttled(wait, kind)

    async def _verify(self, counters: list[Counter], hashed: str | None, password: str,
                      now: float) -> None:
        """The password check; a failure is counted on every one of ``counters``."""
        try:
            await self._passwords.verify(hashed, password)
        except OAuthError:
            await self._throttle.add_failure([c.key for c in counters], now,
                                             self.policy.reset_after)
            raise

    async def _upgrade_hash(self, user: User, hashed: str, password: str) -> None:
        if self._passwords.needs_rehash(hashed):
            await self._users.set_password_hash(user.id, await self._passwords.hash(password),
                                                user.password_changed or self._sources.now())

    def _record(self, tenant: Tenant, user: User | None, code: int, detail: str) -> None:
        """The user's name only when it is a user of the tenant: what was typed into the
        name field of a failed attempt is often a password."""
        who = user.user_principal_name if user is not None else "(name not recorded)"
        self._audit.add(AuditEvent(
            time=self._sources.now(), tenant_id=tenant.id, kind="signin.password",
            outcome="failure" if code else "success", code=code,
            detail=f"{who} {detail}".strip()[:500]))
