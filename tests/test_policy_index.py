"""The policy index (anchor words, one Aho-Corasick pass, character gates) is only a shortcut.

Skipping a rule must never change a verdict: every rule the index leaves out
must find nothing on its own, and a rule the index keeps must find exactly
what it finds without the index's precomputed substrings.
"""

from __future__ import annotations

import pytest

from bot import Draft, load_config
from bot.config import PROFILES
from bot.policy import load_policy
from bot.policy.model import CharGate, Context, Hit
from bot.review import review_rules
from bot.text import prepare

CFG = load_config(None)

# Drafts that reach many kinds of rule, including overlapping substrings
# ("motherfucker" holds both "fuck" and "motherfuck") and every style gate.
EXTRA = [
    "What a motherfucker, honestly",
    "SO ANGRY!!! #fail #fail2 #sad #bad #worse #worst #vent",
    "🎉🎉🎉🎉🎉🎉",
    "bit.ly/3xYz",
    "Visit www.example.com now",
    "x" * 400,
    "Plain lower case words with nothing to see",
    "#worldkindnessday is today",
]


def _texts(policy: object) -> list[str]:
    out = list(EXTRA)
    for rule in policy.rules:  # type: ignore[attr-defined]
        out += [t for t, _ in rule.examples_flag + rule.examples_pass]
    return out


def _ctx(text: str, policy: object) -> Context:
    return Context(
        prepared=prepare(text),
        channel="twitter",
        org=CFG.organisation,
        vocab=policy.vocab,  # type: ignore[attr-defined]
    )


@pytest.mark.parametrize("profile", PROFILES)
def test_index_never_changes_what_a_rule_finds(profile: str) -> None:
    policy = load_policy(CFG.with_profile(profile))
    checked = 0
    for text in _texts(policy):
        indexed = _ctx(text, policy)
        picked = {id(r) for r in policy.candidates(indexed)}
        assert indexed.sub_token is not None or policy._automaton is None
        for rule in policy.rules:
            plain = rule.run(_ctx(text, policy))  # no index: every substring tested directly
            if id(rule) in picked:
                assert rule.run(indexed) == plain, (rule.id, text)
            else:
                assert plain == [], f"index skipped {rule.id} but it fires on {text!r}"
            checked += 1
    assert checked > 10_000


def test_overlapping_substrings_both_found() -> None:
    policy = load_policy(CFG)
    ctx = _ctx("what a motherfucker", policy)
    policy.candidates(ctx)
    assert {"fuck", "motherfuck"} <= ctx.subs
    v = review_rules(Draft("what a motherfucker"), config=CFG)
    assert any(f.category == "conflict" for f in v.findings)


def test_char_gate_tests() -> None:
    policy = load_policy(CFG)

    def admits(gate: CharGate, text: str) -> bool:
        return gate.admits(_ctx(text, policy))

    assert admits(CharGate(any_of="#!"), "hi!") and not admits(CharGate(any_of="#!"), "hi")
    assert not admits(CharGate(min_len=5), "12345") and admits(CharGate(min_len=5), "123456")
    assert admits(CharGate(non_ascii=True), "café") and not admits(CharGate(non_ascii=True), "cafe")
    assert admits(CharGate(upper=True), "Hi") and not admits(CharGate(upper=True), "hi 123")
    assert admits(CharGate(), "anything")


def test_style_rules_are_gated_not_always_run() -> None:
    """Metric rules stay out of drafts that cannot trip them (the point of the gates)."""
    policy = load_policy(CFG)
    ctx = _ctx("a quiet draft with no capitals or marks", policy)
    kinds = {type(r).__name__ for r in policy.candidates(ctx)}
    assert "MetricRule" not in kinds
    ctx = _ctx("LOUD LOUD LOUD!!! #a #b #c #d #e #f", policy)
    ids = {r.id for r in policy.candidates(ctx)}
    assert {"strategy.shouting", "strategy.exclamations", "strategy.hashtag_stuffing"} <= ids
    assert rules_hit(ctx, policy, "strategy.shouting")


def rules_hit(ctx: Context, policy: object, rule_id: str) -> list[Hit]:
    return policy.rule(rule_id).run(ctx)  # type: ignore[attr-defined,no-any-return]
