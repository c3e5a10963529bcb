"""Stored rows as the workflow's public values: submissions with their decisions, audit records.

The store's ORM rows never leave :mod:`bot.workflow`; callers get frozen
values (:class:`~bot.workflow.types.Submission`, :class:`AuditRecord`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store import models as m
from bot.verdict import Verdict
from bot.workflow.types import Actor, AuditRecord, DecisionRecord, Submission


def load_views(s: Session, rows: list[m.Submission]) -> list[Submission]:
    """``rows`` as values, each with its decisions (one query for all of them)."""
    decisions: dict[str, list[DecisionRecord]] = {r.id: [] for r in rows}
    if rows:
        q = (
            select(m.Decision)
            .where(m.Decision.submission_id.in_(list(decisions)))
            .order_by(m.Decision.id)
        )
        for d in s.scalars(q):
            decisions[d.submission_id].append(
                DecisionRecord(
                    decision=d.decision,
                    final=d.final,
                    by=Actor(d.approver_platform, d.approver_id, d.approver_name),
                    note=d.note,
                    at=d.at,
                )
            )
    return [submission_view(r, tuple(decisions[r.id])) for r in rows]


def strip_verdict(verdict: dict[str, Any]) -> dict[str, Any]:
    """The verdict without anything quoting the draft (retention purge)."""
    out = dict(verdict)
    out["findings"] = [{**f, "quote": None} for f in verdict.get("findings", [])]
    out["rewrite"] = None
    out.pop("critique", None)
    return out


def submission_view(row: m.Submission, decisions: tuple[DecisionRecord, ...] = ()) -> Submission:
    """Freeze an ORM row into the public :class:`Submission` value."""
    decided_by = (
        Actor(row.decided_by_platform or "cli", row.decided_by, row.decided_by_name)
        if row.decided_by
        else None
    )
    return Submission(
        id=row.id,
        state=row.state,
        text=row.text,
        channel=row.channel,
        author=Actor(row.author_platform, row.author_id, row.author_name),
        verdict=Verdict.from_dict(row.verdict),
        note=row.note,
        predecessor_id=row.predecessor_id,
        approvals_needed=row.approvals_needed,
        created_at=row.created_at,
        updated_at=row.updated_at,
        decided_at=row.decided_at,
        decided_by=decided_by,
        decision_note=row.decision_note,
        message_refs=dict(row.message_refs or {}),
        decisions=decisions,
        reminded_at=row.reminded_at,
        escalated_at=row.escalated_at,
        redacted_at=row.redacted_at,
        purged_at=row.purged_at,
    )


def audit_record(row: m.AuditEntry) -> AuditRecord:
    """Freeze an audit row."""
    actor = (
        Actor(row.actor_platform or "cli", row.actor_id, row.actor_name) if row.actor_id else None
    )
    return AuditRecord(
        id=row.id,
        at=row.at,
        submission_id=row.submission_id,
        action=row.action,
        outcome=row.outcome,
        reason=row.reason,
        actor=actor,
        detail=dict(row.detail or {}),
    )
