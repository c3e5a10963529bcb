"""canipost against a common open-source pipeline, one draft at a time, in the same run.

    pip install -e '.[bench]'      # presidio-analyzer, alt-profanity-check
    python benchmarks/bench_compare.py [--shared ../shared] [--limit 5000] [--rounds 3] [--json]

The yardstick (issue 15, target: canipost >= 20x its drafts/s) is what a team would
assemble from the field's standard parts: Microsoft Presidio's pattern recognizers for
personal data (email, phone, card, IBAN, NHS, NI number, UK postcode, dates, URLs;
no spaCy model, so no NER: its recognizers are called directly, as the analyzer
would call them) plus ``alt-profanity-check`` (a linear SVM over a bag of words) for
offensive language, called once per draft as a chat bot would. canipost runs the
full local review: every YAML rule of the default profile, and the local layers
(watch list, learned model) when they are built, also one draft at a time.

Drafts are real tweets from ../shared/data/public (read by path). Both sides get a
first pass over the drafts (nothing memoised yet) and warm rounds; figures are CPU
time of this process (one core), medians over rounds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_review import calibration_ms, cpu_model, tweets

PRESIDIO = (
    "EmailRecognizer",
    "PhoneRecognizer",
    "CreditCardRecognizer",
    "IbanRecognizer",
    "NhsRecognizer",
    "UkNinoRecognizer",
    "UkPostcodeRecognizer",
    "DateRecognizer",
    "UrlRecognizer",
)


def presidio_pipeline() -> Callable[[str], object]:
    """Presidio pattern recognizers + alt-profanity-check, for one draft."""
    import presidio_analyzer.predefined_recognizers as pr
    from profanity_check import predict_prob

    recognizers = []
    for name in PRESIDIO:
        cls = getattr(pr, name)
        try:
            recognizers.append(cls(supported_regions=("GB",)))
        except TypeError:
            recognizers.append(cls())

    def run(text: str) -> object:
        found = []
        for rec in recognizers:
            found += rec.analyze(text, rec.supported_entities, None)
        return found, float(predict_prob([text])[0])

    return run


def canipost_pipeline(layers: bool) -> Callable[[str], object]:
    from bot import Draft, load_config
    from bot.review import review_rules

    cfg = load_config(None)

    def run(text: str) -> object:
        return review_rules(Draft(text, "twitter"), config=cfg, layers=layers)

    return run


def rate(fn: Callable[[str], object], drafts: list[str]) -> float:
    c0 = time.process_time()
    for t in drafts:
        fn(t)
    return len(drafts) / (time.process_time() - c0)


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    ap.add_argument("--limit", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    try:
        drafts = tweets(Path(args.shared))[: args.limit]
    except OSError as exc:
        print(f"bench_compare: cannot read the public tweets ({exc})", file=sys.stderr)
        return 2
    try:
        baseline = presidio_pipeline()
    except ImportError as exc:
        print(
            f"bench_compare: {exc.name} is not installed: pip install -e '.[bench]'",
            file=sys.stderr,
        )
        return 2

    sides = {
        "presidio_profanity_check": baseline,
        "canipost_rules": canipost_pipeline(layers=False),
        "canipost_rules_and_layers": canipost_pipeline(layers=True),
    }
    res: dict[str, object] = {"drafts": len(drafts)}
    for name, fn in sides.items():
        fn(drafts[0])  # imports and policy load are start-up, not per-draft cost
        res[f"{name}_first_pass_drafts_per_s"] = round(rate(fn, drafts))
        res[f"{name}_warm_drafts_per_s"] = round(
            statistics.median(rate(fn, drafts) for _ in range(args.rounds))
        )
    base_first = float(res["presidio_profanity_check_first_pass_drafts_per_s"])  # type: ignore[arg-type]
    base_warm = float(res["presidio_profanity_check_warm_drafts_per_s"])  # type: ignore[arg-type]
    for name in ("canipost_rules", "canipost_rules_and_layers"):
        res[f"{name}_speedup_first_pass"] = round(
            float(res[f"{name}_first_pass_drafts_per_s"]) / base_first,  # type: ignore[arg-type]
            1,
        )
        res[f"{name}_speedup_warm"] = round(
            float(res[f"{name}_warm_drafts_per_s"]) / base_warm,  # type: ignore[arg-type]
            1,
        )
    res["calibration_loop_ms"] = round(calibration_ms(), 1)
    res["cpu"] = cpu_model()
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        for k, v in res.items():
            print(f"{k:48} {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
