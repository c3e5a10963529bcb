"""One Aho-Corasick automaton over every spelling of every entry, and the checks after it.

Cost per draft is one C-level pass over the lower-cased text, whatever the
size of the list; Python work happens only for the (rare) raw hits, which
must then sit on word boundaries. What the automaton cannot know is checked
per hit:

* word boundaries, so "the old lighthouse at Flamborough" stays clean for
  "Project Lighthouse", while ``#SaveProjectLighthouse`` still matches (a
  CamelCase hump inside a hashtag or handle counts as a boundary);
* for person, case and injunction entries, the surname alone matches only
  when it is a proper noun in the draft: capitalised, and, when the surname
  is also an everyday word ("Hall", "Green"), neither at the start of a
  sentence nor part of another capitalised name ("Town Hall", "Hall Road");
* expiry: an entry past its ``until`` is skipped at once, no rebuild needed.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import ahocorasick

from bot.text import Prepared
from bot.watch.terms import TITLES, common_words, surname_of, variants, words
from bot.watch.types import WatchEntry

#: Most hits reported per entry in one draft.
MAX_HITS_PER_ENTRY = 5
# Raw hits kept per entry before overlaps are resolved (bounds work on huge drafts).
_RAW_CAP = 4 * MAX_HITS_PER_ENTRY

# Runs of spaces/tabs and underscores ("project_lighthouse") read as one space.
_NEEDS_FOLD = re.compile(r"[\t\f\v_]| {2}")
_FOLD = re.compile(r"[ \t\f\v_]{2,}|[\t\f\v_]")
_OPENERS = "\"'([{\u201c\u2018*"


@dataclass(frozen=True, slots=True)
class WatchHit:
    """One place a draft names an entry; offsets are into the draft as typed."""

    entry: WatchEntry
    start: int
    end: int
    surname_only: bool = False


class WatchMatcher:
    """Every active entry's spellings in one automaton; build once per list version."""

    def __init__(self, entries: Sequence[WatchEntry]) -> None:
        self.entries: tuple[WatchEntry, ...] = tuple(entries)
        self._first_names: dict[int, str] = {}
        # Building allocates many small objects; in a process holding the whole
        # policy, cyclic GC passes during that would cost more than the build.
        enabled = gc.isenabled()
        gc.disable()
        try:
            keys: dict[str, list[tuple[int, bool]]] = {}
            for i, entry in enumerate(self.entries):
                own: set[str] = set()
                for term in (entry.term, *entry.aliases):
                    own |= variants(term)
                target = (i, False)
                for v in own:
                    found = keys.get(v)
                    if found is None:
                        keys[v] = [target]
                    else:
                        found.append(target)
                if entry.kind_info.surname_matches:
                    surname = surname_of(entry.term)
                    if surname is not None:
                        keys.setdefault(surname, []).append((i, True))
                        self._first_names[i] = words(entry.term)[0].lower()
            self._automaton: ahocorasick.Automaton | None = None
            if keys:
                automaton = ahocorasick.Automaton()
                for key, targets in keys.items():
                    automaton.add_word(key, (len(key), tuple(targets)))
                automaton.make_automaton()
                self._automaton = automaton
        finally:
            if enabled:
                gc.enable()
        self._common = common_words() if self._first_names else frozenset()

    def __len__(self) -> int:
        return len(self.entries)

    def find(self, prepared: Prepared, now: datetime | None = None) -> list[WatchHit]:
        """Every place the draft names an active entry, in order of position."""
        if self._automaton is None:
            return []
        cased = prepared.text
        fold_map: list[int] | None = None
        if _NEEDS_FOLD.search(cased):
            cased, fold_map = _fold_spaces(cased)
        low = cased.lower()
        if len(low) != len(cased):  # a few characters lower-case to two; keep offsets
            low = "".join(c.lower() if len(c.lower()) == 1 else c for c in cased)
        # Same length, so offsets hold: hyphens read as spaces, curly apostrophes as straight.
        if "-" in low:
            low = low.replace("-", " ")
        if "\u2019" in low:
            low = low.replace("\u2019", "'")
        raw: list[tuple[int, int, int, bool]] = []
        n = len(low)
        shouting: list[bool] = []  # computed once, on the first surname hit
        counts: dict[int, int] = {}
        for last, (length, targets) in self._automaton.iter(low):
            start, end = last - length + 1, last + 1
            if not _left_ok(low, cased, start) or not (end == n or _right_ok(low, cased, end)):
                continue
            for index, surname in targets:
                seen = counts.get(index, 0)
                if seen >= _RAW_CAP:
                    continue  # a long post naming one entry hundreds of times
                if surname and not self._proper_noun(cased, start, end, index, shouting):
                    continue
                counts[index] = seen + 1
                raw.append((start, end, index, surname))
        if not raw:
            return []
        return self._resolve(raw, prepared, fold_map, now or datetime.now(UTC))

    def _resolve(
        self,
        raw: list[tuple[int, int, int, bool]],
        prepared: Prepared,
        fold_map: list[int] | None,
        now: datetime,
    ) -> list[WatchHit]:
        # Longest first, so a full-name hit wins over the surname inside it.
        raw.sort(key=lambda h: (h[0] - h[1], h[0]))
        kept: dict[int, list[tuple[int, int, bool]]] = {}
        for start, end, index, surname in raw:
            spans = kept.setdefault(index, [])
            if len(spans) >= MAX_HITS_PER_ENTRY or any(s < end and start < e for s, e, _ in spans):
                continue
            spans.append((start, end, surname))
        hits: list[WatchHit] = []
        for index, spans in kept.items():
            entry = self.entries[index]
            if entry.until is not None and entry.until <= now:
                continue
            for start, end, surname in spans:
                if fold_map is not None:
                    start, end = fold_map[start], fold_map[end - 1] + 1
                s, e = prepared.to_original(start, end)
                hits.append(WatchHit(entry, s, e, surname))
        hits.sort(key=lambda h: (h.start, h.end, h.entry.id))
        return hits

    def _proper_noun(
        self, cased: str, start: int, end: int, index: int, shouting: list[bool]
    ) -> bool:
        """Is the surname at ``cased[start:end]`` used as a name here?"""
        word = cased[start:end]
        if not word[:1].isupper():
            return False
        prev = _previous_word(cased, start)
        if prev is not None and prev.lower().rstrip(".") in TITLES:
            return True
        if word.lower() not in self._common:
            return True  # "Patel": capitalised and not an everyday word
        if not shouting:
            shouting.append(_shouting(cased))
        if shouting[0]:
            return False  # all caps: "WE LOVE THE HALL"
        if prev is None:
            # Sentence start: "Hall hire is..." is a word, "Hall's lawyer" a name.
            return cased[end : end + 2] in ("'s", "\u2019s")
        if prev[:1].isupper() and prev.lower() != self._first_names.get(index):
            return False  # part of another name: "Town Hall"
        nxt = _next_word(cased, end)
        return not (nxt is not None and nxt[:1].isupper())  # "Hall Road"


