"""``credo.jose`` parsing and verification raise ``JoseError`` and nothing else.

``parse_compact`` is shared by the server (client assertions, management tokens, logout
hints) and the resource SDK, so it meets every caller on the internet: the cases the SDK
attack found are pinned first, then Hypothesis fuzzes the compact form, the segments and the
JSON inside them (``hostile_jws``). The fast suite runs a few hundred examples; the slow
suite runs thousands.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import given
from hypothesis import strategies as st

from credo import jose
from credo.errors import JoseError
from hostile_jws import COMPACT, JSON_OBJECTS, JSON_VALUES, SEGMENTS, b64url, fuzz

FAST, SLOW = 200, 1200
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def segment(text: str | bytes) -> str:
    return b64url(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)


def token(header: str | bytes, payload: str | bytes = "{}") -> str:
    return f"{segment(header)}.{segment(payload)}.{b64url(b'sig')}"


def parsed_or_jose_error(compact: Any) -> jose.CompactJWS | None:
    try:
        return jose.parse_compact(compact)
    except JoseError:
        return None


@pytest.mark.parametrize(("compact", "description"), [
    (token('{"alg":"RS256"}', '{"exp":' + "9" * 5000 + "}"),
     "the payload is not base64url-encoded JSON"),
    (token('{"alg":"RS256","x":' + "9" * 5000 + "}"), "the header is not base64url-encoded JSON"),
    (token("[" * 100000 + "]" * 100000), "the header is not base64url-encoded JSON"),
    (token(b'{"alg":"RS256","kid":"\xff"}'), "the header is not base64url-encoded JSON"),
    (token('{"alg":"RS256"}'.encode("utf-16")), "the header is not base64url-encoded JSON"),
    (token('\ufeff{"alg":"RS256"}'), "the header is not base64url-encoded JSON"),
    (token("[]"), "the header is not a JSON object"),
    (token('{"alg":"RS256","kid":"\\ud800"}'), "the header is not base64url-encoded JSON"),
    (token('{"alg":"RS256"}', '{"iss":{"\\udfff":1}}'),
     "the payload is not base64url-encoded JSON"),
    ("a.b", "a JWS in compact serialization has three parts"),
    (None, "a JWS in compact serialization has three parts"),
    (b"e30.e30.AAAA", "a JWS in compact serialization has three parts"),
    ("e30.e30.AA+A", "invalid base64url"),
    ("é30.e30.AAAA", "the header is not base64url-encoded JSON"),
], ids=["5000-digit payload", "5000-digit header", "deep nesting", "not UTF-8", "UTF-16",
        "BOM", "array header", "lone surrogate", "lone surrogate in a name", "two parts",
        "None", "bytes",
        "bad signature base64", "non-ASCII"])
def test_hostile_input_is_a_jose_error(compact: Any, description: str) -> None:
    with pytest.raises(JoseError) as caught:
        jose.parse_compact(compact)
    assert caught.value.description == description


def test_what_python_reads_as_json_still_parses() -> None:
    """Large but readable numbers, floats that overflow to infinity, ``NaN``, paired
    surrogates and duplicate keys (the last one wins), as the server always read them: the
    claims checks judge the values. (A lone surrogate is not Unicode text: refused above.)"""
    jws = jose.parse_compact(token('{"alg":"RS256","alg":"PS256","kid":"\\ud83d\\ude00"}',
                                   '{"exp":' + "9" * 400 + ',"nbf":1e400,"iat":-Infinity,'
                                   '"x":NaN}'))
    assert jws.header == {"alg": "PS256", "kid": "\U0001f600"}
    assert jws.claims["exp"] == int("9" * 400) and math.isnan(jws.claims.pop("x"))
    assert jws.claims == {"exp": int("9" * 400), "nbf": math.inf, "iat": -math.inf}


def test_signing_input_is_the_segments_as_received() -> None:
    """azure-identity's async client pads its segments and signs them so: that verifies."""
    head = segment('{"alg":"RS256","kid":"k1"}')
    head += "=" * (-len(head) % 4)
    signing_input = f"{head}.{segment('{}')}".encode()
    signature = KEY.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    jws = jose.parse_compact(f"{signing_input.decode()}.{b64url(signature)}")
    assert "=" in head and jws.signing_input == signing_input
    jose.verify_rsa("RS256", KEY.public_key(), jws.signing_input, jws.signature)


def check_compact(compact: str) -> None:
    jws = parsed_or_jose_error(compact)
    if jws is not None:
        assert isinstance(jws.header, dict) and isinstance(jws.claims, dict)
        assert compact.startswith(jws.signing_input.decode("ascii") + ".")


def check_segments(header: str, payload: str, signature: str) -> None:
    check_compact(f"{header}.{payload}.{signature}")


def check_json(header: Any, claims: Any) -> None:
    compact = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}.AA"
    jws = parsed_or_jose_error(compact)
    if jws is not None:  # objects come back as they were (NaN is not equal to itself)
        assert json.dumps([jws.header, jws.claims]) == json.dumps([header, claims])


def check_verify(alg: str, signing_input: bytes, signature: bytes) -> None:
    try:
        jose.verify_rsa(alg, KEY.public_key(), signing_input, signature)
    except JoseError:
        return
    raise AssertionError("a random signature verified")


PROPERTIES: list[tuple[str, Any, Callable[..., None]]] = [
    ("compact", given(COMPACT), check_compact),
    ("segments", given(SEGMENTS, SEGMENTS, SEGMENTS), check_segments),
    ("json", given(JSON_OBJECTS | JSON_VALUES, JSON_OBJECTS | JSON_VALUES), check_json),
    ("verify", given(st.sampled_from(["RS256", "PS256", "HS256", "none", ""]),
                     st.binary(max_size=64), st.binary(max_size=300)), check_verify),
]


@pytest.mark.parametrize(("name", "strategy", "check"), PROPERTIES, ids=[p[0] for p in PROPERTIES])
def test_fuzz(name: str, strategy: Any, check: Callable[..., None]) -> None:
    assert fuzz(FAST, strategy, check) >= FAST


@pytest.mark.slow
@pytest.mark.parametrize(("name", "strategy", "check"), PROPERTIES, ids=[p[0] for p in PROPERTIES])
def test_fuzz_many(name: str, strategy: Any, check: Callable[..., None]) -> None:
    assert fuzz(SLOW, strategy, check) >= SLOW

