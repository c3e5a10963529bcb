"""Why the workflow said no.

    Refusal                      carries a machine ``reason`` and the facts (who decided, when)
    ├── NotAnApprover            (WorkflowError, exit 3)
    ├── OwnDraft                 (WorkflowError, exit 3)
    ├── AlreadyDecided           (WorkflowError, exit 3) .decided_by, .decided_at, .state
    ├── SecondApproverRequired   (WorkflowError, exit 3) two-step: the first approver cannot also be the second
    ├── NotTheAuthor             (WorkflowError, exit 3) only the author withdraws or resubmits
    ├── UnknownSubmission        (InputError, exit 2)
    ├── NoteRequired             (InputError, exit 2) changes/reject need a note
    ├── JustificationRequired    (InputError, exit 2) a do_not_post draft needs the author's reason
    └── NotResubmittable         (InputError, exit 2) the predecessor is not awaiting changes

Every refusal is written to the audit log before it is raised, and a refusal
replayed through an idempotency key is raised again, identical.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from bot.errors import CanipostError, InputError, WorkflowError


class Refusal(CanipostError):
    """Base of everything the workflow refuses; ``to_dict()`` is the JSON shape."""

    reason: ClassVar[str] = "refused"

    def __init__(
        self,
        message: str,
        *,
        submission_id: str | None = None,
        state: str | None = None,
        decided_by: str | None = None,
        decided_at: datetime | None = None,
    ) -> None:
        super().__init__(message)
        self.submission_id = submission_id
        self.state = state
        self.decided_by = decided_by
        self.decided_at = decided_at

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": str(self),
            "reason": self.reason,
            "id": self.submission_id,
            "state": self.state,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
        }

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Refusal:
        """Rebuild a refusal stored with an idempotency key."""
        cls = _BY_REASON.get(str(data.get("reason")), Refusal)
        at = data.get("decided_at")
        return cls(
            str(data.get("error", "refused")),
            submission_id=data.get("id"),
            state=data.get("state"),
            decided_by=data.get("decided_by"),
            decided_at=datetime.fromisoformat(at) if at else None,
        )


class NotAnApprover(Refusal, WorkflowError):
    reason = "not_an_approver"


class OwnDraft(Refusal, WorkflowError):
    reason = "own_draft"


class AlreadyDecided(Refusal, WorkflowError):
    reason = "already_decided"


class SecondApproverRequired(Refusal, WorkflowError):
    reason = "second_approver_required"


class NotTheAuthor(Refusal, WorkflowError):
    reason = "not_the_author"


class UnknownSubmission(Refusal, InputError):
    reason = "not_found"


class NoteRequired(Refusal, InputError):
    reason = "note_required"


class JustificationRequired(Refusal, InputError):
    reason = "justification_required"


class NotResubmittable(Refusal, InputError):
    reason = "not_resubmittable"


_BY_REASON: dict[str, type[Refusal]] = {
    cls.reason: cls
    for cls in (
        NotAnApprover,
        OwnDraft,
        AlreadyDecided,
        SecondApproverRequired,
        NotTheAuthor,
        UnknownSubmission,
        NoteRequired,
        JustificationRequired,
        NotResubmittable,
    )
}
