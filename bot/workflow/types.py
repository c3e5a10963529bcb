"""What the workflow hands out: plain frozen values, never live ORM rows.

Adapters (CLI, Slack, Teams) render these; they cannot accidentally write to
the database through them, and they stay valid after the session closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.errors import InputError
from bot.verdict import Verdict

#: Platforms an actor can come from; approver lists are kept per platform.
PLATFORMS: tuple[str, ...] = ("cli", "slack", "teams", "web")

#: Approver verbs and the state each one leads to.
DECISIONS: dict[str, str] = {
    "approve": "approved",
    "changes": "changes_requested",
    "reject": "rejected",
}
_DECISION_ALIASES: dict[str, str] = {
    "approve": "approve",
    "approved": "approve",
    "changes": "changes",
    "changes_requested": "changes",
    "request_changes": "changes",
    "reject": "reject",
    "rejected": "reject",
}


def parse_decision(value: str) -> str:
    """Normalise ``approve|changes|reject`` (and the state names) to the verb."""
    verb = _DECISION_ALIASES.get(value.strip().lower().replace("-", "_"))
    if verb is None:
        raise InputError(f"unknown decision {value!r}; allowed: approve, changes, reject")
    return verb


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True, slots=True)
class Actor:
    """Someone acting on the queue: ``Actor("slack", "U123", "Sam")``."""

    platform: str
    id: str
    name: str | None = None

    def __post_init__(self) -> None:
        if self.platform not in PLATFORMS:
            raise InputError(f"unknown platform {self.platform!r}; allowed: {', '.join(PLATFORMS)}")
        if not self.id or not self.id.strip() or self.id != self.id.strip():
            raise InputError("a user id is required (no surrounding spaces)")

    def __str__(self) -> str:
        return self.id if not self.name else f"{self.name} ({self.id})"


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """One approver's decision; ``final`` is False for the first of two approvals."""

    decision: str
    final: bool
    by: Actor
    note: str | None
    at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "final": self.final,
            "by": self.by.id,
            "by_platform": self.by.platform,
            "by_name": self.by.name,
            "note": self.note,
            "at": _iso(self.at),
        }


@dataclass(frozen=True, slots=True)
class Submission:
    """A draft in the approval queue, as stored.

    ``text`` is None once retention purged it. ``decided_by``/``decided_at``
    are set for every closed state (the author for ``withdrawn``; nobody, but
    a time, for ``expired``).
    """

    id: str
    state: str
    text: str | None
    channel: str
    author: Actor
    verdict: Verdict
    note: str | None
    predecessor_id: str | None
    approvals_needed: int
    created_at: datetime
    updated_at: datetime
    decided_at: datetime | None = None
    decided_by: Actor | None = None
    decision_note: str | None = None
    message_refs: dict[str, Any] = field(default_factory=dict)
    decisions: tuple[DecisionRecord, ...] = ()
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None
    redacted_at: datetime | None = None
    purged_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.state == "pending"

    @property
    def review_decision(self) -> str:
        return self.verdict.decision.label

    @property
    def approvals(self) -> tuple[DecisionRecord, ...]:
        return tuple(d for d in self.decisions if d.decision == "approve")

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of ``queue submit|show|decide --json``.

        ``note`` is the latest word on the submission: the decision note once
        there is one, else the author's note; ``author_note`` and
        ``decision_note`` give each unambiguously.
        """
        return {
            "id": self.id,
            "state": self.state,
            "author": self.author.id,
            "author_platform": self.author.platform,
            "author_name": self.author.name,
            "decided_by": self.decided_by.id if self.decided_by else None,
            "decided_by_platform": self.decided_by.platform if self.decided_by else None,
            "decided_by_name": self.decided_by.name if self.decided_by else None,
            "decided_at": _iso(self.decided_at),
            "note": self.decision_note if self.decision_note is not None else self.note,
            "author_note": self.note,
            "decision_note": self.decision_note,
            "channel": self.channel,
            "text": self.text,
            "review_decision": self.review_decision,
            "categories": self.verdict.categories,
            "policy_version": self.verdict.policy_version,
            "verdict": self.verdict.to_dict(),
            "predecessor_id": self.predecessor_id,
            "approvals_needed": self.approvals_needed,
            "decisions": [d.to_dict() for d in self.decisions],
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "reminded_at": _iso(self.reminded_at),
            "escalated_at": _iso(self.escalated_at),
            "redacted_at": _iso(self.redacted_at),
            "purged_at": _iso(self.purged_at),
            "message_refs": self.message_refs,
        }


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One line of the audit log: an attempt and what came of it."""

    id: int
    at: datetime
    submission_id: str | None
    action: str
    outcome: str
    reason: str | None
    actor: Actor | None
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": _iso(self.at),
            "submission_id": self.submission_id,
            "action": self.action,
            "outcome": self.outcome,
            "reason": self.reason,
            "actor": self.actor.id if self.actor else None,
            "actor_platform": self.actor.platform if self.actor else None,
            "actor_name": self.actor.name if self.actor else None,
            "detail": self.detail,
        }


@dataclass(slots=True)
class TickReport:
    """What one ``tick()`` pass did; all zero means the queue is quiet."""

    expired: list[str] = field(default_factory=list)
    reminded: list[str] = field(default_factory=list)
    escalated: list[str] = field(default_factory=list)
    redacted: list[str] = field(default_factory=list)
    purged: list[str] = field(default_factory=list)
    delivered: int = 0
    delivery_failures: int = 0
    given_up: int = 0
    keys_pruned: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "expired": self.expired,
            "reminded": self.reminded,
            "escalated": self.escalated,
            "redacted": self.redacted,
            "purged": self.purged,
            "delivered": self.delivered,
            "delivery_failures": self.delivery_failures,
            "given_up": self.given_up,
            "keys_pruned": self.keys_pruned,
        }
