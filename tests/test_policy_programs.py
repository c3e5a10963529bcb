"""Regex programs kept across processes: revived patterns behave exactly like re.compile."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from bot.policy import programs
from bot.policy.model import terms_regex

SOURCES = [
    (terms_regex(["mental health", "health visitor*", "a&e", "you're"]), re.IGNORECASE),
    (r"(?P<code>\b[A-Z]{3}\d{2,4}\b)|(\d+)", 0),
    (r"(?<![\w'])bed[\s\-]+\d+(?!\w)", 0),
]
TEXTS = [
    "Mental-health support at A&E today; youre welcome, health visitors too",
    "Order ABC123 and 42 more, bed 4 and bed-12",
]


@pytest.fixture()
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CANIPOST_CACHE_DIR", str(tmp_path))
    programs.reset()
    yield tmp_path
    programs.reset()


def _spans(rx: re.Pattern[str]) -> list[list[tuple[tuple[int, int], tuple[str | None, ...]]]]:
    return [[(m.span(), m.groups()) for m in rx.finditer(t)] for t in TEXTS]


def test_revived_programs_match_like_re_compile(folder: Path) -> None:
    first = [programs.compile_regex(src, flags) for src, flags in SOURCES]
    programs.flush()
    (db,) = folder.glob("regex-*.sqlite3")
    assert sqlite3.connect(db).execute("SELECT count(*) FROM programs").fetchone()[0] == 3
    programs.reset()
    again = [programs.compile_regex(src, flags) for src, flags in SOURCES]
    for (src, flags), a, b in zip(SOURCES, first, again, strict=True):
        plain = re.compile(src, flags)
        assert b.pattern == plain.pattern and b.flags == plain.flags
        assert b.groupindex == plain.groupindex and b.groups == plain.groups
        assert _spans(a) == _spans(b) == _spans(plain)


def test_a_damaged_program_falls_back_to_re_compile(folder: Path) -> None:
    src, flags = SOURCES[0]
    programs.compile_regex(src, flags)
    programs.flush()
    programs.reset()
    (db,) = folder.glob("regex-*.sqlite3")
    con = sqlite3.connect(db)
    con.execute("UPDATE programs SET code = ?", (b"\x07\x00\x00\x00" * 5,))
    con.commit()
    con.close()
    rx = programs.compile_regex(src, flags)
    assert _spans(rx) == _spans(re.compile(src, flags))


def test_bad_patterns_still_raise_re_error(folder: Path) -> None:
    with pytest.raises(re.error):
        programs.compile_regex("(unclosed", 0)


def test_no_cache_folder_means_plain_compile(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANIPOST_CACHE_DIR", "off")
    programs.reset()
    rx = programs.compile_regex(r"\bbed \d+", 0)
    assert rx.search("in bed 4") is not None
    programs.flush()
    programs.reset()


def test_twin_eligibility_read_off_the_terms_agrees_with_the_source() -> None:
    """Matchers decide lower-case twins from their terms (no source built); same answer."""
    from bot import load_config
    from bot.config import PROFILES
    from bot.policy import load_policy
    from bot.policy.model import lowercase_safe

    checked = 0
    for profile in PROFILES:
        for rule in load_policy(load_config(None).with_profile(profile)).rules:
            for m in rule.matchers():
                for _, terms in m._groups():
                    expected = bool(m.flags & re.IGNORECASE) and lowercase_safe(terms_regex(terms))
                    assert m._lowercase_safe(terms) == expected, terms
                    checked += 1
                if m.terms or m.patterns:
                    expected = bool(m.flags & re.IGNORECASE) and lowercase_safe(m.source or "")
                    assert m._lowercase_safe(None) == expected
    assert checked > 1000


def test_prefetched_programs_are_the_kept_ones(folder: Path) -> None:
    """A long post reads its programs in a few queries; what it gets matches as before."""
    first = [programs.compile_regex(src, flags) for src, flags in SOURCES]
    programs.flush()
    programs.reset()
    wanted = [(src, int(flags)) for src, flags in SOURCES] + [("never kept", 0)]
    programs.prefetch(wanted)
    assert set(programs._fetched) == set(wanted)
    assert programs._fetched[("never kept", 0)] is None  # known missing: no second query
    again = [programs.compile_regex(src, flags) for src, flags in SOURCES]
    assert not any(pair in programs._fetched for pair in wanted[:-1])  # each row used once
    assert [_spans(rx) for rx in again] == [_spans(rx) for rx in first]


def test_a_batch_reads_every_kept_program_at_once(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past BULK_AFTER programs asked one by one, the rest come from one query."""
    first = [programs.compile_regex(src, flags) for src, flags in SOURCES]
    programs.flush()
    programs.reset()
    monkeypatch.setattr(programs, "BULK_AFTER", 1)
    queries: list[str] = []
    programs._connect().set_trace_callback(queries.append)
    again = [programs.compile_regex(src, flags) for src, flags in SOURCES]
    assert programs._all is not None and len(programs._all) == len(SOURCES)
    selects = [q for q in queries if q.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 3  # one program alone, then a count and every program
    assert programs.compile_regex("(?:never kept)", 0).pattern == "(?:never kept)"
    assert len([q for q in queries if q.lstrip().upper().startswith("SELECT")]) == 3
    for (src, flags), a, b in zip(SOURCES, first, again, strict=True):
        assert b.pattern == src and b.groupindex == re.compile(src, flags).groupindex
        assert _spans(a) == _spans(b)
