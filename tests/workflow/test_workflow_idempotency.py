"""Repeated deliveries of one platform event never make a second submission or decision."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.errors import InputError
from bot.store import Store
from bot.store import models as m
from bot.verdict import Verdict
from bot.workflow import Actor, AlreadyDecided, MemoryNotifier, NotAnApprover, Workflow

ALICE = Actor("slack", "U-ALICE")
BOB = Actor("cli", "bob")
CAROL = Actor("cli", "carol")


def count(store: Store, model: type[Any], **where: Any) -> int:
    with store.read() as s:
        q = select(func.count()).select_from(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return int(s.scalar(q) or 0)


def test_redelivered_submit_returns_the_first_submission(
    wf: Workflow, store: Store, verdict: Callable[..., Verdict], notifier: MemoryNotifier
) -> None:
    kw: dict[str, Any] = {"text": "Draft", "verdict": verdict(), "author": ALICE}
    first = wf.submit(**kw, idempotency_key="slack:retry:Ev1")
    again = wf.submit(**kw, idempotency_key="slack:retry:Ev1")
    assert again.id == first.id
    assert count(store, m.Submission) == 1
    assert notifier.kinds(first.id) == ["submitted"]
    other = wf.submit(**kw, idempotency_key="slack:retry:Ev2")
    assert other.id != first.id


def test_redelivered_decision_is_recorded_once(
    wf: Workflow, store: Store, submit: Callable[..., Any]
) -> None:
    sub = submit()
    a = wf.decide(sub.id, "approve", by=BOB, idempotency_key="slack:action:A1")
    b = wf.decide(sub.id, "approve", by=BOB, idempotency_key="slack:action:A1")
    assert a.state == b.state == "approved" and a.decided_at == b.decided_at
    assert count(store, m.Decision, submission_id=sub.id) == 1
    # A replay is not a new attempt: the audit shows one decision.
    assert count(store, m.AuditEntry, submission_id=sub.id, action="decide") == 1


def test_a_refusal_replays_as_the_same_refusal(wf: Workflow, submit: Callable[..., Any]) -> None:
    sub = submit()
    wf.decide(sub.id, "approve", by=BOB)
    with pytest.raises(AlreadyDecided) as first:
        wf.decide(sub.id, "reject", by=CAROL, note="no", idempotency_key="teams:act:9")
    with pytest.raises(AlreadyDecided) as again:
        wf.decide(sub.id, "reject", by=CAROL, note="no", idempotency_key="teams:act:9")
    assert str(first.value) == str(again.value)
    assert again.value.decided_by == "bob" and again.value.decided_at == first.value.decided_at
    with pytest.raises(NotAnApprover):
        wf.decide(sub.id, "approve", by=Actor("cli", "zed"), idempotency_key="k-na")
    with pytest.raises(NotAnApprover):
        wf.decide(sub.id, "approve", by=Actor("cli", "zed"), idempotency_key="k-na")


def test_a_key_cannot_be_reused_for_another_action(
    wf: Workflow, submit: Callable[..., Any]
) -> None:
    sub = submit(idempotency_key="same")
    with pytest.raises(InputError, match="already used for submit"):
        wf.decide(sub.id, "approve", by=BOB, idempotency_key="same")


def test_concurrent_duplicate_deliveries_make_one_submission(
    store: Store, config: Any, verdict: Callable[..., Verdict]
) -> None:
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(6)

    def deliver() -> None:
        wf = Workflow(store, config=config)
        try:
            barrier.wait()
            sub = wf.submit(text="Dup", verdict=verdict(), author=ALICE, idempotency_key="ev-dup")
            results.append(sub.id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(results)) == 1 and len(results) == 6
    assert count(store, m.Submission) == 1


def test_old_keys_are_pruned_by_tick(
    wf: Workflow, store: Store, submit: Callable[..., Any], clock: Any
) -> None:
    submit(idempotency_key="old")
    clock.advance(days=8)
    report = wf.tick()
    assert report.keys_pruned == 1
    assert count(store, m.IdempotencyKey) == 0
