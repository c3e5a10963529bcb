"""Feedback reports on a real database (a fresh SQLite file and a fresh PostgreSQL database)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot import load_config
from bot.config import Config
from bot.errors import InputError
from bot.feedback import (
    NotAnApprover,
    add_feedback,
    confirm,
    dismiss,
    list_feedback,
    purge_expired,
    record_decision,
    training_feedback,
)
from bot.store import Store, open_store

FILM = "Photo shoot today with our apprentices for the new brochure - the shooting went brilliantly"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = open_store(db_url)
    yield s
    s.dispose()


@pytest.fixture
def config() -> Config:
    cfg = load_config()
    cfg.approvers.cli = ["boss"]
    return cfg


def test_an_approvers_report_counts_at_once(store: Store, config: Config) -> None:
    item = add_feedback(store, config, text=FILM, expected="ok", by="boss")
    assert item.status == "confirmed" and item.kind == "false_alarm"
    assert item.rules_decision == "needs_approval"
    assert "sensitivity.death_and_tragedy" in item.rules_fired
    assert [i.id for i in training_feedback(store, config)] == [item.id]


def test_anyone_elses_waits_for_an_approver(store: Store, config: Config) -> None:
    item = add_feedback(store, config, text=FILM, expected="ok", by="intern")
    assert item.status == "pending"
    assert training_feedback(store, config) == []
    assert [i.id for i in list_feedback(store, config, pending=True)] == [item.id]
    with pytest.raises(NotAnApprover):
        confirm(store, config, item.id, by="intern")
    done = confirm(store, config, item.id, by="boss")
    assert done.status == "confirmed" and done.reviewed_by == "boss"
    assert list_feedback(store, config, pending=True) == []
    assert [i.id for i in training_feedback(store, config)] == [item.id]


def test_a_dismissed_report_never_counts(store: Store, config: Config) -> None:
    item = add_feedback(store, config, text=FILM, expected="ok", by="intern")
    assert dismiss(store, config, item.id, by="boss").status == "dismissed"
    assert training_feedback(store, config) == []
    with pytest.raises(Exception, match="already dismissed"):
        confirm(store, config, item.id, by="boss")


def test_personal_data_is_redacted_before_storing(store: Store, config: Config) -> None:
    text = "Missed this: Mrs Okafor on ward 7 is doing well, her son's number is 07700 900123"
    item = add_feedback(
        store, config, text=text, expected="do_not_post", by="boss", categories=["confidentiality"]
    )
    stored = list_feedback(store, config)[0].text
    assert "07700 900123" not in stored and "Okafor" not in stored
    assert item.text == stored


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"text": "   ", "expected": "ok"}, "empty"),
        ({"text": FILM, "expected": "fine"}, "unknown decision"),
        ({"text": FILM, "expected": "ok", "categories": ["gossip"]}, "unknown category"),
    ],
)
def test_bad_reports_are_refused(
    store: Store, config: Config, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        add_feedback(store, config, by="boss", **kwargs)  # type: ignore[arg-type]
    assert list_feedback(store, config) == []


def test_workspaces_do_not_see_each_others_reports(store: Store, config: Config) -> None:
    add_feedback(store, config, text=FILM, expected="ok", by="boss")
    other = replace(config, workspace="T0OTHER")
    assert list_feedback(store, other) == []
    assert training_feedback(store, other) == []


def test_retention_purges_old_reports(store: Store, config: Config) -> None:
    config.workflow["retention_days"] = 30
    old = add_feedback(
        store,
        config,
        text=FILM,
        expected="ok",
        by="boss",
        now=datetime.now(UTC) - timedelta(days=40),
    )
    new = add_feedback(store, config, text=FILM, expected="ok", by="boss")
    assert [i.id for i in training_feedback(store, config)] == [new.id]  # old is out of date
    assert purge_expired(store, config) == 1
    assert [i.id for i in list_feedback(store, config)] == [new.id]
    assert old.id not in [i.id for i in list_feedback(store, config)]


def test_every_approver_decision_becomes_feedback(store: Store, config: Config) -> None:
    rejected = record_decision(
        store,
        config,
        submission_id="S-1",
        text="Vote for Jones on Thursday!",
        decision="reject",
        rules_decision="needs_approval",
        by="boss",
        platform="cli",
        note="party politics",
    )
    approved = record_decision(
        store,
        config,
        submission_id="S-2",
        text=FILM,
        decision="approve",
        rules_decision="needs_approval",
        by="boss",
        platform="cli",
    )
    assert rejected is not None and rejected.expected == "do_not_post"
    assert rejected.status == "confirmed" and rejected.source == "decision"
    assert approved is not None and approved.expected == "needs_approval"
    assert {i.submission_id for i in training_feedback(store, config)} == {"S-1", "S-2"}


def test_a_stored_model_is_found_on_each_backend(store: Store, config: Config, db_url: str) -> None:
    """Every worker reads the organisation model from the database (SQLite or PostgreSQL)."""
    from bot.feedback import reset_model, save_model
    from bot.learned import live

    blob = live.SHIPPED_PATH.read_bytes()
    save_model(store, config, blob, version="v-test", fmt=1, summary={}, by="boss")
    live.invalidate()
    got = live.current(config.workspace, db_url)
    assert got.source == "organisation" and got.fallback_reason is None
    assert live.current("T0OTHER", db_url).source == "shipped"  # per workspace
    reset_model(store, config)
    live.invalidate()
    assert live.current(config.workspace, db_url).source == "shipped"


def test_the_policy_words_a_rule_matched_are_kept_though_the_draft_is_redacted(
    store: Store, config: Config
) -> None:
    """A legal finding's span is redacted from the stored draft ("[LEGAL_1]"), so the words
    the rule matched are recorded with the report: only the rule's own listed terms."""
    play = "Rehearsals are going well for our drama club play set at Crown Court: the jury scene"
    item = add_feedback(store, config, text=play, expected="ok", by="boss")
    assert "Crown Court" not in item.text and "[LEGAL_" in item.text
    stored = training_feedback(store, config)[0]
    assert stored.rules_matched == {"legal.active_proceedings": ["crown court", "jury"]}
    # free text a pattern or a context rule quoted is never kept, only policy terms
    rant = "Our manager is a joke and a bully, the whole ward is a shambles"
    other = add_feedback(store, config, text=rant, expected="ok", by="boss")
    assert other.rules_fired and not any(
        "manager" in w for ws in (other.rules_matched or {}).values() for w in ws
    )
