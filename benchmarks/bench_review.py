"""Speed of the rules review: throughput, long drafts, start-up.

    python benchmarks/bench_review.py [--shared ../shared] [--rounds 5] [--json]

Targets (issues 2 and 15): >= 5,000 tweet-length drafts/s on one core with the full
default policy (classifiers included), on the first pass too; a 5,000-word post (a
repeated paragraph, and one made of real tweets) in < 50 ms; start-up (import + policy
load) < 300 ms, and a whole ``canipost check`` process under 300 ms. Figures are medians over rounds, CPU time of this process
(so other load on the machine distorts them less), plus wall time for reference.
Drafts are real tweets from ../shared/data/public (OLID, corporate, HatEval), read by path.

The first pass over the drafts is reported on its own ("first pass"): the offensive model
memoises per whitespace chunk, so a server that has seen a vocabulary is faster than one
that has not. ``calibration_loop_ms`` times a fixed pure-Python loop so that figures from
different machines and loads can be compared: the same code measured 3,543 drafts/s in one
session (other builds running) and 12,259 in the next (idle), on machines of the same size.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

STARTUP = (
    "import time; t=time.perf_counter(); "
    "from bot import load_config; from bot.policy import load_policy; "
    "c = load_config(); t1=time.perf_counter(); "
    "load_policy(c); t2=time.perf_counter(); print(t2-t, t2-t1)"
)


def tweets(shared: Path) -> list[str]:
    pub = shared / "data/public"
    out: list[str] = []
    for name in ("test_text.txt", "train_text.txt", "val_text.txt"):
        out += (pub / "tweeteval_offensive" / name).read_text(encoding="utf-8").splitlines()
    out += (pub / "tweeteval_hate/test_text.txt").read_text(encoding="utf-8").splitlines()
    with (pub / "corporate_messaging/Corporate-messaging-DFE.csv").open(
        encoding="cp1252", errors="replace"
    ) as fh:
        out += [r["text"] for r in csv.DictReader(fh)]
    return [t for t in out if t.strip()]


def calibration_ms() -> float:
    """CPU time of a fixed pure-Python loop: a yardstick for the machine, not for canipost."""
    best = float("inf")
    for _ in range(3):
        c0 = time.process_time()
        s = 0
        for i in range(2_000_000):
            s += i & 7
        best = min(best, time.process_time() - c0)
    return best * 1000


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blog_post(words: int = 5000) -> str:
    para = (
        "Our community team spent the summer listening to residents about the future of the "
        "town centre. People told us they want more trees, safer crossings, places to sit and "
        "a market that runs on Saturdays. We have published everything we heard, and the next "
        "step is a design workshop at the library on 14 October. "
    )
    n = len(para.split())
    return (para * (words // n + 1)).strip()


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--limit", type=int, default=20000, help="drafts per round")
    ap.add_argument("--json", action="store_true")
    ap.add_argument(
        "--no-layers",
        action="store_true",
        help="the YAML rules alone, without the local layers (watch list, learned model)",
    )
    args = ap.parse_args()
    layers = not args.no_layers

    runs = [
        subprocess.run(
            [sys.executable, "-c", STARTUP], capture_output=True, text=True, check=True
        ).stdout.split()
        for _ in range(args.rounds)
    ]
    startup = [float(r[0]) for r in runs]
    policy_load = [float(r[1]) for r in runs]

    from bot import Draft, load_config
    from bot.policy import load_policy
    from bot.review import review_rules

    cfg = load_config(None)
    policy = load_policy(cfg)
    policy.compile_all()
    drafts = tweets(Path(args.shared))[: args.limit]
    # First pass: nothing memoised yet (a freshly started server meeting new words).
    c0 = time.process_time()
    for t in drafts:
        review_rules(Draft(t, "twitter"), config=cfg, layers=layers)
    first_pass = len(drafts) / (time.process_time() - c0)

    cpu_rates, wall_rates = [], []
    for _ in range(args.rounds):
        c0, w0 = time.process_time(), time.perf_counter()
        for t in drafts:
            review_rules(Draft(t, "twitter"), config=cfg, layers=layers)
        cpu_rates.append(len(drafts) / (time.process_time() - c0))
        wall_rates.append(len(drafts) / (time.perf_counter() - w0))

    single = []
    for t in drafts[:3000]:
        c0 = time.perf_counter_ns()
        review_rules(Draft(t, "twitter"), config=cfg, layers=layers)
        single.append((time.perf_counter_ns() - c0) / 1000)
    single.sort()

    blog = blog_post()
    blog_ms = []
    for _ in range(max(args.rounds, 5)):
        c0 = time.perf_counter()
        review_rules(Draft(blog, "linkedin"), config=cfg, layers=layers)
        blog_ms.append((time.perf_counter() - c0) * 1000)

    words: list[str] = []
    for t in drafts:
        words += t.split()
        if len(words) >= 5000:
            break
    tweet_post = " ".join(words[:5000])
    tweet_post_ms = []
    for _ in range(max(args.rounds, 5)):
        c0 = time.perf_counter()
        review_rules(Draft(tweet_post, "linkedin"), config=cfg, layers=layers)
        tweet_post_ms.append((time.perf_counter() - c0) * 1000)

    # Whole processes, as users run it (see bench_cli.py for the full set).
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_cli import clean_env, median_of

    proc = median_of(args.rounds, ["check", "Lovely day at the park."], clean_env(None))

    res = {
        "drafts_per_round": len(drafts),
        "rules": len(policy.rules),
        "local_layers": layers,
        "throughput_cpu_drafts_per_s_median": round(statistics.median(cpu_rates)),
        "throughput_wall_drafts_per_s_median": round(statistics.median(wall_rates)),
        "throughput_first_pass_cpu_drafts_per_s": round(first_pass),
        "single_draft_us_p50": round(single[len(single) // 2], 1),
        "single_draft_us_p99": round(single[int(len(single) * 0.99)], 1),
        "blog_5000_words_ms_median": round(statistics.median(blog_ms), 2),
        "post_5000_words_of_real_tweets_ms_median": round(statistics.median(tweet_post_ms), 2),
        "whole_process_check_wall_ms_median": proc["wall_ms"],
        "whole_process_check_cpu_ms_median": proc["cpu_ms"],
        "policy_load_ms_median": round(statistics.median(policy_load) * 1000, 1),
        "cold_start_import_and_load_ms_median": round(statistics.median(startup) * 1000, 1),
        "calibration_loop_ms": round(calibration_ms(), 1),
        "cpu": cpu_model(),
        "python": platform.python_version(),
    }
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        for k, v in res.items():
            print(f"{k:40} {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