def _fold_spaces(text: str) -> tuple[str, list[int]]:
    """``text`` with runs of blanks and underscores as one space, and a map back."""
    pieces: list[str] = []
    index: list[int] = []
    pos = 0
    for m in _FOLD.finditer(text):
        pieces.append(text[pos : m.start()])
        index.extend(range(pos, m.start()))
        pieces.append(" ")
        index.append(m.start())
        pos = m.end()
    pieces.append(text[pos:])
    index.extend(range(pos, len(text)))
    return "".join(pieces), index


def _in_tag(cased: str, i: int) -> bool:
    """Is position ``i`` inside a #hashtag or @handle?"""
    j = i
    while j > 0 and (cased[j - 1].isalnum() or cased[j - 1] == "_"):
        j -= 1
    return j > 0 and cased[j - 1] in "#@"


def _left_ok(low: str, cased: str, start: int) -> bool:
    if start == 0 or not low[start - 1].isalnum():
        return True
    return cased[start].isupper() and cased[start - 1].islower() and _in_tag(cased, start)


def _right_ok(low: str, cased: str, end: int) -> bool:
    if not low[end].isalnum():
        return True
    return cased[end].isupper() and cased[end - 1].islower() and _in_tag(cased, end)


def _previous_word(cased: str, start: int) -> str | None:
    """The word before ``start`` in the same sentence; None at the start of one."""
    i = start - 1
    while i >= 0 and (cased[i] in " \u00a0" or cased[i] in _OPENERS):
        i -= 1
    if i < 0 or cased[i] in ".!?:;\n\r\u2026":
        if i >= 0 and cased[i] == "." and _title_before(cased, i):
            return cased[_word_start(cased, i) : i + 1]
        return None
    j = _word_start(cased, i + 1)
    return cased[j : i + 1] or cased[i]


def _title_before(cased: str, dot: int) -> bool:
    """Is the full stop at ``dot`` the end of a title like "Dr."?"""
    j = _word_start(cased, dot)
    return cased[j:dot].lower() in TITLES


def _word_start(cased: str, end: int) -> int:
    j = end
    while j > 0 and (cased[j - 1].isalnum() or cased[j - 1] in "'\u2019-"):
        j -= 1
    return j


def _next_word(cased: str, end: int) -> str | None:
    i = end
    # Skip a possessive and spaces: "Hall's", "Hall  Road".
    if cased[i : i + 2] in ("'s", "\u2019s"):
        i += 2
    while i < len(cased) and cased[i] == " ":
        i += 1
    j = i
    while j < len(cased) and cased[j].isalnum():
        j += 1
    return cased[i:j] or None


def _shouting(cased: str) -> bool:
    """Mostly capitals: case says nothing about proper nouns then."""
    letters = [c for c in cased if c.isalpha()]
    if len(letters) < 8:
        return False
    return sum(c.isupper() for c in letters) > 0.6 * len(letters)
