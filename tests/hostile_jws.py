"""Hostile compact JWS input for Hypothesis, shared by the ``credo.jose`` and SDK fuzzers.

JSON values of every type and size (integers up to 10^500, NaN and infinities, deep lists),
raw JSON texts that ``json.dumps`` cannot write (a 5,000-digit number, 20,000 nested
brackets, duplicate keys, UTF-16, a BOM, invalid UTF-8), and segments that are not
base64url at all.
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

SCALARS = (st.none() | st.booleans() | st.floats() | st.text(max_size=30)
           | st.integers() | st.integers(min_value=-(10**500), max_value=10**500))
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=10)
_HOSTILE = [
    '{"exp":' + "9" * 5000 + "}",
    '{"alg":"RS256","kid":"k","n":-' + "1" * 4301 + "}",
    '{"exp":1e400,"nbf":-1e400}',
    '{"exp":NaN,"iat":Infinity,"nbf":-Infinity}',
    '{"alg":"RS256","alg":"none","kid":"k","kid":1}',
    '{"a":' + "[" * 20000 + "]" * 20000 + "}",
    '{"a":' + '{"a":' * 3000 + "1" + "}" * 3000 + "}",
    '\ufeff{"alg":"RS256"}',
    '{"kid":"\\ud800"}',
    "[]", "null", "1", '"text"', "{", '{"a":1}garbage', "",
]


def _hostile(index: int) -> str:
    return _HOSTILE[index]


HOSTILE_TEXTS = st.integers(0, len(_HOSTILE) - 1).map(_hostile)  # keeps the repr short


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _encoded(text: str, encoding: str) -> bytes:
    return text.encode(encoding, "surrogatepass")


JSON_OBJECTS = st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=6)
JSON_TEXTS = (JSON_OBJECTS | JSON_VALUES).map(json.dumps) | HOSTILE_TEXTS
SEGMENTS = st.one_of(
    st.builds(_encoded, JSON_TEXTS, st.sampled_from(["utf-8", "utf-16", "utf-32-le"]))
    .map(b64url),
    st.binary(max_size=200).map(b64url),
    st.text(max_size=60),  # not base64url: padding, '+', '/', spaces, non-ASCII
    st.just(""),
)
COMPACT = (st.lists(SEGMENTS, min_size=1, max_size=5).map(".".join)
           | st.text(max_size=200))


def raw_compact(header: Any, claims: Any, signature: bytes) -> str:
    """A compact JWS from JSON values as given (no signing)."""
    return ".".join([b64url(json.dumps(header).encode()), b64url(json.dumps(claims).encode()),
                     b64url(signature)])


def fuzz(examples: int, strategy: Any, check: Callable[..., None]) -> int:
    """Run ``check`` on ``examples`` inputs from ``strategy`` (``given(...)``); returns how
    many runs there were. No example database: every run is a fresh sample."""
    runs = 0

    @functools.wraps(check)
    def counted(*args: Any, **kwargs: Any) -> None:
        nonlocal runs
        runs += 1
        check(*args, **kwargs)

    settings(max_examples=examples, deadline=None, database=None)(strategy(counted))()
    return runs
