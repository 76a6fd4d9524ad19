"""The OpenID Connect ID token, Entra-shaped (OIDC Core §2, §3.1.3.6, §3.3.2.11; §8.1).

``sub`` is a pairwise identifier (OIDC Core §8.1; discovery says ``subject_types_supported:
["pairwise"]``): one user gets a different, stable ``sub`` in every client, so two clients
cannot correlate a user by it; ``oid`` is the user's object id, the same everywhere (as in
Entra). ``iat`` = ``nbf`` = now - 300, as Entra backdates its tokens. ``at_hash`` /
``c_hash`` are the left half of the SHA-256 of the token or code (RS256).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from credo.model import User
from credo.protocol.claims import BACKDATE


@dataclass(frozen=True)
class Subject:
    """A signed-in user as one client sees them: pairwise ``sub``, ``auth_time`` (epoch
    seconds) and the sign-in session's id (``sid``)."""

    user: User
    sub: str
    auth_time: float
    session_id: str


def pairwise_subject(hasher: Callable[[str], bytes], *, tenant_id: str, user_id: str,
                     client_id: str) -> str:
    """OIDC Core §8.1: a keyed hash of (tenant, user, client), base64url without padding.

    ``hasher`` is the deployment's keyed hash (HMAC-SHA256 under its pepper), so the value
    is stable across nodes and restarts, and cannot be computed without the pepper.
    """
    digest = hasher(f"pairwise-sub|{tenant_id}|{user_id}|{client_id.lower()}")
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def half_hash(value: str) -> str:
    """``at_hash`` / ``c_hash``: base64url of the left-most half of SHA-256(ASCII(value))
    (OIDC Core §3.1.3.6 for RS256)."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def _user_claims(version: Literal[1, 2], subject: Subject, oidc: Sequence[str]
                 ) -> dict[str, Any]:
    user = subject.user
    if version == 1:
        return {"amr": ["pwd"], "name": user.display_name, "oid": user.id,
                "unique_name": user.user_principal_name, "upn": user.user_principal_name}
    claims: dict[str, Any] = {}
    if "profile" in oidc:
        claims["name"] = user.display_name
    claims["oid"] = user.id
    if "profile" in oidc:
        claims["preferred_username"] = user.user_principal_name
    return claims


def id_token_claims(*, version: Literal[1, 2], issuer: str, client_id: str, subject: Subject,
                    oidc: Sequence[str], nonce: str | None, now: float, uti: str,
                    access_token: str | None = None, code: str | None = None,
                    lifetime: int = 3600) -> dict[str, Any]:
    """The ID token's claims (OIDC Core §2) in Entra's order.

    ``aud`` is the client; ``nonce`` is echoed exactly as the authorization request sent
    it (OIDC Core §3.1.3.7 item 11); ``at_hash`` accompanies an access token and ``c_hash``
    a code when the ID token comes from the authorization endpoint (§3.3.2.11).
    """
    issued = int(now)
    claims: dict[str, Any] = {"aud": client_id, "iss": issuer, "iat": issued - BACKDATE,
                              "nbf": issued - BACKDATE, "exp": issued + lifetime}
    if access_token is not None:
        claims["at_hash"] = half_hash(access_token)
    claims["auth_time"] = int(subject.auth_time)
    if code is not None:
        claims["c_hash"] = half_hash(code)
    claims.update(_user_claims(version, subject, oidc))
    if nonce is not None:
        claims["nonce"] = nonce
    claims.update(sid=subject.session_id, sub=subject.sub, tid=subject.user.tenant_id, uti=uti,
                  ver="1.0" if version == 1 else "2.0")
    return claims
