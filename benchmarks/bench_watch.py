"""Cost of the watch list in the review: throughput with 0, 100 and 1,000 entries.

    python benchmarks/bench_watch.py [--shared ../shared] [--rounds 3] [--limit 5000] [--json]

Target (issue 11): 1,000 entries cost < 20% of review throughput. Each size gets its
own SQLite file, filled through the real store, and is read the way ``canipost check``
and the web workers read it (stdlib ``sqlite3``, change marker at most once a second,
one automaton). The reviews are the real ``review_rules`` with the watch layer as
the only local layer (the learned layer is measured by its own benchmark), over real
tweets from ``../shared/data/public`` read by path; the script skips with a message
when they are absent. Figures are CPU time of this process, median of the rounds,
after one warm-up pass per size. ``match/draft`` is the matcher alone (CPU µs per
tweet, text already normalised). ``load+build`` is the first read of the list and the
automaton build in a process that has the policy loaded; ``cold check`` is the median
wall time of a whole ``canipost check "Lovely day at the park."`` process per size.

Entries are built to be hard: people whose surnames are common first names ("Priya
James"), so the surname rule fires on real tweets; two-word codenames and topics made
of everyday words; aliases on a third; a quarter with an ``until`` in the future.
"""

from __future__ import annotations

import argparse
import csv
import importlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SIZES = (0, 100, 1000)


def tweets(shared: Path) -> list[str]:
    pub = shared / "data/public"
    out: list[str] = []
    for name in ("test_text.txt", "val_text.txt"):
        out += (pub / "tweeteval_offensive" / name).read_text(encoding="utf-8").splitlines()
    with (pub / "corporate_messaging/Corporate-messaging-DFE.csv").open(
        encoding="cp1252", errors="replace"
    ) as fh:
        out += [r["text"] for r in csv.DictReader(fh)]
    return [t for t in out if t.strip()]


def entries(n: int, seed: int = 11) -> list[dict[str, Any]]:
    """``n`` distinct, plausible entries (term, kind, aliases, until)."""
    from bot.watch.terms import common_words

    rng = random.Random(seed)
    names = [
        w.strip()
        for w in (REPO / "policy/vocab/first_names.txt").read_text().splitlines()
        if w.strip() and not w.startswith("#")
    ]
    everyday = sorted(w for w in common_words() if len(w) > 4)
    later = datetime.now(UTC) + timedelta(days=90)
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    while len(out) < n:
        kind = rng.choice(("case", "injunction", "embargo", "codename", "person", "topic"))
        if kind in ("case", "injunction", "person"):
            term = f"{rng.choice(names)} {rng.choice(names)}"
        elif kind in ("embargo", "codename"):
            term = f"{rng.choice(('Project', 'Operation'))} {rng.choice(everyday).title()}"
        else:
            term = f"{rng.choice(everyday)} {rng.choice(everyday)}"
        if term.lower() in seen:
            continue
        seen.add(term.lower())
        aliases = [f"{term.split()[-1]} {rng.choice(everyday)}"] if rng.random() < 0.3 else []
        until = later if rng.random() < 0.25 else None
        out.append({"term": term, "kind": kind, "aliases": aliases, "until": until})
    return out


def fill(url: str, n: int) -> None:
    """Put ``n`` entries in the database at ``url`` (bulk insert, then the real store reads)."""
    from bot.store import models as m
    from bot.store import open_store
    from bot.watch.service import new_entry_id

    store = open_store(url)
    now = datetime.now(UTC)
    with store.write() as s:
        for e in entries(n):
            s.add(
                m.WatchEntryRow(
                    id=new_entry_id(),
                    workspace="",
                    term=e["term"],
                    kind=e["kind"],
                    aliases=e["aliases"],
                    until=e["until"],
                    added_by="bench",
                    added_by_platform="cli",
                    added_at=now,
                )
            )
    store.dispose()


def calibration_ms() -> float:
    """CPU time of a fixed pure-Python loop: a yardstick for the machine (as bench_review)."""
    best = float("inf")
    for _ in range(3):
        c0 = time.process_time()
        s = 0
        for i in range(2_000_000):
            s += i & 7
        best = min(best, time.process_time() - c0)
    return best * 1000


