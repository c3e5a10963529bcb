"""Terms: what may go on the watch list, and the spellings of a term the matcher looks for.

Kept free of database and matcher code so the CLI, the chat surfaces and the
matcher validate and expand terms the same way.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from bot.errors import InputError

#: Longest term or alias accepted.
MAX_TERM = 200
#: Most aliases one entry may carry.
MAX_ALIASES = 20
#: Fewest letters/digits a term needs.
MIN_CHARS = 3

COMMON_WORDS_FILE = Path(__file__).with_name("data") / "common_words.txt"

# A word: letters/digits with inner apostrophes (O'Brien, Mary's).
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)*")

#: Words before a name that make the next capitalised word a person's name.
TITLES: frozenset[str] = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "professor",
        "sir",
        "dame",
        "lady",
        "lord",
        "judge",
        "justice",
        "cllr",
        "councillor",
        "rev",
        "revd",
        "sgt",
        "pc",
        "dc",
        "di",
        "det",
        "insp",
        "inspector",
        "officer",
    ]
)
# Not surnames: case-name connectors and name suffixes.
_NOT_SURNAMES = frozenset(
    ["r", "v", "vs", "versus", "and", "of", "the", "jr", "sr", "ii", "iii", "iv", "trial", "case"]
)


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """The shipped list of the most common English words (see ``data/COMMON_WORDS.md``)."""
    lines = COMMON_WORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip())


def words(term: str) -> list[str]:
    """The words of ``term`` as typed: hyphens, spaces and other punctuation separate them."""
    return _WORD.findall(term)


def clean_term(raw: str) -> str:
    """``raw`` with surrounding space removed and inner runs of whitespace made one space."""
    return " ".join((raw or "").split())


def validate_term(raw: str | None, *, what: str = "term") -> str:
    """The cleaned term, or an :class:`InputError` saying in one line why it cannot be used.

    Refused: empty, fewer than three letters or digits, longer than :data:`MAX_TERM`,
    or one common word on its own ("the", "bin"), which would flag everyday posts.
    """
    term = clean_term(raw or "")
    if not term:
        raise InputError(f"the {what} is empty: give the name, codename or phrase to watch for")
    ws = words(term)
    if not ws:
        raise InputError(f"the {what} {term!r} has no letters or digits")
    if sum(len(w) for w in ws) < MIN_CHARS:
        raise InputError(
            f"the {what} {term!r} is too short: use at least {MIN_CHARS} letters or digits"
        )
    if len(term) > MAX_TERM:
        raise InputError(f"the {what} is {len(term)} characters; the limit is {MAX_TERM}")
    if len(ws) == 1 and _plain(ws[0]) in common_words():
        raise InputError(
            f"the {what} {term!r} is a common word: on its own it would flag everyday posts; "
            "give the whole name or phrase (e.g. 'bin strike', 'Project Lighthouse')"
        )
    return term


def _plain(word: str) -> str:
    return word.lower().replace("\u2019", "'")


def variants(term: str) -> set[str]:
    """Lower-case spellings of ``term`` the matcher looks for, on word boundaries.

    The matcher reads hyphens and underscores as spaces and curly apostrophes as
    straight ones, so the keys are: as typed; words joined by a space or by
    nothing (``#ProjectLighthouse``); a two-word name (letters only) also reversed ("Lighthouse
    project", "Patel, Priya"); apostrophes kept or dropped. Possessives need no
    key: the boundary after a match allows an apostrophe.
    """
    ws = [_plain(w) for w in words(term)]
    if not ws:
        return set()
    typed = _plain(term).replace("-", " ").replace("_", " ")
    out = {" ".join(typed.split()), " ".join(ws), "".join(ws)}
    if len(ws) == 2 and all(w.isalpha() and len(w) > 1 for w in ws):  # not "P. Patel"
        out.update((f"{ws[1]} {ws[0]}", f"{ws[1]}{ws[0]}", f"{ws[1]}, {ws[0]}"))
    if "'" in typed:
        out |= {v.replace("'", "") for v in out}
    return {v for v in out if len(v) >= MIN_CHARS}


def canonical_keys(term: str) -> set[str]:
    """Keys two terms share when they would match the same words (duplicate check)."""
    ws = [_plain(w).replace("'", "") for w in words(term)]
    keys = {"".join(ws)}
    if len(ws) == 2:
        keys.add("".join(reversed(ws)))
    return keys


def surname_of(term: str) -> str | None:
    """The surname of a person-like term ("Priya Patel" -> "patel", "R v Jones" -> "jones").

    The last capitalised word that is not a title or a case connector; None for
    one-word terms or when nothing usable (three letters or more) is left.
    """
    ws = words(term)
    if len(ws) < 2:
        return None
    usable = [w for w in ws if _plain(w) not in _NOT_SURNAMES and _plain(w) not in TITLES]
    capitalised = [w for w in usable if w[0].isupper()]
    pick = (capitalised or usable or [""])[-1]
    if len(pick) < MIN_CHARS or not any(c.isalpha() for c in pick):
        return None
    return _plain(pick)
