"""The approval rules as pure functions: who may do what to a submission, and when.

No database and no clock here: the transaction bodies in
:mod:`bot.workflow.service` read a row and ask these functions, and so does
:meth:`Workflow.refusal_for_decision`, which lets a chat surface refuse at
the click what the workflow would refuse after a note was typed — the same
rules, not a copy of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

from bot.verdict import Severity, Verdict
from bot.workflow.errors import (
    AlreadyDecided,
    JustificationRequired,
    NotAnApprover,
    NoteRequired,
    NotResubmittable,
    NotTheAuthor,
    OwnDraft,
    Refusal,
    SecondApproverRequired,
)
from bot.workflow.settings import WorkflowSettings
from bot.workflow.types import Actor


class SubmissionState(Protocol):
    """What the rules read of a stored submission (an ORM row fits)."""

    id: str
    state: str
    author_id: str
    approvals_needed: int
    first_approved_by: str | None
    decided_by: str | None
    decided_by_name: str | None
    decided_at: datetime | None


def _when(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if at else "an unknown time"


def approvals_needed(verdict: Verdict, two_step_categories: Iterable[str]) -> int:
    """Two approvals when a risky finding is in a two-step category, else one."""
    risky = {f.category for f in verdict.findings if f.severity >= Severity.NEEDS_APPROVAL}
    return 2 if set(two_step_categories) & risky else 1


def auto_sends(settings: WorkflowSettings, verdict: Verdict) -> bool:
    """``workflow.auto_send``: a needs_approval draft goes to comms without a click."""
    return settings.auto_send and verdict.decision == Severity.NEEDS_APPROVAL


def already_closed(row: SubmissionState) -> AlreadyDecided:
    """The refusal for acting on a closed submission, saying who closed it and when."""
    who = row.decided_by
    if row.decided_by_name and who:
        who = f"{row.decided_by_name} ({who})"
    when = _when(row.decided_at)
    if row.state == "expired":
        msg = f"{row.id} already expired at {when} without a decision"
    elif row.state == "withdrawn":
        msg = f"{row.id} was already withdrawn by {who} at {when}"
    else:
        msg = f"{row.id} was already decided: {row.state.replace('_', ' ')} by {who} at {when}"
    return AlreadyDecided(
        msg,
        submission_id=row.id,
        state=row.state,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
    )


def submit_refusal(
    verdict: Verdict,
    note: str | None,
    author: Actor,
    predecessor: SubmissionState | None = None,
) -> Refusal | None:
    """Why this submission (or resubmission of ``predecessor``) is refused, if it is."""
    if verdict.decision >= Severity.DO_NOT_POST and not note:
        return JustificationRequired(
            "this draft was judged do_not_post: submitting it needs your justification (--note)"
        )
    if predecessor is None:
        return None
    pred = predecessor.id
    if predecessor.author_id != author.id:
        return NotTheAuthor(
            f"{pred} is not yours: only its author can resubmit it", submission_id=pred
        )
    if predecessor.state != "changes_requested":
        return NotResubmittable(
            f"{pred} is {predecessor.state}; only a submission with changes requested "
            "can be resubmitted",
            submission_id=pred,
            state=predecessor.state,
        )
    return None


def decide_refusal(
    row: SubmissionState,
    by: Actor,
    *,
    is_approver: bool,
    verb: str | None = None,
    note: str | None = None,
) -> Refusal | None:
    """Why ``by`` may not decide ``verb`` on ``row`` now; ``verb=None`` checks the person only.

    In order: not an approver, their own draft, already closed, a note missing
    for changes/reject, the same approver twice on a two-step approval.
    """
    sid = row.id
    if not is_approver:
        return NotAnApprover(
            f"{by.id} is not an approver on {by.platform} "
            f"(approvers.{by.platform} / approvers.any / CANIPOST_APPROVERS)",
            submission_id=sid,
            state=row.state,
        )
    if by.id == row.author_id:
        return OwnDraft(
            f"{by.id} cannot decide on their own draft {sid}; another approver must",
            submission_id=sid,
            state=row.state,
        )
    if row.state != "pending":
        return already_closed(row)
    if verb is not None and verb != "approve" and note is None:
        what = "request changes" if verb == "changes" else "reject"
        return NoteRequired(
            f"a note is required to {what}: tell the author why (--note)",
            submission_id=sid,
            state=row.state,
        )
    if verb == "approve" and row.approvals_needed > 1 and row.first_approved_by == by.id:
        return second_approver_required(row, by)
    return None


def second_approver_required(row: SubmissionState, by: Actor) -> SecondApproverRequired:
    return SecondApproverRequired(
        f"{row.id} needs a second approval from a different approver; {by.id} gave the first",
        submission_id=row.id,
        state=row.state,
    )


def withdraw_refusal(row: SubmissionState, by: Actor) -> Refusal | None:
    """Why ``by`` may not withdraw ``row``: only its author may, and only while pending."""
    if by.id != row.author_id:
        return NotTheAuthor(
            f"only the author ({row.author_id}) can withdraw {row.id}",
            submission_id=row.id,
            state=row.state,
        )
    if row.state != "pending":
        return already_closed(row)
    return None
