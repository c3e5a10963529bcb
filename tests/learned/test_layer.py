"""The learned layer in the real review pipeline (rules, watch list, then the model)."""

from __future__ import annotations

import pytest

from bot import Draft, load_config
from bot.review import review_rules
from bot.verdict import Severity

CONFIG = load_config()


def _review(text: str) -> object:
    return review_rules(Draft(text), config=CONFIG)


def test_a_threat_no_rule_lists_is_caught_by_the_model() -> None:
    # ("Someone should torch the place with them in it", the example, is now the
    # threat rule's: incitement; this one is worded like no rule)
    text = "Hope whoever reported us has their windows put through tonight"
    rules = review_rules(Draft(text), config=CONFIG, layers=False)
    v = review_rules(Draft(text), config=CONFIG)
    assert rules.decision < Severity.NEEDS_APPROVAL  # the rules miss it...
    assert v.decision >= Severity.NEEDS_APPROVAL  # ...the model does not
    f = next(f for f in v.findings if f.source == "model")
    assert f.rule == f"model.{f.category}"
    assert f.policy_ref.startswith("protocol#")
    assert f.start is not None and f.end is not None
    assert text[f.start : f.end] == f.quote and f.quote


def test_quotes_point_into_the_draft_as_typed() -> None:
    # zero-width characters and a Cyrillic letter shift the normalised text
    text = "Some\u200bone should tоrch the place with them in it"
    v = review_rules(Draft(text), config=CONFIG)
    for f in v.findings:
        if f.source == "model" and f.start is not None:
            assert text[f.start : f.end] == f.quote


@pytest.mark.parametrize(
    "text",
    [
        "Lovely day at the park",
        "Our library opens late on Thursdays this winter: pop in for a warm drink and a book.",
        "Congratulations to everyone who ran the 10k for the hospice on Sunday!",
    ],
)
def test_ordinary_posts_stay_ok(text: str) -> None:
    v = _review(text)
    assert v.decision < Severity.NEEDS_APPROVAL  # type: ignore[attr-defined]
    assert not [f for f in v.findings if f.source == "model"]  # type: ignore[attr-defined]


def test_never_lowers_a_rules_do_not_post() -> None:
    text = "Mrs Patel in bed 4 went home after her stroke, NHS number 943 476 5919"
    rules = review_rules(Draft(text), config=CONFIG, layers=False)
    v = _review(text)
    assert rules.decision == Severity.DO_NOT_POST
    assert v.decision == Severity.DO_NOT_POST  # type: ignore[attr-defined]
    assert [f for f in rules.findings] == [f for f in v.findings if f.source == "rules"]  # type: ignore[attr-defined]


def test_switched_off_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "Hope whoever reported us has their windows put through tonight"
    assert [f for f in _review(text).findings if f.source == "model"]  # type: ignore[attr-defined]
    monkeypatch.setenv("CANIPOST_LEARNED", "off")
    v = review_rules(Draft(text), config=CONFIG)
    assert not [f for f in v.findings if f.source == "model"]


def test_shipped_model_keeps_the_policy_version() -> None:
    text = "Hope whoever reported us has their windows put through tonight"
    rules = review_rules(Draft(text), config=CONFIG, layers=False)
    assert _review(text).policy_version == rules.policy_version  # type: ignore[attr-defined]