def cold_check_ms(url: str, runs: int) -> float:
    """Median wall time of a whole ``canipost check`` process reading this list."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CANIPOST_"))}
    env["DATABASE_URL"] = url
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot", "check", "Lovely day at the park."],
            env=env,
            cwd=REPO,
            capture_output=True,
            check=False,
        )
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def run_once(drafts: list[str], layers: bool) -> tuple[float, int]:
    from bot.config import load_config
    from bot.review import review_rules
    from bot.verdict import Draft

    cfg = load_config()
    flagged = 0
    c0 = time.process_time()
    for text in drafts:
        v = review_rules(Draft(text), config=cfg, layers=layers)
        flagged += any(f.rule.startswith("watch.") for f in v.findings)
    return time.process_time() - c0, flagged


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--shared", default=str(REPO.parent / "shared"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--limit", type=int, default=5000, help="drafts per round")
    ap.add_argument("--cold-runs", type=int, default=7, help="whole `check` processes per size")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    shared = Path(args.shared)
    if not (shared / "data/public/corporate_messaging").is_dir():
        print(f"skipped: no public corpora under {shared}/data/public (pass --shared)")
        return 0
    drafts = tweets(shared)[: args.limit]
    sys.path.insert(0, str(REPO))
    review_module = importlib.import_module("bot.review")  # `bot.review` is also a function

    # The watch layer alone, registered the way any layer is.
    review_module.LOCAL_LAYERS = ["bot.watch.layer:apply"]
    review_module.reset_layers()
    from bot.watch import live

    results: dict[str, Any] = {
        "drafts": len(drafts),
        "rounds": args.rounds,
        "calibration_loop_ms": round(calibration_ms()),
        "load_average_1min": round(os.getloadavg()[0], 1),
        "sizes": {},
    }
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/rules.db"
        run_once(drafts[:500], layers=False)  # warm caches (policy, offensive model)
        base = [run_once(drafts, layers=False)[0] for _ in range(args.rounds)]
        results["rules_only_drafts_per_s"] = round(len(drafts) / statistics.median(base))
        for n in SIZES:
            url = f"sqlite:///{tmp}/watch_{n}.db"
            fill(url, n)
            os.environ["DATABASE_URL"] = url
            t0 = time.perf_counter()
            matcher = live.live_list(url).matcher("")
            load_ms = (time.perf_counter() - t0) * 1000
            assert (matcher is None) == (n == 0)
            match_us = 0.0
            if matcher is not None:
                from bot.text import prepare

                prepared = [prepare(t) for t in drafts]
                c0 = time.process_time()
                for p in prepared:
                    matcher.find(p)
                match_us = (time.process_time() - c0) / len(prepared) * 1e6
            run_once(drafts[:500], layers=True)
            timed = [run_once(drafts, layers=True) for _ in range(args.rounds)]
            cpu = statistics.median(t for t, _ in timed)
            results["sizes"][n] = {
                "drafts_per_s": round(len(drafts) / cpu),
                "drafts_flagged": timed[0][1],
                "load_and_build_ms": round(load_ms, 1),
                "match_us_per_draft": round(match_us, 1),
                "cold_check_ms": round(cold_check_ms(url, args.cold_runs)),
            }
    zero = results["sizes"][0]["drafts_per_s"]
    for n in SIZES:
        row = results["sizes"][n]
        row["cost_vs_0_entries_pct"] = round(100 * (1 - row["drafts_per_s"] / zero), 1)
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    print(
        f"{len(drafts)} real tweets, median of {args.rounds} rounds, CPU time, one core "
        f"(calibration loop {results['calibration_loop_ms']} ms, "
        f"load average {results['load_average_1min']})"
    )
    print(f"rules only (no layers): {results['rules_only_drafts_per_s']:,} drafts/s")
    print(
        f"{'entries':>8}  {'drafts/s':>9}  {'cost':>6}  {'flagged':>7}  {'match/draft':>11}  "
        "load+build  cold check"
    )
    for n in SIZES:
        r = results["sizes"][n]
        print(
            f"{n:>8}  {r['drafts_per_s']:>9,}  {r['cost_vs_0_entries_pct']:>5}%  "
            f"{r['drafts_flagged']:>7}  {r['match_us_per_draft']:>8} µs  "
            f"{r['load_and_build_ms']:>7} ms  {r['cold_check_ms']:>7} ms"
        )
    print("target: 1,000 entries cost < 20% of throughput")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
