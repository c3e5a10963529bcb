"""The blind conversation set's tune half (written from protocol.md alone), offline, as a guard.

The held-out half is never used here or while tuning: it is only run through
``benchmarks/eval_conversations.py`` to report how well this generalises.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.ask.evaluate import load, score
from bot.config import Config

TUNE = Path(__file__).parents[1] / "data" / "conversations_tune.jsonl"


@pytest.mark.skipif(not TUNE.is_file(), reason=f"{TUNE} is missing")
def test_tune_half_floors() -> None:
    """Measured when tuned: 20/20 first questions, 38/39 follow-ups, 4/4 off topic.

    Before this work (each message on its own, old keywords) it was 8/20 and
    8/39; each message on its own with today's keywords, follow-ups score 0.46.
    """
    convs = load(TUNE)
    result = score(convs, Config(), threaded=True)
    assert result["first"]["of"] == 20 and result["followups"]["of"] == 39
    assert result["first"]["rate"] >= 0.95, result
    assert result["followups"]["rate"] >= 0.90, result
    assert result["off_topic"] == {"refused": 4, "of": 4}, result
    alone = score(convs, Config(), threaded=False)
    assert result["followups"]["rate"] >= alone["followups"]["rate"] + 0.3


DEV = Path(__file__).parents[1] / "data" / "conversations_dev.jsonl"


@pytest.mark.skipif(not DEV.is_file(), reason=f"{DEV} is missing")
def test_development_conversations_floors() -> None:
    """636 conversations written from protocol.md for development (d-: 39 tuned on; e-, f-,
    g-, h-: 15 each, i-: 18, j-: 14, k-: 16, l-: 12, m-: 14, n-: 14, o-: 12, p-: 10, q-: 8,
    r-: 26, s-: 24, t-: 25, u-: 25, v-: 25, w-: 25, x-: 25, y-: 25, z-: 25, aa-: 25, ab-: 20,
    ac-: 40, ad-: 30, ae-: 25, af-: 20, ag-: 18, ah-: 16, written later, each batch first measured before any tuning on it).

    Measured: 622/636 first questions, 898/946 follow-ups, 121/123 off-topic or thanks
    refused. Before this work (the first 99): 72/99, 138/174, 22/40. Before the fixes
    each prompted: i- 9/18 and 16/22, j- 9/14 and 13/17, k- 13/16 and 12/16, l- 8/12
    and 10/14, m- 6/14 and 9/14, n- 8/14 and 10/14, o- 5/12 and 7/12, p- 5/10 and 5/11,
    q- 7/8 and 6/9, r- 24/26 and 30/40, s- 22/24 and 26/31, t- 20/25 and 25/33, u- 20/25 and 29/36,
    v- 18/25 and 25/34, w- 21/25 and 24/31,
    x- 21/25 and 28/32, y- 19/25 and 19/29,
    z- 19/25 and 21/28, aa- 15/25 and 17/28,
    ab- 14/20 and 17/22, ac- (slang, "same for my personal account", work asides)
    37/40, 77/83 and 13/16 refused, ad- (asides naming one topic word, aspects that
    change mid-thread) 26/30, 47/61 and 6/11, ae- (long chatty questions in the blind
    writers' manner) 20/25, 38/51 and 4/8, af- (the same, after the scorer was retrained
    without it) 16/20, 31/40 and 6/7, ag- (the brief's follow-ups and asides, written
    last) 13/18, 25/34 and 7/7 (at the start of that round: 11/18, 25/34 and 6/7), ah- (a
    last check) 14/16, 28/30 and 5/6 (at the start of that round: 13/16, 28/30, 3/6).
    """
    result = score(load(DEV), Config(), threaded=True)
    assert result["first"]["of"] == 636 and result["followups"]["of"] == 946
    assert result["first"]["rate"] >= 0.97, result
    assert result["followups"]["rate"] >= 0.93, result
    assert result["off_topic"]["of"] == 123 and result["off_topic"]["refused"] >= 120, result


TUNE3 = Path(__file__).parents[1] / "data" / "conversations3_tune.jsonl"


@pytest.mark.skipif(not TUNE3.is_file(), reason=f"{TUNE3} is missing")
def test_third_blind_tune_half_floors() -> None:
    """The third blind set's tune half (25 conversations), developed on after one measure.

    Untouched (before any work on it): 22/25 first questions, 55/65 follow-ups, 4/4 off
    topic. Measured after: 25/25, 64/65, 4/4.
    """
    result = score(load(TUNE3), Config(), threaded=True)
    assert result["first"]["of"] == 25 and result["followups"]["of"] == 65
    assert result["first"]["rate"] >= 0.95, result
    assert result["followups"]["rate"] >= 0.92, result
    assert result["off_topic"] == {"refused": 4, "of": 4}, result


TUNE4 = Path(__file__).parents[1] / "data" / "conversations4_tune.jsonl"


@pytest.mark.skipif(not TUNE4.is_file(), reason=f"{TUNE4} is missing")
def test_fourth_blind_tune_half_floors() -> None:
    """The fourth blind set's tune half (25 conversations), developed on after one measure.

    Untouched (before any work on it): 20/25 first questions, 47/59 follow-ups, 7/10 off
    topic (at the start of that round: 20/25, 47/59, 6/10). Measured after: 25/25, 56/59,
    10/10.
    """
    result = score(load(TUNE4), Config(), threaded=True)
    assert result["first"]["of"] == 25 and result["followups"]["of"] == 59
    assert result["first"]["rate"] >= 0.95, result
    assert result["followups"]["rate"] >= 0.90, result
    assert result["off_topic"]["of"] == 10 and result["off_topic"]["refused"] >= 9, result


def _sentences(text: str) -> list[str]:
    """Sentences outside quoted examples (as tests/test_ask.py counts them)."""
    import re

    def stand_in(m: re.Match[str]) -> str:
        return "Q." if m.group(0)[:-1].rstrip().endswith((".", "!", "?")) else "Q"

    unquoted = re.sub(r'"[^"]*"|\u201c[^\u201d]*\u201d|\([^)]*\)', stand_in, text)
    return [s for s in re.split(r"(?<=[.!?])\s+", unquoted) if s.strip()]


@pytest.mark.skipif(not TUNE3.is_file(), reason=f"{TUNE3} is missing")
def test_every_answer_in_a_conversation_is_two_to_four_sentences_and_names_who_to_ask() -> None:
    """What you must not do, what you can do, the other sections, who to ask: a rule of
    several sentences ("Privacy settings aren't private. Friends can share ...") is cut to
    the one that answers, so no answer runs past four."""
    from bot.ask.conversation import respond
    from bot.ask.threads import Turn

    for name in (TUNE, TUNE3):
        for conv in load(name):
            history: list[Turn] = []
            config = Config().with_profile(conv.get("profile"))
            for t in conv["turns"]:
                answer, turn = respond(t["text"], history, config=config, use_llm=False)
                history.append(turn)
                if turn.kind in ("question", "followup"):
                    assert 2 <= len(_sentences(answer.answer)) <= 4, (t["text"], answer.answer)
                    assert "If you're not sure, ask " in answer.answer, answer.answer
