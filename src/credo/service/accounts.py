"""Users, password sign-in, browser sessions and admin consent, built for one node.

``Services.accounts`` holds them; the delegated flows use ``accounts.users`` (user look-ups),
``accounts.sessions`` (through ``web/session.py``) and the signed-in user it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from credo.model import ObjectId
from credo.service.admin_consent import AdminConsentService
from credo.service.audit import AuditBuffer
from credo.service.passwords import Passwords
from credo.service.sessions import SessionService
from credo.service.signin import SignInService, ThrottlePolicy
from credo.service.signout import SignOutService
from credo.service.sources import Sources
from credo.service.throttle import OnThrottle
from credo.service.users import UserService
from credo.store.sql import SqlStore


@dataclass(frozen=True)
class Accounts:
    users: UserService
    signin: SignInService
    consent: AdminConsentService
    sessions: SessionService
    signout: SignOutService


def open_accounts(store: SqlStore, audit: AuditBuffer, *, key_source: Callable[[str], bytes],
                  on_change: Callable[[], None], sources: Sources,
                  lockout: ThrottlePolicy | None = None,
                  on_throttle: OnThrottle | None = None) -> Accounts:
    """``key_source`` is the deployment's ``SecretHasher`` (CSRF and sign-in key hashes);
    ``on_change`` drops the snapshot cache after a consent is written."""
    passwords = Passwords()
    sessions = SessionService.derive(store.sessions, key_source, sources=sources)

    async def revoke_access(user_id: ObjectId) -> None:
        await store.flows.revoke_user_tokens(user_id, sources.now())
        await sessions.end_all(user_id)

    return Accounts(
        users=UserService(store.users, passwords, revoke_access=revoke_access, sources=sources),
        signin=SignInService(store.users, store.users, store.users, passwords, audit,
                             key_source=key_source, policy=lockout, sources=sources,
                             on_throttle=on_throttle),
        consent=AdminConsentService(store, store.consent, audit, on_change=on_change,
                                    sources=sources),
        sessions=sessions,
        signout=SignOutService(store),
    )
