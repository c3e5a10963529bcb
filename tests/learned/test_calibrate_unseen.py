"""Thresholds chosen on writers the model never read (``bot.learned.fit.calibrate_unseen``).

Scores here are written by hand so the expected choice can be worked out on paper: the
function must take the thresholds that add the most recall while the added false alarms stay
within 3% over the pool and 5% in every set (on a tie, the higher: the most cautious), keep
reputation apart, and never count what the rules decided.
"""

from __future__ import annotations

from bot.learned.dataset import Example
from bot.learned.fit import calibrate_unseen
from bot.learned.model import CATEGORY_HEADS

BASE = {
    "risky": 0.9,
    "advise": 0.8,
    "block": 0.9,
    "risky_by_category": {c: 0.9 for c in CATEGORY_HEADS},
    "category": {c: 1.1 for c in CATEGORY_HEADS},
}


def _probs(p: float, top: str = "legal") -> dict[str, float]:
    out = {c: 0.01 for c in CATEGORY_HEADS}
    out[top] = 0.9
    out["risky"] = p
    out["block"] = 0.0
    return out


def _ex(decision: str, source: str, rules: str = "ok") -> Example:
    return Example(text=[], signals=[], decision=decision, source=source, rules_decision=rules)


def _pool() -> tuple[list[dict[str, float]], list[Example]]:
    probs: list[dict[str, float]] = []
    pool: list[Example] = []
    for source in ("a", "b"):
        # 40 ok drafts per set: one scores 0.72 (one alarm = 2.5% of the set), the rest low
        for i in range(40):
            probs.append(_probs(0.72 if i == 0 else 0.1))
            pool.append(_ex("ok", source))
        # risky drafts the rules missed: 0.62, 0.77, 0.92
        for p in (0.62, 0.77, 0.92):
            probs.append(_probs(p))
            pool.append(_ex("needs_approval", source))
        # a risky draft the rules already caught never counts as the model's catch
        probs.append(_probs(0.99))
        pool.append(_ex("needs_approval", source, rules="needs_approval"))
        # reputation jibes: caught only when reputation's own threshold is low enough,
        # and one innocent banter post scoring 0.66 costs a false alarm in set "a"
        probs.append(_probs(0.66, "reputation"))
        pool.append(_ex("needs_approval", source))
    probs.append(_probs(0.66, "reputation"))
    pool.append(_ex("ok", "a"))
    return probs, pool


def test_lowest_thresholds_within_both_budgets() -> None:
    probs, pool = _pool()
    th, info = calibrate_unseen(probs, pool, BASE)
    # Up to 0.60 the three missed legal drafts are caught (0.62, 0.77, 0.92) at the cost of
    # the 0.72 ok draft in each set: 2/81 = 2.5% pooled, 1/41 in "a". 0.50-0.60 tie, so
    # the highest wins. Reputation at 0.66 or below would catch two jibes but add the
    # banter alarm (3/81 = 3.7% > 3%): it stays above, at the most cautious tie, 0.99.
    assert th["risky"] == 0.6
    assert th["risky_by_category"]["reputation"] == 0.99
    assert th["risky_by_category"]["legal"] == 0.6
    assert th["advise"] == 0.6  # never above the approval threshold
    assert info["pool"] == ["a", "b"]
    assert info["added_false_alarms"] <= 0.03
    assert info["worst_set_added_false_alarms"] <= 0.05
    # the other thresholds come from the out-of-fold calibration untouched
    assert th["block"] == BASE["block"] and th["category"] == BASE["category"]


def test_nothing_fits_the_budget_keeps_the_out_of_fold_thresholds() -> None:
    probs = [_probs(0.99) for _ in range(10)]
    pool = [_ex("ok", "a") for _ in range(10)]
    th, info = calibrate_unseen(probs, pool, BASE)
    assert th == BASE
    assert info["chosen"] is None
