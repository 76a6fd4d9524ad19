"""PKCE, S256 only (RFC 7636): the RFC's Appendix B vector, refusals of ``plain``."""

from __future__ import annotations

import pytest

from credo.errors import InvalidGrant, InvalidRequest, OAuthError
from credo.protocol import pkce

# RFC 7636 Appendix B.
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_rfc7636_appendix_b_vector() -> None:
    assert pkce.s256(VERIFIER) == CHALLENGE


def test_s256_challenge_accepted_and_verified() -> None:
    assert pkce.check_challenge(CHALLENGE, "S256", public=True) == CHALLENGE
    pkce.verify(VERIFIER, CHALLENGE)


def test_confidential_client_may_omit_pkce() -> None:
    assert pkce.check_challenge(None, None, public=False) is None
    pkce.verify(None, None)


@pytest.mark.parametrize(("challenge", "method", "public", "code"), [
    (None, None, True, 9002325),           # public clients must use PKCE
    (CHALLENGE, None, False, 501491),      # no method means plain (RFC 7636 §4.3): refused
    (CHALLENGE, "plain", True, 501491),
    (CHALLENGE, "s256", True, 501491),     # the method name is case-sensitive
    ("short", "S256", True, 501491),
    (CHALLENGE + "=", "S256", True, 501491),
    (None, "S256", False, 501491),
], ids=["public-without", "implicit-plain", "plain", "lower-case", "short", "padded",
        "method-only"])
def test_authorization_request_refusals(challenge: str | None, method: str | None,
                                        public: bool, code: int) -> None:
    with pytest.raises(InvalidRequest) as info:
        pkce.check_challenge(challenge, method, public=public)
    assert (info.value.error, info.value.code) == ("invalid_request", code)


@pytest.mark.parametrize(("verifier", "challenge"), [
    ("x" * 43, CHALLENGE),                  # wrong verifier
    (None, CHALLENGE),                      # missing verifier
    (VERIFIER, None),                       # a verifier for a code without challenge
    (VERIFIER[:42], pkce.s256(VERIFIER[:42])),  # too short (RFC 7636 §4.1: 43..128)
    ("a" * 129, pkce.s256("a" * 129)),      # too long
    ("é" * 43, CHALLENGE),                  # outside the unreserved set
], ids=["mismatch", "missing", "downgrade", "short", "long", "non-ascii"])
def test_token_request_refusals(verifier: str | None, challenge: str | None) -> None:
    with pytest.raises(OAuthError) as info:
        pkce.verify(verifier, challenge)
    assert isinstance(info.value, InvalidGrant)
    assert (info.value.error, info.value.code) == ("invalid_grant", 501481)
