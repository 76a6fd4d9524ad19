"""The security profiles a tenant chooses between (RFC 7523 §3; FAPI 2.0 Security Profile).

``entra`` accepts exactly what Entra ID's own clients send; ``strict`` follows RFC 7523bis
and FAPI 2.0 Security Profile §5.3.2.1 ("shall accept ... `iat` or `nbf` ... between 0 and
10 seconds in the future but shall reject ... greater than 60 seconds in the future"):
Credo's strict tolerance is 10 s, the tightest value that rule allows.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from credo.model import Profile
from credo.numericdate import TimeRules


@dataclass(frozen=True)
class ProfileRules:
    """What one profile accepts in a client assertion (RFC 7523 §3; RFC 7521 §4.2)."""

    name: Profile
    max_lifetime: int
    """Largest ``exp - (iat or nbf or now)`` accepted, in seconds."""
    skew_future: int
    """How far ``nbf`` and ``iat`` may lie ahead of the server clock, in seconds."""
    exp_skew: int
    """How long after ``exp`` an assertion is still accepted, in seconds."""
    allowed_algs: frozenset[str]
    aud_array_allowed: bool
    """Whether ``aud`` may be a JSON array (of exactly one element)."""
    aud_ignore_case: bool
    """Whether ``aud`` is compared case-insensitively (URL hosts and tenant domains)."""
    single_use_jti: bool
    """Whether the service must record ``jti`` with an atomic add-if-absent."""

    @functools.cached_property
    def time_rules(self) -> TimeRules:
        """The profile's leeway for ``credo.numericdate.check_times``."""
        return TimeRules(past_leeway=self.exp_skew, future_leeway=self.skew_future,
                         max_lifetime=self.max_lifetime)


ENTRA = ProfileRules(
    name="entra", max_lifetime=3600, skew_future=300, exp_skew=300,
    allowed_algs=frozenset({"RS256", "PS256"}), aud_array_allowed=True, aud_ignore_case=True,
    single_use_jti=False)

STRICT = ProfileRules(
    name="strict", max_lifetime=600, skew_future=10, exp_skew=60,
    allowed_algs=frozenset({"PS256"}), aud_array_allowed=False, aud_ignore_case=False,
    single_use_jti=True)

PROFILES: dict[Profile, ProfileRules] = {"entra": ENTRA, "strict": STRICT}
