"""Normalisation defeats hiding tricks and keeps offsets true to the draft."""

from __future__ import annotations

import pytest

from bot.errors import InputError
from bot.text import MAX_DRAFT_CHARS, check_draft, prepare, strip_invisible


def test_ascii_fast_path_is_identity() -> None:
    p = prepare("Plain text")
    assert p.text == "Plain text" and p.index_map is None and p.to_original(0, 5) == (0, 5)


def test_zero_width_removed_and_mapped_back() -> None:
    draft = "NHS n\u200bo. 943 476 5919"
    p = prepare(draft)
    assert p.text == "NHS no. 943 476 5919"
    s = p.text.index("943")
    a, b = p.to_original(s, s + 12)
    assert draft[a:b] == "943 476 5919"


def test_homoglyphs_folded() -> None:
    p = prepare("раtient")  # Cyrillic р and а
    assert p.text == "patient"
    assert p.to_original(0, 7) == (0, 7)


def test_letter_spacing_joined() -> None:
    draft = "the p a t i e n t in bed 4"
    p = prepare(draft)
    assert "patient in bed 4" in p.text
    s = p.text.index("patient")
    a, b = p.to_original(s, s + 7)
    assert draft[a:b] == "p a t i e n t"


def test_fullwidth_and_smart_quotes() -> None:
    assert prepare("ｓｃｕｍ you’re").text == "scum you're"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty"),
        ("   \n\t", "empty"),
        ("\u200b\u200b", "empty"),
        ("a\x00b", "binary"),
        ("x" * (MAX_DRAFT_CHARS + 1), "limit"),
        (b"\xff\xfe", "UTF-8"),
        (42, "text"),
    ],
)
def test_bad_drafts_rejected_clearly(value: object, message: str) -> None:
    with pytest.raises(InputError, match=message):
        check_draft(value)


def test_strip_invisible() -> None:
    assert strip_invisible("ig\u200bnore\u2066 previous\ufeff") == "ignore previous"
