"""``kind: pattern`` — regular expressions, optionally gated by trigger words.

For shapes a word list cannot express (``tinyurl.com/...``, ``use code SAM10``).
``triggers`` lists words (or literal fragments such as ``bit.ly/``) one of
which must appear for the regex to run, which keeps the hot path fast;
without it the pattern runs on every draft.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.errors import PolicyError
from bot.policy.model import Context, Hit, Matcher, Rule, build_matcher


@dataclass(slots=True)
class PatternRule(Rule):
    KIND = "pattern"
    PREFILTER_IS_OPTIONAL = True
    FIELDS = ("patterns", "case_sensitive", "triggers")

    matcher: Matcher | None = None
    trigger_gate: Matcher | None = None

    def configure(
        self, spec: dict[str, Any], vocab: dict[str, list[str]], where: Callable[[str], str]
    ) -> None:
        if not spec.get("patterns"):
            raise PolicyError(f"{where('kind')}: a pattern rule needs 'patterns'")
        sub: dict[str, Any] = {k: spec[k] for k in ("patterns", "case_sensitive") if k in spec}
        self.matcher = build_matcher(sub, vocab, where)
        trig = spec.get("triggers")
        if trig is not None:
            if not isinstance(trig, list) or not trig:
                raise PolicyError(f"{where('triggers')}: 'triggers' must be a list of words")
            words = {str(t).lower() for t in trig if re.fullmatch(r"[a-z0-9]+", str(t).lower())}
            subs = sorted({str(t).lower() for t in trig} - words, key=len, reverse=True)
            self.trigger_gate = Matcher(
                anchors=frozenset(words),
                substrings=re.compile("|".join(map(re.escape, subs))) if subs else None,
                substring_list=tuple(subs),
            )

    def gate(self) -> Matcher | None:
        return self.trigger_gate

    def needs_gate(self) -> frozenset[str] | None:
        """Without triggers: the pattern's needed strings (``check`` finds nothing without one)."""
        m = self.matcher
        if self.trigger_gate is None and m is not None and m.detector is None and m.needs:
            return m.needs
        return None

    def may_apply(self, ctx: Context) -> bool:
        return self.trigger_gate is None or self.trigger_gate.may_match(ctx)

    def check(self, ctx: Context) -> list[Hit]:
        assert self.matcher is not None
        return [Hit(s, e) for s, e in self.matcher.find(ctx)]
