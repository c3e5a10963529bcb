"""``kind: metric`` — measurable style: shouting, exclamations, hashtags, length.

``metric`` names one of the closed set below; ``max`` (or ``min``) is the
threshold, ``limits`` gives per-network values for ``length``. These are the
"keep it strategic" and accessibility checks: rarely blocking, always
explainable with a number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.errors import PolicyError
from bot.policy.model import CharGate, Context, Hit, Rule

_URL = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|(?<![\w@.-])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|org|uk|ly|gl|io|co|net|gov|me|gd|at|cc|in)\b(?!@)(?:/\S*)?",
    re.IGNORECASE,
)
_HASHTAG = re.compile(r"(?<![\w&])#([A-Za-z][A-Za-z0-9_]*)")
_MENTION = re.compile(r"(?<![\w])@\w+")
_WORD = re.compile(r"[A-Za-z][A-Za-z']+")
_EXCLAIM_RUN = re.compile(r"!{2,}")
_EMOJI = re.compile(
    "[\U0001f000-\U0001faff\U00002600-\U000027bf\U0001f900-\U0001f9ff\u2b50\u2b55\u231a-\u231b\u23e9-\u23fa]"
)

#: Post length limits per network (characters).
DEFAULT_LIMITS = {
    "twitter": 280,
    "bluesky": 300,
    "threads": 500,
    "instagram": 2200,
    "tiktok": 4000,
    "linkedin": 3000,
    "facebook": 63206,
}


_CAPS_RUN = re.compile(r"[A-Z]{4,}")  # a bare run: the engine scans for it in C, fast
_UPPER_RE = re.compile(r"[^\W\d_a-z]", re.ASCII)
_LETTER = re.compile(r"[^\W\d_]")


def _caps_words(text: str) -> list[tuple[int, int]]:
    """Words of 4+ capitals, not hashtags or @handles (one C scan, boundaries checked here)."""
    out = []
    for m in _CAPS_RUN.finditer(text):
        s, e = m.span()
        if s and (text[s - 1].isalnum() or text[s - 1] in "_#@"):
            continue
        if e < len(text) and (text[e].isalnum() or text[e] == "_"):
            continue
        out.append((s, e))
    return out


def _shouting(ctx: Context, rule: MetricRule) -> list[Hit]:
    words = _caps_words(ctx.text)
    if not words:
        return []  # no word of four capitals: nobody is shouting
    shouting = len(words) > rule.max_value
    if not shouting:
        # Mostly capitals overall? Count with one C-level substitution, not per character.
        text = ctx.text
        letters = len(text) - len(_LETTER.sub("", text))
        upper = len(text) - len(_UPPER_RE.sub("", text))
        shouting = letters >= 20 and upper / letters > 0.7
    if shouting:
        return [Hit(*words[0])]
    return []


def _exclamations(ctx: Context, rule: MetricRule) -> list[Hit]:
    count = ctx.text.count("!")
    if count > rule.max_value:
        run = _EXCLAIM_RUN.search(ctx.text)
        return [Hit(run.start(), run.end())] if run else [Hit(None, None)]
    return []


def _hashtag_count(ctx: Context, rule: MetricRule) -> list[Hit]:
    if "#" not in ctx.text:
        return []
    tags = list(_HASHTAG.finditer(ctx.text))
    if len(tags) > rule.max_value:
        return [Hit(tags[0].start(), tags[-1].end())]
    return []


_URL_HINT = re.compile(
    r"https?:|www\.|\.(?:com|org|uk|ly|gl|io|co|net|gov|me|gd|at|cc|in)\b", re.IGNORECASE
)


def _link_only(ctx: Context, rule: MetricRule) -> list[Hit]:
    if len(ctx.text.split()) > rule.max_value + 6 or _URL_HINT.search(ctx.text) is None:
        return []
    urls = list(_URL.finditer(ctx.text))
    if not urls:
        return []
    rest = _MENTION.sub(" ", _HASHTAG.sub(" ", _URL.sub(" ", ctx.text)))
    if len(_WORD.findall(rest)) <= rule.max_value:
        return [Hit(urls[0].start(), urls[0].end())]
    return []


def _length(ctx: Context, rule: MetricRule) -> list[Hit]:
    limit = rule.limits.get(ctx.channel)
    if limit is None or len(ctx.prepared.original) <= limit:
        return []
    return [Hit(min(limit, len(ctx.text)), len(ctx.text))]


_SEGMENT_MEMO: dict[str, bool] = {}


def _is_multiword(tag: str, lexicon: frozenset[str]) -> bool:
    """Memoised: the same hashtags come round again and again."""
    hit = _SEGMENT_MEMO.get(tag)
    if hit is None:
        hit = tag not in lexicon and _segments(tag, lexicon) >= 2
        if len(_SEGMENT_MEMO) > 50_000:
            _SEGMENT_MEMO.clear()
        _SEGMENT_MEMO[tag] = hit
    return hit


def _segments(word: str, lexicon: frozenset[str], most: int = 4) -> int:
    """Fewest known words (2+ letters each) that spell ``word``; 0 if none within ``most``."""
    n = len(word)
    best = [0] + [most + 1] * n
    for end in range(2, n + 1):
        for start in range(max(0, end - 20), end - 1):
            if best[start] < most and word[start:end] in lexicon:
                best[end] = min(best[end], best[start] + 1)
    return best[n] if best[n] <= most else 0


def _word_list() -> frozenset[str]:
    from bot.detectors.offensive import load_model

    return load_model().tokenizer.lexicon


def _hashtag_case(ctx: Context, rule: MetricRule) -> list[Hit]:
    """All-lowercase hashtags made of several words (#worldkindnessday).

    A tag counts as several words when it is not itself a known word but
    splits into 2-4 known words; very long lowercase tags always count.
    """
    if "#" not in ctx.text:
        return []
    hits = []
    lexicon: frozenset[str] | None = None
    for m in _HASHTAG.finditer(ctx.text):
        tag = m.group(1)
        if len(tag) < rule.max_value or not tag.islower() or not tag.isalpha():
            continue
        if len(tag) < 16:
            lexicon = lexicon or _word_list()
            if not _is_multiword(tag, lexicon):
                continue
        hits.append(Hit(m.start(), m.end()))
    return hits


def _emoji(ctx: Context, rule: MetricRule) -> list[Hit]:
    if ctx.text.isascii() or _EMOJI.search(ctx.text) is None:
        return []
    found = list(_EMOJI.finditer(ctx.text))
    letters = len(ctx.text) - len(_LETTER.sub("", ctx.text))
    if len(found) > rule.max_value or letters == 0:
        return [Hit(found[0].start(), found[-1].end())]
    return []


METRICS: dict[str, Callable[[Context, MetricRule], list[Hit]]] = {
    "shouting": _shouting,
    "exclamations": _exclamations,
    "hashtag_count": _hashtag_count,
    "link_only": _link_only,
    "length": _length,
    "hashtag_case": _hashtag_case,
    "emoji": _emoji,
}


@dataclass(slots=True)
class MetricRule(Rule):
    KIND = "metric"
    FIELDS = ("metric", "max", "limits")

    metric: str = ""
    max_value: float = 0
    limits: dict[str, int] = field(default_factory=dict)

    def configure(
        self, spec: dict[str, Any], vocab: dict[str, list[str]], where: Callable[[str], str]
    ) -> None:
        name = spec.get("metric")
        if name not in METRICS:
            raise PolicyError(
                f"{where('metric')}: unknown metric {name!r}; allowed: {', '.join(sorted(METRICS))}"
            )
        self.metric = name
        if name == "length":
            limits = spec.get("limits", DEFAULT_LIMITS)
            if not isinstance(limits, dict) or not all(
                isinstance(v, int) and v > 0 for v in limits.values()
            ):
                raise PolicyError(
                    f"{where('limits')}: 'limits' maps network names to positive numbers"
                )
            self.limits = {str(k): int(v) for k, v in limits.items()}
        else:
            mx = spec.get("max")
            if not isinstance(mx, int | float) or isinstance(mx, bool):
                raise PolicyError(f"{where('kind')}: metric {name!r} needs a numeric 'max'")
            self.max_value = mx

    def char_gate(self) -> CharGate | None:
        """What each metric cannot fire without (each function also tests it itself)."""
        m = self.metric
        if m in ("hashtag_count", "hashtag_case"):
            return CharGate(any_of="#")
        if m == "exclamations" and self.max_value >= 0:
            return CharGate(any_of="!")
        if m == "link_only":
            return CharGate(any_of=".:")  # every URL hint has one of these
        if m == "emoji":
            return CharGate(non_ascii=True)
        if m == "shouting":
            return CharGate(upper=True)
        if m == "length" and self.limits:
            return CharGate(min_len=min(self.limits.values()))
        return None

    def check(self, ctx: Context) -> list[Hit]:
        return METRICS[self.metric](ctx, self)
