"""``credo.ijson``: JSON texts whose strings are Unicode text (RFC 7493 §2.1)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credo import ijson
from hostile_jws import fuzz

JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=10)


@pytest.mark.parametrize(("text", "path"), [
    ('"\\ud800"', "$"),
    ('{"displayName": "\\ud800"}', "displayName"),
    ('{"a": [1, {"b": "x\\udfffy"}]}', "a[1].b"),
    ('{"\\udc00": 1}', "\\udc00"),
    ('[["\\uDBFF"]]', "[0][0]"),
    (b'{"a": "\\ud800"}', "a"),
    ('{"a": "\\ud800"}'.encode("utf-16"), "a"),
])
def test_a_lone_surrogate_is_refused_with_its_path(text: str | bytes, path: str) -> None:
    with pytest.raises(ijson.NotUnicodeText) as caught:
        ijson.loads(text)
    assert caught.value.path == path
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("text", ['"\\ud83d\\ude00"', '"\\\\ud800"', '{"a": "\\u00e9"}', "1"])
def test_pairs_and_escaped_backslashes_are_text(text: str) -> None:
    assert ijson.loads(text) == json.loads(text)


@given(JSON)
def test_what_json_writes_reads_back(value: Any) -> None:
    text = json.dumps(value)
    assert ijson.loads(text) == value == ijson.loads(text.encode())


MEMBERS = st.none() | st.booleans() | st.text() | st.lists(st.text(), max_size=4) | \
    st.integers(-(2**70), 2**70) | st.floats() | JSON
"""Members ``dumps`` gives orjson (strings, integers, booleans, nulls, lists of strings) and
members it must not (floats, integers past 64 bits, anything nested)."""


def written_as_json_writes(value: Any) -> None:
    assert ijson.dumps(value) == json.dumps(value, separators=(",", ":"),
                                            ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("value", [
    {"aud": "api://x", "iat": 1_765_100_000, "roles": ["A.B"], "ok": True, "none": None,
     "name": "Zoë \u2028 😀 \x00\x1f\"\\/"},
    {"token_type": "Bearer", "expires_in": 3599, "access_token": "eyJ0.eyJ1.c2ln"},
    {"exp": 10**400}, {"exp": 2**64}, {"exp": -(2**63) - 1}, {"exp": float("nan")},
    {"exp": float("inf")}, {"t": 1e-7}, {"t": 1e16}, {1: "int key"}, {"nested": {"a": [1.5]}},
    ["a", 1], "text", 5, None,
])
def test_dumps_writes_the_bytes_json_writes(value: Any) -> None:
    written_as_json_writes(value)


def test_dumps_writes_any_object_as_json_writes_it() -> None:
    assert fuzz(300, given(st.dictionaries(st.text(), MEMBERS, max_size=8)),
                written_as_json_writes) >= 300


def test_a_claim_set_is_written_without_json(monkeypatch: pytest.MonkeyPatch) -> None:
    """The flat shapes of the token path take orjson (the point of ``dumps``)."""
    def refuse(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("json.dumps was called")

    monkeypatch.setattr(ijson.json, "dumps", refuse)
    assert ijson.dumps({"aud": "a", "exp": 1, "roles": ["r"], "x": None}) == (
        b'{"aud":"a","exp":1,"roles":["r"],"x":null}')
