"""Every approver decision on a submitted draft is kept as confirmed feedback (issue 10)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.feedback import list_feedback
from bot.verdict import Verdict
from bot.workflow import Actor, Refusal, Workflow

Submit = Callable[..., Any]
BOB, CAROL = Actor("cli", "bob", "Bob Approver"), Actor("cli", "carol", "Carol Approver")


def test_decisions_become_confirmed_feedback_once(
    wf: Workflow, submit: Submit, verdict: Callable[..., Verdict]
) -> None:
    rejected = submit("Our chief exec is a fraud", verdict=verdict("needs_approval", "legal"))
    wf.decide(rejected.id, "reject", by=BOB, note="Defamatory", idempotency_key="k-1")
    wf.decide(rejected.id, "reject", by=BOB, note="Defamatory", idempotency_key="k-1")  # replay
    approved = submit("Our new library opens on Monday")
    wf.decide(approved.id, "approve", by=CAROL)
    items = {i.submission_id: i for i in list_feedback(wf.store, wf.config)}
    assert len(items) == 2
    assert (items[rejected.id].expected, items[rejected.id].categories) == (
        "do_not_post",
        ["legal"],
    )
    assert (items[approved.id].expected, items[approved.id].status) == (
        "needs_approval",
        "confirmed",
    )
    assert items[rejected.id].by == "bob" and items[rejected.id].source == "decision"


def test_a_refused_decision_is_not_feedback(wf: Workflow, submit: Submit) -> None:
    sub = submit()
    with pytest.raises(Refusal):
        wf.decide(sub.id, "reject", by=BOB)  # no note
    assert list_feedback(wf.store, wf.config) == []
