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

from bot.ask import offline_answer
from bot.ask.conversation import ask_in_thread, respond
from bot.ask.threads import Turn, forget_purge_schedule
from bot.config import Config
from bot.policy import load_policy
from bot.policy.retrieval import index_for

_TEXT_KEYS = ("q", "text", "message", "question", "user")


def load(path: Path) -> list[dict[str, Any]]:
    """Conversations as ``{"id", "turns": [{"text", "anchors", "off_topic"}]}``."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        turns = []
        for t in row.get("turns") or row.get("conversation") or []:
            text = next((str(t[k]) for k in _TEXT_KEYS if t.get(k)), "")
            anchors = [str(a).removeprefix("protocol#") for a in (t.get("anchors") or [])]
            off = bool(t.get("off_topic")) or not anchors
            expected = t.get("expected") if t.get("draft") else None
            turns.append({"text": text, "anchors": anchors, "off_topic": off, "decision": expected})
        out.append({"id": row.get("id", f"line{n}"), "profile": row.get("profile"), "turns": turns})
    return out


def _top2(answer: Any) -> list[str]:
    return [c.anchor.removeprefix("protocol#") for c in answer.citations[:2]]


def score(
    convs: list[dict[str, Any]], config: Config, *, threaded: bool, misses: list[str] | None = None
) -> dict[str, Any]:
    """Right-in-top-2 rates for first questions and follow-ups, and off-topic refusals."""
    first = [0, 0]
    follow = [0, 0]
    off = [0, 0]
    drafts = [0, 0]
    for conv in convs:
        cfg = config.with_profile(conv.get("profile"))
        index = index_for(load_policy(cfg))
        history: list[Turn] = []
        seen_on_topic = False
        for t in conv["turns"]:
            if threaded:
                answer, turn = respond(t["text"], history, config=cfg, use_llm=False)
                history.append(turn)
            else:
                answer = offline_answer(t["text"], index)
            if t["decision"] and threaded:
                drafts[1] += 1
                got = (answer.verdict or {}).get("decision")
                drafts[0] += got == t["decision"]
                if misses is not None and got != t["decision"]:
                    misses.append(f"{conv['id']} draft: want {t['decision']} got {got}")
            if t["off_topic"]:
                off[1] += 1
                off[0] += answer.off_topic
                if misses is not None and not answer.off_topic:
                    misses.append(
                        f"{conv['id']} OFF-TOPIC answered: {t['text']!r} -> {_top2(answer)}"
                    )
                continue
            hit = bool(set(_top2(answer)) & set(t["anchors"]))
            bucket = follow if seen_on_topic else first
            bucket[1] += 1
            bucket[0] += hit
            if misses is not None and not hit:
                kind = "follow-up" if seen_on_topic else "first"
                misses.append(
                    f"{conv['id']} {kind}: {t['text']!r} want {t['anchors']} got {_top2(answer)}"
                )
            seen_on_topic = True
    return {
        "first": {"right": first[0], "of": first[1], "rate": _rate(first)},
        "followups": {"right": follow[0], "of": follow[1], "rate": _rate(follow)},
        "off_topic": {"refused": off[0], "of": off[1]},
        "drafts_reviewed_as_expected": {"right": drafts[0], "of": drafts[1]},
    }


def _rate(pair: list[int]) -> float:
    return round(pair[0] / pair[1], 3) if pair[1] else 0.0


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
