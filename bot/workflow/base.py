"""What every part of the workflow shares: its store, settings, notifier and clock, and the
audit log every attempt is written to.

:class:`~bot.workflow.service.Workflow` is built from parts along its seams —
the outbox (:mod:`bot.workflow.outbox`), the tick (:mod:`bot.workflow.tick`),
the transaction runner (:mod:`bot.workflow.runner`), the commands and queries
(:mod:`bot.workflow.service`), the approval rules (:mod:`bot.workflow.rules`)
and the views (:mod:`bot.workflow.views`) — each a small class over this base.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot.config import Config
from bot.store import models as m
from bot.store.database import Store
from bot.verdict import Verdict
from bot.workflow.notifier import Notifier
from bot.workflow.redact import redact
from bot.workflow.settings import WorkflowSettings
from bot.workflow.types import Actor, Submission
from bot.workflow.views import load_views

log = logging.getLogger("bot.workflow.service")

#: A claimed notification not marked sent within this time is retried by tick().
LEASE = timedelta(minutes=2)
#: Delivery attempts before a notification is given up (and the failure audited).
MAX_ATTEMPTS = 6


@dataclass(frozen=True, slots=True)
class Pending:
    """A notification we hold a claim on, with what it is about."""

    id: int
    kind: str
    attempts: int
    submission: Submission


class WorkflowBase:
    """The state the workflow's parts share, and the helpers every transaction uses."""

    store: Store
    config: Config
    settings: WorkflowSettings
    notifier: Notifier | None
    inline: bool
    _now: Callable[[], datetime]

    def _audit(
        self,
        s: Session,
        now: datetime,
        action: str,
        sid: str | None,
        actor: Actor | None,
        outcome: str,
        reason: str | None,
        detail: dict[str, Any] | None,
    ) -> None:
        s.add(
            m.AuditEntry(
                at=now,
                submission_id=sid,
                action=action,
                outcome=outcome,
                reason=reason,
                actor_platform=actor.platform if actor else None,
                actor_id=actor.id if actor else None,
                actor_name=actor.name if actor else None,
                detail=dict(detail) if detail else None,
                workspace=self.config.workspace,
            )
        )

    def _maybe_redact(self, s: Session, now: datetime, row: m.Submission) -> bool:
        if not self.settings.redact_on_decision or not row.text or row.redacted_at:
            return False
        done = redact(row.text, Verdict.from_dict(row.verdict))
        if done is None:
            return False
        row.text, verdict = done
        row.verdict = verdict.to_dict()
        row.redacted_at = now
        self._audit(s, now, "redact", row.id, None, "ok", None, None)
        return True

    def _views(self, s: Session, rows: list[m.Submission]) -> list[Submission]:
        return load_views(s, rows)
