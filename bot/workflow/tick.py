"""The tick: one pass of expiry, reminders, escalation, retention purge, key pruning and
outbox retries — safe to run from several workers at once (each transition is claimed
by a conditional update, plus ``FOR UPDATE SKIP LOCKED`` on PostgreSQL).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, select, update

from bot.store import dialect
from bot.store import models as m
from bot.workflow.base import Pending
from bot.workflow.outbox import Outbox
from bot.workflow.types import TickReport
from bot.workflow.views import strip_verdict

#: The workflow's own logger name, whichever part logs.
log = logging.getLogger("bot.workflow.service")

#: Idempotency keys outlive every platform's retry window by far.
KEY_TTL = timedelta(days=7)
#: Rows claimed per statement by tick(), so one pass never holds long locks.
BATCH = 200


class Tick(Outbox):
    """Time-driven transitions of pending submissions, and the retention purge."""

    def tick(self, now: datetime | None = None) -> TickReport:
        """One pass: expire, remind, escalate, purge, prune keys, retry notifications.

        Safe to run concurrently from several workers: each transition is
        claimed by exactly one of them.
        """
        now = now or self._now()
        report = TickReport()
        st = self.settings
        pending = m.Submission.state == "pending"
        created = m.Submission.created_at
        if st.expire_after:
            report.expired = self._claim(
                now,
                "expire",
                "expired",
                and_(pending, created <= now - st.expire_after),
                {"state": "expired", "decided_at": now, "updated_at": now},
            )
        if st.reminder_after:
            report.reminded = self._claim(
                now,
                "remind",
                "reminder",
                and_(
                    pending, m.Submission.reminded_at.is_(None), created <= now - st.reminder_after
                ),
                {"reminded_at": now},
            )
        if st.escalate_after:
            report.escalated = self._claim(
                now,
                "escalate",
                "escalation",
                and_(
                    pending, m.Submission.escalated_at.is_(None), created <= now - st.escalate_after
                ),
                {"escalated_at": now},
            )
        if st.redact_on_decision:
            report.redacted = self._redact_closed(now)
        if st.retention:
            report.purged = self._purge(now, now - st.retention)
            self._purge_elsewhere(now, st.retention)
        with self.store.write() as s:
            res = s.execute(
                delete(m.IdempotencyKey).where(m.IdempotencyKey.created_at < now - KEY_TTL)
            )
            report.keys_pruned = dialect.rowcount(res)
        report.delivered, report.delivery_failures, report.given_up = self.deliver_pending(now=now)
        if report.expired or report.reminded or report.escalated or report.purged:
            log.info(
                "tick: %d expired, %d reminded, %d escalated, %d purged",
                len(report.expired),
                len(report.reminded),
                len(report.escalated),
                len(report.purged),
            )
        return report

    def _purge_elsewhere(self, now: datetime, retention: timedelta) -> None:
        """Retention covers more than submissions: policy threads and feedback reports too.

        Each purge is its own small transaction and best effort: a failure is
        logged and retried on the next tick, never stops the queue's own work.
        """
        from bot.ask.threads import purge_turns
        from bot.feedback import purge_expired

        for name, purge in (
            ("ask turns", lambda: purge_turns(self.store, retention=retention, now=now)),
            ("feedback", lambda: purge_expired(self.store, self.config, now=now)),
        ):
            try:
                purge()
            except Exception as exc:
                log.warning("tick: %s not purged: %s", name, type(exc).__name__)

    def _claim(
        self,
        now: datetime,
        action: str,
        kind: str,
        cond: ColumnElement[bool],
        values: dict[str, Any],
    ) -> list[str]:
        """Claim due rows with one conditional update per batch; audit and enqueue each."""
        done: list[str] = []
        while True:
            with self.store.write() as s:
                candidates = list(
                    s.scalars(
                        select(m.Submission.id)
                        .where(cond)
                        .order_by(m.Submission.created_at)
                        .limit(BATCH)
                        .with_for_update(skip_locked=True)
                    )
                )
                if not candidates:
                    break
                claimed = list(
                    s.scalars(
                        update(m.Submission)
                        .where(m.Submission.id.in_(candidates), cond)
                        .values(**values)
                        .returning(m.Submission.id)
                        .execution_options(synchronize_session=False)
                    )
                )
                nids: dict[str, int] = {}
                for sid in claimed:
                    self._audit(s, now, action, sid, None, "ok", None, None)
                    nids[sid] = self._enqueue(s, now, sid, kind, send_now=True)
                    if action == "expire" and self.settings.redact_on_decision:
                        row = s.get(m.Submission, sid, populate_existing=True)
                        if row is not None:
                            self._maybe_redact(s, now, row)
                pending: list[Pending] = []
                if self.notifier is not None and claimed:
                    rows = list(
                        s.scalars(
                            select(m.Submission)
                            .where(m.Submission.id.in_(claimed))
                            .execution_options(populate_existing=True)
                        )
                    )
                    pending = [Pending(nids[v.id], kind, 1, v) for v in self._views(s, rows)]
            done.extend(claimed)
            self._deliver(pending)
            if len(candidates) < BATCH:
                break
        return done

    def _redact_closed(self, now: datetime) -> list[str]:
        """Catch up on closed submissions not yet redacted (e.g. closed before the switch)."""
        done: list[str] = []
        with self.store.write() as s:
            rows = s.scalars(
                select(m.Submission)
                .where(
                    m.Submission.state != "pending",
                    m.Submission.redacted_at.is_(None),
                    m.Submission.purged_at.is_(None),
                    m.Submission.review_decision != "ok",
                )
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
            for row in rows:
                if self._maybe_redact(s, now, row):
                    done.append(row.id)
        return done

    def _purge(self, now: datetime, cutoff: datetime) -> list[str]:
        """Drop draft text and quotes of long-closed submissions; keep who decided what.

        Notes are free text typed by people ("approved: Mrs X's family agreed"), so
        they can carry the same personal data as the draft and go with it unless
        ``workflow.purge_notes`` is off. The decision, its author and time stay.
        """
        done: list[str] = []
        closed_at = func.coalesce(m.Submission.decided_at, m.Submission.created_at)
        while True:
            with self.store.write() as s:
                rows = list(
                    s.scalars(
                        select(m.Submission)
                        .where(
                            m.Submission.state != "pending",
                            m.Submission.purged_at.is_(None),
                            closed_at <= cutoff,
                        )
                        .order_by(m.Submission.created_at)
                        .limit(BATCH)
                        .with_for_update(skip_locked=True)
                    )
                )
                purge_notes = self.settings.purge_notes
                for row in rows:
                    row.text = None
                    row.verdict = strip_verdict(row.verdict)
                    row.purged_at = now
                    if purge_notes:
                        row.note = row.decision_note = None
                    self._audit(s, now, "purge", row.id, None, "ok", None, {"notes": purge_notes})
                    done.append(row.id)
                if purge_notes and rows:
                    s.execute(
                        update(m.Decision)
                        .where(m.Decision.submission_id.in_([r.id for r in rows]))
                        .values(note=None)
                        .execution_options(synchronize_session=False)
                    )
            if len(rows) < BATCH:
                break
        return done


# ---------------------------------------------------------------------- module helpers
