"""User passwords: argon2id hashes (RFC 9106), checked off the event loop.

Parameters follow the OWASP Password Storage Cheat Sheet's first argon2id configuration
(m = 19 MiB, t = 2, p = 1), about 40 ms on a small server; a hash made with other
parameters is upgraded at the next successful sign-in. A password is 8 to 256 characters;
it is never logged, stored or returned, only its hash. ``verify`` raises and never returns
False; an unknown user is checked against a dummy hash so that both
answers take the same time.
"""

from __future__ import annotations

import asyncio
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from credo.aadsts.user import BAD_CREDENTIALS
from credo.errors import FieldError, InvalidInput, OAuthError

MIN_LENGTH = 8
MAX_LENGTH = 256


def bad_credentials(detail: str = "") -> OAuthError:
    """AADSTS50126, the one answer for an unknown user and a wrong password."""
    return BAD_CREDENTIALS(detail=detail)


def check_policy(password: str, *, user_principal_name: str = "") -> None:
    """Raises ``InvalidInput`` (Graph ``passwordProfile.password``) for a password refused."""
    problem = ""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        problem = f"must be {MIN_LENGTH} to {MAX_LENGTH} characters long"
    elif not password.strip():
        problem = "must not be only white space"
    elif user_principal_name and password.lower() == user_principal_name.lower():
        problem = "must differ from the user name"
    if problem:
        raise InvalidInput("The specified password does not comply with password complexity "
                         "requirements.",
                         details=[FieldError("passwordProfile.password", problem)])


class Passwords:
    """Hash and verify with one ``argon2.PasswordHasher``; CPU work runs in a thread."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher(time_cost=2, memory_cost=19 * 1024,
                                                parallelism=1)
        self._dummy: str | None = None

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, hashed: str | None, password: str) -> None:
        """Raises ``InvalidGrant`` (AADSTS50126) unless ``password`` matches ``hashed``.

        ``hashed`` None (no such user) still costs one verification, then fails.
        """
        if hashed is None:
            if self._dummy is None:
                self._dummy = await self.hash(secrets.token_urlsafe(16))
            target = self._dummy
        else:
            target = hashed
        password = password[:MAX_LENGTH + 1]  # bounded work whatever was posted
        try:
            await asyncio.to_thread(self._hasher.verify, target, password)
        except (VerificationError, InvalidHashError):
            raise bad_credentials("password mismatch") from None
        if hashed is None:
            raise bad_credentials("unknown user")

    def needs_rehash(self, hashed: str) -> bool:
        return self._hasher.check_needs_rehash(hashed)
