"""Reminders, escalation, expiry, retention and notification retries — one tick at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import Config
from bot.store import Store
from bot.store import models as m
from bot.verdict import Finding, Severity, Verdict
from bot.workflow import Actor, AlreadyDecided, MemoryNotifier, Workflow
from bot.workflow.export import audit_rows
from bot.workflow.outbox import MAX_ATTEMPTS

ALICE = Actor("cli", "alice")
BOB = Actor("cli", "bob")


def test_reminder_escalation_expiry_each_once(
    wf: Workflow, submit: Callable[..., Any], clock: Any, notifier: MemoryNotifier
) -> None:
    sub = submit()
    assert wf.tick().reminded == []
    clock.advance(minutes=61)
    assert wf.tick().reminded == [sub.id]
    assert wf.tick().reminded == []  # once only
    clock.advance(minutes=180)
    r = wf.tick()
    assert r.escalated == [sub.id] and r.reminded == []
    clock.advance(minutes=1200)
    r = wf.tick()
    assert r.expired == [sub.id]
    assert wf.tick().expired == []
    got = wf.get(sub.id)
    assert got.state == "expired" and got.decided_at == clock.now and got.decided_by is None
    assert got.reminded_at is not None and got.escalated_at is not None
    assert notifier.kinds(sub.id) == ["submitted", "reminder", "escalation", "expired"]
    with pytest.raises(AlreadyDecided, match="expired"):
        wf.decide(sub.id, "approve", by=BOB)
    actions = [a.action for a in wf.audit_trail(sub.id)]
    assert actions == ["submit", "remind", "escalate", "expire", "decide"]


def test_decided_submissions_are_not_reminded(
    wf: Workflow, submit: Callable[..., Any], clock: Any
) -> None:
    sub = submit()
    wf.decide(sub.id, "approve", by=BOB)
    clock.advance(days=2)
    r = wf.tick()
    assert r.reminded == r.escalated == r.expired == []


def test_stages_can_be_switched_off(store: Store, clock: Any, verdict: Any) -> None:
    cfg = Config(
        workflow={
            "reminder_after_minutes": 0,
            "escalate_after_minutes": 0,
            "expire_after_minutes": 0,
        }
    )
    wf = Workflow(store, config=cfg, clock=clock)
    wf.submit(text="x", verdict=verdict(), author=ALICE)
    clock.advance(days=30)
    r = wf.tick()
    assert r.reminded == r.escalated == r.expired == []


def test_concurrent_ticks_send_each_notification_once(
    store: Store, config: Config, clock: Any, verdict: Any
) -> None:
    base = Workflow(store, config=config, clock=clock)
    ids = {base.submit(text=f"d{i}", verdict=verdict(), author=ALICE).id for i in range(30)}
    clock.advance(minutes=61)
    notifier = MemoryNotifier()
    reports: list[Any] = []
    barrier = threading.Barrier(4)
    lock = threading.Lock()

    def worker() -> None:
        wf = Workflow(store, config=config, clock=clock, notifier=notifier)
        barrier.wait()
        r = wf.tick()
        with lock:
            reports.append(r)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reminded = [sid for r in reports for sid in r.reminded]
    assert sorted(reminded) == sorted(ids)
    sent = [sid for kind, sid in notifier.sent if kind == "reminder"]
    assert sorted(sent) == sorted(ids)


def test_notifier_failure_keeps_state_and_is_retried(
    store: Store, config: Config, clock: Any, verdict: Any
) -> None:
    notifier = MemoryNotifier(fail_times={"submitted": 2})
    wf = Workflow(store, config=config, clock=clock, notifier=notifier)
    sub = wf.submit(text="Still stored", verdict=verdict(), author=ALICE)
    assert wf.get(sub.id).state == "pending"  # stored although the notifier failed
    assert notifier.sent == []
    r = wf.tick()  # retry is not due yet (backoff)
    assert r.delivered == 0
    clock.advance(minutes=1, seconds=1)
    r = wf.tick()
    assert r.delivery_failures == 1 and r.delivered == 0
    clock.advance(minutes=2, seconds=1)
    r = wf.tick()
    assert r.delivered == 1
    assert notifier.kinds(sub.id) == ["submitted"]
    assert wf.tick().delivered == 0  # sent once


def test_notifications_given_up_are_audited(
    store: Store, config: Config, clock: Any, verdict: Any
) -> None:
    notifier = MemoryNotifier(fail_times={"submitted": 100})
    wf = Workflow(store, config=config, clock=clock, notifier=notifier)
    sub = wf.submit(text="x", verdict=verdict(), author=ALICE)
    given_up = 0
    for _ in range(MAX_ATTEMPTS + 2):
        clock.advance(hours=1, seconds=1)
        given_up += wf.tick().given_up
    assert given_up == 1
    trail = wf.audit_trail(sub.id)
    assert [(a.action, a.outcome, a.reason) for a in trail][-1] == ("notify", "failed", "gave_up")


def test_queued_without_notifier_then_delivered_by_a_worker_with_one(
    store: Store, config: Config, clock: Any, verdict: Any
) -> None:
    silent = Workflow(store, config=config, clock=clock)
    sub = silent.submit(text="x", verdict=verdict(), author=ALICE)
    notifier = MemoryNotifier(refs={"ts": "123"})
    worker = Workflow(store, config=config, clock=clock, notifier=notifier)
    assert worker.tick().delivered == 1
    assert notifier.kinds(sub.id) == ["submitted"]
    assert worker.get(sub.id).message_refs == {"submitted": {"ts": "123"}}


def test_retention_purges_text_but_keeps_who_decided_what(
    wf: Workflow, store: Store, clock: Any
) -> None:
    text = "Jo's number is 07700 900123"
    v = Verdict(
        [
            Finding(
                "c.phone",
                "confidentiality",
                Severity.DO_NOT_POST,
                15,
                27,
                "07700 900123",
                "m",
                "s",
                "p",
            )
        ],
        "p1",
    )
    sub = wf.submit(text=text, verdict=v, author=ALICE, note="public line")
    wf.decide(sub.id, "reject", by=BOB, note="Personal number")
    open_sub = wf.submit(text="still pending", verdict=v, author=ALICE, note="j")
    clock.advance(days=29)
    assert wf.tick().purged == []
    clock.advance(days=2)
    assert wf.tick().purged == [sub.id]
    got = wf.get(sub.id)
    assert got.text is None and got.purged_at == clock.now
    assert got.verdict.findings[0].quote is None
    assert got.state == "rejected" and got.decided_by == BOB
    # Free-text notes can hold personal data too: they go with the draft.
    assert got.note is None and got.decision_note is None
    assert [d.note for d in got.decisions] == [None] and got.decisions[0].by == BOB
    assert [a.action for a in wf.audit_trail(sub.id)] == ["submit", "decide", "purge"]
    assert wf.get(open_sub.id).state == "expired"  # it expired meanwhile
    assert wf.tick().purged == []  # once


def test_retention_can_keep_notes(store: Store, clock: Any, verdict: Any) -> None:
    cfg = Config(approvers=Config().approvers, workflow={"retention_days": 1, "purge_notes": False})
    cfg.approvers.cli = ["bob"]
    wf = Workflow(store, config=cfg, clock=clock)
    sub = wf.submit(text="Draft", verdict=verdict(), author=ALICE, note="why")
    wf.decide(sub.id, "approve", by=BOB, note="fine by comms")
    clock.advance(days=2)
    assert wf.tick().purged == [sub.id]
    got = wf.get(sub.id)
    assert got.text is None and got.note == "why" and got.decision_note == "fine by comms"
    assert got.decisions[0].note == "fine by comms"


def test_redaction_on_decision(store: Store, clock: Any) -> None:
    cfg = Config(approvers=Config().approvers, workflow={"redact_on_decision": True})
    cfg.approvers.cli = ["bob"]
    wf = Workflow(store, config=cfg, clock=clock)
    text = "Call Jo on 07700 900123 today #Library"
    v = Verdict(
        [
            Finding(
                "c.phone",
                "confidentiality",
                Severity.DO_NOT_POST,
                11,
                23,
                "07700 900123",
                "m",
                "s",
                "p",
            ),
            Finding("a.tag", "accessibility", Severity.ADVISE, 30, 38, "#Library", "m", "s", "p"),
        ],
        "p1",
    )
    sub = wf.submit(text=text, verdict=v, author=ALICE, note="helpline")
    assert wf.get(sub.id).text == text  # untouched while pending
    done = wf.decide(sub.id, "approve", by=BOB)
    assert done.text == "Call Jo on [REDACTED] today #Library"
    assert done.redacted_at is not None
    phone, tag = done.verdict.findings
    assert done.text[phone.start : phone.end] == "[REDACTED]" == phone.quote
    assert done.text[tag.start : tag.end] == "#Library" == tag.quote


def test_no_draft_text_in_info_logs(
    wf: Workflow, submit: Callable[..., Any], clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    sub = submit("SECRET-DRAFT-WORDS here")
    wf.decide(sub.id, "changes", by=BOB, note="fix")
    clock.advance(days=40)
    wf.tick()
    assert "SECRET-DRAFT-WORDS" not in caplog.text
    assert sub.id in caplog.text


def test_export_has_no_draft_text(wf: Workflow, submit: Callable[..., Any]) -> None:
    sub = submit("SECRET-DRAFT-WORDS")
    wf.decide(sub.id, "approve", by=BOB)
    rows = list(audit_rows(wf.store))
    assert "SECRET-DRAFT-WORDS" not in repr(rows)
    with wf.store.read() as s:
        assert s.scalar(select(m.Submission.text)) == "SECRET-DRAFT-WORDS"


def test_ticker_runs_in_the_background_and_survives_failures(
    store: Store, config: Config, verdict: Any
) -> None:
    from bot.workflow import Ticker

    class Flaky(Workflow):
        calls = 0

        def tick(self, now: Any = None) -> Any:
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise RuntimeError("database hiccup")
            return super().tick(now)

    ticker = Ticker(Flaky(store, config=config), interval=0.02)
    ticker.start()
    deadline = time.monotonic() + 10
    while ticker.passes < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    ticker.stop()
    assert ticker.passes >= 3 and ticker.failures == 1


def test_retention_also_purges_policy_threads_and_feedback(
    store: Store, config: Config, clock: Any
) -> None:
    """Retention covers every store of staff text, not only submissions."""
    from datetime import timedelta

    from bot.ask.threads import ThreadId, Turn, append_turn, load_turns
    from bot.feedback import add_feedback, list_feedback

    wf = Workflow(store, config=config, notifier=MemoryNotifier(), clock=clock)
    old = clock.now
    tid = ThreadId(workspace="", platform="cli", key="t1", user="alice")
    turn = Turn(
        kind="question",
        question="can I tweet about the trial?",
        anchors=["court-cases"],
        topics=["trial"],
        answer="No.",
    )
    append_turn(store, tid, turn, retention=None, now=old)
    add_feedback(
        store, config, text="Film shoot on the high street today", expected="ok", by="bob", now=old
    )
    clock.advance(days=31)
    append_turn(store, tid, turn, retention=None, now=clock.now)
    wf.tick()
    kept = load_turns(store, tid, retention=timedelta(days=3650), now=clock.now)
    assert [t.question for t in kept] == ["can I tweet about the trial?"]
    assert list_feedback(store, config) == []
