"""Submissions and decisions: who may decide what, and that every attempt is audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.config import load_config
from bot.errors import InputError
from bot.store import Store
from bot.verdict import Verdict
from bot.workflow import (
    Actor,
    AlreadyDecided,
    JustificationRequired,
    MemoryNotifier,
    NotAnApprover,
    NoteRequired,
    NotResubmittable,
    NotTheAuthor,
    OwnDraft,
    SecondApproverRequired,
    UnknownSubmission,
    Workflow,
)
from bot.workflow.export import audit_rows

ALICE = Actor("cli", "alice", "Alice Author")
BOB = Actor("cli", "bob", "Bob Approver")
CAROL = Actor("cli", "carol")
DANA = Actor("cli", "dana")  # backup approver
MALLORY = Actor("cli", "mallory")

Submit = Callable[..., Any]


def outcomes(wf: Workflow, sid: str) -> list[tuple[str, str, str | None]]:
    return [(a.action, a.outcome, a.reason) for a in wf.audit_trail(sid)]


def test_submit_stores_everything_and_notifies(
    wf: Workflow, verdict: Callable[..., Verdict], notifier: MemoryNotifier
) -> None:
    v = verdict("needs_approval", "reputation")
    sub = wf.submit(
        text="Our bins are late again, sorry!",
        verdict=v,
        author=ALICE,
        channel="X",
        note="Urgent reply to a complaint",
        message_refs={"slack": {"channel": "C1"}},
    )
    assert sub.id.startswith("S-") and len(sub.id) == 12
    assert sub.state == "pending" and sub.is_open
    got = wf.get(sub.id)
    assert got == sub
    assert got.text == "Our bins are late again, sorry!"
    assert got.channel == "twitter"
    assert got.author == ALICE
    assert got.verdict.to_dict() == v.to_dict()
    assert got.review_decision == "needs_approval"
    assert got.note == "Urgent reply to a complaint"
    assert got.message_refs == {"slack": {"channel": "C1"}}
    assert notifier.kinds(sub.id) == ["submitted"]
    assert outcomes(wf, sub.id) == [("submit", "ok", None)]
    d = got.to_dict()
    for key in ("id", "state", "author", "decided_by", "decided_at", "note", "verdict"):
        assert key in d
    assert d["author"] == "alice" and d["note"] == "Urgent reply to a complaint"


def test_any_draft_may_be_submitted_but_do_not_post_needs_justification(
    wf: Workflow, verdict: Callable[..., Verdict]
) -> None:
    assert wf.submit(text="Hello", verdict=verdict("ok"), author=ALICE).state == "pending"
    with pytest.raises(JustificationRequired) as exc:
        wf.submit(text="Call 07700 900123", verdict=verdict("do_not_post"), author=ALICE, note="  ")
    assert exc.value.exit_code == 2
    sub = wf.submit(
        text="Call 07700 900123",
        verdict=verdict("do_not_post", "confidentiality"),
        author=ALICE,
        note="It is the public helpline",
    )
    assert sub.review_decision == "do_not_post" and sub.note == "It is the public helpline"
    refused = [r for r in audit_rows(wf.store) if r["reason"] == "justification_required"]
    assert len(refused) == 1 and refused[0]["actor_id"] == "alice"
    assert refused[0]["submission_id"] is None


def test_bad_submissions_are_input_errors(wf: Workflow, verdict: Callable[..., Verdict]) -> None:
    with pytest.raises(InputError, match="empty"):
        wf.submit(text="   ", verdict=verdict(), author=ALICE)
    with pytest.raises(InputError, match="unknown channel"):
        wf.submit(text="Hi", verdict=verdict(), author=ALICE, channel="myspace")
    with pytest.raises(InputError, match="platform"):
        Actor("fax", "x")


@pytest.mark.parametrize(
    ("decision", "state"),
    [("approve", "approved"), ("changes", "changes_requested"), ("reject", "rejected")],
)
def test_each_decision(
    wf: Workflow, submit: Submit, notifier: MemoryNotifier, decision: str, state: str
) -> None:
    sub = submit()
    done = wf.decide(sub.id, decision, by=BOB, note="Reason given")
    assert done.state == state
    assert done.decided_by == BOB
    assert done.decided_at is not None
    assert done.decision_note == "Reason given"
    assert done.to_dict()["note"] == "Reason given"
    assert [(d.decision, d.final, d.by.id) for d in done.decisions] == [(decision, True, "bob")]
    assert notifier.kinds(sub.id) == ["submitted", "decided"]
    assert outcomes(wf, sub.id)[-1] == ("decide", "ok", None)


def test_own_draft_and_notes(wf: Workflow, verdict: Callable[..., Verdict]) -> None:
    mine = wf.submit(text="Approver's own post", verdict=verdict(), author=BOB)
    with pytest.raises(OwnDraft) as own:
        wf.decide(mine.id, "approve", by=BOB)
    assert own.value.exit_code == 3
    for decision in ("changes", "reject"):
        with pytest.raises(NoteRequired) as missing:
            wf.decide(mine.id, decision, by=CAROL, note=" ")
        assert missing.value.exit_code == 2
    assert wf.get(mine.id).state == "pending"
    assert outcomes(wf, mine.id) == [
        ("submit", "ok", None),
        ("decide", "refused", "own_draft"),
        ("decide", "refused", "note_required"),
        ("decide", "refused", "note_required"),
    ]


def test_first_decision_wins_and_the_loser_learns_who_and_when(
    wf: Workflow, submit: Submit
) -> None:
    sub = submit()
    first = wf.decide(sub.id, "approve", by=BOB)
    with pytest.raises(AlreadyDecided) as late:
        wf.decide(sub.id, "reject", by=CAROL, note="Too late")
    err = late.value
    assert err.decided_by == "bob" and err.decided_at == first.decided_at
    assert err.state == "approved"
    assert "bob" in str(err) and "approved" in str(err) and "UTC" in str(err)
    assert err.to_dict()["decided_by"] == "bob"
    assert wf.get(sub.id).state == "approved"
    assert outcomes(wf, sub.id)[-1] == ("decide", "refused", "already_decided")


def test_not_an_approver_is_refused_and_audited(wf: Workflow, submit: Submit) -> None:
    sub = submit()
    with pytest.raises(NotAnApprover, match="mallory is not an approver"):
        wf.decide(sub.id, "approve", by=MALLORY)
    # Same id on another platform's list does not count on this one.
    with pytest.raises(NotAnApprover):
        wf.decide(sub.id, "approve", by=Actor("slack", "bob"))
    assert outcomes(wf, sub.id)[1:] == [
        ("decide", "refused", "not_an_approver"),
        ("decide", "refused", "not_an_approver"),
    ]
    assert wf.get(sub.id).state == "pending"


def test_env_approvers_may_decide(
    store: Store, submit: Submit, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANIPOST_APPROVERS", "erin, frank")
    monkeypatch.delenv("CANIPOST_CONFIG", raising=False)
    wf2 = Workflow(store, config=load_config(None))
    sub = submit()
    assert wf2.decide(sub.id, "approve", by=Actor("slack", "erin")).state == "approved"


def test_backup_approver_can_decide(wf: Workflow, submit: Submit) -> None:
    assert wf.decide(submit().id, "approve", by=DANA).state == "approved"


def test_unknown_id_is_refused_and_audited(wf: Workflow) -> None:
    with pytest.raises(UnknownSubmission) as exc:
        wf.decide("S-NOSUCHID00", "approve", by=BOB)
    assert exc.value.exit_code == 2
    assert outcomes(wf, "S-NOSUCHID00") == [("decide", "refused", "not_found")]
    with pytest.raises(UnknownSubmission):
        wf.get("nope")


def test_ids_are_forgiving(wf: Workflow, submit: Submit) -> None:
    sub = submit()
    assert wf.get(sub.id.lower()).id == sub.id
    assert wf.get("  " + sub.id + " ").id == sub.id


def test_bad_decision_word(wf: Workflow, submit: Submit) -> None:
    with pytest.raises(InputError, match="allowed: approve, changes, reject"):
        wf.decide(submit().id, "maybe", by=BOB)


def test_two_step_approval_for_configured_categories(
    wf: Workflow, verdict: Callable[..., Verdict], notifier: MemoryNotifier
) -> None:
    sub = wf.submit(
        text="On the court case...", verdict=verdict("needs_approval", "legal"), author=ALICE
    )
    assert sub.approvals_needed == 2
    step1 = wf.decide(sub.id, "approve", by=BOB)
    assert step1.state == "pending" and [a.by.id for a in step1.approvals] == ["bob"]
    with pytest.raises(SecondApproverRequired):
        wf.decide(sub.id, "approve", by=BOB)
    done = wf.decide(sub.id, "approve", by=CAROL)
    assert done.state == "approved" and done.decided_by == CAROL
    assert [(d.by.id, d.final) for d in done.decisions] == [("bob", False), ("carol", True)]
    assert notifier.kinds(sub.id) == ["submitted", "first_approval", "decided"]


def test_two_step_can_still_be_stopped_by_one_approver(
    wf: Workflow, verdict: Callable[..., Verdict]
) -> None:
    sub = wf.submit(text="Legal stuff", verdict=verdict("needs_approval", "legal"), author=ALICE)
    wf.decide(sub.id, "approve", by=BOB)
    done = wf.decide(sub.id, "reject", by=BOB, note="On reflection, no")
    assert done.state == "rejected"


def test_advisory_findings_do_not_trigger_two_step(
    wf: Workflow, verdict: Callable[..., Verdict]
) -> None:
    sub = wf.submit(text="x", verdict=verdict("advise", "legal"), author=ALICE)
    assert sub.approvals_needed == 1


def test_withdraw(wf: Workflow, submit: Submit, notifier: MemoryNotifier) -> None:
    sub = submit()
    with pytest.raises(NotTheAuthor):
        wf.withdraw(sub.id, by=BOB)
    done = wf.withdraw(sub.id, by=ALICE, note="Posted something else")
    assert done.state == "withdrawn" and done.decided_by == ALICE
    with pytest.raises(AlreadyDecided, match="withdrawn"):
        wf.decide(sub.id, "approve", by=BOB)
    with pytest.raises(AlreadyDecided):
        wf.withdraw(sub.id, by=ALICE)
    assert notifier.kinds(sub.id) == ["submitted", "withdrawn"]


def test_resubmission_links_to_its_predecessor(
    wf: Workflow, submit: Submit, verdict: Callable[..., Verdict]
) -> None:
    first = submit("Draft one")
    with pytest.raises(NotResubmittable):
        submit("Too early", predecessor_id=first.id)
    wf.decide(first.id, "changes", by=BOB, note="Drop the ward name")
    with pytest.raises(NotTheAuthor):
        wf.submit(text="Not mine", verdict=verdict(), author=CAROL, predecessor_id=first.id)
    with pytest.raises(UnknownSubmission):
        submit("Orphan", predecessor_id="S-ZZZZZZZZZZ")
    second = submit("Draft two", predecessor_id=first.id.lower())
    assert second.predecessor_id == first.id and second.state == "pending"


def test_message_refs_merge(wf: Workflow, submit: Submit) -> None:
    sub = submit(message_refs={"slack": {"ts": "1"}})
    wf.set_message_refs(sub.id, {"teams": {"activity": "a"}})
    assert wf.get(sub.id).message_refs == {"slack": {"ts": "1"}, "teams": {"activity": "a"}}


def test_listing(wf: Workflow, submit: Submit) -> None:
    a, b, c = submit("one"), submit("two"), submit("three")
    wf.decide(b.id, "approve", by=BOB)
    assert {s.id for s in wf.submissions()} == {a.id, b.id, c.id}
    assert {s.id for s in wf.submissions(state="pending")} == {a.id, c.id}
    assert [s.id for s in wf.submissions(state="approved")] == [b.id]
    assert wf.submissions(author="nobody") == []
    assert len(wf.submissions(limit=2)) == 2
    with pytest.raises(InputError, match="allowed"):
        wf.submissions(state="lost")
