"""Every rule's own examples, for every profile: the comms officer's safety net.

One parametrised test per (profile, rule, example), so a failure names the
rule file and the example that no longer behaves.
"""

from __future__ import annotations

import pytest

from bot.config import PROFILES, load_config
from bot.policy import load_policy
from bot.policy.testing import rule_fires


def _cases() -> list[tuple[str, str, str, str, str]]:
    cases = []
    seen = set()
    base = load_config(None)
    for profile in PROFILES:
        cfg = base.with_profile(profile)
        for rule in load_policy(cfg).rules:
            for expect, examples in (("flag", rule.examples_flag), ("pass", rule.examples_pass)):
                for text, channel in examples:
                    key = (rule.id, expect, text)
                    if key in seen:
                        continue
                    seen.add(key)
                    cases.append((profile, rule.id, expect, text, channel))
    return cases


CASES = _cases()


@pytest.mark.parametrize(
    ("profile", "rule_id", "expect", "text", "channel"),
    CASES,
    ids=[f"{c[1]}-{c[2]}-{i}" for i, c in enumerate(CASES)],
)
def test_rule_example(profile: str, rule_id: str, expect: str, text: str, channel: str) -> None:
    cfg = load_config(None).with_profile(profile)
    policy = load_policy(cfg)
    rule = policy.rule(rule_id)
    fired = rule_fires(rule, text, channel, cfg, policy)
    assert fired == (expect == "flag"), f"{rule.source_file}: {expect} example {text!r}"


def test_every_rule_has_examples_of_both_kinds() -> None:
    for profile in PROFILES:
        for rule in load_policy(load_config(None).with_profile(profile)).rules:
            assert rule.examples_flag and rule.examples_pass, rule.id


def test_profiles_differ() -> None:
    """A council, an NHS trust, a charity and a business get different policies."""
    base = load_config(None)
    policies = {p: load_policy(base.with_profile(p)) for p in PROFILES}
    ids = {p: {r.id for r in pol.rules} for p, pol in policies.items()}
    assert (
        "clinical.medical_advice" in ids["nhs"] and "clinical.medical_advice" not in ids["business"]
    )
    assert (
        "commercial.market_sensitive" in ids["business"]
        and "commercial.market_sensitive" not in ids["council"]
    )
    assert "charity.political_campaigning" in ids["charity"]
    sev = {
        p: pol.rule("representation.party_politics").severity.label for p, pol in policies.items()
    }
    assert sev == {
        "council": "needs_approval",
        "nhs": "needs_approval",
        "charity": "needs_approval",
        "business": "advise",
    }
    assert len({pol.version for pol in policies.values()}) == 4
