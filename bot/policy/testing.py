"""Run every rule's own examples: the comms officer's safety net after an edit.

A ``flag`` example must produce a finding *from that rule*; a ``pass``
example must produce none from it. Other rules may fire on the same text:
each rule answers only for itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Config
from bot.policy.loader import Policy
from bot.policy.model import Context, Rule
from bot.text import prepare
from bot.verdict import normalise_channel


@dataclass(frozen=True, slots=True)
class ExampleResult:
    rule: str
    source_file: str
    expect: str  # "flag" or "pass"
    text: str
    ok: bool


def rule_fires(rule: Rule, text: str, channel: str, config: Config, policy: Policy) -> bool:
    """Does ``rule`` alone produce a finding on ``text``, reached the way a review reaches it?

    The draft goes through the policy's index first (anchor words, substrings,
    character gates), so an example also proves the index lets the rule run.
    """
    ctx = Context(
        prepared=prepare(text),
        channel=normalise_channel(channel),
        org=config.organisation,
        vocab=policy.vocab,
    )
    if not any(r is rule for r in policy.candidates(ctx)):
        return False
    return bool(rule.run(ctx))


def run_examples(policy: Policy, config: Config) -> list[ExampleResult]:
    """Check every example of every rule in ``policy``."""
    results = []
    for rule in policy.rules:
        for expect, examples in (("flag", rule.examples_flag), ("pass", rule.examples_pass)):
            for text, channel in examples:
                fired = rule_fires(rule, text, channel, config, policy)
                results.append(
                    ExampleResult(
                        rule.id, rule.source_file, expect, text, fired == (expect == "flag")
                    )
                )
    return results
