"""Users, password sign-in, browser sessions and admin consent, built for one node.

``Services.accounts`` holds them; the delegated flows use ``accounts.users`` (user look-ups),
``accounts.sessions`` (through ``web/session.py``) and the signed-in user it returns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from credo.model import ObjectId
from credo.service.audit import AuditBuffer
from credo.service.consent import AdminConsentService
from credo.service.passwords import Passwords
from credo.service.sessions import SessionKeys
from credo.service.signin import SignInService
from credo.service.users import UserService
from credo.store.api import Directory
from credo.store.db import Database
from credo.store.sql_consent import SqlConsentStore
from credo.store.sql_flows import SqlFlowStore
from credo.store.sql_users import SqlUserStore


@dataclass(frozen=True)
class Accounts:
    users: UserService
    signin: SignInService
    consent: AdminConsentService
    sessions: SessionKeys


def open_accounts(db: Database, directory: Directory, audit: AuditBuffer, *,
                  key_source: Callable[[str], bytes],
                  on_change: Callable[[], None]) -> Accounts:
    """``key_source`` is the deployment's ``SecretHasher`` (session and CSRF keys);
    ``on_change`` drops the snapshot cache after a consent is written."""
    store = SqlUserStore(db)
    passwords = Passwords()
    flows = SqlFlowStore(db)

    async def revoke_tokens(user_id: ObjectId) -> None:
        await flows.revoke_user_tokens(user_id, datetime.now(UTC))

    return Accounts(
        users=UserService(store, passwords, revoke_tokens=revoke_tokens),
        signin=SignInService(store, store, passwords, audit),
        consent=AdminConsentService(directory, SqlConsentStore(db), audit, on_change=on_change),
        sessions=SessionKeys.derive(key_source),
    )
