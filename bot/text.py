"""Text preparation: defeat the tricks that hide words from rules, keep offsets true.

Rules run on a *normalised* copy of the draft: invisible/format characters
removed (``n\u200bhs``), compatibility forms and common homoglyphs folded
(Cyrillic ``а`` for Latin ``a``, fullwidth letters), and letter-spaced words
joined (``p a t i e n t``). Findings must still point into the draft *as
given*, so every normalised character remembers its original index.

Most drafts are plain ASCII with no spaced letters; they take a fast path
that copies nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.errors import InputError

#: Hard limit on draft size; a social post is far smaller, a blog post fits.
MAX_DRAFT_CHARS = 200_000

# Latin look-alikes from Cyrillic and Greek that NFKC does not fold.
_CONFUSABLES = {
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i",
    "ј": "j", "ѕ": "s", "һ": "h", "ԁ": "d", "ɡ": "g", "ո": "n", "ν": "v", "ο": "o",
    "α": "a", "ι": "i", "κ": "k", "τ": "t", "ρ": "p", "ε": "e",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "Ү": "Y", "Ι": "I", "Α": "A", "Β": "B", "Ε": "E",
    "Ζ": "Z", "Η": "H", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T",
    "Υ": "Y", "Χ": "X",
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ",
}  # fmt: skip

# Four or more single letters separated by single spaces/dots: "p a t i e n t".
_SPACED = re.compile(r"(?<![\w])(?:[A-Za-z][ .]){3,}[A-Za-z](?![\w])")


@dataclass(frozen=True, slots=True)
class Prepared:
    """The draft as given, its normalised form, and how to map back."""

    original: str
    text: str
    #: ``index_map[i]`` is the original index of normalised char ``i``; None = identity.
    index_map: tuple[int, ...] | None = None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalised span back to the draft as given."""
        if self.index_map is None:
            return start, end
        if not self.index_map:
            return 0, 0
        s = self.index_map[min(start, len(self.index_map) - 1)]
        e = self.index_map[max(min(end, len(self.index_map)) - 1, 0)] + 1
        return s, max(e, s)


def check_draft(text: object) -> str:
    """Reject what cannot be reviewed, with a message a person understands."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError("the draft is not valid UTF-8 text") from None
    if not isinstance(text, str):
        raise InputError("the draft must be text")
    if not text.strip() or (not text.isascii() and not strip_invisible(text).strip()):
        raise InputError("the draft is empty: give the text you want to post")
    if "\x00" in text:
        raise InputError("the draft contains binary data (NUL bytes), not text")
    if len(text) > MAX_DRAFT_CHARS:
        raise InputError(
            f"the draft is {len(text):,} characters; the limit is {MAX_DRAFT_CHARS:,} "
            "(review long documents section by section)"
        )
    return text


def _is_invisible(ch: str) -> bool:
    return unicodedata.category(ch) == "Cf" or ch in "\u00ad\u034f\u115f\u1160\u3164"


_INVISIBLE_RE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\u3164\ufeff\ufe00-\ufe0f\ufff9-\ufffb]"
)


def strip_invisible(text: str) -> str:
    """Remove zero-width, bidi and other format characters (also before the LLM)."""
    return _INVISIBLE_RE.sub("", text)


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_FOLD: dict[str, str] = {}


def _fold(ch: str) -> str:
    """What one non-ASCII character becomes for matching ("" when invisible); memoised."""
    rep = _FOLD.get(ch)
    if rep is None:
        if _is_invisible(ch):
            rep = ""
        else:
            rep = _CONFUSABLES.get(ch) or unicodedata.normalize("NFKC", ch)
            if len(rep) == 1 and rep != ch:
                rep = _CONFUSABLES.get(rep, rep)
        if len(_FOLD) < 50_000:
            _FOLD[ch] = rep
    return rep


def prepare(text: str) -> Prepared:
    """Normalise ``text`` for matching, keeping a map back to the original."""
    if text.isascii():
        if _SPACED.search(text) is None:
            return Prepared(text, text)
        norm, idx = text, list(range(len(text)))
    else:
        pieces: list[str] = []
        idx = []
        pos = 0
        changed = False
        for m in _NON_ASCII.finditer(text):
            start, end = m.span()
            pieces.append(text[pos:start])
            idx.extend(range(pos, start))
            for i in range(start, end):
                ch = text[i]
                rep = _fold(ch)
                if rep != ch:
                    changed = True
                pieces.append(rep)
                idx.extend([i] * len(rep))
            pos = end
        if not changed and _SPACED.search(text) is None:
            return Prepared(text, text)
        pieces.append(text[pos:])
        idx.extend(range(pos, len(text)))
        norm = "".join(pieces)
    # Join letter-spaced words, keeping each letter's own index.
    if _SPACED.search(norm):
        joined: list[str] = []
        jidx: list[int] = []
        pos = 0
        for m in _SPACED.finditer(norm):
            joined.append(norm[pos : m.start()])
            jidx.extend(idx[pos : m.start()])
            for k in range(m.start(), m.end()):
                if norm[k] not in " .":
                    joined.append(norm[k])
                    jidx.append(idx[k])
            pos = m.end()
        joined.append(norm[pos:])
        jidx.extend(idx[pos:])
        norm = "".join(joined)
        idx = jidx
    return Prepared(text, norm, tuple(idx))
