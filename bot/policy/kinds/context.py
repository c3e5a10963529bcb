"""``kind: context`` — X near Y within N words.

Many risks are a combination: a health word is harmless until it sits beside
a person (``Mr Okafor ... heart surgery``); a child's first name is harmless
until it sits beside a school or an estate. ``target`` and ``near`` are each a
matcher (terms / vocab / patterns / detector); ``window`` is in words;
``unless`` suppresses the rule when its matcher appears within the window.
The finding quotes the span from the first to the last of the pair.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.errors import PolicyError
from bot.policy.model import MATCHER_FIELDS, Context, Hit, Matcher, Rule, build_matcher


@dataclass(slots=True)
class ContextRule(Rule):
    KIND = "context"
    EXCEPTIONS_IN_CHECK = True
    FIELDS = ("target", "near", "window", "unless", "quote")

    target: Matcher | None = None
    near: Matcher | None = None
    unless: Matcher | None = None
    window: int = 8
    quote_both: bool = True

    def configure(
        self, spec: dict[str, Any], vocab: dict[str, list[str]], where: Callable[[str], str]
    ) -> None:
        for key in ("target", "near", "unless"):
            sub = spec.get(key)
            if sub is None:
                if key == "unless":
                    continue
                raise PolicyError(f"{where('kind')}: a context rule needs {key!r}")
            if not isinstance(sub, dict):
                raise PolicyError(f"{where(key)}: {key!r} must be a mapping")
            bad = sorted(set(sub) - set(MATCHER_FIELDS))
            if bad:
                raise PolicyError(
                    f"{where(key)}: unknown key {bad[0]!r} in {key!r}; allowed: {', '.join(MATCHER_FIELDS)}"
                )
            setattr(self, key, build_matcher(sub, vocab, where))
        window = spec.get("window", 8)
        if not isinstance(window, int) or window < 0:
            raise PolicyError(f"{where('window')}: 'window' must be a whole number of words")
        self.window = window
        quote = spec.get("quote", "both")
        if quote not in ("both", "target"):
            raise PolicyError(f"{where('quote')}: 'quote' must be 'both' or 'target'")
        self.quote_both = quote == "both"

    def gate(self) -> Matcher | None:
        """Target and near must both match, so either can gate: the one with anchor words.

        A target made of patterns (a name and an age) cannot be indexed, but its
        ``near`` list of words usually can; without this such rules ran on every draft.
        """
        if self.target is not None and self.target.anchors is not None:
            return self.target
        if self.near is not None and self.near.anchors is not None:
            return self.near
        return self.target

    def needs_gate(self) -> frozenset[str] | None:
        """What :meth:`may_apply` asks of ``near`` (else of ``target``) when neither has anchor
        words: one of its needed strings (``Matcher.needs``). The policy index then reaches
        the rule only from those cues instead of on every draft."""
        for m in (self.near, self.target):
            if m is not None and m.anchors is None and m.detector is None and m.needs:
                return m.needs
        return None

    def may_apply(self, ctx: Context) -> bool:
        assert self.target is not None and self.near is not None
        return self.target.may_match(ctx) and self.near.may_match(ctx)

    def check(self, ctx: Context) -> list[Hit]:
        assert self.target is not None and self.near is not None
        targets = self.target.find(ctx)
        if targets and self.exceptions is not None:
            spans = self.exceptions.find(ctx)
            targets = [t for t in targets if not any(s < t[1] and t[0] < e for s, e in spans)]
        if not targets:
            return []
        nears = self.near.find(ctx)
        if not nears:
            return []
        blockers = self.unless.find(ctx) if self.unless is not None else []
        window = self.window
        word_index = ctx.word_index
        # Word positions computed once per span, not once per (target, near) pair: a long
        # post has hundreds of each.
        near_words = [(ns, ne, word_index(ns), word_index(max(ne - 1, ns))) for ns, ne in nears]
        blocked_at = sorted(word_index(bs) for bs, _ in blockers)
        hits: list[Hit] = []
        for ts, te in targets:
            tw0, tw1 = word_index(ts), word_index(max(te - 1, ts))
            if blocked_at:
                # A blocker within the window of the target's first word cancels it.
                k = bisect_left(blocked_at, tw0 - window)
                if k < len(blocked_at) and blocked_at[k] <= tw0 + window:
                    continue
            for ns, ne, nw0, nw1 in near_words:
                if ns < te and ts < ne:
                    continue  # the same words cannot be both target and context
                gap = nw0 - tw1 if nw0 > tw1 else tw0 - nw1
                if gap > window:
                    continue
                lo, hi = (min(ts, ns), max(te, ne)) if self.quote_both else (ts, te)
                hits.append(Hit(lo, hi))
                break
        return hits
