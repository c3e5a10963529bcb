"""The approval workflow: submit, decide, withdraw, tick — platform-neutral.

Slack, Teams and the CLI translate their events into these calls and render
what comes back; the rules live here, once:

    wf = Workflow(open_store(), config=load_config(), notifier=PrintNotifier())
    sub = wf.submit(text=draft, verdict=review(Draft(draft), config=cfg),
                    author=Actor("cli", "alice"))
    wf.decide(sub.id, "approve", by=Actor("cli", "bob"))

Guarantees, and how they are kept:

* Nothing acknowledged is lost: a call returns only after its transaction
  committed; notifications are written to an outbox in that same transaction
  and sent after commit, so a crash or a Slack outage delays a message but
  never loses or undoes a submission or decision.
* First decision wins: the state change is ``UPDATE ... WHERE state =
  'pending'``; the database lets exactly one such update through, and the
  loser is told who decided and when (:class:`AlreadyDecided`).
* Every attempt, allowed or refused, is in the append-only audit log.
* Idempotency: a call given an ``idempotency_key`` already used returns the
  first call's result (or raises its refusal again) and changes nothing.
* ``tick()`` is safe to run from many workers at once: each reminder,
  escalation, expiry and purge is claimed by a conditional update (plus
  ``FOR UPDATE SKIP LOCKED`` on PostgreSQL) before anything is sent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from bot.config import Config
from bot.errors import InputError
from bot.store import dialect
from bot.store import models as m
from bot.store.database import Store
from bot.verdict import Verdict, normalise_channel
from bot.workflow import rules
from bot.workflow.errors import (
    Refusal,
    UnknownSubmission,
)
from bot.workflow.ids import new_id, normalise_id
from bot.workflow.notifier import Notifier
from bot.workflow.runner import Outcome, Runner, StoreBusy
from bot.workflow.settings import WorkflowSettings
from bot.workflow.types import (
    DECISIONS,
    Actor,
    AuditRecord,
    Submission,
    parse_decision,
)
from bot.workflow.views import audit_record, submission_view

log = logging.getLogger(__name__)

#: Longest draft accepted; every network's limit is far below this.
MAX_TEXT = 40_000


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _clean(note: str | None) -> str | None:
    note = (note or "").strip()
    return note or None


class Workflow(Runner):
    """The approval queue over a :class:`~bot.store.Store`; share one per process.

    ``is_approver`` lets a platform widen the configured check (e.g. Slack
    user-group membership); by default an actor is an approver when their id
    is listed for their platform, under ``approvers.any``, in
    ``CANIPOST_APPROVERS``, or among the ``approvers.backup`` who get escalations.
    """

    def __init__(
        self,
        store: Store,
        *,
        config: Config | None = None,
        notifier: Notifier | None = None,
        settings: WorkflowSettings | None = None,
        clock: Callable[[], datetime] | None = None,
        is_approver: Callable[[Actor], bool] | None = None,
        inline: bool = True,
    ) -> None:
        """``inline=False``: submit, decide and withdraw only queue their notifications, and
        :meth:`deliver_pending` (the server's outbox pump) and :meth:`tick` send them — so a
        chat platform's ack never waits on a chat API, with one workflow per process."""
        self.store = store
        self.inline = inline
        self.config = config or Config()
        self.settings = settings or WorkflowSettings.from_config(self.config)
        self.notifier = notifier
        self._now = clock or _utcnow
        self._is_approver = is_approver or self.is_configured_approver

    # ------------------------------------------------------------------ who may act

    def is_configured_approver(self, actor: Actor) -> bool:
        """True when the config (or ``CANIPOST_APPROVERS``) lists ``actor`` as an approver."""
        approvers = self.config.approvers
        return actor.id in approvers.ids_for(actor.platform) or actor.id in approvers.backup

    def is_approver(self, actor: Actor) -> bool:
        """May ``actor`` decide here: the hook given (a Slack workspace's approver user
        group, the dashboard's web approvers), else :meth:`is_configured_approver`."""
        return self._is_approver(actor)

    def _own(self, row: m.Submission | None) -> m.Submission | None:
        """``row`` when it belongs to this workflow's workspace; another's is unknown here."""
        return row if row is not None and row.workspace == self.config.workspace else None

    def _approvals_needed(self, verdict: Verdict) -> int:
        return rules.approvals_needed(verdict, self.config.approvers.two_step_categories)

    def auto_sends(self, verdict: Verdict) -> bool:
        """Whether a chat surface sends this verdict to comms without asking (``auto_send``)."""
        return rules.auto_sends(self.settings, verdict)

    def refusal_for_decision(self, submission_id: str, by: Actor) -> Refusal | None:
        """What :meth:`decide` would refuse ``by`` now, before any note is asked for.

        Not audited (nothing was attempted); :meth:`decide` still checks again.
        """
        sid = normalise_id(submission_id)
        with self.store.read() as s:
            row = self._own(s.get(m.Submission, sid))
            if row is None:
                return UnknownSubmission(f"unknown submission {sid!r}", submission_id=sid)
            return rules.decide_refusal(row, by, is_approver=self._is_approver(by))

    # ------------------------------------------------------------------ commands

    def submit(
        self,
        *,
        text: str,
        verdict: Verdict,
        author: Actor,
        channel: str = "any",
        note: str | None = None,
        predecessor_id: str | None = None,
        message_refs: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> Submission:
        """Queue ``text`` for approval with the verdict it got; return the stored submission.

        Any draft may be submitted; a ``do_not_post`` one needs ``note`` (the
        author's justification). ``predecessor_id`` links a resubmission to
        the submission that asked for changes.
        """
        if not text or not text.strip():
            raise InputError("the draft is empty")
        if len(text) > MAX_TEXT:
            raise InputError(f"the draft is too long ({len(text)} characters; limit {MAX_TEXT})")
        try:
            channel = normalise_channel(channel)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        note = _clean(note)
        pred = normalise_id(predecessor_id) if predecessor_id else None

        def body(s: Session, now: datetime) -> Outcome:
            return self._submit_tx(s, now, text, verdict, author, channel, note, pred, message_refs)

        return self._run("submit", idempotency_key, body)

    def decide(
        self,
        submission_id: str,
        decision: str,
        *,
        by: Actor,
        note: str | None = None,
        idempotency_key: str | None = None,
    ) -> Submission:
        """Record ``approve``, ``changes`` or ``reject`` by ``by``; first decision wins.

        Raises a :class:`Refusal` (after auditing it) when ``by`` is not an
        approver, is the author, the submission is closed, or a note is missing.
        With two-step approval the first ``approve`` returns the still-pending
        submission and a second, different approver completes it.
        """
        verb = parse_decision(decision)
        sid = normalise_id(submission_id)
        note = _clean(note)

        ran: list[bool] = []

        def body(s: Session, now: datetime) -> Outcome:
            ran.append(True)
            return self._decide_tx(s, now, sid, verb, by, note)

        sub = self._run("decide", idempotency_key, body)
        if ran:  # recorded now, not replayed from an earlier delivery
            self._decision_as_feedback(sub, verb, by, note)
        return sub

    def _decision_as_feedback(
        self, sub: Submission, verb: str, by: Actor, note: str | None
    ) -> None:
        """Every approver's decision on a submitted draft becomes confirmed feedback (issue 10),
        which the organisation's model learns from; a failure here never undoes the decision."""
        if not sub.text:
            return
        try:
            from bot.feedback import record_decision

            record_decision(
                self.store,
                self.config,
                submission_id=sub.id,
                text=sub.text,
                decision=verb,
                rules_decision=sub.review_decision,
                by=by.id,
                platform=by.platform,
                categories=None if verb == "approve" else list(sub.verdict.categories),
                note=note,
            )
        except Exception as exc:
            log.warning("decision on %s not kept as feedback: %s", sub.id, type(exc).__name__)

    def withdraw(
        self,
        submission_id: str,
        *,
        by: Actor,
        note: str | None = None,
        idempotency_key: str | None = None,
    ) -> Submission:
        """Withdraw a pending submission; only its author may."""
        sid = normalise_id(submission_id)
        note = _clean(note)

        def body(s: Session, now: datetime) -> Outcome:
            return self._withdraw_tx(s, now, sid, by, note)

        return self._run("withdraw", idempotency_key, body)

    def set_message_refs(self, submission_id: str, refs: dict[str, Any]) -> None:
        """Merge platform message references (card ids) into the submission."""
        sid = normalise_id(submission_id)
        with self.store.write() as s:
            row = s.get(m.Submission, sid, with_for_update=True)
            if row is None:
                raise UnknownSubmission(f"unknown submission {sid!r}", submission_id=sid)
            row.message_refs = {**(row.message_refs or {}), **refs}

    # ------------------------------------------------------------------ queries

    def get(self, submission_id: str) -> Submission:
        """The submission with its decisions; :class:`UnknownSubmission` if there is none."""
        sid = normalise_id(submission_id)
        with self.store.read() as s:
            row = self._own(s.get(m.Submission, sid))
            if row is None:
                raise UnknownSubmission(f"unknown submission {sid!r}", submission_id=sid)
            return self._views(s, [row])[0]

    def submissions(
        self, *, state: str | None = None, author: str | None = None, limit: int = 50
    ) -> list[Submission]:
        """Submissions, newest first, optionally only one state or one author's."""
        if state is not None and state not in m.STATES:
            raise InputError(f"unknown state {state!r}; allowed: {', '.join(m.STATES)}")
        q = (
            select(m.Submission)
            .where(m.Submission.workspace == self.config.workspace)
            .order_by(m.Submission.created_at.desc(), m.Submission.id)
        )
        if state:
            q = q.where(m.Submission.state == state)
        if author:
            q = q.where(m.Submission.author_id == author)
        with self.store.read() as s:
            return self._views(s, list(s.scalars(q.limit(max(1, limit)))))

    def audit_trail(self, submission_id: str) -> list[AuditRecord]:
        """Every attempt on one submission, oldest first."""
        sid = normalise_id(submission_id)
        with self.store.read() as s:
            rows = s.scalars(
                select(m.AuditEntry)
                .where(m.AuditEntry.submission_id == sid)
                .where(m.AuditEntry.workspace == self.config.workspace)
                .order_by(m.AuditEntry.id)
            )
            return [audit_record(r) for r in rows]

    # ------------------------------------------------------------------ transaction bodies

    def _submit_tx(
        self,
        s: Session,
        now: datetime,
        text: str,
        verdict: Verdict,
        author: Actor,
        channel: str,
        note: str | None,
        pred: str | None,
        message_refs: dict[str, Any] | None,
    ) -> Outcome:
        detail: dict[str, Any] = {"review_decision": verdict.decision.label, "channel": channel}

        def refuse(err: Refusal) -> Outcome:
            self._audit(s, now, "submit", err.submission_id, author, "refused", err.reason, detail)
            return Outcome(refusal=err)

        prev = self._own(s.get(m.Submission, pred)) if pred is not None else None
        refusal = rules.submit_refusal(verdict, note, author, prev)
        if refusal is None and pred is not None and prev is None:
            refusal = UnknownSubmission(f"unknown submission {pred!r}", submission_id=pred)
        if refusal is not None:
            return refuse(refusal)
        if pred is not None:
            detail["predecessor_id"] = pred
        needed = self._approvals_needed(verdict)
        row = m.Submission(
            id=new_id(),
            text=text,
            channel=channel,
            author_platform=author.platform,
            author_id=author.id,
            author_name=author.name,
            verdict=verdict.to_dict(),
            review_decision=verdict.decision.label,
            policy_version=verdict.policy_version,
            state="pending",
            note=note,
            predecessor_id=pred,
            approvals_needed=needed,
            created_at=now,
            updated_at=now,
            message_refs=dict(message_refs or {}),
            workspace=self.config.workspace,
        )
        s.add(row)
        s.flush()  # a (vanishingly rare) id collision raises here and _run retries
        detail["approvals_needed"] = needed
        self._audit(s, now, "submit", row.id, author, "ok", None, detail)
        nid = self._enqueue(s, now, row.id, "submitted")
        view = submission_view(row)  # fresh: no decisions to load
        log.info(
            "submitted %s (%s, %s) by %s:%s",
            row.id,
            row.review_decision,
            channel,
            author.platform,
            author.id,
        )
        return Outcome(submission=view, notify="submitted", notification_id=nid)

    def _decide_tx(
        self, s: Session, now: datetime, sid: str, verb: str, by: Actor, note: str | None
    ) -> Outcome:
        detail: dict[str, Any] = {"decision": verb}

        def refuse(err: Refusal) -> Outcome:
            self._audit(s, now, "decide", sid, by, "refused", err.reason, detail)
            log.info("decide %s by %s:%s refused: %s", sid, by.platform, by.id, err.reason)
            return Outcome(refusal=err)

        row = self._own(s.get(m.Submission, sid))
        if row is None:
            return refuse(UnknownSubmission(f"unknown submission {sid!r}", submission_id=sid))
        refusal = rules.decide_refusal(
            row, by, is_approver=self._is_approver(by), verb=verb, note=note
        )
        if refusal is not None:
            return refuse(refusal)
        pending = m.Submission.state == "pending"
        for _ in range(3):
            if verb == "approve" and row.approvals_needed > 1 and row.first_approved_by is None:
                first = s.execute(
                    update(m.Submission)
                    .where(
                        m.Submission.id == sid, pending, m.Submission.first_approved_by.is_(None)
                    )
                    .values(first_approved_by=by.id, updated_at=now)
                    .execution_options(synchronize_session=False)
                )
                if dialect.rowcount(first) == 1:
                    self._record_decision(s, now, sid, verb, by, note, final=False)
                    detail.update(step=1, of=row.approvals_needed)
                    self._audit(s, now, "decide", sid, by, "ok", None, detail)
                    nid = self._enqueue(s, now, sid, "first_approval")
                    log.info("first approval of %s by %s:%s", sid, by.platform, by.id)
                    return Outcome(
                        submission=self._reload(s, sid),
                        notify="first_approval",
                        notification_id=nid,
                    )
            elif verb == "approve" and row.approvals_needed > 1:
                if row.first_approved_by == by.id:
                    return refuse(rules.second_approver_required(row, by))
                if self._close(s, now, sid, "approved", by, note, pending, second_of=row):
                    detail.update(step=2, of=row.approvals_needed, state="approved")
                    return self._closed(s, now, sid, verb, by, note, detail)
            elif self._close(s, now, sid, DECISIONS[verb], by, note, pending):
                detail["state"] = DECISIONS[verb]
                return self._closed(s, now, sid, verb, by, note, detail)
            # Lost a race: see what the winner did.
            log.debug("decide %s: conditional update lost to a concurrent writer", sid)
            row = s.get(m.Submission, sid, populate_existing=True)
            assert row is not None
            if row.state != "pending":
                return refuse(rules.already_closed(row))
        raise StoreBusy(f"{sid}: could not record the decision after repeated conflicts")

    def _close(
        self,
        s: Session,
        now: datetime,
        sid: str,
        state: str,
        by: Actor,
        note: str | None,
        pending: ColumnElement[bool],
        second_of: m.Submission | None = None,
    ) -> bool:
        """The conditional update at the heart of "first decision wins"."""
        cond = [m.Submission.id == sid, pending]
        if second_of is not None:
            cond.append(m.Submission.first_approved_by == second_of.first_approved_by)
        result = s.execute(
            update(m.Submission)
            .where(*cond)
            .values(
                state=state,
                decided_at=now,
                decided_by=by.id,
                decided_by_platform=by.platform,
                decided_by_name=by.name,
                decision_note=note,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        return dialect.rowcount(result) == 1

    def _closed(
        self,
        s: Session,
        now: datetime,
        sid: str,
        verb: str,
        by: Actor,
        note: str | None,
        detail: dict[str, Any],
    ) -> Outcome:
        self._record_decision(s, now, sid, verb, by, note, final=True)
        self._audit(s, now, "decide", sid, by, "ok", None, detail)
        nid = self._enqueue(s, now, sid, "decided")
        row = s.get(m.Submission, sid, populate_existing=True)
        assert row is not None
        self._maybe_redact(s, now, row)
        log.info("decided %s: %s by %s:%s", sid, row.state, by.platform, by.id)
        return Outcome(submission=self._views(s, [row])[0], notify="decided", notification_id=nid)

    def _withdraw_tx(
        self, s: Session, now: datetime, sid: str, by: Actor, note: str | None
    ) -> Outcome:
        def refuse(err: Refusal) -> Outcome:
            self._audit(s, now, "withdraw", sid, by, "refused", err.reason, None)
            return Outcome(refusal=err)

        row = self._own(s.get(m.Submission, sid))
        if row is None:
            return refuse(UnknownSubmission(f"unknown submission {sid!r}", submission_id=sid))
        for _ in range(2):
            refusal = rules.withdraw_refusal(row, by)
            if refusal is not None:
                return refuse(refusal)
            if self._close(s, now, sid, "withdrawn", by, note, m.Submission.state == "pending"):
                self._audit(s, now, "withdraw", sid, by, "ok", None, {"state": "withdrawn"})
                nid = self._enqueue(s, now, sid, "withdrawn")
                row = s.get(m.Submission, sid, populate_existing=True)
                assert row is not None
                self._maybe_redact(s, now, row)
                log.info("withdrawn %s by %s:%s", sid, by.platform, by.id)
                return Outcome(
                    submission=self._views(s, [row])[0], notify="withdrawn", notification_id=nid
                )
            row = s.get(m.Submission, sid, populate_existing=True)
            assert row is not None
        return refuse(rules.already_closed(row))

    # ------------------------------------------------------------------ helpers in a transaction

    def _reload(self, s: Session, sid: str) -> Submission:
        row = s.get(m.Submission, sid, populate_existing=True)
        assert row is not None
        return self._views(s, [row])[0]

    def _record_decision(
        self,
        s: Session,
        now: datetime,
        sid: str,
        verb: str,
        by: Actor,
        note: str | None,
        *,
        final: bool,
    ) -> None:
        s.add(
            m.Decision(
                submission_id=sid,
                decision=verb,
                final=final,
                approver_platform=by.platform,
                approver_id=by.id,
                approver_name=by.name,
                note=note,
                at=now,
            )
        )
