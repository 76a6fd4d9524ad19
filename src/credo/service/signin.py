"""Password sign-in with throttling of failed attempts (Entra "smart lockout"-like).

The answers do not tell which users exist (OWASP Authentication Cheat Sheet, "Authentication
and Error Messages"): an unknown user, a wrong password and a user of another tenant all
get AADSTS50126 "Your account or password is incorrect." after the same argon2id work.
Failures are counted per user name (known or not, so a lockout confirms nothing) and per
client address in the shared store; past a threshold each further failure doubles the
lockout, up to ``max_lockout``. A locked key answers AADSTS50053 (HTTP 429, Retry-After)
before any password is checked, even a correct one. Only after a correct password does a
disabled account get its own answer, AADSTS50057, as Entra does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from credo.aadsts import user as user_errors
from credo.errors import OAuthError
from credo.model import AuditEvent, ObjectId, Tenant, User
from credo.service.audit import AuditBuffer
from credo.service.passwords import Passwords
from credo.service.sources import SYSTEM, Sources
from credo.store.api import SignInThrottle, UserDirectory

MAX_NAME = 320
_NOBODY = ObjectId("00000000-0000-0000-0000-000000000000")


@dataclass(frozen=True)
class ThrottlePolicy:
    """Failures allowed before a lockout, per user name and per client address."""

    user_threshold: int = 5
    address_threshold: int = 20
    base_lockout: float = 60.0
    max_lockout: float = 900.0
    reset_after: float = 3600.0
    """A key with no failure for this long starts again from zero."""

    def remaining(self, failures: int, last_failure: float, threshold: int,
                  now: float) -> float:
        """Seconds a key stays locked: 0 below ``threshold``, then base * 2**excess."""
        if failures < threshold or now - last_failure >= self.reset_after:
            return 0.0
        lockout = min(self.base_lockout * 2.0 ** min(failures - threshold, 32),
                      self.max_lockout)
        return max(0.0, last_failure + lockout - now)


def throttled(retry_after: float) -> OAuthError:
    return user_errors.LOCKED(retry_after=max(1, math.ceil(retry_after)))


class SignInService:
    """``sign_in`` checks a user name and password for one tenant, or raises ``OAuthError``."""

    def __init__(self, users: UserDirectory, throttle: SignInThrottle, passwords: Passwords,
                 audit: AuditBuffer, policy: ThrottlePolicy | None = None,
                 sources: Sources = SYSTEM) -> None:
        self._users = users
        self._throttle = throttle
        self._passwords = passwords
        self._audit = audit
        self._sources = sources
        self.policy = policy or ThrottlePolicy()

    async def sign_in(self, tenant: Tenant, user_principal_name: str, password: str, *,
                      address: str, now: float) -> User:
        """The signed-in user; raises AADSTS50053 (locked), 50126 (bad) or 50057 (disabled)."""
        name = user_principal_name.strip().lower()[:MAX_NAME]
        user_key, address_key = f"user:{tenant.id}:{name}", f"address:{address}"
        user: User | None = None
        try:
            await self._check_lockout(user_key, address_key, now)
            found = await self._users.user_by_upn(name) if name else None
            user = found if found is not None and found.tenant_id == tenant.id else None
            # The same queries whether or not the user exists (no timing difference).
            hashed = await self._users.password_hash(user.id if user else _NOBODY)
            hashed = hashed if user is not None else None
            try:
                await self._passwords.verify(hashed, password)
            except OAuthError:
                await self._throttle.add_failure([user_key, address_key], now,
                                                 self.policy.reset_after)
                raise
            assert user is not None and hashed is not None  # verify raised otherwise
            await self._throttle.clear_failures([user_key])
            if not user.account_enabled:
                raise user_errors.USER_DISABLED()
            await self._upgrade_hash(user, hashed, password)
        except OAuthError as err:
            self._record(tenant, user, err.code, err.detail)
            raise
        self._record(tenant, user, 0, "")
        return user

    async def _check_lockout(self, user_key: str, address_key: str, now: float) -> None:
        counts = await self._throttle.failure_counts([user_key, address_key])
        thresholds = {user_key: self.policy.user_threshold,
                      address_key: self.policy.address_threshold}
        wait = max((self.policy.remaining(failures, last, thresholds[key], now)
                    for key, (failures, last) in counts.items()), default=0.0)
        if wait > 0:
            raise throttled(wait)

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
