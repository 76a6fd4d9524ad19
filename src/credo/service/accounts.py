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
from credo.service.sessions import SessionKeys
from credo.service.signin import SignInService
from credo.service.signout import SignOutService
from credo.service.sources import Sources
from credo.service.users import UserService
from credo.store.sql import SqlStore


@dataclass(frozen=True)
class Accounts:
    users: UserService
    signin: SignInService
    consent: AdminConsentService
    sessions: SessionKeys
    signout: SignOutService


def open_accounts(store: SqlStore, audit: AuditBuffer, *, key_source: Callable[[str], bytes],
                  on_change: Callable[[], None], sources: Sources) -> Accounts:
    """``key_source`` is the deployment's ``SecretHasher`` (session and CSRF keys);
    ``on_change`` drops the snapshot cache after a consent is written."""
    passwords = Passwords()

    async def revoke_tokens(user_id: ObjectId) -> None:
        await store.flows.revoke_user_tokens(user_id, sources.now())

    return Accounts(
        users=UserService(store.users, passwords, revoke_tokens=revoke_tokens, sources=sources),
        signin=SignInService(store.users, store.users, passwords, audit, sources=sources),
        consent=AdminConsentService(store, store.consent, audit, on_change=on_change,
                                    sources=sources),
        sessions=SessionKeys.derive(key_source),
        signout=SignOutService(store),
    )
