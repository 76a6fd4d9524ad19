"""The two security profiles: entra (what Entra accepts) and strict (RFC 7523bis, FAPI 2.0)."""

from __future__ import annotations

from credo.model import PROFILES as NAMES
from credo.protocol.profiles import PROFILES


def test_every_profile_has_rules() -> None:
    assert set(PROFILES) == set(NAMES)
    assert all(rules.name == name for name, rules in PROFILES.items())


def test_entra() -> None:
    r = PROFILES["entra"]
    assert (r.max_lifetime, r.skew_future, r.exp_skew) == (3600, 300, 300)
    assert (r.allowed_algs, r.aud_array_allowed, r.single_use_jti) == (
        frozenset({"RS256", "PS256"}), True, False)


def test_strict() -> None:
    r = PROFILES["strict"]
    assert (r.max_lifetime, r.skew_future, r.exp_skew) == (600, 10, 60)
    assert 10 <= r.skew_future <= 60  # FAPI 2.0: accept 10 s ahead, refuse over 60 s
    assert (r.allowed_algs, r.aud_array_allowed, r.aud_ignore_case, r.single_use_jti) == (
        frozenset({"PS256"}), False, False, True)
