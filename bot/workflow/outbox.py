"""The outbox: notifications written in the same transaction as the change that causes them,
sent after commit, retried with back-off until they go out or are given up (and audited).

A notifier that raises never undoes stored state; each notification is claimed
by a conditional update before it is sent, so several workers never send it twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from bot.store import dialect
from bot.store import models as m
from bot.workflow.base import LEASE, MAX_ATTEMPTS, Pending, WorkflowBase
from bot.workflow.types import Submission

#: The workflow's own logger name, whichever part logs.
log = logging.getLogger("bot.workflow.service")


class Outbox(WorkflowBase):
    """Queue and deliver the workflow's notifications."""

    def _enqueue(
        self, s: Session, now: datetime, sid: str, kind: str, *, send_now: bool | None = None
    ) -> int:
        """Put a notification in the outbox; claimed at once when we will send it ourselves.

        Commands send their own notification after commit only when ``inline``; the
        tick (already off any request path) always does when there is a notifier.
        """
        if send_now is None:
            send_now = self.inline
        send_now = send_now and self.notifier is not None
        row = m.Notification(submission_id=sid, kind=kind, created_at=now, attempts=0)
        if send_now:
            row.claimed_until = now + LEASE
            row.attempts = 1
        s.add(row)
        s.flush()
        return row.id if send_now else -1

    def deliver_pending(
        self, *, now: datetime | None = None, limit: int = 500
    ) -> tuple[int, int, int]:
        """Send notifications still owed (failed earlier, or queued without a notifier).

        Returns ``(delivered, failed, given_up)``. Without a notifier nothing happens.
        """
        if self.notifier is None:
            return (0, 0, 0)
        now = now or self._now()
        sendable = and_(
            m.Notification.sent_at.is_(None),
            m.Notification.failed_at.is_(None),
            or_(m.Notification.claimed_until.is_(None), m.Notification.claimed_until < now),
        )
        with self.store.read() as s:
            ids = list(
                s.scalars(
                    select(m.Notification.id)
                    .where(sendable)
                    .order_by(m.Notification.id)
                    .limit(limit)
                )
            )
        claimed: list[int] = []
        for nid in ids:
            with self.store.write() as s:
                res = s.execute(
                    update(m.Notification)
                    .where(m.Notification.id == nid, sendable)
                    .values(claimed_until=now + LEASE, attempts=m.Notification.attempts + 1)
                    .execution_options(synchronize_session=False)
                )
                if dialect.rowcount(res) == 1:
                    claimed.append(nid)
        if not claimed:
            return (0, 0, 0)
        with self.store.read() as s:
            notes = list(
                s.scalars(
                    select(m.Notification)
                    .where(m.Notification.id.in_(claimed))
                    .order_by(m.Notification.id)
                )
            )
            subs = {
                r.id: r
                for r in s.scalars(
                    select(m.Submission).where(
                        m.Submission.id.in_({n.submission_id for n in notes})
                    )
                )
            }
            views = {v.id: v for v in self._views(s, list(subs.values()))}
        return self._deliver(
            Pending(n.id, n.kind, n.attempts, views[n.submission_id]) for n in notes
        )

    def _deliver(self, items: Iterable[Pending]) -> tuple[int, int, int]:
        """Send notifications we hold a claim on; record success or schedule a retry."""
        ok = failed = given_up = 0
        if self.notifier is None:
            return (0, 0, 0)
        for item in items:
            sid = item.submission.id
            try:
                refs = self._send(item.kind, item.submission)
            except Exception as exc:  # a notifier failure must never undo stored state
                failed += 1
                given_up += self._delivery_failed(item.id, sid, item.kind, item.attempts, exc)
                continue
            ok += 1
            now = self._now()
            with self.store.write() as s:
                s.execute(
                    update(m.Notification)
                    .where(m.Notification.id == item.id)
                    .values(sent_at=now, claimed_until=None, last_error=None)
                    .execution_options(synchronize_session=False)
                )
                if refs:
                    sub = s.get(m.Submission, sid, with_for_update=True)
                    if sub is not None:
                        sub.message_refs = {**(sub.message_refs or {}), **dict(refs)}
        return (ok, failed, given_up)

    def _send(self, kind: str, view: Submission) -> Any:
        n = self.notifier
        assert n is not None
        if kind == "escalation":
            return n.escalation(view, backup=tuple(self.config.approvers.backup))
        return getattr(n, kind)(view)

    def _delivery_failed(
        self, nid: int, sid: str, kind: str, attempts: int, exc: Exception
    ) -> bool:
        now = self._now()
        error = f"{type(exc).__name__}: {exc}"[:500]
        give_up = attempts >= MAX_ATTEMPTS
        retry_at = now + min(timedelta(minutes=2 ** max(attempts - 1, 0)), timedelta(hours=1))
        values: dict[str, Any] = {"last_error": error, "claimed_until": retry_at}
        if give_up:
            values.update(failed_at=now, claimed_until=None)
        with self.store.write() as s:
            s.execute(
                update(m.Notification)
                .where(m.Notification.id == nid)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if give_up:
                self._audit(
                    s,
                    now,
                    "notify",
                    sid,
                    None,
                    "failed",
                    "gave_up",
                    {"kind": kind, "attempts": attempts},
                )
        level = logging.ERROR if give_up else logging.WARNING
        log.log(
            level,
            "notification %s for %s failed (attempt %d): %s",
            kind,
            sid,
            attempts,
            type(exc).__name__,
        )
        return give_up
