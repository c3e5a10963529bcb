"""``canipost policy lint|test|list``: validate and exercise the rule packs."""

from __future__ import annotations

import argparse
import json

from bot.config import PROFILES, load_config
from bot.policy import clear_cache, load_policy


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "policy",
        help="lint, test or list the policy packs",
        description="Work with the policy packs in policy/ (or CANIPOST_POLICY_DIR).",
    )
    psub = p.add_subparsers(dest="policy_command", metavar="ACTION", required=True)
    for name, helptext, func in (
        (
            "lint",
            "validate every profile's packs (exit 2 with file:line on the first error)",
            _lint,
        ),
        ("test", "run every rule's own flag/pass examples (exit 1 if any fails)", _test),
        ("list", "list the rules in force for a profile", _list),
    ):
        q = psub.add_parser(name, help=helptext, description=helptext)
        q.add_argument("--config", metavar="FILE", help="organisation config YAML")
        q.add_argument(
            "--profile", metavar="PROFILE", help="one profile (default: lint/test all four)"
        )
        q.add_argument("--json", action="store_true", help="machine-readable output")
        q.set_defaults(func=func)


def _profiles(args: argparse.Namespace) -> list[str]:
    return [args.profile] if args.profile else list(PROFILES)


def _lint(args: argparse.Namespace) -> int:
    base = load_config(args.config)
    clear_cache()
    counts = {}
    for profile in _profiles(args):
        policy = load_policy(base.with_profile(profile))
        policy.compile_all()
        counts[profile] = len(policy.rules)
    if args.json:
        print(json.dumps({"ok": True, "rules": counts}))
    else:
        for profile, n in counts.items():
            print(f"{profile}: {n} rules OK")
    return 0


def _test(args: argparse.Namespace) -> int:
    from bot.policy.testing import run_examples

    base = load_config(args.config)
    failures = []
    total = 0
    seen: set[tuple[str, str, str]] = set()
    for profile in _profiles(args):
        cfg = base.with_profile(profile)
        for r in run_examples(load_policy(cfg), cfg):
            key = (r.rule, r.expect, r.text)
            if key in seen:
                continue
            seen.add(key)
            total += 1
            if not r.ok:
                failures.append(r)
    if args.json:
        print(json.dumps({"examples": total, "failures": [f.__dict__ for f in failures]}))
    else:
        for f in failures:
            verb = (
                "should flag but did not" if f.expect == "flag" else "should pass but was flagged"
            )
            print(f"FAIL {f.rule} ({f.source_file}): {verb}: {f.text!r}")
        print(f"{total - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


def _list(args: argparse.Namespace) -> int:
    cfg = load_config(args.config).with_profile(args.profile)
    policy = load_policy(cfg)
    rows = [
        {
            "rule": r.id,
            "kind": r.KIND,
            "category": r.category,
            "severity": r.severity.label,
            "policy_ref": r.policy_ref,
        }
        for r in policy.rules
    ]
    if args.json:
        print(json.dumps({"profile": cfg.profile, "policy_version": policy.version, "rules": rows}))
    else:
        print(f"profile {cfg.profile} · policy {policy.version} · {len(rows)} rules")
        for row in rows:
            print(f"  {row['severity']:<15} {row['category']:<16} {row['rule']:<45} {row['kind']}")
    return 0
