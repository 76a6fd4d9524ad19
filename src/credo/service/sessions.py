"""Browser sessions kept on the server, and CSRF tokens.

A session is a row in the shared store (``SessionStore``): tenant, user, when the password
was checked, last seen, absolute expiry. The browser's cookie carries only a random 256-bit
secret; the store keeps its SHA-256, so a copy of the database opens no session (OWASP
Session Management Cheat Sheet, "Session ID Entropy"). Ending a session deletes the row on
every worker and node at once: sign-out, and every session of a user whose password changes
or who is disabled or deleted. ``session_id`` is a separate public id (the OIDC ``sid``).

CSRF tokens are synchronizer tokens (OWASP CSRF Prevention Cheat Sheet): an HMAC of a purpose
and of the values the form is bound to, under a key that is HMAC-SHA256 of the deployment's
pepper (``secrets.key``) over a fixed label (RFC 2104 §6; HKDF-Expand of RFC 5869 §2.3 with
one block). The label contains ``/`` and spaces, which a server-made client secret never
does (``service/secrets.py``), so no stored secret hash equals the key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from datetime import timedelta

from credo.aadsts.request import FORM_EXPIRED
from credo.model import BrowserSession, ObjectId, TenantId
from credo.service.sources import SYSTEM, Sources
from credo.store.api import SessionStore

SESSION_SECONDS = 12 * 3600
"""Absolute lifetime of a sign-in session."""
TOUCH_SECONDS = 300.0
"""``last_seen`` is written at most this often per session (not on every page)."""
PURGE_SECONDS = 300.0
_CSRF_LABEL = "credo/csrf token/v1"
_COOKIE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def _hash(cookie: str) -> str:
    return hashlib.sha256(cookie.encode("ascii")).hexdigest()


def session_key(cookie: str) -> str | None:
    """The stored key of the session ``cookie`` opens (what other rows of the session, such
    as the portal's tokens, are filed under); None for a malformed cookie."""
    return _hash(cookie) if _COOKIE.match(cookie) else None


class SessionService:
    """Starts, opens and ends sessions; makes and checks CSRF tokens."""

    def __init__(self, store: SessionStore, csrf_key: bytes, *,
                 sources: Sources = SYSTEM) -> None:
        if len(csrf_key) < 32:
            raise ValueError("the CSRF key must be at least 32 bytes")
        self._store = store
        self._csrf = csrf_key
        self._sources = sources
        self._purge_due = 0.0

    def __repr__(self) -> str:
        return "SessionService(<key hidden>)"

    @classmethod
    def derive(cls, store: SessionStore, prf: Callable[[str], bytes], *,
               sources: Sources = SYSTEM) -> SessionService:
        """The CSRF key from ``prf`` (the ``SecretHasher``: HMAC-SHA256 under the pepper)."""
        return cls(store, prf(_CSRF_LABEL), sources=sources)

    async def start(self, tenant_id: TenantId, user_id: ObjectId) -> tuple[str, BrowserSession]:
        """A new session (new secret and id: no fixation) and the cookie value that opens it."""
        now = self._sources.now()
        cookie = secrets.token_urlsafe(32)
        session = BrowserSession(self._sources.new_token_id(), tenant_id, user_id, now, now,
                                 now + timedelta(seconds=SESSION_SECONDS))
        await self._store.add_session(_hash(cookie), session)
        if now.timestamp() >= self._purge_due:
            self._purge_due = now.timestamp() + PURGE_SECONDS
            await self._store.purge_sessions(now)
        return cookie, session

    async def open(self, cookie: str) -> BrowserSession | None:
        """The live session ``cookie`` opens; None when malformed, unknown, ended or expired."""
        if not _COOKIE.match(cookie):
            return None
        token_hash = _hash(cookie)
        session = await self._store.session(token_hash)
        now = self._sources.now()
        if session is None or now >= session.expires:
            return None
        if (now - session.last_seen).total_seconds() >= TOUCH_SECONDS:
            await self._store.touch_session(token_hash, now)
        return session

    async def end(self, cookie: str) -> None:
        """Ends the session ``cookie`` opens, on every node (nothing when there is none)."""
        if _COOKIE.match(cookie):
            await self._store.end_session(_hash(cookie))

    async def end_all(self, user_id: ObjectId) -> None:
        """Ends every session of the user (password change, disabling, deletion)."""
        await self._store.end_user_sessions(user_id)

    def csrf_token(self, purpose: str, *binding: str) -> str:
        message = "\x1f".join((purpose, *binding)).encode("utf-8")
        digest = hmac.new(self._csrf, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def check_csrf(self, token: str | None, purpose: str, *binding: str) -> None:
        """Raises AADSTS90023 unless ``token`` is the one made for these values (OWASP CSRF
        Prevention Cheat Sheet, "Synchronizer Token Pattern", HMAC-bound to the session)."""
        expected = self.csrf_token(purpose, *binding)
        if not token or not hmac.compare_digest(token.encode(), expected.encode()):
            raise FORM_EXPIRED(detail="the CSRF token is missing or does not match")
