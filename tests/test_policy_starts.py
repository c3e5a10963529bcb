"""Start hints in compiled programs: the same matches as re.compile, found by a faster search."""

from __future__ import annotations

import _sre
import re
from re import _casefix  # type: ignore[attr-defined]
from typing import Any

import pytest

from bot.policy import starts
from bot.policy.model import terms_regex


def _hinted(source: str, flags: int) -> re.Pattern[str]:
    parsed = starts.parse(source, flags)
    groupindex = dict(parsed.state.groupdict)
    indexgroup: list[Any] = [None] * parsed.state.groups
    for name, i in groupindex.items():
        indexgroup[i] = name
    code = starts.code(parsed, flags)
    return _sre.compile(  # type: ignore[no-any-return]
        source,
        flags | parsed.state.flags,
        code,
        parsed.state.groups - 1,
        groupindex,
        tuple(indexgroup),
    )


def test_ascii_cases_are_every_character_the_engine_folds_together() -> None:
    """Brute force over Unicode: x matches an ASCII letter case-insensitively exactly when
    its lower case (or one of re's extra cases) is that letter's."""
    lowers: dict[int, set[int]] = {}
    for x in range(0x110000):
        low = _sre.unicode_tolower(x)
        if low < 128 or low in (0x131, 0x17F):
            lowers.setdefault(low, set()).add(x)
    for letter in range(ord("A"), ord("z") + 1):
        if not chr(letter).isalpha():
            continue
        low = _sre.unicode_tolower(letter)
        expected = set(lowers[low])
        for extra in _casefix._EXTRA_CASES.get(low, ()):
            expected |= lowers.get(extra, {extra})
        assert starts.ASCII_CASES[letter] == expected, chr(letter)


SOURCES = [
    (r"\b(?:bed|bay|ward|room|side room)\s*\d+[a-z]?\b", re.IGNORECASE),
    (r"(?<!\bof )(?<!\bfor )\b(?:the|a|this|our)\s+(?:patient|client)\b", re.IGNORECASE),
    (r"(?-i:\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?\s+(?:Road|Street)\b)", re.IGNORECASE),
    (r"\bcan confirm\b", 0),
    (r"^\s*(?:spoke|rang) to|\brang\b", re.IGNORECASE),
    (r"\b\d{1,2}\s?% off\b", re.IGNORECASE),
    (r"\b(?:Mr|Mrs|Ms)\.?\s+[A-Z][a-z]+|@\w+|\bkelvin\b|\bstreet\b", re.IGNORECASE),
    (terms_regex(["mental health", "health visitor*", "a&e", "you're", "#ad"]), re.IGNORECASE),
    (terms_regex(["sick", "ill"]), 0),
]
TEXTS = [
    "Mrs Patel in bed 4, the patient from Bay 12, side room3 and our client.",
    "I can confirm that 20% off and 5 % off; we can confirm too. Oak Road, Mill  Street",
    "\u212aelvin and \u017ftreet, İLL and \u0131ll, SICK sick Sick, Mental-health at A&E #ad",
    "youre welcome, health visitors too @someone ç'est la vie MR Smith",
    "",
]


@pytest.mark.parametrize(("source", "flags"), SOURCES)
def test_hinted_programs_find_what_re_compile_finds(source: str, flags: int) -> None:
    native = re.compile(source, flags)
    hinted = _hinted(source, flags)
    for text in TEXTS:
        for hay in (text, text.lower(), text * 3):
            assert [m.span() for m in hinted.finditer(hay)] == [
                m.span() for m in native.finditer(hay)
            ]
            for pos in range(0, len(hay), 7):
                a, b = hinted.search(hay, pos), native.search(hay, pos)
                assert (a and a.span()) == (b and b.span())


def test_hints_are_given_where_re_has_none() -> None:
    def kind(source: str, flags: int = 0) -> str | None:
        parsed = starts.parse(source, flags)
        found = starts.hint(parsed, flags | parsed.state.flags)
        return found[0] if found else None

    assert kind(r"\bcan confirm\b") == "prefix"
    assert kind(r"\b(?:bed|bay)\s*\d+", re.IGNORECASE) == "charset"
    assert kind(r"\b\d+ off") == "charset"
    assert kind(r"can confirm") is None  # re's own literal prefix
    assert kind(r"^\s*(?:spoke|rang) to") is None  # re tries it at the start only
    assert kind(r"\b.x") is None  # any character can start it
    assert kind(r"\b(?:x)?") is None  # can match the empty string
    assert kind(r"\bé\w", re.IGNORECASE) is None  # non-ASCII letter, case-insensitive
