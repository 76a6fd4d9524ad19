"""``credo.display_names``: the one rule for every display name and description."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credo.display_names import check_display_name, display_name_problem
from credo.errors import FieldError, InvalidInput

INVISIBLE = ["\u061c", *map(chr, range(0x200B, 0x2010)), *map(chr, range(0x2028, 0x202F)),
             *map(chr, range(0x2060, 0x206A)), "\ufeff", "\ufff9", "\ufffa", "\ufffb"]
CONTROLS = [*map(chr, range(0x20)), *map(chr, range(0x7F, 0xA0))]


@pytest.mark.parametrize("char", [*CONTROLS, *INVISIBLE, "\ud800", "\udfff"],
                         ids=lambda c: f"U+{ord(c):04X}")
def test_refused_anywhere_in_the_name(char: str) -> None:
    assert display_name_problem(f"ab{char}c") == (
        "Must not contain control, bidirectional-formatting or invisible characters "
        f"(U+{ord(char):04X} at position 3).")


@pytest.mark.parametrize("text", ["Mail API", "Café", "東京", "I \u2764\ufe0f mail",
                                  "\U0001f1eb\U0001f1f7", "a\u00a0b", "\u00ad", ""])
def test_ordinary_text_passes(text: str) -> None:
    assert display_name_problem(text) is None


@given(st.text())
def test_a_refused_character_is_a_control_a_surrogate_or_an_invisible_one(text: str) -> None:
    problem = display_name_problem(text)
    bad = [c for c in text if unicodedata.category(c) in ("Cc", "Cs") or c in INVISIBLE]
    assert (problem is None) == (not bad)


def test_check_names_the_field_and_the_resource() -> None:
    assert check_display_name("Fine", "displayName", "User") == "Fine"
    with pytest.raises(InvalidInput) as caught:
        check_display_name("\u202eevil", "displayName", "Tenant")
    assert caught.value.description == ("Invalid value specified for property 'displayName' "
                                         "of resource 'Tenant'.")
    assert caught.value.details == [FieldError("displayName", display_name_problem("\u202e")
                                               or "")]
