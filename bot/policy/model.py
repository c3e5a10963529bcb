"""What every rule kind shares: the per-draft context, hits, matchers, and field checks.

A rule kind is a class with a closed set of YAML fields (``FIELDS``), built
once from its file, and a ``check(ctx)`` that returns hits on the normalised
text. Everything per-draft that several rules need (lower-cased text, word
positions, detector results, classifier scores) is computed once, lazily, on
the :class:`Context`.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from bot import detectors
from bot.config import Organisation
from bot.errors import PolicyError
from bot.policy.needs import (
    MIN_LENGTH,
    analyse,
    comparable,
    compile_checked,
    compiled_before,
    minimal,
    starts_minimal,
)
from bot.policy.programs import compile_regex
from bot.text import Prepared

#: Common function words: poor anchors, because almost every draft contains them.
#: Data, not code (``bot/policy/data/stopwords.txt``): policy questions use the same list.
STOPWORDS = frozenset(
    w
    for line in (Path(__file__).with_name("data") / "stopwords.txt").read_text("utf-8").splitlines()
    if (w := line.split("#", 1)[0].strip())
)
WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
#: What separates a term's words (``term_atoms``): runs of spaces and hyphens.
_SEPARATORS = re.compile(r"[ \-]+")
_SEGMENT_BREAKS = re.compile(r"[\s\-]+")
#: Compiled once (the policy build runs them on every one of ~15,000 terms).
_CHUNK_BREAKS = re.compile(r"[\s\-*']+")
_PLAIN_WORD = re.compile(r"[A-Za-z0-9]+")
#: Texts longer than this scan each anchor's group only near the anchor (blog posts).
LONG_TEXT = 2000
#: An anchor found more often than this in a long text is scanned for in the whole text.
NEAR_MAX = 12
#: A branch tried at more than one place in 2**AT_DENSITY characters of a long text is run
#: over the whole text instead (one scan in C then costs less than the tries).
AT_DENSITY = 4
_SUB = "\x00"
#: Segments a group's longest term can reach from its anchor, by the group's terms (kept
#: off the Matcher so that pickled policies keep their layout).
_REACH: dict[tuple[str, ...], int] = {}
_ESCAPE = re.compile(r"\\.")
#: ``re.IGNORECASE`` as a plain int: matchers keep plain int flags, because a RegexFlag's
#: ``&`` runs Python code and the engine tests these flags thousands of times a long post.
_ICASE = int(re.IGNORECASE)
_UNSEEN: Any = object()
_NOT_ICASE = ~_ICASE


def lowercase_safe(source: str) -> bool:
    """Can this case-insensitive regex run case-sensitively on lower-cased text instead?

    Only when it has no upper-case letter of its own (escapes such as ``\\S`` aside)
    and never switches case-insensitivity off inline.
    """
    if "(?-i" in source:
        return False
    return _no_capitals((_ESCAPE.sub("", source),))


@dataclass(frozen=True, slots=True)
class CharGate:
    """A rule's cheapest precondition on the raw characters, checked by the policy index.

    Style rules (hashtags, exclamations, emoji, length) would otherwise run on
    every draft; most drafts fail these tests, so the index skips the call.
    """

    any_of: str = ""  #: at least one of these characters must appear ("" = no test)
    min_len: int = 0  #: the draft as typed must be longer than this
    non_ascii: bool = False  #: the draft must hold a non-ASCII character
    upper: bool = False  #: the draft must hold an upper-case letter

    def admits(self, ctx: Context) -> bool:
        text = ctx.text
        if self.min_len and len(ctx.prepared.original) <= self.min_len:
            return False
        if self.non_ascii and text.isascii():
            return False
        if self.upper and text == ctx.lower:
            return False
        return not self.any_of or any(c in text for c in self.any_of)


@dataclass(frozen=True, slots=True)
class Hit:
    """A span of the normalised text (None, None for the whole draft)."""

    start: int | None
    end: int | None


@dataclass(slots=True)
class Context:
    """One draft under review, with lazily computed shared facts."""

    prepared: Prepared
    channel: str
    org: Organisation
    vocab: dict[str, list[str]]
    _lower: str | None = None
    _words: set[str] | None = None
    _word_starts: list[int] | None = None
    _digits: int | None = None
    _segments: tuple[list[int], list[int]] | None = None
    _comparable: bool | None = None
    detections: dict[str, Any] = field(default_factory=dict)
    #: The policy's substrings present in ``lower`` (one Aho-Corasick pass, see
    #: ``Policy.candidates``), valid for matchers carrying the same ``sub_token``.
    subs: frozenset[str] = frozenset()
    sub_token: object = None
    #: Long texts only: where each group anchor occurs (``Policy._anchor_positions``).
    positions: dict[str, list[int]] | None = None
    scores: dict[str, float] = field(default_factory=dict)
    #: The normalised text (a plain attribute: rules read it constantly).
    text: str = ""

    def __post_init__(self) -> None:
        self.text = self.prepared.text

    @property
    def lower(self) -> str:
        if self._lower is None:
            self._lower = self.text.lower()
        return self._lower

    @property
    def comparable(self) -> bool:
        """Whether substring tests on ``lower`` stand for matches on the text (``needs``)."""
        if self._comparable is None:
            self._comparable = comparable(self.text, self.lower)
        return self._comparable

    @property
    def digits(self) -> int:
        """How many ASCII digits the draft has (detectors' cheapest precondition)."""
        if self._digits is None:
            self._digits = sum(map(self.prepared.text.count, "0123456789"))
        return self._digits

    @property
    def words(self) -> set[str]:
        """Lower-cased word tokens, for rule prefiltering."""
        if self._words is None:
            self._index_words()
        assert self._words is not None
        return self._words

    def _index_words(self) -> None:
        words = set(WORD_RE.findall(self.lower))
        if "'" in self.lower:
            for w in [w for w in words if "'" in w]:
                words.add(w.split("'", 1)[0])
        self._words = words

    def segments(self) -> tuple[list[int], list[int]]:
        """Starts and ends of the text's runs between whitespace/hyphens (long texts only)."""
        if self._segments is None:
            starts, ends = [0], []
            for m in _SEGMENT_BREAKS.finditer(self.lower):
                ends.append(m.start())
                starts.append(m.end())
            ends.append(len(self.lower))
            self._segments = (starts, ends)
        return self._segments

    def word_index(self, pos: int) -> int:
        """Index of the word at or before character ``pos``."""
        if self._word_starts is None:
            self._word_starts = [m.start() for m in WORD_RE.finditer(self.lower)]
        return bisect_right(self._word_starts, pos) - 1


# ------------------------------------------------------------------ term compilation


def term_atoms(term: str) -> list[str]:
    """Split a lexicon term into regex atoms (see :func:`term_regex`)."""
    t = term.strip()
    if not t:
        raise ValueError("empty term")
    atoms: list[str] = []
    i = 0
    while i < len(t):
        ch = t[i]
        if ch == "*":
            atoms.append(r"\w*")
        elif ch in " -":
            while i + 1 < len(t) and t[i + 1] in " -":
                i += 1
            atoms.append(r"[\s\-]+")
        elif ch == "'":
            atoms.append("'?")
        else:
            atoms.append(re.escape(ch))
        i += 1
    if t[-1].isalnum() or t[-1] in "*'":
        atoms.append(r"(?!\w)")
    return atoms


_END = ""  # trie key marking the end of a term


def _trie_regex(node: dict[str, Any]) -> str:
    """Emit a regex for a trie of atoms: shared prefixes are matched once."""
    ends = _END in node
    branches = [atom + _trie_regex(child) for atom, child in node.items() if atom != _END]
    if not branches:
        return ""
    # Longer continuations first so the regex prefers the longest term.
    branches.sort(key=len, reverse=True)
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends:
        return "(?:" + body + ")?"
    return body


def terms_regex(terms: Iterable[str]) -> str:
    """One regex for many terms, built as a trie so matching stays fast.

    Term syntax: plain words, matched whole. ``*`` at the end of a word allows
    any ending (``parasite*``); a space or hyphen matches any run of spaces or
    hyphens; an apostrophe is optional (``you're`` matches ``youre``). Word
    boundaries are added only where a term begins/ends with a word character,
    so ``#ad`` works too.

    A plain alternation makes the regex engine try every term at every
    position; the trie shares prefixes, so a 200-term list costs little
    more than a 20-term one.
    """
    groups: dict[str, dict[str, Any]] = {}
    for term in terms:
        t = term.strip()
        head = r"(?<![\w'])" if (t[:1].isalnum() or t[:1] == "*") else r"(?<![\w#])"
        node = groups.setdefault(head, {})
        for atom in term_atoms(t):
            node = node.setdefault(atom, {})
        node[_END] = {}
    parts = [head + _trie_regex(node) for head, node in groups.items()]
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


@lru_cache(maxsize=65536)
def term_anchor(term: str) -> tuple[str, str]:
    """A cheap test that must pass for ``term`` to match: ``("word", w)`` or ``("sub", s)``.

    The longest whole literal word is best (a set lookup per draft); a term
    with no such word (``fuck*``, ``/s``, ``a&e``) falls back to its longest
    literal chunk, tested as a substring of the lower-cased draft.
    """
    best: str | None = None
    for part in _SEGMENT_BREAKS.split(term.lower()):
        if "*" in part or not part:
            continue
        m = WORD_RE.fullmatch(part)
        if not m:
            continue
        word = m.group(0)
        if "'" in word:
            word = word.split("'", 1)[0]
        # Prefer a content word: "use them" anchored on "them" would run on every draft.
        rank = (word not in STOPWORDS, len(word))
        if best is None or rank > (best not in STOPWORDS, len(best)):
            best = word
    chunks = [c for c in _CHUNK_BREAKS.split(term.lower()) if c]
    if best is not None and (best not in STOPWORDS or not chunks):
        return ("word", best)
    # Only function words: a literal chunk such as "paedo" or "a&e" is a rarer anchor.
    rare = [c for c in chunks if len(c) >= 3 and c not in STOPWORDS]
    if rare:
        return ("sub", max(rare, key=len))
    if best is not None:
        return ("word", best)
    return ("sub", max(chunks, key=len) if chunks else term.lower())


# ------------------------------------------------------------------ matchers

MATCHER_FIELDS = ("terms", "vocab", "patterns", "detector", "labels", "case_sensitive", "triggers")


@dataclass(slots=True)
class Matcher:
    """Finds spans by terms, regex patterns or a detector: the building block of rules.

    The regex is compiled on first use: compiling every lexicon's trie at
    start-up would cost most of the start-up time, while a typical draft only
    ever reaches a handful of rules.
    """

    terms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    flags: int = 0
    detector: str | None = None
    labels: frozenset[str] | None = None
    anchors: frozenset[str] | None = None  # None: cannot prefilter, always run
    substrings: re.Pattern[str] | None = None
    substring_list: tuple[str, ...] = ()
    #: Terms grouped by their anchor word / substring: a draft runs only the small
    #: regexes of the anchors it contains (None when patterns make that impossible).
    word_groups: dict[str, tuple[str, ...]] | None = None
    sub_groups: dict[str, tuple[str, ...]] | None = None
    group_keys: frozenset[str] = frozenset()
    #: Single-word terms that are plain letters/digits (matched by str.find).
    plain_words: frozenset[str] = frozenset()
    #: Set by the policy index: ``ctx.subs`` answers for this matcher's substrings.
    sub_token: object = None
    #: Lower-case strings one of which every match of the whole regex contains
    #: (:mod:`bot.policy.needs`); None: no such gate.
    needs: frozenset[str] | None = None
    #: Per branch of the whole regex (terms' trie, then each pattern): its needed literals
    #: (None: none known); the tuple is None when the branches cannot be run one by one.
    branch_needs: tuple[frozenset[str] | None, ...] | None = None
    #: Per branch likewise: lower-case strings one of which every match of the branch starts
    #: with (None: not known); the tuple is None when ``branch_needs`` could not be worked
    #: out. A long text runs a branch only where these occur (:meth:`_spans_at`).
    branch_starts: tuple[frozenset[str] | None, ...] | None = None
    _regex: re.Pattern[str] | None = None
    _group_regex: dict[str, re.Pattern[str]] = field(default_factory=dict)
    #: Case-sensitive twins of the case-insensitive regexes, run on ``ctx.lower`` (Python's
    #: re is several times faster without IGNORECASE), by group key; "" is the whole regex.
    _twins: dict[str, re.Pattern[str] | None] = field(default_factory=dict)
    #: :meth:`_lowercase_safe` of the whole regex, and of each branch (``branch_needs``),
    #: worked out on first use: a long post asks thousands of times.
    _whole_safe: bool | None = None
    _branch_safe: tuple[bool, ...] | None = None

    @property
    def source(self) -> str | None:
        """The regex source: the terms' trie, then the patterns."""
        parts = [terms_regex(self.terms)] if self.terms else []
        parts += [f"(?:{p})" for p in self.patterns]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else "|".join(parts)

    @property
    def regex(self) -> re.Pattern[str] | None:
        if self._regex is None and (self.terms or self.patterns):
            self._regex = compile_regex(self.source or "", self.flags)
        return self._regex

    def compile(self) -> None:
        """Compile now (``policy lint``, servers warming up): the lower-case twin when eligible."""
        if (self.terms or self.patterns) and self._program("", None, True) is None:
            _ = self.regex
        for key, terms in self._groups():
            if self._program(key, terms, True) is None:
                self._program(key, terms, False)
        whole = self._lowercase_safe(None)
        for k in range(len(self.branch_needs or ())):
            self._branch(k, whole)
            if not whole and self.flags & _ICASE and self._branches_safe()[k]:
                self._branch(k, True)  # the branch's own twin (long posts, _spans_split)

    def _groups(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        """Every anchor group with its cache key (sub-string anchors are prefixed with NUL,
        so a word and a sub-string anchor spelled alike keep their own regexes)."""
        yield from (self.word_groups or {}).items()
        for sub, terms in (self.sub_groups or {}).items():
            yield _SUB + sub, terms

    def _program(
        self, key: str, terms: tuple[str, ...] | None, lower: bool
    ) -> re.Pattern[str] | None:
        """The regex of group ``key`` (terms None: the whole regex): its case-sensitive
        twin to run on the lower-cased text (``lower=True``; None when not eligible), else
        the regex as written. The program cache is keyed by the terms, so a revived
        program costs neither building the trie's source nor compiling it."""
        cache = self._twins if lower else self._group_regex
        if key in cache:
            return cache[key]
        if terms is None and not lower:
            return self.regex
        if lower and not self._lowercase_safe(terms):
            cache[key] = None  # type: ignore[assignment]
            return None
        if terms is None:
            ident = "whole\x1e" + "\x1f".join(self.terms) + "\x1e" + "\x1f".join(self.patterns)
            source: Callable[[], str] = lambda: self.source or ""  # noqa: E731
        else:
            ident = "terms\x1e" + "\x1f".join(terms)
            source = lambda: terms_regex(terms)  # noqa: E731
        flags = self.flags & _NOT_ICASE if lower else self.flags
        rx = compile_regex(source, flags, key=ident)
        cache[key] = rx
        return rx

    def _lowercase_safe(self, terms: tuple[str, ...] | None) -> bool:
        """:func:`lowercase_safe` of the group's regex, read off its terms (no source built):
        term atoms add no capitals of their own, and escaping adds a backslash only
        before punctuation."""
        if not self.flags & _ICASE:
            return False
        if terms is None:
            if self._whole_safe is None:
                self._whole_safe = all(self._branches_safe())
            return self._whole_safe
        return _no_capitals(terms)

    def _branches_safe(self) -> tuple[bool, ...]:
        """Whether each branch of the whole regex (the terms' trie, then each pattern) could
        run as a case-sensitive twin on the lower-cased text (IGNORECASE regexes only)."""
        if self._branch_safe is None:
            safe = [_no_capitals(self.terms)] if self.terms else []
            safe += [lowercase_safe(f"(?:{p})") for p in self.patterns]
            self._branch_safe = tuple(safe)
        return self._branch_safe

    def _branch_lower(self, ctx: Context) -> list[bool]:
        """Per branch: run its lower-case twin on ``ctx.lower`` (see :meth:`_spans_split`)?"""
        n = len(self.branch_needs or ())
        if len(ctx.lower) != len(ctx.text) or not self.flags & _ICASE:
            return [False] * n
        if self._lowercase_safe(None):
            return [True] * n  # as the whole regex's twin would run
        if not ctx.comparable:
            return [False] * n
        return list(self._branches_safe())

    def _spans(
        self, ctx: Context, key: str, terms: tuple[str, ...] | None = None
    ) -> list[tuple[int, int]]:
        """Matches of a group's regex (``key`` "" = the whole regex) on the text, via its
        lower-case twin when offsets agree; near the anchor only, in a long text."""
        if not key and self.branch_needs is not None:
            live = self._live_branches(ctx)
            # A long text, or a draft lacking some branches' needed literals (a long list
            # of exception shapes, of which a tweet holds the words of one or two).
            if len(live) < len(self.branch_needs) or len(ctx.text) > LONG_TEXT:
                return self._spans_split(ctx, live)
        twin = self._program(key, terms, True)
        same_length = len(ctx.lower) == len(ctx.text)
        if twin is not None and same_length:
            hay, prog = ctx.lower, twin
        else:
            prog = self._program(key, terms, False)  # type: ignore[assignment]
            hay = ctx.text
        assert prog is not None
        if key and terms is not None and same_length and len(hay) > LONG_TEXT:
            return self._spans_near(ctx, key.lstrip(_SUB), terms, hay, prog)
        if not key and self.branch_starts is not None and len(self.branch_starts) == 1:
            at = self._starts_at(ctx, 0)
            if at is not None:
                return self._spans_at(prog, hay, at)
        return [m.span() for m in prog.finditer(hay)]

    def _starts_at(self, ctx: Context, k: int) -> list[int] | None:
        """Long texts: every place where a match of branch ``k`` can start, in order (the
        occurrences of its :attr:`branch_starts`, found by the policy's long-text automaton
        pass); None when not known, or when so many that one scan costs less."""
        starts = self.branch_starts[k] if self.branch_starts is not None else None
        known = ctx.positions
        if (
            starts is None
            or known is None
            or self.sub_token is None
            or ctx.sub_token is not self.sub_token
            or not ctx.comparable
        ):
            return None
        found = [known[s] for s in starts if s in known]
        if not found:
            return []
        at = found[0] if len(found) == 1 else sorted(set().union(*found))
        return at if len(at) <= len(ctx.text) >> AT_DENSITY else None

    @staticmethod
    def _spans_at(prog: re.Pattern[str], hay: str, at: list[int]) -> list[tuple[int, int]]:
        """``prog.finditer(hay)``'s spans, trying ``prog`` only at the places ``at`` (every
        place a match can start, in order). ``finditer`` tries each place from the end of
        the last match on and takes the first that matches; so does this, in C at each
        place (``match`` at a position sees the whole text, lookbehinds included), skipping
        the places no match can start on. No branch matches the empty string."""
        out: list[tuple[int, int]] = []
        match = prog.match
        pos = 0
        for i in at:
            if i < pos:
                continue
            m = match(hay, i)
            if m is not None:
                out.append(m.span())
                pos = m.end()
        return out

    @staticmethod
    def _search_at(
        prog: re.Pattern[str], hay: str, at: list[int], pos: int
    ) -> re.Match[str] | None:
        """``prog.search(hay, pos)``, trying only the places ``at`` (see :meth:`_spans_at`)."""
        match = prog.match
        for k in range(bisect_left(at, pos), len(at)):
            m = match(hay, at[k])
            if m is not None:
                return m
        return None

    def _branch(self, k: int, lower: bool) -> re.Pattern[str]:
        """Branch ``k`` of the whole regex (the terms' trie, then each pattern) on its own."""
        cache = self._twins if lower else self._group_regex
        key = f"\x01{k}"
        rx = cache.get(key)
        if rx is None:
            flags = self.flags & _NOT_ICASE if lower else self.flags
            if self.terms and k == 0:  # kept under its terms: a hit builds no trie source
                ident = "whole-terms\x1e" + "\x1f".join(self.terms)
                rx = compile_regex(lambda: terms_regex(self.terms), flags, key=ident)
            else:
                rx = compile_regex(self.patterns[k - 1 if self.terms else k], flags)
            cache[key] = rx
        return rx

    def _live_branches(self, ctx: Context) -> list[int]:
        """The branches of the whole regex whose needed literals the draft holds (all of
        them when the policy's substring pass cannot answer for this draft)."""
        assert self.branch_needs is not None
        if self.sub_token is None or ctx.sub_token is not self.sub_token or not ctx.comparable:
            return list(range(len(self.branch_needs)))
        subs = ctx.subs
        return [
            k
            for k, need in enumerate(self.branch_needs)
            if need is None or not subs.isdisjoint(need)
        ]

    def _spans_split(self, ctx: Context, live: list[int]) -> list[tuple[int, int]]:
        """The whole regex's matches, found branch by branch (``live``: the branches to run).

        The whole regex is one alternation: at each place the first branch that
        matches wins, and the scan goes on after the match. Each branch on its own
        is found faster than the alternation (its own start hint, where the
        alternation's is the union of all of them), and a branch whose needed
        literals the draft lacks is not run at all. Merging the branches' next
        matches (earliest start; on a tie the earlier branch; searching again past
        the end of the last match) gives exactly the alternation's matches: no
        branch matches the empty string and none refers to another's groups
        (``branch_needs`` is None otherwise).
        """
        assert self.branch_needs is not None
        if not live:
            return []
        lower = self._branch_lower(ctx)
        progs: list[re.Pattern[str]] = []
        hays: list[str] = []
        ats: list[list[int] | None] = []
        for k in live:
            progs.append(self._branch(k, lower[k]))
            hays.append(ctx.lower if lower[k] else ctx.text)
            ats.append(self._starts_at(ctx, k) if ctx.positions is not None else None)
        if len(live) == 1:
            at = ats[0]
            if at is not None:
                return self._spans_at(progs[0], hays[0], at)
            return [m.span() for m in progs[0].finditer(hays[0])]
        search_at = self._search_at
        heads = [
            prog.search(hay) if at is None else search_at(prog, hay, at, 0)
            for prog, hay, at in zip(progs, hays, ats, strict=True)
        ]
        out: list[tuple[int, int]] = []
        pos = 0
        while True:
            best: re.Match[str] | None = None
            for i, m in enumerate(heads):
                if m is None:
                    continue
                if m.start() < pos:
                    at = ats[i]
                    if at is None:
                        m = heads[i] = progs[i].search(hays[i], pos)
                    else:
                        m = heads[i] = search_at(progs[i], hays[i], at, pos)
                    if m is None:
                        continue
                if best is None or m.start() < best.start():
                    best = m
            if best is None:
                return out
            out.append(best.span())
            pos = best.end()

    def _spans_near(
        self, ctx: Context, key: str, terms: tuple[str, ...], hay: str, prog: re.Pattern[str]
    ) -> list[tuple[int, int]]:
        r"""A group's matches in a long text, scanning only around its anchor's occurrences.

        Every match of a group's terms contains the group's anchor literally, and a
        term of N words spans N whitespace-separated segments; so the matches are
        those found in windows of N+1 segments either side of each occurrence.
        The windows end on whitespace, where the terms' ``(?!\w)`` sees what it
        would see in the whole text. Scanning from a window's start can find a match
        that the whole-text scan skips because it lies inside an earlier match;
        keeping the earliest of overlapping matches removes those. The cost is
        linear in the text instead of (anchors x text).
        """
        lower = ctx.lower
        known = (
            ctx.positions
            if self.sub_token is not None and ctx.sub_token is self.sub_token
            else None
        )
        if known is not None:
            found_at = known.get(key, [])
            occurrences: Iterable[int] = found_at
            if len(found_at) > NEAR_MAX:
                # Windows would cover much of the text: one scan in C costs less than
                # the windows' bookkeeping, and finds the same matches (see above).
                return [m.span() for m in prog.finditer(hay)]
        else:
            occurrences = _occurrences(lower, key)
        reach = _REACH.get(terms)
        if reach is None:
            # Once per group: a long post visits the same groups hundreds of times.
            reach = 1 + max((len(_SEPARATORS.findall(t.strip())) + 1 for t in terms), default=8)
            _REACH[terms] = reach
        starts, ends = ctx.segments()
        last = len(starts) - 1
        regions: list[list[int]] = []
        for i in occurrences:
            seg = bisect_right(starts, i) - 1
            lo = starts[max(0, seg - reach)]
            hi = ends[min(last, max(seg, 0) + reach)]
            if regions and lo <= regions[-1][1]:
                regions[-1][1] = max(regions[-1][1], hi)
            else:
                regions.append([lo, hi])
        found: list[tuple[int, int]] = []
        for lo, hi in regions:
            found.extend(m.span() for m in prog.finditer(hay, lo, hi))
        if len(regions) < 2:
            return found
        found.sort(key=lambda x: (x[0], -x[1]))
        out: list[tuple[int, int]] = []
        for s, e in found:
            if out and s < out[-1][1]:
                continue
            out.append((s, e))
        return out

    def _cannot_match(self, ctx: Context) -> bool:
        """The whole regex needs one of ``needs`` and the draft holds none of them."""
        return (
            self.needs is not None
            and self.sub_token is not None
            and ctx.sub_token is self.sub_token
            and ctx.subs.isdisjoint(self.needs)
            and ctx.comparable
        )

    def find(self, ctx: Context) -> list[tuple[int, int]]:
        if self.word_groups is not None and self.detector is None:
            return self._find_grouped(ctx)
        spans: list[tuple[int, int]] = []
        has_regex = bool(self.terms or self.patterns)
        if self.detector is not None and not detector_may_match(ctx, self.detector):
            if not has_regex:
                return spans
            detector_ok = False
        else:
            detector_ok = True
        if has_regex and not self._cannot_match(ctx):
            spans.extend(self._spans(ctx, ""))
        if self.detector is not None and detector_ok:
            for d in run_detector(ctx, self.detector):
                if self.labels is None or d.label in self.labels:
                    spans.append((d.start, d.end))
        return spans

    def _find_grouped(self, ctx: Context) -> list[tuple[int, int]]:
        """Run only the regexes of the anchors present; merge their matches."""
        assert self.word_groups is not None
        found: set[tuple[int, int]] = set()
        groups = self.word_groups
        for word in ctx.words & self.group_keys:  # set & frozenset: iterates the smaller
            terms = groups[word]
            if self._is_plain(word, terms):
                found.update(self._find_word(ctx, terms[0]))
            else:
                found.update(self._spans(ctx, word, terms))
        sub_groups = self.sub_groups
        if sub_groups:
            if self.sub_token is not None and ctx.sub_token is self.sub_token:
                present: Iterable[str] = ctx.subs.intersection(sub_groups)
            else:
                lower = ctx.lower
                present = [sub for sub in sub_groups if sub in lower]
            for sub in present:
                same = groups.get(sub)
                if same is not None and not self._is_plain(sub, same):
                    # A word group spelled like this sub-string runs instead, as the rule
                    # examples were tuned under (see the report on issue 15).
                    found.update(self._spans(ctx, sub, same))
                else:
                    found.update(self._spans(ctx, _SUB + sub, sub_groups[sub]))
        if len(found) < 2:
            return list(found)
        # Keep the longest of overlapping matches, as one alternation would have.
        out: list[tuple[int, int]] = []
        for s, e in sorted(found, key=lambda x: (x[0], -x[1])):
            if out and s < out[-1][1]:
                continue
            out.append((s, e))
        return out

    def wanted_programs(self, ctx: Context, out: list[tuple[str, int]]) -> None:
        """Add the (key, flags) of the kept programs :meth:`find` will ask for on this
        (long) draft and has not compiled yet, for :func:`bot.policy.programs.prefetch`.
        Mirrors :meth:`_find_grouped` and :meth:`_spans_split`; a pair it misses is
        simply read when asked for."""
        same_length = len(ctx.lower) == len(ctx.text)
        if self.branch_needs is not None:
            lower = self._branch_lower(ctx)
            first = 1 if self.terms else 0
            for k in range(len(lower)):
                cache = self._twins if lower[k] else self._group_regex
                if f"\x01{k}" in cache:
                    continue
                flags = self.flags & _NOT_ICASE if lower[k] else self.flags
                if k < first:
                    out.append(("whole-terms\x1e" + "\x1f".join(self.terms), flags))
                else:
                    out.append((self.patterns[k - first], flags))
        if self.word_groups is None or self.detector is not None:
            return
        groups = self.word_groups
        pairs: list[tuple[str, tuple[str, ...]]] = []
        for word in ctx.words & self.group_keys:
            terms = groups[word]
            if self._is_plain(word, terms):
                if same_length or not self.flags & _ICASE:
                    continue  # found by str.find
                terms = (word,)
            pairs.append((word, terms))
        sub_groups = self.sub_groups
        if sub_groups and self.sub_token is not None and ctx.sub_token is self.sub_token:
            for sub in ctx.subs.intersection(sub_groups):
                same = groups.get(sub)
                if same is not None and not self._is_plain(sub, same):
                    pairs.append((sub, same))
                else:
                    pairs.append((_SUB + sub, sub_groups[sub]))
        twins = self._twins
        for key, terms in pairs:
            # A group asked for before has its twin recorded (None when not lower-case safe).
            known = twins.get(key, _UNSEEN)
            lower_ok = self._lowercase_safe(terms) if known is _UNSEEN else known is not None
            twin = lower_ok and known is _UNSEEN
            plain = (not lower_ok or not same_length) and key not in self._group_regex
            if twin or plain:
                ident = "terms\x1e" + "\x1f".join(terms)
                if twin:
                    out.append((ident, self.flags & _NOT_ICASE))
                if plain:
                    out.append((ident, self.flags))

    def _is_plain(self, word: str, terms: tuple[str, ...]) -> bool:
        """One plain word: found by ``str.find``, no regex."""
        return terms == (word,) or (len(terms) == 1 and terms[0] in self.plain_words)

    def _find_word(self, ctx: Context, word: str) -> list[tuple[int, int]]:
        """Whole-word occurrences of one plain word, by str.find: no regex engine needed."""
        case_sensitive = not (self.flags & _ICASE)
        hay = ctx.text if case_sensitive else ctx.lower
        if not case_sensitive and len(hay) != len(ctx.text):
            return self._spans(ctx, word, (word,))
        needle = word if case_sensitive else word.lower()
        n = len(needle)
        out = []
        i = hay.find(needle)
        while i != -1:
            before = hay[i - 1] if i else " "
            after = hay[i + n] if i + n < len(hay) else " "
            if not (before.isalnum() or before in "_'") and not (after.isalnum() or after == "_"):
                out.append((i, i + n))
            i = hay.find(needle, i + 1)
        return out

    def may_match(self, ctx: Context) -> bool:
        if self.anchors is None:
            return self.detector is not None or not self._cannot_match(ctx)
        if not self.anchors.isdisjoint(ctx.words):
            return True
        if self.substrings is None:
            return False
        if self.sub_token is not None and ctx.sub_token is self.sub_token:
            return not ctx.subs.isdisjoint(self.substring_list)
        return self.substrings.search(ctx.lower) is not None

    def all_substrings(self) -> set[str]:
        """Every substring this matcher tests for (what the policy's automaton must hold)."""
        out = {*self.substring_list, *(self.sub_groups or ()), *(self.needs or ())}
        for need in self.branch_needs or ():
            out |= need or set()
        return out


def _no_capitals(terms: tuple[str, ...]) -> bool:
    """No character of the terms is upper-case (``str.islower`` of them all says so at
    C speed; only when it does not is each character looked at)."""
    joined = "".join(terms)
    if joined.islower():  # every cased character is lower-case
        return True
    return not any(ch.isupper() for ch in joined)


def _occurrences(text: str, key: str) -> Iterator[int]:
    """Start of every occurrence of ``key`` in ``text``, overlapping ones included."""
    i = text.find(key)
    while i != -1:
        yield i
        i = text.find(key, i + 1)


def detector_may_match(ctx: Context, name: str) -> bool:
    """Check a detector's cheap preconditions (digits, characters, trigger words)."""
    return detectors.get(name).admits(ctx.digits, ctx.words, ctx.text)


def run_detector(ctx: Context, name: str) -> list[Any]:
    """Run a detector once per draft and cache its detections on the context.

    A detector registered as the union of others merges their (cached) detections.
    """
    cached = ctx.detections.get(name)
    if cached is None:
        spec = detectors.get(name)
        if spec.union:
            found = [d for part in spec.union for d in run_detector(ctx, part)]
            cached = sorted(found, key=lambda d: d.start)
        else:
            cached = spec.function()(ctx.text, ctx.org)
        ctx.detections[name] = cached
    return cached


def build_matcher(
    spec: dict[str, Any], vocab: dict[str, list[str]], where: Callable[[str], str]
) -> Matcher:
    """Build a matcher from ``terms`` / ``vocab`` / ``patterns`` / ``detector`` fields."""
    flags = 0 if spec.get("case_sensitive") else _ICASE
    anchors: set[str] | None = set()
    substrings: set[str] = set()
    word_groups: dict[str, list[str]] = {}
    sub_groups: dict[str, list[str]] = {}
    terms: list[str] = list(_as_list(spec.get("terms"), "terms", where))
    for name in _as_list(spec.get("vocab"), "vocab", where):
        if name not in vocab:
            raise PolicyError(
                f"{where('vocab')}: unknown vocabulary {name!r}; known: {', '.join(sorted(vocab))}"
            )
        terms.extend(vocab[name])
    if any(not str(t).strip() for t in terms):
        raise PolicyError(f"{where('terms')}: empty term")
    term_anchors_seen: set[str] = set()
    for term in terms:
        kind, value = term_anchor(str(term))
        term_anchors_seen.add(value)
        if anchors is not None:
            (anchors if kind == "word" else substrings).add(value)
        (word_groups if kind == "word" else sub_groups).setdefault(value, []).append(str(term))
    patterns = _as_list(spec.get("patterns"), "patterns", where)
    for p in patterns:
        if compiled_before(p, flags):
            continue  # compiled by an earlier build (the policy was edited elsewhere)
        try:
            compile_checked(p, flags)  # re.compile, its parse kept for the needs below
        except re.error as exc:
            raise PolicyError(f"{where('patterns')}: bad regular expression {p!r}: {exc}") from None
    term_anchors = anchors
    if patterns:
        anchors = None
    triggers = _as_list(spec.get("triggers"), "triggers", where)
    if triggers:
        # Declared triggers gate the patterns: one of them (or a term's anchor) must appear.
        trig = {t.lower() for t in triggers}
        words = {t for t in trig if re.fullmatch(r"[a-z0-9]+", t)}
        anchors = (term_anchors or set()) | words
        substrings |= trig - words
    detector = spec.get("detector")
    labels = spec.get("labels")
    if detector is not None:
        if not isinstance(detector, str) or not detectors.is_registered(detector):
            raise PolicyError(
                f"{where('detector')}: unknown detector {detector!r}; allowed: {', '.join(detectors.names())}"
            )
        anchors = None
    if not terms and not patterns and detector is None:
        raise PolicyError(f"{where('terms')}: needs one of terms, vocab, patterns or detector")
    grouped = bool(terms) and not patterns and detector is None and not triggers
    whole = not grouped and detector is None
    branch_needs = _branch_needs(terms, term_anchors_seen, patterns, flags) if whole else None
    branch_starts = _branch_starts(terms, patterns, flags) if branch_needs is not None else None
    return Matcher(
        needs=_whole_needs(branch_needs) if branch_needs is not None else None,
        branch_needs=branch_needs if branch_needs is not None and len(branch_needs) > 1 else None,
        branch_starts=branch_starts,
        terms=tuple(str(t) for t in terms),
        patterns=tuple(patterns),
        word_groups={k: tuple(v) for k, v in word_groups.items()} if grouped else None,
        group_keys=frozenset(word_groups) if grouped else frozenset(),
        plain_words=frozenset(str(t) for t in terms if _PLAIN_WORD.fullmatch(str(t))),
        sub_groups={k: tuple(v) for k, v in sub_groups.items()} if grouped else None,
        flags=flags,
        detector=detector,
        labels=frozenset(_as_list(labels, "labels", where)) if labels else None,
        anchors=frozenset(anchors) if anchors is not None else None,
        substrings=re.compile(
            "|".join(re.escape(x) for x in sorted(substrings, key=len, reverse=True))
        )
        if substrings
        else None,
        substring_list=tuple(sorted(substrings)),
    )


def _branch_needs(
    terms: list[str], anchors: set[str], patterns: list[str], flags: int
) -> tuple[frozenset[str] | None, ...] | None:
    """What each branch of the whole regex (terms' trie, then each pattern) needs: each
    term's anchor (a literal of the term), each pattern's :func:`bot.policy.needs.needs`.
    None when a branch can match the empty string or a pattern refers to groups (then
    the alternation cannot be split into branches run one by one)."""
    out: list[frozenset[str] | None] = []
    if terms:
        ok = all(len(a) >= 2 and a.isascii() for a in anchors)
        out.append(minimal(frozenset(anchors)) if ok else None)
        if any(not str(t).strip("*'") for t in terms):
            return None  # a bare wildcard could match nothing
    for p in patterns:
        if "(?P=" in p or "(?(" in p or re.search(r"\\[1-9]", p):
            return None
        need, width, _starts = analyse(p, int(flags))
        if width <= 0:
            return None  # could match the empty string (or unreadable)
        out.append(need)
    return tuple(out)


#: What a term's first word ends at: a separator, a wildcard or an optional apostrophe.
_TERM_HEAD_END = re.compile(r"[ \-*']")


def _branch_starts(
    terms: list[str], patterns: list[str], flags: int
) -> tuple[frozenset[str] | None, ...]:
    """What every match of each branch of the whole regex starts with (see ``branch_starts``):
    each term's literal head (up to its first separator, wildcard or apostrophe; what the
    terms' trie consumes first), each pattern's :func:`bot.policy.needs.prefixes`."""
    out: list[frozenset[str] | None] = []
    if terms:
        heads = {_TERM_HEAD_END.split(str(term).strip(), 1)[0].lower() for term in terms}
        known = all(len(h) >= MIN_LENGTH for h in heads)
        if flags & _ICASE and not all(h.isascii() for h in heads):
            known = False  # case-insensitive non-ASCII letters: lower case may mislead
        out.append(starts_minimal(frozenset(heads)) if known else None)
    out += [analyse(p, int(flags))[2] for p in patterns]
    return tuple(out)


def _whole_needs(branches: tuple[frozenset[str] | None, ...]) -> frozenset[str] | None:
    """What every match of the whole regex must contain: one of any branch's needs."""
    out: set[str] = set()
    for need in branches:
        if need is None:
            return None
        out |= need
    return minimal(frozenset(out)) if out else None


def _as_list(value: Any, key: str, where: Callable[[str], str]) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise PolicyError(f"{where(key)}: {key!r} must be a list of strings")
    return [str(v) for v in value]


# ------------------------------------------------------------------ rule base


@dataclass(slots=True)
class Rule:
    """Fields every rule has; subclasses add their kind's fields and ``check``."""

    KIND: ClassVar[str] = ""
    #: Kind-specific keys allowed in YAML, besides the common ones.
    FIELDS: ClassVar[tuple[str, ...]] = ()

    id: str
    category: str
    severity: Any  # Severity; Any to keep this module import-light
    message: str
    suggestion: str
    policy_ref: str
    source_file: str
    channels: frozenset[str] | None = None
    examples_flag: list[tuple[str, str]] = field(default_factory=list)
    examples_pass: list[tuple[str, str]] = field(default_factory=list)
    exceptions: Matcher | None = None
    skip_if: Matcher | None = None
    max_hits: int = 3
    #: Context rules apply exceptions to their target, not to the whole pair.
    EXCEPTIONS_IN_CHECK: ClassVar[bool] = False
    #: True when may_apply is only a shortcut that check() makes anyway (lexicon,
    #: detector, pattern): the policy index has already applied it, so run() skips it.
    PREFILTER_IS_OPTIONAL: ClassVar[bool] = False

    def configure(
        self, spec: dict[str, Any], vocab: dict[str, list[str]], where: Callable[[str], str]
    ) -> None:
        """Read kind-specific fields (override in kinds)."""

    def may_apply(self, ctx: Context) -> bool:
        """Cheap prefilter; default: always run."""
        return True

    def matchers(self) -> list[Matcher]:
        """Every matcher this rule holds (to compile them ahead of use)."""
        out = []
        for cls in type(self).__mro__:
            for name in getattr(cls, "__slots__", ()):
                value = getattr(self, name, None)
                if isinstance(value, Matcher):
                    out.append(value)
        return out

    def gate(self) -> Matcher | None:
        """The matcher whose anchors must be present for this rule to fire (None: always run).

        The policy builds one word index over all gates so that a draft only
        visits the rules whose anchor words it contains.
        """
        return None

    def char_gate(self) -> CharGate | None:
        """Characters the draft must contain for ``check`` to find anything (None: no test)."""
        return None

    def needs_gate(self) -> frozenset[str] | None:
        """For a rule the word index cannot gate (:meth:`gate` has no anchors): strings one
        of which the lower-cased draft must hold for the rule to find anything, when its
        text and lower-cased text are comparable (:func:`bot.policy.needs.comparable`).
        None: no such strings; the rule runs on every draft."""
        return None

    def check(self, ctx: Context) -> list[Hit]:
        raise NotImplementedError

    def run(self, ctx: Context) -> list[Hit]:
        if self.channels is not None and ctx.channel not in self.channels and ctx.channel != "any":
            return []
        if not self.PREFILTER_IS_OPTIONAL and not self.may_apply(ctx):
            return []
        if self.skip_if is not None and self.skip_if.may_match(ctx) and self.skip_if.find(ctx):
            return []
        hits = self.check(ctx)
        if hits and self.exceptions is not None and not self.EXCEPTIONS_IN_CHECK:
            spans = self.exceptions.find(ctx)
            if spans:
                hits = [h for h in hits if not _covered(h, spans)]
        return hits[: self.max_hits]


def _covered(hit: Hit, spans: Iterable[tuple[int, int]]) -> bool:
    """An exception covers a hit when they share any characters."""
    if hit.start is None or hit.end is None:
        return any(True for _ in spans)
    return any(s < hit.end and hit.start < e for s, e in spans)
