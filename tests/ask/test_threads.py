"""Thread memory in the store, on SQLite and PostgreSQL: per user, per workspace, retention."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.ask.conversation import ask_in_thread
from bot.ask.threads import (
    ThreadId,
    Turn,
    append_turn,
    forget_purge_schedule,
    load_turns,
    purge_turns,
)
from bot.config import Config
from bot.errors import InputError
from bot.store import Store, open_store
from bot.store.models import AskTurn

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(db_url: str) -> Store:
    forget_purge_schedule()
    return open_store(db_url)


def count(store: Store) -> int:
    with store.read() as s:
        return int(s.scalar(select(func.count()).select_from(AskTurn)) or 0)


def test_a_thread_remembers_question_anchors_and_short_answer(store: Store) -> None:
    a = ask_in_thread(
        "can i tweet abt the trial of the bloke who attacked our nurse",
        thread_key="C1:171.5", user="U1", platform="slack", config=Config(), store=store, now=T0,
    )  # fmt: skip
    assert (a.thread, a.turn) == ("C1:171.5", "question")
    (turn,) = load_turns(store, ThreadId.of("", "slack", "C1:171.5", "U1"), retention=None, now=T0)
    assert turn.kind == "question" and turn.question.startswith("can i tweet")
    assert turn.anchors[0] == "protocol#court-cases" and turn.answer == a.answer
    assert "trial" in turn.topics


def test_follow_ups_use_the_thread_and_other_users_never_see_it(store: Store) -> None:
    cfg = Config()
    first = "Can I share a news story about the trial of the man who attacked our nurse?"
    ask_in_thread(first, thread_key="T", user="amy", platform="teams", config=cfg, store=store)
    amy = ask_in_thread(
        "and if it's already in the paper?", thread_key="T", user="amy", platform="teams",
        config=cfg, store=store,
    )  # fmt: skip
    assert amy.turn == "followup"
    assert "protocol#court-cases" in [c.anchor for c in amy.citations[:2]]
    bob = ask_in_thread(
        "and if it's already in the paper?", thread_key="T", user="bob", platform="teams",
        config=cfg, store=store,
    )  # fmt: skip
    assert bob.turn in ("question", "off_topic")
    assert "protocol#court-cases" not in [c.anchor for c in bob.citations]
    # The same key on another platform, or in another workspace, is another thread.
    for platform, ws in (("slack", ""), ("teams", "T0TENANT")):
        other = ask_in_thread(
            "and if it's already in the paper?", thread_key="T", user="amy", platform=platform,
            config=replace(cfg, workspace=ws), store=store,
        )  # fmt: skip
        assert other.turn != "followup"


def test_an_unknown_thread_id_starts_a_new_thread(store: Store) -> None:
    a = ask_in_thread(
        "why is that a problem?", thread_key="never-seen", user="U1", platform="cli",
        config=Config(), store=store,
    )  # fmt: skip
    assert a.turn == "off_topic" and a.thread == "never-seen"
    assert count(store) == 1


def test_empty_questions_and_keys_are_input_errors_and_store_nothing(store: Store) -> None:
    for question, key in (("", "k"), ("  \n ", "k"), ("Can I swear at a troll?", "  ")):
        with pytest.raises(InputError):
            ask_in_thread(
                question, thread_key=key, user="U", platform="cli", config=Config(), store=store
            )
    assert count(store) == 0


def test_turns_past_retention_are_not_read_and_are_purged(store: Store) -> None:
    cfg = Config(workflow={"retention_days": 30})
    tid = ThreadId.of("", "cli", "old", "U1")
    ask_in_thread(
        "what if I wrote: Mrs Patel in bed 4 is poorly", thread_key="old", user="U1",
        platform="cli", config=cfg, store=store, now=T0,
    )  # fmt: skip
    later = T0 + timedelta(days=31)
    assert load_turns(store, tid, retention=timedelta(days=30), now=later) == []
    forget_purge_schedule()
    a = ask_in_thread(
        "why is that a problem?", thread_key="old", user="U1", platform="cli", config=cfg,
        store=store, now=later,
    )  # fmt: skip
    assert a.turn == "off_topic"  # the draft is forgotten, so there is nothing to explain
    assert count(store) == 1  # the old turn was deleted when the new one was written


def test_retention_zero_keeps_turns(store: Store) -> None:
    tid = ThreadId.of("", "cli", "k", "U")
    append_turn(store, tid, Turn("question", "q", ["protocol#court-cases"]), retention=None, now=T0)
    assert len(load_turns(store, tid, retention=None, now=T0 + timedelta(days=3650))) == 1


def test_purge_turns_by_workspace(store: Store) -> None:
    for ws in ("A", "B"):
        append_turn(
            store, ThreadId.of(ws, "slack", "k", "U"), Turn("question", "q"), retention=None, now=T0
        )
    assert (
        purge_turns(store, retention=timedelta(days=1), workspace="A", now=T0 + timedelta(days=2))
        == 1
    )
    assert count(store) == 1
    assert purge_turns(store, retention=timedelta(days=1), now=T0 + timedelta(days=2)) == 1


def test_only_the_newest_turns_are_read(store: Store) -> None:
    tid = ThreadId.of("", "cli", "long", "U")
    for n in range(12):
        append_turn(store, tid, Turn("question", f"q{n}"), retention=None, now=T0)
    turns = load_turns(store, tid, retention=None, now=T0)
    assert [t.question for t in turns] == [f"q{n}" for n in range(4, 12)]


def test_long_keys_and_user_ids_are_cut_not_refused(store: Store) -> None:
    a = ask_in_thread(
        "Can I swear at a troll?", thread_key="k" * 400, user="u" * 300, platform="slack",
        config=Config(), store=store,
    )  # fmt: skip
    assert a.turn == "question"
    b = ask_in_thread(
        "what about on instagram?", thread_key="k" * 400, user="u" * 300, platform="slack",
        config=Config(), store=store,
    )  # fmt: skip
    assert b.turn == "followup"


def test_logs_at_info_carry_no_question_or_draft_text(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    for message in ("what if I wrote: Mrs Kowalczyk in bed 4 is poorly", "why is that a problem?"):
        ask_in_thread(
            message, thread_key="log", user="U", platform="cli", config=Config(), store=store
        )
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "ask: thread turn kind=draft" in text and "kind=verdict" in text
    assert "Kowalczyk" not in text and "bed 4" not in text and "problem" not in text
