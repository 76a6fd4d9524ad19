"""Browser sessions and CSRF tokens: sealed cookies, keyed from the secrets pepper.

A session is AES-256-GCM sealed JSON (NIST SP 800-38D, random 96-bit nonce) carrying the
tenant, user, ``auth_time`` (OIDC Core §2), a random session id and an absolute expiry. Its
key and the CSRF key are HMAC-SHA256 of the deployment's pepper (``secrets.key``) over fixed
labels: a PRF output per purpose (RFC 2104 §6; the HKDF-Expand construction of RFC 5869
§2.3 with one block). The labels contain ``/`` and spaces, which a server-made client
secret never does (``service/secrets.py``), so no stored secret hash equals a key. The
database key (``master.key``) is not used. CSRF tokens are synchronizer tokens (OWASP CSRF
Prevention Cheat Sheet): an HMAC of a purpose and of the values the form is bound to (the
pre-session cookie's nonce, or the session id and the request's parameters).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from credo.aadsts.request import FORM_EXPIRED
from credo.model import ObjectId, TenantId

SESSION_SECONDS = 12 * 3600
"""Absolute lifetime of a sign-in session."""
_SESSION_LABEL = "credo/session cookie/v1"
_CSRF_LABEL = "credo/csrf token/v1"
_AAD = b"credo-session-v1"
_NONCE = 12


@dataclass(frozen=True)
class Session:
    tenant_id: TenantId
    user_id: ObjectId
    auth_time: int
    session_id: str
    expires: int
    issued: float
    """When the password was checked, to the microsecond (``auth_time`` is whole seconds)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionKeys:
    """Seals sessions and makes CSRF tokens; ``unseal`` raises ``ValueError``."""

    def __init__(self, session_key: bytes, csrf_key: bytes) -> None:
        if len(session_key) != 32 or len(csrf_key) < 32:
            raise ValueError("session and CSRF keys must be 32 bytes")
        self._aead = AESGCM(session_key)
        self._csrf = csrf_key

    def __repr__(self) -> str:
        return "SessionKeys(<keys hidden>)"

    @classmethod
    def derive(cls, prf: Callable[[str], bytes]) -> SessionKeys:
        """Keys from ``prf`` (the ``SecretHasher``: HMAC-SHA256 under the pepper)."""
        return cls(prf(_SESSION_LABEL), prf(_CSRF_LABEL))

    def new_session(self, tenant_id: TenantId, user_id: ObjectId, now: float) -> Session:
        return Session(tenant_id, user_id, int(now), secrets.token_urlsafe(16),
                       int(now) + SESSION_SECONDS, now)

    def seal(self, session: Session) -> str:
        nonce = os.urandom(_NONCE)
        body = json.dumps(asdict(session), separators=(",", ":")).encode()
        return _b64(nonce + self._aead.encrypt(nonce, body, _AAD))

    def unseal(self, cookie: str, now: float) -> Session:
        """The session in ``cookie``; ``ValueError`` when altered, foreign or expired."""
        try:
            blob = _unb64(cookie)
            body = json.loads(self._aead.decrypt(blob[:_NONCE], blob[_NONCE:], _AAD))
            session = Session(TenantId(str(body["tenant_id"])), ObjectId(str(body["user_id"])),
                              int(body["auth_time"]), str(body["session_id"]),
                              int(body["expires"]), float(body["issued"]))
        except (InvalidTag, binascii.Error, ValueError, KeyError, TypeError) as exc:
            raise ValueError("not a session of this deployment") from exc
        if now >= session.expires:
            raise ValueError("the session has expired")
        return session

    def csrf_token(self, purpose: str, *binding: str) -> str:
        message = "\x1f".join((purpose, *binding)).encode("utf-8")
        return _b64(hmac.new(self._csrf, message, hashlib.sha256).digest())

    def check_csrf(self, token: str | None, purpose: str, *binding: str) -> None:
        """Raises AADSTS90023 unless ``token`` is the one made for these values (OWASP CSRF
        Prevention Cheat Sheet, "Synchronizer Token Pattern", HMAC-bound to the session)."""
        expected = self.csrf_token(purpose, *binding)
        if not token or not hmac.compare_digest(token.encode(), expected.encode()):
            raise FORM_EXPIRED(detail="the CSRF token is missing or does not match")
