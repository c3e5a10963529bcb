"""``kind: pattern`` — regular expressions, optionally gated by trigger words.

For shapes a word list cannot express (``tinyurl.com/...``, ``use code SAM10``).
``triggers`` lists words one of which must appear for the regex to run, which
keeps the hot path fast; without it the pattern runs on every draft.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.errors import PolicyError
from bot.policy.model import Context, Hit, Matcher, Rule, build_matcher


@dataclass(slots=True)
class PatternRule(Rule):
    KIND = "pattern"
    FIELDS = ("patterns", "case_sensitive", "triggers")

    matcher: Matcher | None = None
    triggers: frozenset[str] | None = None

    def configure(
        self, spec: dict[str, Any], vocab: dict[str, list[str]], where: Callable[[str], str]
    ) -> None:
        if not spec.get("patterns"):
            raise PolicyError(f"{where('kind')}: a pattern rule needs 'patterns'")
        sub = {k: spec[k] for k in ("patterns", "case_sensitive") if k in spec}
        self.matcher = build_matcher(sub, vocab, where)
        trig = spec.get("triggers")
        if trig is not None:
            if not isinstance(trig, list) or not trig:
                raise PolicyError(f"{where('triggers')}: 'triggers' must be a list of words")
            self.triggers = frozenset(str(t).lower() for t in trig)

    def may_apply(self, ctx: Context) -> bool:
        return self.triggers is None or not self.triggers.isdisjoint(ctx.words)

    def check(self, ctx: Context) -> list[Hit]:
        assert self.matcher is not None
        return [Hit(s, e) for s, e in self.matcher.find(ctx)]
