"""``canipost eval FILE.jsonl``: the contract's four measures, a per-category table, the misses.

With ``--llm`` also what the model cost (requests, tokens, cost, latency,
failures) and how often it changed the rules' decision.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from pathlib import Path
from typing import Any

from bot.cli.check import add_review_options, config_from_args
from bot.config import Config
from bot.evaluation import Case, evaluate, read_cases
from bot.verdict import Draft, Verdict, normalise_channel


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "eval",
        help="measure the reviewer on a labelled JSONL file",
        description=(
            "Review every labelled draft ({id, text, channel, expected, categories[, profile]}) and print "
            "risky recall, block recall, false alarms and category hits, a per-category table "
            "and the misses. Rules only unless --llm is given."
        ),
    )
    p.add_argument("file", help="labelled JSONL, e.g. ../shared/eval/dev.jsonl")
    add_review_options(p)
    p.add_argument(
        "--llm",
        action="store_true",
        help=(
            "include the LLM critique (slow, costs money) and report its requests, tokens, "
            "cost (with llm.price_per_million), latency, failures and agreement with the rules"
        ),
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=run)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    cases = read_cases(Path(args.file))
    from bot.review import review

    profiles: dict[str, Config] = {}

    def decide(case: Case) -> Verdict:
        # A line may name its organisation's profile; --profile overrides it.
        cfg = config
        if case.profile and not args.profile:
            cfg = profiles.setdefault(case.profile, config.with_profile(case.profile))
        return review(
            Draft(text=case.text, channel=normalise_channel(case.channel), id=case.id),
            config=cfg,
            use_llm=bool(args.llm) and not args.no_llm,
        )

    use_llm = bool(args.llm) and not args.no_llm
    with contextlib.ExitStack() as stack:
        meter = None
        if use_llm:
            from bot.llm.usage import metering

            meter = stack.enter_context(metering())
        report = evaluate(cases, decide, usage=meter)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(f"{len(report.outcomes)} drafts · profile {config.profile}")
    print(f"risky recall   {_pct(report.risky_recall)}   (target >= 0.95)")
    print(f"block recall   {_pct(report.block_recall)}   (target >= 0.90)")
    print(f"false alarms   {_pct(report.false_alarms)}   (target <= 0.03)")
    print(f"category hits  {_pct(report.category_hits)}   (target >= 0.90)")
    print(f"exact decision {_pct(report.exact)}")
    print()
    print(f"{'category':<16}{'expected':>9}{'named':>7}{'hits':>6}{'recall':>8}")
    for row in report.per_category():
        print(
            f"{row['category']:<16}{row['expected']:>9}{row['named']:>7}{row['hits']:>6}{_pct(row['recall']):>8}"
        )
    llm = report.llm_dict()
    if llm is not None:
        print()
        _print_llm(llm)
    misses = report.misses()
    print()
    print(f"misses: {len(misses)}")
    for o in misses:
        print(
            f"  {o.case.id}: expected {o.case.expected.label} {o.case.categories}, "
            f"got {o.decision.label} {o.categories}: {o.case.text[:100]!r}"
        )
    return 0


def _ms(x: float | None) -> str:
    return "n/a" if x is None else f"{x:,.0f} ms"


def _print_llm(llm: dict[str, Any]) -> None:
    """The model's figures, as the JSON's ``"llm"`` object has them."""
    print(
        f"LLM: {llm['calls']} critiques, {llm['requests']} requests, "
        f"{llm['failed']} failed, {llm['cached']} from cache"
    )
    print(
        f"  tokens         {llm['prompt_tokens']:,} prompt + {llm['completion_tokens']:,} completion"
    )
    cost = llm.get("cost")
    print(
        "  cost           "
        + (f"{cost:.4f}" if cost is not None else "n/a (set llm.price_per_million)")
    )
    print(f"  latency        p50 {_ms(llm['latency_p50_ms'])}, p95 {_ms(llm['latency_p95_ms'])}")
    if llm.get("prompt_chars_max"):
        print(
            f"  prompt size    median {llm['prompt_chars_p50']:,.0f}, "
            f"largest {llm['prompt_chars_max']:,} characters"
        )
    agreement = llm["agreement"]
    print(
        f"  agreement      {_pct(agreement['overall'])} of {agreement['drafts']} drafts "
        "decided as by the rules alone"
    )
    for label, row in agreement["per_decision"].items():
        if row["drafts"]:
            raised = ", ".join(f"{n} to {d}" for d, n in row["raised"].items()) or "none raised"
            print(f"    rules {label:<15}{row['same']:>4}/{row['drafts']:<4} same   ({raised})")
    rules = llm["rules_only"]
    print(
        f"  rules alone    risky recall {_pct(rules['risky_recall'])}, block recall "
        f"{_pct(rules['block_recall'])}, false alarms {_pct(rules['false_alarms'])}, "
        f"category hits {_pct(rules['category_hits'])}"
    )
