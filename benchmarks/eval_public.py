"""Quality on the public corpora in ../shared/data/public (read by path, never copied).

    python benchmarks/eval_public.py [--shared ../shared] [--profile council] [--json]

Measures (test splits only):
- OLID offensive (tweeteval_offensive/test): share of label-1 tweets decided other than ok
  (target >= 0.80), and the same share for label-0 tweets (for context);
- Presidio synthetic PII: share of EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD and IBAN spans
  covered by a confidentiality finding (target >= 0.95), per type;
- corporate tweets (category Information): share decided needs_approval/do_not_post
  (target <= 0.03);
- HateCheck: share of hateful cases decided other than ok / needs_approval+, and of
  non-hateful cases decided needs_approval+ (context, no target);
- SMS spam: share of spam flagged by a strategy finding vs ham (context).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter
from pathlib import Path

from bot import Draft, load_config
from bot.policy import load_policy
from bot.review import review_rules
from bot.verdict import Severity

PII_TYPES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE")


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def olid(shared: Path, cfg: object) -> dict[str, float | int]:
    d = shared / "data/public/tweeteval_offensive"
    texts = _lines(d / "test_text.txt")
    labels = [int(x) for x in _lines(d / "test_labels.txt")]
    flagged = Counter[int]()
    total = Counter[int]()
    risky = Counter[int]()
    for text, label in zip(texts, labels, strict=True):
        v = review_rules(Draft(text, "twitter"), config=cfg)  # type: ignore[arg-type]
        total[label] += 1
        flagged[label] += v.decision > Severity.OK
        risky[label] += v.decision >= Severity.NEEDS_APPROVAL
    return {
        "offensive_n": total[1],
        "offensive_not_ok": flagged[1] / total[1],
        "offensive_needs_approval_or_more": risky[1] / total[1],
        "not_offensive_n": total[0],
        "not_offensive_not_ok": flagged[0] / total[0],
        "not_offensive_needs_approval_or_more": risky[0] / total[0],
    }


def presidio(shared: Path, cfg: object) -> dict[str, float | int]:
    data = json.loads((shared / "data/public/presidio_synth_pii/synth_dataset_v2.json").read_text())
    covered = Counter[str]()
    total = Counter[str]()
    for item in data:
        spans = [s for s in item["spans"] if s["entity_type"] in PII_TYPES]
        if not spans:
            continue
        v = review_rules(Draft(item["full_text"]), config=cfg)  # type: ignore[arg-type]
        conf = [
            (f.start, f.end)
            for f in v.findings
            if f.category == "confidentiality" and f.start is not None and f.end is not None
        ]
        for s in spans:
            a, b = s["start_position"], s["end_position"]
            total[s["entity_type"]] += 1
            overlap = max((min(b, fe) - max(a, fs) for fs, fe in conf), default=0)
            covered[s["entity_type"]] += overlap >= 0.5 * (b - a)
    out: dict[str, float | int] = {t: covered[t] / total[t] for t in PII_TYPES if total[t]}
    out["all"] = sum(covered.values()) / sum(total.values())
    out["spans"] = sum(total.values())
    return out


def corporate(shared: Path, cfg: object) -> dict[str, float | int]:
    path = shared / "data/public/corporate_messaging/Corporate-messaging-DFE.csv"
    with path.open(encoding="cp1252", errors="replace", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("category") == "Information"]
    risky = advise = 0
    for r in rows:
        v = review_rules(Draft(r["text"], "twitter"), config=cfg)  # type: ignore[arg-type]
        risky += v.decision >= Severity.NEEDS_APPROVAL
        advise += v.decision == Severity.ADVISE
    return {
        "n": len(rows),
        "needs_approval_or_more": risky / len(rows),
        "advise": advise / len(rows),
    }


def hatecheck(shared: Path, cfg: object) -> dict[str, float | int]:
    path = shared / "data/public/hatecheck/test_suite_cases.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    res: Counter[str] = Counter()
    for r in rows:
        v = review_rules(Draft(r["test_case"]), config=cfg)  # type: ignore[arg-type]
        gold = r["label_gold"]
        res[gold + "_n"] += 1
        res[gold + "_not_ok"] += v.decision > Severity.OK
        res[gold + "_risky"] += v.decision >= Severity.NEEDS_APPROVAL
    return {
        "hateful_not_ok": res["hateful_not_ok"] / res["hateful_n"],
        "hateful_needs_approval_or_more": res["hateful_risky"] / res["hateful_n"],
        "non_hateful_needs_approval_or_more": res["non-hateful_risky"]
        / max(res["non-hateful_n"], 1),
    }


def sms(shared: Path, cfg: object) -> dict[str, float | int]:
    path = shared / "data/public/sms_spam_collection/SMSSpamCollection.tsv"
    res: Counter[str] = Counter()
    for line in _lines(path)[1:]:
        label, _, text = line.partition("\t")
        if not text.strip():
            continue
        v = review_rules(Draft(text), config=cfg)  # type: ignore[arg-type]
        res[label] += 1
        res[label + "_strategy"] += "strategy" in v.categories
    return {
        "spam_flagged_strategy": res["spam_strategy"] / res["spam"],
        "ham_flagged_strategy": res["ham_strategy"] / res["ham"],
    }


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    ap.add_argument("--profile", default=None)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    shared = Path(args.shared)
    if not (shared / "data/public").is_dir():
        print(f"no public data under {shared}/data/public", file=sys.stderr)
        return 2
    cfg = load_config().with_profile(args.profile)
    load_policy(cfg)
    results = {}
    for name, fn in (
        ("olid", olid),
        ("presidio", presidio),
        ("corporate", corporate),
        ("hatecheck", hatecheck),
        ("sms_spam", sms),
    ):
        t = time.perf_counter()
        results[name] = fn(shared, cfg)
        results[name]["seconds"] = round(time.perf_counter() - t, 2)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        for name, res in results.items():
            print(name)
            for k, v in res.items():
                print(f"  {k:<40} {v:.3f}" if isinstance(v, float) else f"  {k:<40} {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
