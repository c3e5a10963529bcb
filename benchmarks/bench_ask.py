"""How fast policy questions are answered, offline: index build, one question, one thread turn.

    python benchmarks/bench_ask.py [--questions tests/data/ask_questions.jsonl] [--repeat 5]

Prints the index build time (once per process per protocol), the latency of
one answer (p50/p95 over the question file), of one conversation turn with
its history in memory, and the cold ``canipost ask`` process (no --thread:
no database, no SQLAlchemy import).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bot.ask import offline_answer
from bot.ask.conversation import respond
from bot.ask.threads import Turn
from bot.config import Config
from bot.policy import load_policy
from bot.policy.retrieval import PolicyIndex, clear_cache, index_for

ROOT = Path(__file__).resolve().parents[1]


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--questions", type=Path, default=ROOT / "tests/data/ask_questions.jsonl")
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args(argv)
    questions = [
        json.loads(line)["q"]
        for line in args.questions.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    config = Config()
    policy = load_policy(config)
    builds = []
    for _ in range(args.repeat):
        clear_cache()
        started = time.perf_counter()
        PolicyIndex(list(policy.sections.values()))
        builds.append((time.perf_counter() - started) * 1000)
    index = index_for(policy)
    single: list[float] = []
    turns: list[float] = []
    for _ in range(args.repeat):
        history: list[Turn] = []
        for q in questions:
            started = time.perf_counter()
            offline_answer(q, index)
            single.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            _, turn = respond(q, history[-8:], config=config, use_llm=False)
            turns.append((time.perf_counter() - started) * 1000)
            history.append(turn)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "AZURE_OPENAI"))}
    cold: list[float] = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "bot", "ask", "--no-llm", "Can I comment on a court case?"],
            env=env, capture_output=True, check=True,
        )  # fmt: skip
        cold.append((time.perf_counter() - started) * 1000)
    print(f"index build:            {statistics.median(builds):7.1f} ms (median of {args.repeat})")
    print(
        f"one question:           p50 {_pct(single, 0.5):6.2f} ms  p95 {_pct(single, 0.95):6.2f} ms"
        f"  ({len(questions)} questions x {args.repeat})"
    )
    print(
        f"one conversation turn:  p50 {_pct(turns, 0.5):6.2f} ms  p95 {_pct(turns, 0.95):6.2f} ms"
        "  (history in memory; see eval_conversations.py for the store's cost)"
    )
    print(f"cold `canipost ask`:    {statistics.median(cold):7.0f} ms (median of {args.repeat})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
