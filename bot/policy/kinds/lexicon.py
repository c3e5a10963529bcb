"""``kind: lexicon`` — phrase lists matched on word boundaries, with exceptions.

The comms officer's kind: a list of words and phrases (``terms``) or named
vocabularies from ``policy/vocab/*.txt`` (``vocab``). Only drafts containing
one of the terms' anchor words pay for the regex.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.policy.model import Context, Hit, Matcher, Rule, build_matcher


@dataclass(slots=True)
class LexiconRule(Rule):
    KIND = "lexicon"
    PREFILTER_IS_OPTIONAL = True
    FIELDS = ("terms", "vocab", "case_sensitive")

    matcher: Matcher | None = None

    def configure(
        self, spec: dict[str, Any], vocab: dict[str, list[str]], where: Callable[[str], str]
    ) -> None:
        sub = {k: spec[k] for k in self.FIELDS if k in spec}
        self.matcher = build_matcher(sub, vocab, where)

    def gate(self) -> Matcher | None:
        return self.matcher

    def may_apply(self, ctx: Context) -> bool:
        assert self.matcher is not None
        return self.matcher.may_match(ctx)

    def check(self, ctx: Context) -> list[Hit]:
        assert self.matcher is not None
        return [Hit(s, e) for s, e in self.matcher.find(ctx)]
