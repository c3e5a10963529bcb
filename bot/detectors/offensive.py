"""Fast offensive/abusive-language scorer shipped as plain weights.

The model is a logistic regression over word unigram and bigram counts, trained offline by
``scripts/train_offensive.py`` (scikit-learn is only needed there). At runtime scoring is a
``str.split()``, a few dict look-ups and one sigmoid, so a tweet-length draft costs a few
microseconds and this module imports nothing beyond the standard library.

The tokenizer below is *the* tokenizer: the training script imports it, so training and
runtime features cannot drift apart. See ``data/OFFENSIVE_MODEL.md`` for the model card.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections.abc import Iterable
from itertools import pairwise, repeat
from pathlib import Path
from typing import Any

__all__ = [
    "MODEL_PATH",
    "OffensiveModel",
    "Tokenizer",
    "features",
    "load_model",
    "load_path",
]

#: Location of the shipped weights (package data, see pyproject's package-data).
MODEL_PATH = Path(__file__).with_name("data") / "offensive_model.json.gz"

# Text is split on whitespace first and each chunk is tokenized with this regex; results are
# memoised per chunk, so the hot path never runs a regex (one regex pass over a whole tweet
# alone would eat most of the ~20 µs scoring budget). URLs and @mentions are matched whole so they
# can be dropped; words keep leet/masking characters ($ @ * digits) for repair; a few
# emoji/symbol blocks become single-character tokens (e.g. the middle finger).
_TOKEN_RE = re.compile(
    r"https?://\S+|www\.\S+"
    r"|@\w+"
    r"|[\w$@*'’]+"
    r"|[\U0001F300-\U0001FAFF\u2600-\u27BF]"
)
_CHUNK_RE = re.compile(r"\S+")  # the chunks of str.split(), with offsets
_MENTION_RE = re.compile(r"@\w+")
_RUN_RE = re.compile(r"(.)\1{2,}")
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s", "@": "a"}
)
_LEET_CHAR_RE = re.compile(r"[013457$@]")
_LETTER_RE = re.compile(r"[^\W\d_]")  # any Unicode letter (str.isalpha, but in C)
_STRIP = "'’*_"
_CACHE_LIMIT = 100_000  # memo entries; cleared when full so a long-running bot stays bounded


class Tokenizer:
    """Maps raw text to normalised tokens (shared verbatim by training and runtime).

    Normalisation: lowercase; drop URLs, @mentions and tokens without letters; undo light
    leetspeak ("sh1t", "a$$") and elongation ("stupiddd", "fuuuck") but *only* when the
    result is a known word from ``lexicon``, so that "covid19" or "cool" stay intact.
    """

    def __init__(self, lexicon: Iterable[str]) -> None:
        self.lexicon: frozenset[str] = frozenset(lexicon)
        self._cache: dict[str, tuple[str, ...]] = {}  # whitespace chunk -> tokens
        self._raw: dict[str, str] = {}  # raw regex match -> token ("idiot" in "idiot," "idiot!")

    def __getstate__(self) -> dict[str, Any]:
        return {"lexicon": self.lexicon}  # the memos are rebuilt per process

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["lexicon"])  # type: ignore[misc]

    def normalize(self, raw: str) -> str:
        """Return the feature token for one raw regex match, or "" to skip it."""
        if raw in self.lexicon and raw[:4] != "http":
            return raw  # already a clean lowercase word: the common case, kept cheap
        t = raw.lower().replace("’", "'").strip(_STRIP)
        if not t or t.startswith(("http", "www.")):
            return ""
        lex = self.lexicon
        if t[0] == "@" and _MENTION_RE.fullmatch(t) and t.translate(_LEET) not in lex:
            return ""  # a handle, not "@ss"-style leetspeak
        if t in lex:
            return t
        if not _LETTER_RE.search(t):
            return ""  # numbers, "$$$", stray punctuation: never leet-repaired into words
        if _LEET_CHAR_RE.search(t):
            leet = t.translate(_LEET)
            if leet in lex or _collapse(leet, lex) in lex:
                t = leet
        return _collapse(t, lex)

    def chunk_tokens(self, chunk: str) -> tuple[str, ...]:
        """Tokens of one whitespace-free chunk (raw matches memoised, the chunk itself not)."""
        memo = self._raw
        out = []
        for raw in _TOKEN_RE.findall(chunk):
            t = memo.get(raw)
            if t is None:
                if len(memo) >= _CACHE_LIMIT:
                    memo.clear()
                t = memo[raw] = self.normalize(raw)
            if t:
                out.append(t)
        return tuple(out)

    def tokens(self, text: str) -> list[str]:
        """Normalised tokens of ``text`` in order (the feature basis; memoised per chunk)."""
        cache = self._cache
        out: list[str] = []
        for chunk in text.split():
            toks = cache.get(chunk)
            if toks is None:
                if len(cache) >= _CACHE_LIMIT:
                    cache.clear()
                toks = cache[chunk] = self.chunk_tokens(chunk)
            out += toks
        return out

    def token_spans(self, text: str) -> list[tuple[str, int, int]]:
        """Like :meth:`tokens` but with (start, end) character offsets into ``text``."""
        out = []
        memo = self._raw
        for c in _CHUNK_RE.finditer(text):
            base = c.start()
            for m in _TOKEN_RE.finditer(c.group()):
                raw = m.group()
                t = memo.get(raw)
                if t is None:
                    if len(memo) >= _CACHE_LIMIT:
                        memo.clear()
                    t = memo[raw] = self.normalize(raw)
                if t:
                    out.append((t, base + m.start(), base + m.end()))
        return out


def _collapse(t: str, lex: frozenset[str]) -> str:
    """Shorten runs of 3+ identical chars to 2, or to 1 if only that gives a known word."""
    if not _RUN_RE.search(t):
        return t
    two = _RUN_RE.sub(r"\1\1", t)
    if two in lex:
        return two
    one = _RUN_RE.sub(r"\1", t)
    return one if one in lex else two


def features(tokens: list[str]) -> list[str]:
    """Feature occurrences: every token plus an "a b" bigram per adjacent pair (counts)."""
    return tokens + [f"{a} {b}" for a, b in pairwise(tokens)]


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


_NO_FOLLOWERS: dict[str, float] = {}
# Memo entry per chunk: (first token or "", bigram weights following the last token, sum of
# the weights of the tokens and bigrams inside the chunk).
_Entry = tuple[str, dict[str, float], float]
_EMPTY: _Entry = ("", _NO_FOLLOWERS, 0.0)


class OffensiveModel:
    """Linear offensive-language model; build it with :func:`load_model`.

    ``weights`` maps a token or an "a b" bigram to its logistic-regression coefficient.
    """

    def __init__(
        self,
        weights: dict[str, float],
        bias: float,
        lexicon: Iterable[str],
        thresholds: dict[str, float],
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.bias = float(bias)
        self.tokenizer = Tokenizer(lexicon)
        self.thresholds = dict(thresholds)
        self.meta = meta or {}
        self.unigrams: dict[str, float] = {}
        self.bigrams: dict[str, dict[str, float]] = {}  # first token -> second token -> w
        for key, w in weights.items():
            a, sep, b = key.partition(" ")
            if sep:
                self.bigrams.setdefault(a, {})[b] = float(w)
            else:
                self.unigrams[a] = float(w)
        self._memo: dict[str, _Entry] = {}

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the weights, not the per-draft memo (the compiled-policy cache uses this)."""
        state = {k: v for k, v in self.__dict__.items() if k != "_memo"}
        return (_revive, (state, self is _shipped))

    def _entry(self, chunk: str) -> _Entry:
        """Pre-sum a chunk's inner weights so the hot loop only adds cross-chunk bigrams."""
        tok = self.tokenizer
        lex = tok.lexicon
        if chunk in lex and chunk[:4] != "http":
            toks: tuple[str, ...] = (chunk,)  # a plain known word: skip the regex
        elif chunk.isalpha() and (low := chunk.lower()) in lex and low[:4] != "http":
            # Letters only ("Thanks", "GREAT"): the regex would find the chunk itself, and
            # normalize() would lower-case it into this known word.
            toks = (low,)
        else:
            toks = tok.chunk_tokens(chunk)
        if not toks:
            entry = _EMPTY
        else:
            bi = self.bigrams
            inner = sum(map(self.unigrams.get, toks, repeat(0.0)))
            if len(toks) > 1:
                inner += sum(bi.get(a, _NO_FOLLOWERS).get(b, 0.0) for a, b in pairwise(toks))
            entry = (toks[0], bi.get(toks[-1], _NO_FOLLOWERS), inner)
        if len(self._memo) >= _CACHE_LIMIT:
            self._memo.clear()
        self._memo[chunk] = entry
        return entry

    def logit(self, text: str) -> float:
        """Raw linear score: bias + weights of all unigram and bigram occurrences."""
        get = self._memo.get
        z = self.bias
        followers = _NO_FOLLOWERS
        for chunk in text.split():
            first, after, inner = get(chunk) or self._entry(chunk)
            if first:
                z += inner + followers.get(first, 0.0)
                followers = after
        return z

    def score(self, text: str) -> float:
        """Probability-like offensiveness score in [0, 1] (calibrated on OLID-style tweets)."""
        return _sigmoid(self.logit(text))

    def contributions(self, text: str) -> list[tuple[int, int, float]]:
        """Per-token share of the logit: (start, end, weight) for every token, in text order.

        A token gets its unigram weight plus half of each bigram it is part of, so the
        shares sum exactly to ``logit(text) - bias``.
        """
        spans = self.tokenizer.token_spans(text)
        share = [self.unigrams.get(t, 0.0) for t, _, _ in spans]
        for i in range(len(spans) - 1):
            w = self.bigrams.get(spans[i][0], _NO_FOLLOWERS).get(spans[i + 1][0], 0.0)
            share[i] += w / 2
            share[i + 1] += w / 2
        return [(s, e, w) for (_, s, e), w in zip(spans, share, strict=True)]

    def explain(self, text: str, top: int = 3) -> list[tuple[int, int, float]]:
        """Spans of the tokens that pushed the score up most, strongest first (positive only).

        Lets the reviewer highlight *why* a draft was flagged; offsets index into ``text``.
        """
        if top == 1:
            return self._explain_top1(text)
        pos = [c for c in self.contributions(text) if c[2] > 0]
        pos.sort(key=lambda c: (-c[2], c[0]))
        return pos[: max(top, 0)]

    def _explain_top1(self, text: str) -> list[tuple[int, int, float]]:
        """The single strongest token, found chunk by chunk from the memo (the hot path).

        Full :meth:`contributions` tokenises every character; here only the
        winning whitespace chunk is tokenised, which keeps flagged drafts cheap.
        """
        get = self._memo.get
        chunks = text.split()  # the chunks of _CHUNK_RE, without a regex pass
        best_k, best_w = -1, 0.0
        followers = _NO_FOLLOWERS
        for k, chunk in enumerate(chunks):
            first, after, inner = get(chunk) or self._entry(chunk)
            if not first:
                continue
            w = inner + followers.get(first, 0.0) / 2
            followers = after
            if w > 0 and (best_k < 0 or w > best_w):
                best_k, best_w = k, w
        if best_k < 0:
            return []
        base = 0  # offset of the winning chunk: each chunk starts at the next find
        for chunk in chunks[:best_k]:
            base = text.find(chunk, base) + len(chunk)
        chunk = chunks[best_k]
        base = text.find(chunk, base)
        w = best_w
        pick: tuple[float, int, int] | None = None
        for m in _TOKEN_RE.finditer(chunk):
            t = self.tokenizer.normalize(m.group())
            u = self.unigrams.get(t, 0.0) if t else 0.0
            if t and (pick is None or u > pick[0]):
                pick = (u, m.start(), m.end())
        if pick is None:
            return [(base, base + len(chunk), w)]
        return [(base + pick[1], base + pick[2], w)]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OffensiveModel:
        """Build from the JSON structure written by ``scripts/train_offensive.py``."""
        return cls(
            weights=data["weights"],
            bias=data["bias"],
            lexicon=data["lexicon"],
            thresholds={k: float(v) for k, v in data["thresholds"].items()},
            meta=data.get("meta", {}),
        )


def load_path(path: str | Path) -> OffensiveModel:
    """Load a model file from an explicit path (gzip-compressed or plain JSON)."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return OffensiveModel.from_dict(json.loads(raw))


_shipped: OffensiveModel | None = None


def load_model() -> OffensiveModel:
    """Load the shipped weights once per process (cached; callers share one instance).

    A policy revived from the compiled-policy cache brings the shipped model with it
    (:func:`_revive`), which then becomes this instance: the JSON is parsed only once.
    """
    global _shipped
    if _shipped is None:
        _shipped = load_path(MODEL_PATH)
    return _shipped


def _revive(state: dict[str, Any], shipped: bool) -> OffensiveModel:
    """Unpickle a model (see ``OffensiveModel.__reduce__``); the shipped one stays shared."""
    global _shipped
    if shipped and _shipped is not None:
        return _shipped
    model = OffensiveModel.__new__(OffensiveModel)
    model.__dict__.update(state)
    model._memo = {}
    if shipped:
        _shipped = model
    return model
