"""How the queue talks to people: one method per message kind.

Slack and Teams implement :class:`Notifier`; the CLI uses
:class:`PrintNotifier`; tests use :class:`MemoryNotifier`, shipped here
beside the real ones. A method may return message references (e.g.
``{"slack": {"channel": "C1", "ts": "17.2"}}``) which the workflow merges
into the submission's ``message_refs``, so a later ``decided`` can update
the card that ``submitted`` posted.

Notifications are written to an outbox in the same transaction as the state
change that causes them and delivered after commit; a notifier that raises
is retried by the next ``tick()`` and never undoes the stored state.
Messages must not include draft text in logs; cards may show it.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TextIO, runtime_checkable

from bot.workflow.types import Submission

MessageRefs = Mapping[str, Any]

#: Message kinds, each a method of :class:`Notifier`.
KINDS: tuple[str, ...] = (
    "submitted",
    "first_approval",
    "decided",
    "withdrawn",
    "reminder",
    "escalation",
    "expired",
)


@runtime_checkable
class Notifier(Protocol):
    """What a platform adapter implements to carry queue messages."""

    def submitted(self, submission: Submission) -> MessageRefs | None:
        """A new draft awaits approvers."""

    def first_approval(self, submission: Submission) -> MessageRefs | None:
        """Two-step approval: one approval recorded, a second approver is needed."""

    def decided(self, submission: Submission) -> MessageRefs | None:
        """Approved, changes requested or rejected: tell the author (and update cards)."""

    def withdrawn(self, submission: Submission) -> MessageRefs | None:
        """The author withdrew it: approvers can stop looking."""

    def reminder(self, submission: Submission) -> MessageRefs | None:
        """Still pending after ``reminder_after_minutes``: nudge the approvers."""

    def escalation(self, submission: Submission, *, backup: Sequence[str]) -> MessageRefs | None:
        """Still pending after ``escalate_after_minutes``: tell the backup approvers."""

    def expired(self, submission: Submission) -> MessageRefs | None:
        """Closed without a decision: tell the author."""


def _age(submission: Submission) -> str:
    minutes = int((datetime.now(UTC) - submission.created_at).total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


class PrintNotifier:
    """The CLI's notifier: one line per message, never the draft text."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def _say(self, line: str) -> None:
        print(line, file=self._stream or sys.stderr, flush=True)

    def submitted(self, submission: Submission) -> MessageRefs | None:
        cats = ", ".join(submission.verdict.categories) or "no findings"
        need = " (two approvals needed)" if submission.approvals_needed > 1 else ""
        self._say(
            f"→ approvers: {submission.id} from {submission.author} awaits a decision "
            f"[review: {submission.review_decision}; {cats}]{need}"
        )
        return None

    def first_approval(self, submission: Submission) -> MessageRefs | None:
        first = submission.approvals[0].by if submission.approvals else "an approver"
        self._say(
            f"→ approvers: {submission.id} approved by {first}; a second approver must decide"
        )
        return None

    def decided(self, submission: Submission) -> MessageRefs | None:
        note = f": {submission.decision_note}" if submission.decision_note else ""
        self._say(
            f"→ {submission.author}: {submission.id} {submission.state.replace('_', ' ')} "
            f"by {submission.decided_by}{note}"
        )
        return None

    def withdrawn(self, submission: Submission) -> MessageRefs | None:
        self._say(f"→ approvers: {submission.id} withdrawn by {submission.author}")
        return None

    def reminder(self, submission: Submission) -> MessageRefs | None:
        self._say(f"→ approvers: reminder, {submission.id} has waited {_age(submission)}")
        return None

    def escalation(self, submission: Submission, *, backup: Sequence[str]) -> MessageRefs | None:
        who = ", ".join(backup) or "backup approvers (none configured)"
        self._say(f"→ {who}: escalation, {submission.id} has waited {_age(submission)}")
        return None

    def expired(self, submission: Submission) -> MessageRefs | None:
        self._say(f"→ {submission.author}: {submission.id} expired without a decision")
        return None


@dataclass
class MemoryNotifier:
    """A notifier for tests and demos: records ``(kind, submission_id)``; can fail on demand.

    ``fail_times[kind] = n`` makes the next ``n`` calls of that kind raise.
    """

    sent: list[tuple[str, str]] = field(default_factory=list)
    fail_times: dict[str, int] = field(default_factory=dict)
    refs: dict[str, Any] | None = None

    def _record(self, kind: str, submission: Submission) -> MessageRefs | None:
        if self.fail_times.get(kind, 0) > 0:
            self.fail_times[kind] -= 1
            raise ConnectionError(f"{kind} delivery failed (simulated)")
        self.sent.append((kind, submission.id))
        return {kind: self.refs} if self.refs is not None else None

    def kinds(self, submission_id: str) -> list[str]:
        return [k for k, sid in self.sent if sid == submission_id]

    def submitted(self, submission: Submission) -> MessageRefs | None:
        return self._record("submitted", submission)

    def first_approval(self, submission: Submission) -> MessageRefs | None:
        return self._record("first_approval", submission)

    def decided(self, submission: Submission) -> MessageRefs | None:
        return self._record("decided", submission)

    def withdrawn(self, submission: Submission) -> MessageRefs | None:
        return self._record("withdrawn", submission)

    def reminder(self, submission: Submission) -> MessageRefs | None:
        return self._record("reminder", submission)

    def escalation(self, submission: Submission, *, backup: Sequence[str]) -> MessageRefs | None:
        return self._record("escalation", submission)

    def expired(self, submission: Submission) -> MessageRefs | None:
        return self._record("expired", submission)
