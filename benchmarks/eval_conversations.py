"""Evaluate policy conversations turn by turn, offline: right sections, refusals, thread cost.

    python benchmarks/eval_conversations.py tests/data/conversations_tune.jsonl [--json]
        [--db URL]      # where threads are kept for the cost measure (default: a temp SQLite
                        # file; a PostgreSQL URL gets a throwaway schema)
        [--repeat N]    # timing passes (default 3; the median is reported)
        [--show-misses]

Input: one conversation per line, ``{"id": ..., "turns": [...]}``; each turn has
the message (``q``, ``text``, ``message`` or ``question``) and the expected
sections (``anchors``, with or without ``protocol#``); an off-topic turn is
marked ``"off_topic": true`` (or has no anchors). The first on-topic turn of a
conversation is its first question; later on-topic turns are follow-ups.

Prints, for the conversation (thread) answers and for each message answered on
its own (the old behaviour):

- a right section among the top two citations, for first questions and for follow-ups;
- off-topic turns refused;
- the extra milliseconds per turn for keeping a thread in the store (median of
  ``--repeat`` passes): ``ask_in_thread`` against the store minus the same
  answers from a history held in memory.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bot.ask.conversation import ask_in_thread, respond
from bot.ask.evaluate import load, score
from bot.ask.threads import Turn, forget_purge_schedule
from bot.config import Config


def thread_cost_ms(
    convs: list[dict[str, Any]], config: Config, url: str, repeat: int
) -> dict[str, Any]:
    """Median extra ms per turn: store-backed threads minus in-memory history."""
    from bot.store import open_store

    store = open_store(url)
    turns = sum(len(c["turns"]) for c in convs)
    respond("warm up the index", [], config=config, use_llm=False)
    memory: list[float] = []
    stored: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        for conv in convs:
            history: list[Turn] = []
            for t in conv["turns"]:
                cfg = config.with_profile(conv.get("profile"))
                _, turn = respond(t["text"], history, config=cfg, use_llm=False)
                history.append(turn)
        memory.append((time.perf_counter() - started) * 1000 / turns)
        run = uuid.uuid4().hex[:8]
        forget_purge_schedule()
        started = time.perf_counter()
        for conv in convs:
            for t in conv["turns"]:
                ask_in_thread(
                    t["text"],
                    thread_key=f"eval-{run}-{conv['id']}",
                    user="eval",
                    platform="cli",
                    config=config.with_profile(conv.get("profile")),
                    store=store,
                    use_llm=False,
                )
        stored.append((time.perf_counter() - started) * 1000 / turns)
    store.dispose()
    mem, st = statistics.median(memory), statistics.median(stored)
    return {
        "per_turn_in_memory_ms": round(mem, 2),
        "per_turn_with_store_ms": round(st, 2),
        "extra_ms_per_turn": round(st - mem, 2),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("file", type=Path)
    p.add_argument("--json", action="store_true")
    p.add_argument("--db", help="database URL for the thread-cost measure (default: temp SQLite)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--show-misses", action="store_true")
    args = p.parse_args(argv)
    if not args.file.is_file():
        print(f"eval_conversations: no such file: {args.file}", file=sys.stderr)
        return 2
    try:
        convs = load(args.file)
    except (json.JSONDecodeError, AttributeError, TypeError) as exc:
        print(f"eval_conversations: {args.file}: not conversation JSONL ({exc})", file=sys.stderr)
        return 2
    config = Config()
    misses: list[str] = []
    result: dict[str, Any] = {
        "file": str(args.file),
        "conversations": len(convs),
        "turns": sum(len(c["turns"]) for c in convs),
        "thread": score(convs, config, threaded=True, misses=misses),
        "each_on_its_own": score(convs, config, threaded=False),
    }
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        url = args.db or f"sqlite:///{Path(tmp) / 'threads.db'}"
        if url.startswith("postgres"):
            from bot.store.testing import temporary_schema

            # A throwaway schema: the measure never writes into anyone's tables.
            url = stack.enter_context(temporary_schema(url, "canipost_eval"))
        result["cost"] = thread_cost_ms(convs, config, url, max(1, args.repeat))
        result["cost"]["database"] = "postgresql" if url.startswith("postgres") else "sqlite"
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        th, own = result["thread"], result["each_on_its_own"]
        print(f"{result['file']}: {result['conversations']} conversations, {result['turns']} turns")
        for label, key in (("first questions", "first"), ("follow-ups", "followups")):
            print(
                f"  right section in top 2, {label:15}: {th[key]['right']}/{th[key]['of']} = "
                f"{th[key]['rate']:.2f}  (each on its own: {own[key]['rate']:.2f})"
            )
        print(
            f"  off-topic refused: {th['off_topic']['refused']}/{th['off_topic']['of']}  "
            f"(each on its own: {own['off_topic']['refused']}/{own['off_topic']['of']})"
        )
        d = th["drafts_reviewed_as_expected"]
        if d["of"]:
            print(f"  drafts in a conversation reviewed as expected: {d['right']}/{d['of']}")
        c = result["cost"]
        print(
            f"  keeping a thread: +{c['extra_ms_per_turn']:.2f} ms per turn "
            f"({c['per_turn_in_memory_ms']:.2f} ms in memory, {c['per_turn_with_store_ms']:.2f} ms "
            f"with the store, {c['database']})"
        )
    if args.show_misses:
        print("\n".join(misses), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
