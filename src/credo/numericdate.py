"""NumericDate claims and the time window of a JWT (RFC 7519 §2, §4.1.4-§4.1.6).

One checker for every reader of ``exp``/``nbf``/``iat``: client assertions, management-API
authentication and ``credo.resource``. Pure (the caller passes ``now``), standard library
only, cheap enough for the token hot path. Every refusal is a ``TimeClaimError`` whose
``reason`` the caller turns into its own wire error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

MAX_NUMERIC_DATE = 253402300799
"""9999-12-31T23:59:59Z: the latest NumericDate accepted (larger values are malformed)."""

Reason = Literal["malformed", "missing", "expired", "not_yet_valid", "issued_in_future",
                 "too_long", "inverted"]


class TimeClaimError(ValueError):
    """A time claim that is malformed or puts ``now`` outside the token's window.

    ``claim`` names the claim at fault; ``exp``/``nbf``/``iat`` hold what was parsed
    before the refusal (``None`` when absent or not reached).
    """

    def __init__(self, claim: str, reason: Reason, *, exp: float | None = None,
                 nbf: float | None = None, iat: float | None = None) -> None:
        super().__init__(f"{claim}: {reason}")
        self.claim = claim
        self.reason: Reason = reason
        self.exp, self.nbf, self.iat = exp, nbf, iat


@dataclass(frozen=True)
class TimeRules:
    """How strict to be: leeway into the past (``exp``) and the future (``nbf``, ``iat``),
    the longest ``exp`` minus start allowed, and whether ``exp`` is required."""

    past_leeway: float
    future_leeway: float
    max_lifetime: float | None = None
    require_exp: bool = True


@dataclass(frozen=True)
class TimeWindow:
    """The time claims of an accepted token, as floats (``None`` when absent)."""

    exp: float | None
    nbf: float | None
    iat: float | None


_ABSENT: Any = object()


def numeric_date(claims: Mapping[str, Any], name: str) -> float | None:
    """The claim as a NumericDate (RFC 7519 §2), ``None`` when absent.

    A JSON number, not a boolean, finite, between 0 and ``MAX_NUMERIC_DATE``; anything else
    (``null`` included) raises ``TimeClaimError(name, "malformed")``. Integers are compared
    before any float conversion, so ``10**400`` is malformed rather than an ``OverflowError``.
    """
    value = claims.get(name, _ABSENT)
    if value is _ABSENT:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        if 0 <= value <= MAX_NUMERIC_DATE:
            return float(value)
    elif isinstance(value, float) and 0.0 <= value <= MAX_NUMERIC_DATE:  # NaN fails too
        return value
    raise TimeClaimError(name, "malformed")


def _parsed(claims: Mapping[str, Any]) -> TimeWindow:
    exp = nbf = None
    try:
        exp = numeric_date(claims, "exp")
        nbf = numeric_date(claims, "nbf")
        return TimeWindow(exp, nbf, numeric_date(claims, "iat"))
    except TimeClaimError as error:
        error.exp, error.nbf = exp, nbf
        raise


def check_times(claims: Mapping[str, Any], now: float, rules: TimeRules) -> TimeWindow:
    """RFC 7519 §4.1.4-§4.1.6: the token's time window contains ``now``, within leeway.

    In this order: malformed; ``exp`` missing (when required); expired when
    ``now >= exp + past_leeway`` (§4.1.4 "MUST be before"); not yet valid when
    ``nbf - now > future_leeway``; issued in the future when ``iat - now > future_leeway``;
    inverted when the start (``iat``, else ``nbf``) is not before ``exp``; too long when
    ``exp`` minus the start (else ``now``) exceeds ``max_lifetime``.
    """
    window = _parsed(claims)
    exp, nbf, iat = window.exp, window.nbf, window.iat
    if exp is None:
        if rules.require_exp:
            raise TimeClaimError("exp", "missing", nbf=nbf, iat=iat)
    elif now >= exp + rules.past_leeway:
        raise TimeClaimError("exp", "expired", exp=exp, nbf=nbf, iat=iat)
    if nbf is not None and nbf - now > rules.future_leeway:
        raise TimeClaimError("nbf", "not_yet_valid", exp=exp, nbf=nbf, iat=iat)
    if iat is not None and iat - now > rules.future_leeway:
        raise TimeClaimError("iat", "issued_in_future", exp=exp, nbf=nbf, iat=iat)
    if exp is not None:
        start, claim = (iat, "iat") if iat is not None else (nbf, "nbf")
        if start is not None and start >= exp:
            raise TimeClaimError(claim, "inverted", exp=exp, nbf=nbf, iat=iat)
        if rules.max_lifetime is not None and (
                exp - (now if start is None else start) > rules.max_lifetime):
            raise TimeClaimError("exp", "too_long", exp=exp, nbf=nbf, iat=iat)
    return window
