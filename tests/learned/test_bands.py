"""Confidence bands of the learned layer: advice, approval, and blocking only when sure.

The model adds false alarms on innocent look-alikes; these tests pin the three guards
against that: a middle band that only advises, per-category approval thresholds, and
``do_not_post`` only from a very confident block head in a category the protocol blocks in.
"""

from __future__ import annotations

from bot import Draft, load_config
from bot.learned.dataset import Example
from bot.learned.fit import calibrate
from bot.learned.live import current
from bot.learned.model import BLOCK_CATEGORIES, CATEGORY_HEADS, judge
from bot.review import review_rules
from bot.verdict import Severity

CONFIG = load_config()
TH = {
    "risky": 0.66,
    "advise": 0.52,
    "risky_by_category": {"reputation": 0.99},
    "block": 0.79,
    "category": {c: 0.5 for c in CATEGORY_HEADS},
}


def _probs(risky: float, block: float, top: str, p_top: float = 0.6) -> dict[str, float]:
    p = {c: 0.05 for c in CATEGORY_HEADS}
    p.update(risky=risky, block=block)
    p[top] = p_top
    return p


def test_the_middle_band_only_advises() -> None:
    assert judge(_probs(0.60, 0.1, "sensitivity"), TH, "ok", []) == [
        ("sensitivity", "advise", 0.60)
    ]
    assert judge(_probs(0.70, 0.1, "sensitivity"), TH, "ok", [])[0][1] == "needs_approval"
    assert judge(_probs(0.40, 0.1, "sensitivity"), TH, "ok", []) == []


def test_advice_is_not_added_where_the_rules_already_ask_for_approval() -> None:
    assert judge(_probs(0.60, 0.1, "legal"), TH, "needs_approval", ["conflict"]) == []
    assert judge(_probs(0.60, 0.1, "legal"), TH, "advise", ["legal"]) == []


def test_a_category_with_look_alike_false_alarms_needs_more_confidence() -> None:
    # reputation: innocent look-alikes scored up to 0.98, so 0.9 only advises
    assert judge(_probs(0.90, 0.1, "reputation"), TH, "ok", [])[0][1] == "advise"
    assert judge(_probs(0.995, 0.1, "reputation"), TH, "ok", [])[0][1] == "needs_approval"


def test_do_not_post_only_in_blocking_categories_and_only_when_sure() -> None:
    assert {"legal", "confidentiality", "safeguarding"} == BLOCK_CATEGORIES
    assert judge(_probs(0.95, 0.95, "safeguarding"), TH, "ok", [])[0][1] == "do_not_post"
    assert judge(_probs(0.95, 0.60, "safeguarding"), TH, "ok", [])[0][1] == "needs_approval"
    for cat in ("representation", "conflict", "sensitivity"):
        (got,) = judge(_probs(0.995, 0.99, cat), TH, "ok", [])
        assert got[1] == "needs_approval", cat


def test_a_rumour_is_never_blocked_by_the_model() -> None:
    v = review_rules(Draft("Rumour has it the swimming pool is closing next year."), config=CONFIG)
    assert v.decision < Severity.DO_NOT_POST
    assert not [f for f in v.findings if f.source == "model" and f.severity >= Severity.DO_NOT_POST]


def test_the_shipped_model_carries_the_bands() -> None:
    th = current(CONFIG.workspace).model.thresholds
    assert th["advise"] < th["risky"]
    # calibrated (not the 0.99 "never" fallback): at most 1% of non-blocking drafts raised
    # to do_not_post and >= 60% of those raised real blocks, out of fold (fit.calibrate)
    assert 0.3 <= th["block"] < 0.99
    assert set(th["risky_by_category"]) == set(CATEGORY_HEADS)
    assert all(t >= th["risky"] for t in th["risky_by_category"].values())


def _ex(source: str, decision: str, cats: list[str], rules: str = "ok") -> Example:
    return Example([], [], decision, cats, "cal", 1.0, source, rules, [])


def test_calibration_keeps_look_alikes_from_going_for_approval() -> None:
    # 60 risky drafts the model reads confidently; innocent look-alikes read as reputation at
    # 0.9 and as sensitivity at 0.7 must not be sent for approval by the model.
    cal: list[Example] = []
    probs: list[dict[str, float]] = []
    for i in range(60):
        cat = ("legal", "reputation", "sensitivity")[i % 3]
        cal.append(_ex("blind2_tune", "needs_approval", [cat]))
        probs.append(_probs(0.95, 0.1, cat))
    for i in range(200):
        cal.append(_ex("blind2_tune", "ok", []))
        probs.append(_probs(0.05 + 0.001 * i, 0.05, "promotion"))
    cal += [_ex("blind4_tune", "ok", []), _ex("blind4_tune", "ok", [])]
    probs += [_probs(0.9, 0.1, "reputation"), _probs(0.7, 0.1, "sensitivity")]
    th = calibrate(probs, cal)
    assert th["risky_by_category"]["reputation"] > 0.9
    assert th["risky_by_category"]["sensitivity"] > 0.7
    assert th["risky_by_category"]["legal"] == th["risky"]
    assert th["advise"] <= th["risky"]
    for p, e in zip(probs, cal, strict=True):
        if e.source == "blind4_tune":
            assert all(sev == "advise" for _, sev, _ in judge(p, th, "ok", []))
