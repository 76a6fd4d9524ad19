"""Proof Key for Code Exchange, S256 only (RFC 7636).

RFC 7636 §4.2 defines ``plain`` and ``S256``; ``plain`` protects nothing against an
attacker who can read the authorization request, so it is refused, and a challenge sent
without ``code_challenge_method`` (which §4.3 says "defaults to plain") is refused too.
Public clients must use PKCE; a confidential client may omit it, but a challenge it sent is
always verified (RFC 9700 §2.1.1).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from credo.aadsts import grant

S256 = "S256"

_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")
# RFC 7636 §4.1: code-verifier = 43*128unreserved
_VERIFIER = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")


def s256(verifier: str) -> str:
    """``BASE64URL-ENCODE(SHA256(ASCII(code_verifier)))`` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def check_challenge(challenge: str | None, method: str | None, *, public: bool) -> str | None:
    """The S256 challenge of an authorization request, or None when a confidential client
    sent none (RFC 7636 §4.3, §4.4.1); raises ``InvalidRequest`` otherwise."""
    if challenge is None:
        if method is not None:
            raise grant.CHALLENGE_WITHOUT_VALUE()
        if public:
            raise grant.PKCE_REQUIRED()
        return None
    if method != S256:
        raise grant.CHALLENGE_PLAIN()
    if not _CHALLENGE.match(challenge):
        raise grant.CHALLENGE_SIZE()
    return challenge


def verify(verifier: str | None, challenge: str | None) -> None:
    """RFC 7636 §4.6: the verifier's S256 transform equals the stored challenge, or raise.

    A code issued without a challenge must be redeemed without a verifier (RFC 9700 §2.1.1:
    a verifier for a code without a challenge is refused, against PKCE downgrade).
    """
    if challenge is None:
        if verifier is not None:
            raise grant.VERIFIER_UNEXPECTED()
        return
    if verifier is None:
        raise grant.VERIFIER_MISSING()
    if not _VERIFIER.match(verifier) or not hmac.compare_digest(s256(verifier), challenge):
        raise grant.VERIFIER_MISMATCH()
