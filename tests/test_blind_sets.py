"""Regression floors on drafts written blind (by writers who never saw the rules).

Each set was split in two: the *tune* half was used to widen the rules, the
*heldout* half was never looked at while tuning, so its figures are the honest
estimate of how the rules cope with new phrasing (see tests/data/README.md).
The floors sit just under the figures measured when the sets were added; a
change that loses ground on them fails here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import Draft, load_config
from bot.config import Config
from bot.evaluation import evaluate, read_cases
from bot.review import review_rules

DATA = Path(__file__).parent / "data"
CFG = load_config(None)

# file: (risky recall, block recall, false alarms at most, category hits) floors
FLOORS = {
    "blind2_tune.jsonl": (0.97, 0.97, 0.02, 0.97),
    "blind2_heldout.jsonl": (0.62, 0.64, 0.02, 0.92),
    "blind3_tune.jsonl": (0.95, 0.97, 0.02, 0.97),
    "blind3_heldout.jsonl": (0.57, 0.48, 0.07, 0.95),
    "blind5_tune.jsonl": (0.80, 0.72, 0.03, 0.97),
    # Training sets for issue 10 (false alarms on drafts written blind): the rules were made
    # precise on them (2026-12, 18.3% / 13.4% / 6.6% false alarms before, 2.5% / 2.5% / 0.7%
    # after) without losing recall; these ceilings keep the precision.
    "train7a.jsonl": (0.60, 0.54, 0.03, 0.86),
    "train7b.jsonl": (0.58, 0.55, 0.03, 0.87),
    # Fourth round: the rules made precise by shape on blind7_tune, train8 and train9
    # (false alarms 17.3% / 11.8% / 7.6% / 10.2% before, 0% / 1.8% / 0% / 1.3% after, no
    # risky draft's decision changed). blind8_tune (never tuned on) moved 0 points.
    "blind7_tune.jsonl": (0.50, 0.40, 0.01, 0.88),
    "train8a.jsonl": (0.45, 0.36, 0.03, 0.90),
    "train8b.jsonl": (0.84, 0.70, 0.01, 0.96),
    "train9a.jsonl": (0.21, 0.46, 0.02, 0.76),
    "train9b.jsonl": (0.34, 0.23, 0.02, 0.80),
    "train9c.jsonl": (0.60, 0.37, 0.03, 0.87),
    # Fifth round: blind8_tune and blind9_tune's rule false alarms fixed by generic
    # exceptions (9 and 3 before, 0 after; two more risky drafts caught); blind9_heldout
    # and train10 (never tuned on) moved 0 points.
    "blind8_tune.jsonl": (0.48, 0.33, 0.01, 0.86),
    "blind9_tune.jsonl": (0.68, 0.49, 0.01, 0.89),
    "blind9_heldout.jsonl": (0.52, 0.54, 0.07, 0.90),
}
# Innocent look-alikes only (no risky drafts): false alarms at most.
FALSE_ALARM_CEILINGS = {
    "blind4_tune.jsonl": 0.02,
    "blind4_heldout.jsonl": 0.13,
    "blind6_tune.jsonl": 0.02,
    "train7c.jsonl": 0.01,
    "blind10_tune.jsonl": 0.01,
    "blind10_heldout.jsonl": 0.12,
}


def _report(name: str):  # type: ignore[no-untyped-def]
    configs: dict[str, Config] = {}

    def decide(case):  # type: ignore[no-untyped-def]
        profile = case.profile or "council"
        cfg = configs.setdefault(profile, CFG.with_profile(profile))
        # The YAML rules alone: the learned layer reports its own figures (tests/learned).
        return review_rules(Draft(case.text, case.channel), config=cfg, layers=False)

    return evaluate(read_cases(DATA / name), decide)


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_blind_set_floor(name: str) -> None:
    report = _report(name)
    risky, block, false_alarms, categories = FLOORS[name]
    assert report.risky_recall is not None and report.risky_recall >= risky
    assert report.block_recall is not None and report.block_recall >= block
    assert report.false_alarms is not None and report.false_alarms <= false_alarms
    assert report.category_hits is not None and report.category_hits >= categories


@pytest.mark.parametrize("name", sorted(FALSE_ALARM_CEILINGS))
def test_innocent_look_alikes_ceiling(name: str) -> None:
    report = _report(name)
    assert report.false_alarms is not None and report.false_alarms <= FALSE_ALARM_CEILINGS[name]
