"""Measure the reviewer on labelled drafts: the four measures of CONTRACT.md.

- risky recall: of drafts expected needs_approval/do_not_post, the share decided so;
- block recall: of drafts expected do_not_post, the share decided do_not_post;
- false alarms: of drafts expected ok, the share decided needs_approval/do_not_post;
- category hits: of risky drafts caught, the share naming an expected category.

With the model (``canipost eval --llm``) the report also carries what the
model cost (requests, tokens from the API's usage, cost at
``llm.price_per_million``, latency percentiles, failures) and how often rules +
model decided the same as the rules alone, per rules-only decision, with the
four measures for the rules alone beside them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import InputError
from bot.verdict import CATEGORIES, Severity, Verdict

if TYPE_CHECKING:
    from bot.llm.usage import Meter

RISKY = (Severity.NEEDS_APPROVAL, Severity.DO_NOT_POST)


@dataclass(slots=True)
class Case:
    id: str
    text: str
    channel: str
    expected: Severity
    categories: list[str]
    profile: str | None = None


@dataclass(slots=True)
class Outcome:
    case: Case
    decision: Severity
    categories: list[str]
    #: The local layers' decision and categories alone (model findings left out).
    rules_decision: Severity = Severity.OK
    rules_categories: list[str] = field(default_factory=list)
    #: "off", "used" or "failed": whether the model took part.
    llm: str = "off"


@dataclass(slots=True)
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    #: The model's usage over the run (``eval --llm``); None for rules only.
    usage: Meter | None = None

    def _ratio(self, num: int, den: int) -> float | None:
        return num / den if den else None

    @property
    def risky_recall(self) -> float | None:
        risky = [o for o in self.outcomes if o.case.expected in RISKY]
        return self._ratio(sum(o.decision in RISKY for o in risky), len(risky))

    @property
    def block_recall(self) -> float | None:
        block = [o for o in self.outcomes if o.case.expected == Severity.DO_NOT_POST]
        return self._ratio(sum(o.decision == Severity.DO_NOT_POST for o in block), len(block))

    @property
    def false_alarms(self) -> float | None:
        ok = [o for o in self.outcomes if o.case.expected == Severity.OK]
        return self._ratio(sum(o.decision in RISKY for o in ok), len(ok))

    @property
    def category_hits(self) -> float | None:
        caught = [o for o in self.outcomes if o.case.expected in RISKY and o.decision in RISKY]
        return self._ratio(
            sum(bool(set(o.categories) & set(o.case.categories)) for o in caught), len(caught)
        )

    @property
    def exact(self) -> float | None:
        return self._ratio(
            sum(o.decision == o.case.expected for o in self.outcomes), len(self.outcomes)
        )

    def per_category(self) -> list[dict[str, Any]]:
        rows = []
        for cat in CATEGORIES:
            expected = [o for o in self.outcomes if cat in o.case.categories]
            named = [o for o in self.outcomes if cat in o.categories]
            hit = [o for o in expected if cat in o.categories]
            rows.append(
                {
                    "category": cat,
                    "expected": len(expected),
                    "named": len(named),
                    "hits": len(hit),
                    "recall": self._ratio(len(hit), len(expected)),
                }
            )
        return rows

    def misses(self) -> list[Outcome]:
        """Decision wrong, or a caught risky draft naming no expected category."""
        out = []
        for o in self.outcomes:
            wrong = o.decision != o.case.expected
            no_cat = (
                o.case.expected in RISKY
                and o.decision in RISKY
                and not set(o.categories) & set(o.case.categories)
            )
            if wrong or no_cat:
                out.append(o)
        return out

    def rules_only(self) -> Report:
        """The same drafts judged by the local layers alone (model findings left out)."""
        return Report(
            [
                Outcome(
                    o.case,
                    o.rules_decision,
                    o.rules_categories,
                    o.rules_decision,
                    o.rules_categories,
                )
                for o in self.outcomes
            ]
        )

    def agreement(self) -> dict[str, Any]:
        """How often rules + model decided as the rules alone did, per rules-only decision.

        ``raised`` counts drafts the model made stricter (it can never lower a
        decision); only drafts where the model answered (``llm: used``) count.
        """
        used = [o for o in self.outcomes if o.llm == "used"]
        per: dict[str, Any] = {}
        for label in (s.label for s in Severity):
            group = [o for o in used if o.rules_decision.label == label]
            same = sum(o.decision == o.rules_decision for o in group)
            raised: dict[str, int] = {}
            for o in group:
                if o.decision != o.rules_decision:
                    raised[o.decision.label] = raised.get(o.decision.label, 0) + 1
            per[label] = {
                "drafts": len(group),
                "same": same,
                "agreement": self._ratio(same, len(group)),
                "raised": raised,
            }
        same_all = sum(o.decision == o.rules_decision for o in used)
        return {
            "drafts": len(used),
            "overall": self._ratio(same_all, len(used)),
            "per_decision": per,
        }

    def llm_dict(self) -> dict[str, Any] | None:
        """The ``"llm"`` object of ``eval --llm --json``; None for a rules-only run."""
        if self.usage is None:
            return None
        out = self.usage.summary()
        out["agreement"] = self.agreement()
        rules = self.rules_only()
        out["rules_only"] = {
            "risky_recall": rules.risky_recall,
            "block_recall": rules.block_recall,
            "false_alarms": rules.false_alarms,
            "category_hits": rules.category_hits,
            "exact_decision": rules.exact,
        }
        return out

    def to_dict(self) -> dict[str, Any]:
        out = self._to_dict()
        llm = self.llm_dict()
        if llm is not None:
            out["llm"] = llm
        return out

    def _to_dict(self) -> dict[str, Any]:
        return {
            "drafts": len(self.outcomes),
            "risky_recall": self.risky_recall,
            "block_recall": self.block_recall,
            "false_alarms": self.false_alarms,
            "category_hits": self.category_hits,
            "exact_decision": self.exact,
            "per_category": self.per_category(),
            "misses": [
                {
                    "id": o.case.id,
                    "expected": o.case.expected.label,
                    "decided": o.decision.label,
                    "expected_categories": o.case.categories,
                    "named_categories": o.categories,
                    "text": o.case.text,
                }
                for o in self.misses()
            ],
        }


def read_cases(path: Path) -> list[Case]:
    """Read a labelled JSONL file; errors name the line."""
    if not path.is_file():
        raise InputError(f"evaluation file not found: {path}")
    cases = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
                cases.append(
                    Case(
                        id=str(obj.get("id", n)),
                        text=str(obj["text"]),
                        channel=str(obj.get("channel") or "any"),
                        expected=Severity.parse(str(obj["expected"])),
                        categories=[str(c) for c in obj.get("categories") or []],
                        profile=str(obj["profile"]) if obj.get("profile") else None,
                    )
                )
            except (json.JSONDecodeError, KeyError, ValueError) as exc:
                raise InputError(f"{path}:{n}: not a labelled draft ({exc})") from None
    return cases


def evaluate(
    cases: Iterable[Case], decide: Callable[[Case], Verdict], *, usage: Meter | None = None
) -> Report:
    """Decide every case; ``usage`` is the meter the model's calls were recorded in, if any."""
    report = Report(usage=usage)
    for case in cases:
        v = decide(case)
        local = [f for f in v.findings if f.source != "llm"]
        rules_decision = max((f.severity for f in local), default=Severity.OK)
        rules_categories = list(dict.fromkeys(f.category for f in local))
        report.outcomes.append(
            Outcome(case, v.decision, v.categories, rules_decision, rules_categories, v.llm)
        )
    return report
