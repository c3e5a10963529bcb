"""``canipost model``: the learned layer's model for this organisation.

    canipost model train [--json]    # shipped data + confirmed feedback; stored in the database
    canipost model status [--json]   # which model reviews use, and why
    canipost model reset [--json]    # go back to the shipped model

Exit status: 0 done (also when there is no feedback and the shipped model is kept),
1 the retrained model was refused as worse than the shipped one, 2 usage or input error.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from bot.config import load_config


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "model",
        help="the learned layer: train, show and reset the organisation model",
        description=(
            "The learned review layer. `train` refits the organisation's model on the shipped "
            "training vectors plus confirmed feedback, reports held-out measures before and "
            "after, and stores it in DATABASE_URL unless it is worse (exit 1 then). `status` "
            "says which model reviews use. `reset` returns to the shipped model."
        ),
    )
    q = p.add_subparsers(dest="model_command", metavar="ACTION")
    p.set_defaults(func=lambda _a: _help(p))
    for name, helptext, fn in (
        ("train", "retrain from the shipped data plus confirmed feedback", run_train),
        ("status", "which model the review uses, and why", run_status),
        ("reset", "stop using the organisation model (the shipped one is used)", run_reset),
    ):
        c = q.add_parser(name, help=helptext)
        c.add_argument(
            "--config", metavar="FILE", help="organisation config YAML ($CANIPOST_CONFIG)"
        )
        c.add_argument("--json", action="store_true", help="print JSON")
        if name == "train":
            c.add_argument("--by", metavar="ID", help="who trains it (recorded)")
        c.set_defaults(func=fn)


def _help(p: argparse.ArgumentParser) -> int:
    p.print_help()
    return 2


def _print_json(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False))


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x:.1%}"


def _row(name: str, m: dict[str, Any]) -> str:
    return (
        f"  {name:<8} risky recall {_pct(m.get('risky_recall'))}, block recall "
        f"{_pct(m.get('block_recall'))}, false alarms {_pct(m.get('false_alarms'))}, "
        f"category hits {_pct(m.get('category_hits'))} ({m.get('drafts')} drafts)"
    )


def run_train(args: argparse.Namespace) -> int:
    from bot.feedback.train import ModelRefused, train_org_model
    from bot.store import open_store

    config = load_config(args.config)
    try:
        result = train_org_model(open_store(), config, by=args.by)
    except ModelRefused as exc:
        if args.json:
            _print_json({"stored": False, "message": str(exc)})
        raise
    if args.json:
        _print_json(result.to_dict())
        return 0
    print(result.message)
    print("held-out split (shipped thresholds):")
    for key, label in (("rules_model", "rules + model"), ("model_alone", "model alone")):
        print(f" {label}:")
        print(_row("before", result.before.get(key, {})))
        print(_row("after", result.after.get(key, {})))
    print(f"took {result.seconds:.1f} s")
    return 0


def run_status(args: argparse.Namespace) -> int:
    from bot.learned import live

    config = load_config(args.config)
    st = live.status(config.workspace)
    summary = None
    if st.get("model") == "organisation" or st.get("fallback_reason"):
        from bot.feedback import active_model_summary
        from bot.store import open_store

        summary = active_model_summary(open_store(migrate=False), config)
    out = {**st, "stored": summary}
    if args.json:
        _print_json(out)
        return 0 if st.get("ok") else 2
    if not st.get("ok"):
        print(f"learned layer unavailable: {st.get('error')}")
        return 2
    line = f"model in use: {st['model']} ({st['version']})"
    if st.get("disabled"):
        line += " — switched off by CANIPOST_LEARNED"
    print(line)
    if st.get("fallback_reason"):
        print(f"fallback: {st['fallback_reason']}")
    if summary:
        s = summary.get("summary") or {}
        print(
            f"organisation model {summary['version']} trained {summary['created_at']} on "
            f"{s.get('feedback', '?')} reports"
        )
    return 0


def run_reset(args: argparse.Namespace) -> int:
    from bot.feedback import reset_model
    from bot.learned import live
    from bot.store import open_store

    n = reset_model(open_store(), load_config(args.config))
    live.invalidate()
    msg = "the shipped model is in use" + (" (organisation model retired)" if n else "")
    if args.json:
        _print_json({"retired": n, "message": msg})
    else:
        print(msg)
    return 0
