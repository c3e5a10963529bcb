"""What every rule kind shares: the per-draft context, hits, matchers, and field checks.

A rule kind is a class with a closed set of YAML fields (``FIELDS``), built
once from its file, and a ``check(ctx)`` that returns hits on the normalised
text. Everything per-draft that several rules need (lower-cased text, word
positions, detector results, classifier scores) is computed once, lazily, on
the :class:`Context`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bot.config import Organisation
from bot.errors import PolicyError
from bot.text import Prepared

WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


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
    detections: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.prepared.text

    @property
    def lower(self) -> str:
        if self._lower is None:
            self._lower = self.prepared.text.lower()
        return self._lower

    @property
    def words(self) -> set[str]:
        """Lower-cased word tokens, for rule prefiltering."""
        if self._words is None:
            self._index_words()
        assert self._words is not None
        return self._words

    def _index_words(self) -> None:
        starts: list[int] = []
        words: set[str] = set()
        for m in WORD_RE.finditer(self.lower):
            starts.append(m.start())
            w = m.group(0)
            words.add(w)
            if "'" in w:
                words.add(w.split("'", 1)[0])
        self._words = words
        self._word_starts = starts

    def word_index(self, pos: int) -> int:
        """Index of the word at or before character ``pos``."""
        if self._word_starts is None:
            self._index_words()
        assert self._word_starts is not None
        return bisect_right(self._word_starts, pos) - 1


# ------------------------------------------------------------------ term compilation


def term_regex(term: str) -> str:
    """Turn a lexicon term into a regex fragment.

    Plain words, matched whole. ``*`` at the end of a word allows any ending
    (``parasite*``); a space or hyphen matches any run of spaces/hyphens; an
    apostrophe is optional (``you're`` matches ``youre``). Word boundaries
    are added only where the term begins/ends with a word character, so
    ``#ad`` works too.
    """
    t = term.strip()
    if not t:
        raise ValueError("empty term")
    out: list[str] = []
    i = 0
    while i < len(t):
        ch = t[i]
        if ch == "*":
            out.append(r"\w*")
        elif ch in " -":
            while i + 1 < len(t) and t[i + 1] in " -":
                i += 1
            out.append(r"[\s\-]+")
        elif ch == "'":
            out.append("'?")
        elif ch == "#":
            out.append("#")
        else:
            out.append(re.escape(ch))
        i += 1
    body = "".join(out)
    head = r"(?<![\w'])" if (t[0].isalnum() or t[0] == "*") else r"(?<![\w#])"
    tail = r"(?![\w])" if (t[-1].isalnum() or t[-1] in "*'") else ""
    return head + body + tail


def term_anchor(term: str) -> str | None:
    """The longest literal word of a term, lower-cased; None if every word is a wildcard."""
    best: str | None = None
    for part in re.split(r"[\s\-]+", term.lower()):
        if "*" in part or not part:
            continue
        m = WORD_RE.fullmatch(part.replace("#", ""))
        if not m:
            continue
        word = m.group(0)
        if "'" in word:
            word = word.split("'", 1)[0]
        if best is None or len(word) > len(best):
            best = word
    return best


# ------------------------------------------------------------------ matchers

MATCHER_FIELDS = ("terms", "vocab", "patterns", "detector", "labels", "case_sensitive")


@dataclass(slots=True)
class Matcher:
    """Finds spans by terms, regex patterns or a detector: the building block of rules."""

    regex: re.Pattern[str] | None = None
    detector: str | None = None
    labels: frozenset[str] | None = None
    anchors: frozenset[str] | None = None  # None: cannot prefilter, always run

    def find(self, ctx: Context) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        if self.regex is not None:
            spans.extend(m.span() for m in self.regex.finditer(ctx.text))
        if self.detector is not None:
            for d in run_detector(ctx, self.detector):
                if self.labels is None or d.label in self.labels:
                    spans.append((d.start, d.end))
        return spans

    def may_match(self, ctx: Context) -> bool:
        return self.anchors is None or not self.anchors.isdisjoint(ctx.words)


def run_detector(ctx: Context, name: str) -> list[Any]:
    """Run a detector once per draft and cache its detections on the context."""
    cached = ctx.detections.get(name)
    if cached is None:
        from bot.detectors import DETECTORS

        cached = DETECTORS[name](ctx.text, ctx.org)
        ctx.detections[name] = cached
    return cached  # type: ignore[no-any-return]


def build_matcher(
    spec: dict[str, Any], vocab: dict[str, list[str]], where: Callable[[str], str]
) -> Matcher:
    """Build a matcher from ``terms`` / ``vocab`` / ``patterns`` / ``detector`` fields."""
    from bot.detectors import DETECTORS

    flags = 0 if spec.get("case_sensitive") else re.IGNORECASE
    parts: list[str] = []
    anchors: set[str] | None = set()
    terms: list[str] = list(_as_list(spec.get("terms"), "terms", where))
    for name in _as_list(spec.get("vocab"), "vocab", where):
        if name not in vocab:
            raise PolicyError(
                f"{where('vocab')}: unknown vocabulary {name!r}; known: {', '.join(sorted(vocab))}"
            )
        terms.extend(vocab[name])
    for term in terms:
        try:
            parts.append(term_regex(str(term)))
        except ValueError:
            raise PolicyError(f"{where('terms')}: empty term") from None
        a = term_anchor(str(term))
        if a is None or anchors is None:
            anchors = None
        else:
            anchors.add(a)
    patterns = _as_list(spec.get("patterns"), "patterns", where)
    for p in patterns:
        try:
            re.compile(p, flags)
        except re.error as exc:
            raise PolicyError(f"{where('patterns')}: bad regular expression {p!r}: {exc}") from None
        parts.append(f"(?:{p})")
    if patterns:
        anchors = None
    detector = spec.get("detector")
    labels = spec.get("labels")
    if detector is not None:
        if detector not in DETECTORS:
            raise PolicyError(
                f"{where('detector')}: unknown detector {detector!r}; allowed: {', '.join(sorted(DETECTORS))}"
            )
        anchors = None
    if not parts and detector is None:
        raise PolicyError(f"{where('terms')}: needs one of terms, vocab, patterns or detector")
    regex = None
    if parts:
        # Longest alternatives first so "lost a baby" beats "lost".
        parts.sort(key=len, reverse=True)
        regex = re.compile("|".join(parts), flags)
    return Matcher(
        regex=regex,
        detector=detector,
        labels=frozenset(_as_list(labels, "labels", where)) if labels else None,
        anchors=frozenset(anchors) if anchors is not None else None,
    )


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

    def configure(self, spec: dict[str, Any], vocab: dict[str, list[str]], where: Callable[[str], str]) -> None:
        """Read kind-specific fields (override in kinds)."""

    def may_apply(self, ctx: Context) -> bool:
        """Cheap prefilter; default: always run."""
        return True

    def check(self, ctx: Context) -> list[Hit]:
        raise NotImplementedError

    def run(self, ctx: Context) -> list[Hit]:
        if self.channels is not None and ctx.channel not in self.channels and ctx.channel != "any":
            return []
        if not self.may_apply(ctx):
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
