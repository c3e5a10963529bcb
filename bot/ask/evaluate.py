"""Score policy conversations turn by turn, offline (the blind conversation sets).

Used by ``benchmarks/eval_conversations.py`` and by the test that guards the
tune half. A file holds one conversation per line, ``{"id", "profile"?,
"turns": [{"q", "anchors", "off_topic"?, "draft"?, "expected"?}]}``; the first
on-topic turn is the first question, later on-topic turns are follow-ups.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.ask.conversation import respond
from bot.ask.core import offline_answer
from bot.ask.threads import Turn
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
    first_top1 = 0
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
            if not seen_on_topic:
                first_top1 += bool(set(_top2(answer)[:1]) & set(t["anchors"]))
            if misses is not None and not hit:
                kind = "follow-up" if seen_on_topic else "first"
                misses.append(
                    f"{conv['id']} {kind}: {t['text']!r} want {t['anchors']} got {_top2(answer)}"
                )
            seen_on_topic = True
    return {
        "first": {"right": first[0], "of": first[1], "rate": _rate(first), "top1": first_top1},
        "followups": {"right": follow[0], "of": follow[1], "rate": _rate(follow)},
        "off_topic": {"refused": off[0], "of": off[1]},
        "drafts_reviewed_as_expected": {"right": drafts[0], "of": drafts[1]},
    }


def _rate(pair: list[int]) -> float:
    return round(pair[0] / pair[1], 3) if pair[1] else 0.0
