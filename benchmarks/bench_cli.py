"""The command line as users meet it: whole processes, cold, no LLM configured.

    python benchmarks/bench_cli.py [--shared ../shared] [--runs 7] [--json]

Measures (issue 15 targets in brackets), each the median of ``--runs`` processes,
wall time and the CPU time the process used (user + system; less distorted by other
load on the machine):

- ``canipost --help``                                        [< 150 ms wall]
- ``canipost check "Lovely day at the park."``               [< 300 ms wall]
  with the compiled-policy cache in place (every run after the first), with an
  empty cache folder (the first run after installing) and with the cache folder of
  earlier runs but no compiled policy (the first run after editing the policy: the
  unchanged patterns' analysis and programs are kept);
- ``canipost check --jsonl`` over 5,000 unseen tweets        [>= 5,000 drafts/s]
  as the difference between a run over 5,100 tweets and one over the first 100, so
  start-up is excluded and the first pass over new text (regexes compiled on first
  use, memos empty) is included; with the cache folder warm and empty;
- a 5,000-word post made of real tweets                      [adds < 50 ms]
  as the difference between checking it and checking one short draft.

The environment is stripped of OPENAI_*/AZURE_*/CANIPOST_* variables so no LLM is
configured. Bytecode is compiled once beforehand (as ``pip install`` does).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_review import calibration_ms, cpu_model, tweets

ROOT = Path(__file__).resolve().parents[1]


def command() -> list[str]:
    script = Path(sys.executable).with_name("canipost")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def clean_env(cache: str | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OPENAI_", "AZURE_", "CANIPOST_", "PYTHONDONTWRITEBYTECODE"))
    }
    if cache is not None:
        env["CANIPOST_CACHE_DIR"] = cache
    return env


def timed(args: list[str], env: dict[str, str], stdin: bytes | None = None) -> tuple[float, float]:
    """Wall and CPU milliseconds of one whole process."""
    before = os.times()
    t0 = time.perf_counter()
    p = subprocess.run(command() + args, input=stdin, capture_output=True, env=env)
    wall = (time.perf_counter() - t0) * 1000
    after = os.times()
    if p.returncode not in (0, 1):
        raise SystemExit(f"bench_cli: {' '.join(args[:2])} failed: {p.stderr.decode()[-300:]}")
    cpu = (
        after.children_user - before.children_user + after.children_system - before.children_system
    ) * 1000
    return wall, cpu


def median_of(
    runs: int, args: list[str], env_for_run: object, stdin: bytes | None = None
) -> dict[str, float]:
    walls, cpus = [], []
    for _ in range(runs):
        env = env_for_run() if callable(env_for_run) else env_for_run
        w, c = timed(args, env, stdin)  # type: ignore[arg-type]
        walls.append(w)
        cpus.append(c)
    return {
        "wall_ms": round(statistics.median(walls), 1),
        "cpu_ms": round(statistics.median(cpus), 1),
        "wall_ms_min": round(min(walls), 1),
    }


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "bot")], check=False)
    work = Path(tempfile.mkdtemp(prefix="canipost-bench-"))
    warm_cache = str(work / "cache")
    fresh = iter(range(1_000_000))

    def empty_cache() -> dict[str, str]:
        return clean_env(str(work / f"empty-{next(fresh)}"))

    res: dict[str, object] = {}
    try:
        warm = clean_env(warm_cache)
        timed(["check", "warm up the cache"], warm)
        res["help"] = median_of(args.runs, ["--help"], warm)
        draft = ["check", "Lovely day at the park."]
        res["check_one_draft_cache_warm"] = median_of(args.runs, draft, warm)
        res["check_one_draft_cache_empty"] = median_of(max(3, args.runs // 2), draft, empty_cache)

        def after_edit() -> dict[str, str]:
            for f in Path(warm_cache).glob("policy-*.pickle"):
                f.unlink()
            return warm

        res["check_one_draft_after_policy_edit"] = median_of(
            max(3, args.runs // 2), draft, after_edit
        )
        timed(["check", "warm up the cache"], warm)

        all_tweets = tweets(Path(args.shared))
        batch = all_tweets[-5100:]  # the end of the list: not the drafts bench_review starts on
        small, big = work / "small.jsonl", work / "big.jsonl"
        small.write_text(
            "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(batch[:100]))
        )
        big.write_text(
            "".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in enumerate(batch))
        )
        for label, env in (("cache_warm", lambda: warm), ("cache_empty", empty_cache)):
            s = median_of(3, ["check", "--jsonl", str(small)], env)
            b = median_of(3, ["check", "--jsonl", str(big)], env)
            n = len(batch) - 100
            res[f"jsonl_first_pass_{label}"] = {
                "drafts": n,
                "drafts_per_s_wall": round(n / max(b["wall_ms"] - s["wall_ms"], 1e-6) * 1000),
                "drafts_per_s_cpu": round(n / max(b["cpu_ms"] - s["cpu_ms"], 1e-6) * 1000),
                "run_100_wall_ms": s["wall_ms"],
                "run_5100_wall_ms": b["wall_ms"],
            }

        words: list[str] = []
        for t in all_tweets[:3000]:
            words += t.split()
            if len(words) >= 5000:
                break
        post = " ".join(words[:5000]).encode()
        short = median_of(args.runs, ["check", "-"], warm, b"Lovely day at the park.")
        long_ = median_of(args.runs, ["check", "--channel", "linkedin", "-"], warm, post)
        res["post_5000_words"] = {
            "added_wall_ms": round(long_["wall_ms"] - short["wall_ms"], 1),
            "added_cpu_ms": round(long_["cpu_ms"] - short["cpu_ms"], 1),
            "chars": len(post),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    res["load_average"] = os.getloadavg()[0]
    res["calibration_loop_ms"] = round(calibration_ms(), 1)
    res["cpu"] = cpu_model()
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        for k, v in res.items():
            print(f"{k:34} {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
