"""Needed literals: a draft holding none of them cannot match, so the regex is skipped."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.policy.needs import comparable, needs, prefixes, starts_minimal


def test_needs_reads_the_pattern() -> None:
    assert needs(r"\b(?:the|a)\s+(?:patient|client)\b", re.IGNORECASE) == {"patient", "client"}
    assert needs(r"\bcan confirm\b", 0) == {"can confirm"}
    assert needs(r"\b(?:Mr|Mrs|Ms)\.?\s+[A-Z][a-z]+", 0) == {"mr", "ms"}
    # what a positive lookahead sees is in the draft too
    assert needs(r"^[A-Z][a-z]{2,}(?= (?:from|who)\b)", 0) == {" from", " who"}
    # nothing every match must hold, or only single characters
    assert needs(r"@\w+", 0) is None
    assert needs(r"\b[A-Z][a-z]+\b", 0) is None
    assert needs(r"(?:patient)?\d+", 0) is None
    assert needs(r"(unclosed", 0) is None


PATTERNS = [
    (r"\b(?:bed|bay|ward|room|side room)\s*\d+[a-z]?\b", re.IGNORECASE),
    (r"(?-i:\b[A-Z][a-z]+\s+(?:Road|Street)\b)|\bour (?:tenant|client)s?\b", re.IGNORECASE),
    (r"\b(?:paid|pay)\s+(?:me|us)\s+(?:to|for)\b|\bin (?:return|exchange) for\b", 0),
    (r"\b\d{1,2}\s?% off\b", re.IGNORECASE),
    (r"\bsh?[\*]{1,2}(?:it|t)\b|\bkelvin\b|\bstreet\b", re.IGNORECASE),
]
TEXTS = [
    "Mrs Patel in BED 4, side room 3; pay me to post, paid us for it, in exchange for a mention",
    "Oak Road and our Tenants; 20% off or 5 % OFF; sh*t and s**t",
    "\u212aelvin on the \u017ftreet; İN RETURN FOR cake",
]


@pytest.mark.parametrize(("pattern", "flags"), PATTERNS)
def test_every_match_holds_a_needed_string(pattern: str, flags: int) -> None:
    need = needs(pattern, flags)
    assert need
    rx = re.compile(pattern, flags)
    for text in TEXTS:
        lower = text.lower()
        matches = list(rx.finditer(text))
        if comparable(text, lower):
            assert not matches or any(n in lower for n in need)
        for m in matches:  # the match itself holds one (no lookarounds here)
            assert any(n in m.group(0).lower() for n in need) or not comparable(text, lower)


def test_comparable_refuses_texts_where_lower_case_misleads() -> None:
    assert comparable("Plain text", "plain text")
    assert not comparable("İstanbul", "İstanbul".lower())  # two characters in lower case
    assert not comparable("\u017ftreet", "\u017ftreet")  # re reads ſ as s, str.lower does not
    assert not comparable("\u0131n return", "\u0131n return")
    assert re.search("street", "\u017ftreet", re.IGNORECASE)  # why: the regex still matches


def test_answers_are_kept_across_processes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A build after a policy edit reads the unchanged patterns' needs from the cache folder."""
    from bot.policy import needs as needs_module

    monkeypatch.setenv("CANIPOST_CACHE_DIR", str(tmp_path))
    needs_module.reset_memo()
    try:
        pattern = r"\b(?:bed|bay)\s*\d+\b"
        first = needs_module.needs_and_width(pattern, re.IGNORECASE)
        assert not needs_module.compiled_before(pattern, re.IGNORECASE)
        needs_module.note_compiled(pattern, re.IGNORECASE)
        needs_module.save_memo()
        (path,) = tmp_path.glob("needs-*.json")
        needs_module.reset_memo()  # as a new process
        assert needs_module.needs_and_width(pattern, re.IGNORECASE) == first == ({"bed", "bay"}, 4)
        assert needs_module.compiled_before(pattern, re.IGNORECASE)
        assert not needs_module.compiled_before(pattern, 0)  # flags are part of the key
        path.write_text("{not json")  # a damaged file is worked out again
        needs_module.reset_memo()
        assert needs_module.needs_and_width(pattern, re.IGNORECASE) == first
        assert not needs_module.compiled_before(pattern, re.IGNORECASE)
    finally:
        needs_module.reset_memo()


def test_prefixes_read_what_every_match_starts_with() -> None:
    assert prefixes(r"\b(?:bed|bay)\s*\d+", re.IGNORECASE) == {"bed", "bay"}
    # zero-width items consume nothing: the match starts on what follows them
    assert prefixes(r"(?:^|(?<=[.!?\n]))(?!\s)Sadly\b", 0) == {"sadly"}
    assert prefixes(r"(?:case|crime)s?\W+\d+", re.IGNORECASE) == {"case", "crime"}
    assert prefixes(r"(?:my|our)\s+(?:boss|manager)", 0) == {"my", "our"}
    assert prefixes(r"x?abc", 0) == {"abc", "xabc"}
    # a start that is not known, single characters, or a match that may start anywhere
    assert prefixes(r"\w+ing", 0) is None
    assert prefixes(r"[A-Z][a-z]+ Ltd", 0) is None
    assert prefixes(r"(?:foo)?\d+", 0) is None
    assert prefixes(r"(?:ab|\d)c", 0) is None
    assert prefixes("(?i:\u00e9t\u00e9)", 0) is None  # case-insensitive non-ASCII letters
    assert starts_minimal(frozenset({"case", "cases", "crime", "ase"})) == {"ase", "case", "crime"}


@pytest.mark.parametrize(("pattern", "flags"), PATTERNS)
def test_every_match_starts_with_a_prefix(pattern: str, flags: int) -> None:
    rx = re.compile(pattern, flags)
    for text in TEXTS:
        lower = text.lower()
        if not comparable(text, lower):
            continue
        for m in rx.finditer(text):
            start = prefixes(pattern, flags)
            assert start is None or any(lower.startswith(p, m.start()) for p in start)
