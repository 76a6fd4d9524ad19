"""``credo.numericdate``: NumericDate parsing and the time-window rules (RFC 7519 §2, §4.1.4-6).

Each reason is pinned at its boundary; then Hypothesis compares ``check_times`` with a
plain restatement of the rules over any JSON value in any claim.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from credo.numericdate import (
    MAX_NUMERIC_DATE,
    TimeClaimError,
    TimeRules,
    TimeWindow,
    check_times,
    numeric_date,
)

NOW = 1_800_000_000.0
RULES = TimeRules(past_leeway=60, future_leeway=30, max_lifetime=3600)


def refusal(claims: dict[str, Any], rules: TimeRules = RULES,
            now: float = NOW) -> tuple[str, str]:
    with pytest.raises(TimeClaimError) as caught:
        check_times(claims, now, rules)
    return caught.value.claim, caught.value.reason


@pytest.mark.parametrize("value", [0, 1_800_000_000, 1_800_000_000.5, MAX_NUMERIC_DATE,
                                   float(MAX_NUMERIC_DATE)])
def test_numeric_dates(value: float) -> None:
    assert numeric_date({"exp": value}, "exp") == float(value)


@pytest.mark.parametrize("value", [
    True, False, None, "1800000000", [1], {"t": 1}, -1, -0.5, MAX_NUMERIC_DATE + 1,
    10**400, -(10**400), math.nan, math.inf, -math.inf, 1e300,
], ids=repr)
def test_not_numeric_dates(value: Any) -> None:
    with pytest.raises(TimeClaimError) as caught:
        numeric_date({"nbf": value}, "nbf")
    assert (caught.value.claim, caught.value.reason) == ("nbf", "malformed")
    assert isinstance(caught.value, ValueError)


def test_absent_is_none() -> None:
    assert numeric_date({}, "iat") is None


def test_a_valid_window() -> None:
    claims = {"exp": NOW + 3000, "nbf": NOW - 300, "iat": NOW - 300}
    assert check_times(claims, NOW, RULES) == TimeWindow(NOW + 3000, NOW - 300, NOW - 300)
    assert check_times({}, NOW, TimeRules(0, 0, require_exp=False)) == TimeWindow(None,
                                                                                 None, None)


@pytest.mark.parametrize(("claims", "expected"), [
    ({"exp": "soon"}, ("exp", "malformed")),
    ({"exp": NOW + 10, "iat": 10**400}, ("iat", "malformed")),
    ({}, ("exp", "missing")),
    ({"exp": NOW - 60}, ("exp", "expired")),  # now >= exp + past_leeway
    ({"exp": NOW + 10, "nbf": NOW + 30.5}, ("nbf", "not_yet_valid")),
    ({"exp": NOW + 100, "iat": NOW + 31}, ("iat", "issued_in_future")),
    ({"exp": NOW + 10, "iat": NOW + 10}, ("iat", "inverted")),
    ({"exp": NOW + 10, "nbf": NOW + 20}, ("nbf", "inverted")),
    ({"exp": NOW + 3700, "iat": NOW - 300.5}, ("exp", "too_long")),
    ({"exp": NOW + 3601}, ("exp", "too_long")),  # no start: measured from now
], ids=lambda v: repr(v) if isinstance(v, dict) else "")
def test_refusals(claims: dict[str, Any], expected: tuple[str, str]) -> None:
    assert refusal(claims) == expected


def test_boundaries_within_leeway() -> None:
    check_times({"exp": NOW - 59.9}, NOW, RULES)
    check_times({"exp": NOW + 100, "nbf": NOW + 30, "iat": NOW + 30}, NOW, RULES)
    check_times({"exp": NOW + 3600}, NOW, RULES)


def test_the_error_carries_what_was_parsed() -> None:
    with pytest.raises(TimeClaimError) as caught:
        check_times({"exp": NOW - 100, "nbf": NOW - 200, "iat": NOW - 300}, NOW, RULES)
    error = caught.value
    assert (error.exp, error.nbf, error.iat) == (NOW - 100, NOW - 200, NOW - 300)
    with pytest.raises(TimeClaimError) as caught:
        check_times({"exp": NOW, "nbf": NOW, "iat": "x"}, NOW, RULES)
    assert (caught.value.exp, caught.value.nbf, caught.value.iat) == (NOW, NOW, None)


# -- property: check_times agrees with the rules as stated, for any JSON value ----------------

JSON = st.recursive(
    st.none() | st.booleans() | st.floats() | st.text(max_size=8)
    | st.integers(min_value=-(10**500), max_value=10**500),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=5)
TIMES = st.floats(min_value=0, max_value=MAX_NUMERIC_DATE) | st.integers(0, MAX_NUMERIC_DATE)
CLAIM = st.one_of(TIMES, st.integers(int(NOW) - 7200, int(NOW) + 7200), JSON)


def reference_date(claims: dict[str, Any], name: str) -> float | None:
    """RFC 7519 §2 as stated: absent, or a finite JSON number from 0 to the maximum."""
    if name not in claims:
        return None
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(name)
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(name)
    if not 0 <= value <= MAX_NUMERIC_DATE:
        raise ValueError(name)
    return float(value)


def expected(claims: dict[str, Any], rules: TimeRules) -> str | None:
    """The rules of ``check_times`` written out plainly; ``None`` means accepted."""
    try:
        exp, nbf, iat = (reference_date(claims, name) for name in ("exp", "nbf", "iat"))
    except ValueError:
        return "malformed"
    start = iat if iat is not None else nbf
    checks = [
        ("missing", exp is None and rules.require_exp),
        ("expired", exp is not None and exp + rules.past_leeway <= NOW),
        ("not_yet_valid", nbf is not None and nbf - NOW > rules.future_leeway),
        ("issued_in_future", iat is not None and iat - NOW > rules.future_leeway),
        ("inverted", exp is not None and start is not None and start >= exp),
        ("too_long", exp is not None and rules.max_lifetime is not None
         and exp - (NOW if start is None else start) > rules.max_lifetime),
    ]
    return next((reason for reason, failed in checks if failed), None)


@settings(max_examples=400, deadline=None)
@given(claims=st.dictionaries(st.sampled_from(["exp", "nbf", "iat", "other"]), CLAIM),
       require_exp=st.booleans(), max_lifetime=st.none() | st.floats(0, 86400))
def test_check_times_matches_the_stated_rules(claims: dict[str, Any], require_exp: bool,
                                              max_lifetime: float | None) -> None:
    rules = TimeRules(past_leeway=60, future_leeway=60, max_lifetime=max_lifetime,
                      require_exp=require_exp)
    try:
        window = check_times(claims, NOW, rules)
    except TimeClaimError as error:
        assert error.reason == expected(claims, rules)
    else:
        assert expected(claims, rules) is None
        assert window.exp == (None if "exp" not in claims else float(claims["exp"]))
