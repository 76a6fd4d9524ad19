"""``credo.ijson``: JSON texts whose strings are Unicode text (RFC 7493 §2.1)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credo import ijson

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
