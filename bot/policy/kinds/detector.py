"""``kind: detector`` — validated personal-data detectors (``bot.detectors``).

The rule picks a detector and, optionally, which of its labels to report, so
one detector can feed rules of different severities (a personal mobile is
``do_not_post``, an unknown landline only ``advise``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.errors import PolicyError
from bot.policy.model import Context, Hit, Matcher, Rule, build_matcher


@dataclass(slots=True)
class DetectorRule(Rule):
    KIND = "detector"
    PREFILTER_IS_OPTIONAL = True
    FIELDS = ("detector", "labels")

    matcher: Matcher | None = None

    def configure(
        self, spec: dict[str, Any], vocab: dict[str, list[str]], where: Callable[[str], str]
    ) -> None:
        if not spec.get("detector"):
            raise PolicyError(f"{where('kind')}: a detector rule needs 'detector'")
        self.matcher = build_matcher(
            {"detector": spec["detector"], "labels": spec.get("labels")}, vocab, where
        )

    def gate(self) -> Matcher | None:
        return self.matcher

    def check(self, ctx: Context) -> list[Hit]:
        assert self.matcher is not None
        return [Hit(s, e) for s, e in self.matcher.find(ctx)]
