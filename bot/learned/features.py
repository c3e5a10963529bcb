"""Hashed features of a draft: words, word pairs, character n-grams and the rules' signals.

This is *the* feature function: ``scripts/train_learned.py``, ``canipost model train`` and the
runtime layer all call it, so training and inference cannot drift apart. Everything is
standard library (``zlib.crc32`` is a stable hash, unlike ``hash()``), and per-word work is
memoised, so a tweet costs a regex pass and a few dozen dict look-ups.

A draft's feature vector has two parts:

- text features (counts over distinct words, divided by the square root of their number):
  ``w:`` word, ``p:`` its first five letters (a cheap stem: shoot/shooting, leak/leaked),
  ``b:`` adjacent word pair. Character n-grams (``_CHAR_N``) were measured and lost: 0.66–0.72
  out-of-fold recall of the model alone at 3% false alarms, against 0.71–0.81 without;
- signal features (value 1): ``r:`` each rule that fired, ``s:`` category + severity of each
  finding, ``d:`` the rules' decision.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Sequence

__all__ = [
    "BITS",
    "FEATURE_VERSION",
    "SIGNAL",
    "draft_features",
    "pair_of",
    "resemblance",
    "signal_hashes",
    "text_hashes",
    "word_entry",
    "word_set",
    "word_spans",
]

#: Size of the hash space (2**BITS buckets). Changing it, the n-gram sizes or the token
#: pattern changes every feature: bump FEATURE_VERSION so stored models are refused.
BITS = 20
FEATURE_VERSION = 4
_MASK = (1 << BITS) - 1
#: Signal features live in a second block of the space so they are never normalised.
SIGNAL = 1 << BITS
_CHAR_N: tuple[int, ...] = ()
_PREFIX = 5  # length of a "p:" word-prefix feature (0: none)

# A word: letters/digits, with inner apostrophes or hyphens ("don't", "co-op"), or a £/$/%
# amount glued to digits. Run on the lower-cased normalised text.
_WORD_RE = re.compile(r"[£$#@]?[^\W_]+(?:['’\-][^\W_]+)*%?")
_DIGITS = str.maketrans("0123456789", "0000000000")
_CACHE_LIMIT = 200_000

_word_memo: dict[str, tuple[tuple[int, ...], int]] = {}


def _h(feature: str) -> int:
    return zlib.crc32(feature.encode("utf-8")) & _MASK


def _shape(word: str) -> str:
    """Digits collapse to 0 so "0300 123 4567" and "0161 555 0101" share features."""
    return word.translate(_DIGITS)


def _word_entry(word: str) -> tuple[tuple[int, ...], int]:
    """(hashes of one word's own features, its 32-bit pair key), memoised per word."""
    got = _word_memo.get(word)
    if got is not None:
        return got
    w = _shape(word)
    feats = ["w:" + w]
    if _PREFIX and len(w) > _PREFIX + 1:
        feats.append("p:" + w[:_PREFIX])
    marked = "<" + w + ">"
    n_chars = len(marked)
    for n in _CHAR_N:
        if n_chars > n:
            feats.extend("c:" + marked[i : i + n] for i in range(n_chars - n + 1))
    out = (tuple({_h(f) for f in feats}), zlib.crc32(("b:" + w).encode("utf-8")))
    if len(_word_memo) >= _CACHE_LIMIT:
        _word_memo.clear()
    _word_memo[word] = out
    return out


def _word_hashes(word: str) -> tuple[int, ...]:
    return _word_entry(word)[0]


def pair_of(key_a: int, key_b: int) -> int:
    """The adjacent-pair feature from the two words' pair keys (order matters).

    Mixing two memoised per-word keys instead of hashing the joined string: on text never
    seen before most word pairs are new while most words are not, so this keeps the first
    pass to integer arithmetic (FEATURE_VERSION 4).
    """
    h = ((key_a * 0x9E3779B1) ^ (key_b + 0x7F4A7C15)) & 0xFFFFFFFF
    return (h ^ (h >> 15)) & _MASK


def _pair_hash(a: str, b: str) -> int:
    return pair_of(_word_entry(a)[1], _word_entry(b)[1])


def words(text: str) -> list[str]:
    """The lower-cased words of ``text`` in order (the feature basis).

    @handles are left out: they name accounts, not meaning, and corpora that write every
    handle as "@USER" would otherwise teach the model a shortcut.
    """
    return [w for w in _WORD_RE.findall(text.lower()) if w[0] != "@"]


def word_spans(text: str) -> list[tuple[str, int, int]]:
    """Words with their (start, end) offsets in ``text`` (for quoting what weighed most)."""
    low = text.lower()
    if len(low) != len(text):  # rare: lower() changed the length (e.g. "İ"); offsets by word
        spans = [(m.group().lower(), m.start(), m.end()) for m in _WORD_RE.finditer(text)]
    else:
        spans = [(m.group(), m.start(), m.end()) for m in _WORD_RE.finditer(low)]
    return [s for s in spans if s[0][0] != "@"]


def word_entry(word: str) -> tuple[tuple[int, ...], int]:
    """Public view of :func:`_word_entry` (the scorer's memo of a word)."""
    return _word_entry(word)


def pair_hash(a: str, b: str) -> int:
    """Hash of the adjacent-word feature "a b"."""
    return _pair_hash(a, b)


def text_hashes(text: str) -> list[int]:
    """Hashed text features of ``text`` as a multiset (a list; repeats are counts).

    Each distinct word contributes its own features once (a character n-gram shared by two
    words counts twice) and each distinct adjacent pair one; the vector is this count
    divided by the square root of the list's length. The runtime scorer sums the same list.
    """
    ws = words(text)
    out: list[int] = []
    seen: set[str] = set()
    for w in ws:
        if w not in seen:
            seen.add(w)
            out.extend(_word_hashes(w))
    out.extend({_pair_hash(ws[i], ws[i + 1]) for i in range(len(ws) - 1)})
    return out


def word_set(text: str) -> frozenset[int]:
    """The hashes of the draft's own word features (words and prefixes, no pairs): what two
    drafts are compared on when feedback asks "is this one like that report?"."""
    return frozenset(h for w in set(words(text)) for h in _word_hashes(w))


def resemblance(a: frozenset[int], b: frozenset[int] | set[int]) -> float:
    """Cosine of two binary feature sets (0: nothing shared, 1: the same words)."""
    if not a or not b:
        return 0.0
    return len(a & b) / (len(a) * len(b)) ** 0.5


def signal_hashes(findings: Iterable[tuple[str, str, str]], decision: str) -> set[int]:
    """Hashed rule signals from ``(rule, category, severity)`` triples and the decision."""
    out = {_h("d:" + decision) | SIGNAL}
    for rule, category, severity in findings:
        out.add(_h("r:" + rule) | SIGNAL)
        out.add(_h("s:" + category + ":" + severity) | SIGNAL)
    return out


def draft_features(
    text: str, findings: Sequence[tuple[str, str, str]], decision: str
) -> tuple[list[int], set[int]]:
    """(text hashes, signal hashes) of a draft and the rules' verdict on it."""
    return text_hashes(text), signal_hashes(findings, decision)
