"""Rules only vs rules + learned model, on sets the model never trained on.

    .venv/bin/python benchmarks/eval_learned.py [--shared /work/shared] [--json] [--public]

Sets: every tests/data/*_heldout.jsonl (never trained or tuned on), the tune halves of
blind5/blind6 when present (the writer's newest sets: reported both halves, as asked; the
tune halves ARE in the shipped training data once retrained, so they are marked), the dev
set (../shared/eval/dev.jsonl, not trained on) and, with ``--public``, OLID offensive test,
corporate "Information" tweets and Presidio PII via benchmarks/eval_public.py.

"Rules only" is the same process with ``CANIPOST_LEARNED=off``. Measures are the contract's:
risky recall, block recall, false alarms (ok drafts sent for approval), category hits.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bot import Draft, load_config  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.evaluation import Case, evaluate, read_cases  # noqa: E402
from bot.review import review_rules  # noqa: E402
from bot.verdict import Verdict  # noqa: E402


def _run(path: Path, base: Config) -> dict[str, float | int | None]:
    cases = read_cases(path)
    cfgs: dict[str, Config] = {}

    def decide(case: Case) -> Verdict:
        cfg = cfgs.setdefault(
            case.profile or "", base.with_profile(case.profile) if case.profile else base
        )
        return review_rules(Draft(case.text, case.channel, id=case.id), config=cfg)

    r = evaluate(cases, decide)
    return {
        "drafts": len(cases),
        "risky_recall": r.risky_recall,
        "block_recall": r.block_recall,
        "false_alarms": r.false_alarms,
        "category_hits": r.category_hits,
    }


def _fmt(m: dict[str, float | int | None]) -> str:
    def p(x: float | int | None) -> str:
        return "–" if x is None else f"{x:.2f}"

    return (
        f"{p(m['risky_recall'])} / {p(m['block_recall'])} / "
        f"{'–' if m['false_alarms'] is None else format(m['false_alarms'], '.1%')} / {p(m['category_hits'])}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--public", action="store_true", help="also OLID, corporate tweets, Presidio")
    args = ap.parse_args()
    base = load_config()
    data = ROOT / "tests/data"
    sets = sorted(data.glob("blind*_heldout.jsonl"))
    sets += [p for p in sorted(data.glob("blind[5-9]_tune.jsonl"))]
    dev = args.shared / "eval/dev.jsonl"
    if dev.is_file():
        sets.append(dev)
    results: dict[str, dict[str, object]] = {}
    for mode in ("rules", "rules+model"):
        os.environ["CANIPOST_LEARNED"] = "off" if mode == "rules" else "on"
        for path in sets:
            results.setdefault(path.stem, {})[mode] = _run(path, base)
        if args.public:
            import eval_public as ep

            results.setdefault("olid_offensive", {})[mode] = ep.olid(args.shared, base)
            results.setdefault("corporate_information", {})[mode] = ep.corporate(args.shared, base)
            results.setdefault("presidio_pii", {})[mode] = ep.presidio(args.shared, base)
    os.environ.pop("CANIPOST_LEARNED", None)
    if args.json:
        print(json.dumps(results, indent=1))
        return 0
    print("set: risky recall / block recall / false alarms / category hits")
    for name, modes in results.items():
        if name in ("olid_offensive", "corporate_information", "presidio_pii"):
            print(f"{name}:")
            for mode, m in modes.items():
                print(f"  {mode:12} {json.dumps(m)}")
            continue
        print(f"{name} ({modes['rules']['drafts']} drafts)")  # type: ignore[index]
        for mode, m in modes.items():
            print(f"  {mode:12} {_fmt(m)}")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
