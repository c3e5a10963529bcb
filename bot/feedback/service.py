"""Feedback reports and stored organisation models, on the store (SQLite or PostgreSQL).

Every function takes the :class:`bot.store.Store` and the :class:`bot.config.Config` whose
``workspace`` scopes the data, so Slack workspaces and Teams tenants never see each other's
reports or models.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update

from bot.config import Config
from bot.errors import InputError, WorkflowError
from bot.store import Store
from bot.store.models import FeedbackRow, LearnedModelRow
from bot.text import check_draft
from bot.verdict import CATEGORIES, Draft, Severity

log = logging.getLogger("canipost.feedback")

DECISIONS: tuple[str, ...] = ("ok", "advise", "needs_approval", "do_not_post")
PLATFORMS: tuple[str, ...] = ("cli", "slack", "teams", "web")
#: What a workflow decision says the right decision was.
_DECIDED = {"reject": "do_not_post", "changes": "needs_approval"}
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


class NotAnApprover(WorkflowError):
    """Confirming or dismissing feedback is for approvers (exit 3)."""


class UnknownFeedback(InputError):
    """No feedback with that id in this workspace (exit 2)."""


@dataclass(frozen=True, slots=True)
class FeedbackItem:
    """A stored report, as the CLI, chat surfaces and dashboard show it (text redacted)."""

    id: str
    text: str
    expected: str
    categories: list[str]
    kind: str
    rules_decision: str
    rules_fired: list[str]
    status: str
    source: str
    by: str
    platform: str
    note: str | None
    submission_id: str | None
    created_at: datetime
    reviewed_by: str | None
    reviewed_at: datetime | None
    #: Per rule: the words it matched that are its own listed terms (None: not recorded).
    rules_matched: dict[str, list[str]] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "expected": self.expected,
            "categories": self.categories,
            "kind": self.kind,
            "rules_decision": self.rules_decision,
            "rules_fired": self.rules_fired,
            "status": self.status,
            "source": self.source,
            "by": self.by,
            "platform": self.platform,
            "note": self.note,
            "submission_id": self.submission_id,
            "created_at": self.created_at.isoformat(),
            "reviewed_by": self.reviewed_by,
            "reviewed_at": self.reviewed_at.isoformat() if self.reviewed_at else None,
        }


def _item(r: FeedbackRow) -> FeedbackItem:
    return FeedbackItem(
        r.id,
        r.text,
        r.expected,
        list(r.categories or []),
        r.kind,
        r.rules_decision,
        list(r.rules_fired or []),
        r.status,
        r.source,
        r.by_id,
        r.by_platform,
        r.note,
        r.submission_id,
        r.created_at,
        r.reviewed_by,
        r.reviewed_at,
        None if r.rules_matched is None else {k: list(v) for k, v in r.rules_matched.items()},
    )


def policy_words(config: Config, findings: list[Any]) -> dict[str, list[str]]:
    """Per rule that asked for approval or more: the words it matched that are its own
    listed terms (``"jury"``, ``"crown court"``), never free text a pattern captured.

    These are the policy's words, not the author's, so they may be kept although the stored
    draft is redacted: they let a confirmed false alarm ease that rule on sibling drafts
    only where it matched nothing else (:func:`bot.feedback.train._false_alarm_support`).
    """
    from bot.learned.layer import quote_key as _norm
    from bot.policy import load_policy
    from bot.policy.model import Matcher

    try:
        policy = load_policy(config)
    except Exception:  # a broken policy must not lose the report
        return {}
    out: dict[str, set[str]] = {}
    terms_of: dict[str, tuple[frozenset[str], tuple[str, ...]]] = {}
    for f in findings:
        if f.severity < Severity.NEEDS_APPROVAL or not f.quote or f.source != "rules":
            continue
        if f.rule not in terms_of:
            try:
                rule = policy.rule(f.rule)
            except (KeyError, LookupError, ValueError):
                continue
            exact: set[str] = set()
            starts: list[str] = []
            for name in getattr(rule, "__dataclass_fields__", {}):
                if name in ("exceptions", "skip_if"):
                    continue
                m = getattr(rule, name, None)
                if isinstance(m, Matcher):
                    for t in m.terms:
                        if t.endswith("*"):
                            starts.append(_norm(t[:-1]))
                        else:
                            exact.add(_norm(t))
            terms_of[f.rule] = (frozenset(exact), tuple(starts))
        exact_terms, prefixes = terms_of[f.rule]
        q = _norm(f.quote)
        if q in exact_terms or (" " not in q and any(q.startswith(p) for p in prefixes if p)):
            out.setdefault(f.rule, set()).add(q)
    return {r: sorted(ws) for r, ws in out.items()}


def is_approver(config: Config, platform: str, user: str) -> bool:
    """True when the config (or ``CANIPOST_APPROVERS``) lists ``user`` as an approver."""
    a = config.approvers
    return user in a.ids_for(platform) or user in a.backup


def validate(expected: str, categories: list[str] | None) -> tuple[str, list[str]]:
    """Check a report's decision and categories; raise InputError naming the allowed values."""
    exp = (expected or "").strip().lower()
    if exp not in DECISIONS:
        raise InputError(f"unknown decision {expected!r}; allowed: {', '.join(DECISIONS)}")
    cats: list[str] = []
    for c in categories or []:
        c2 = c.strip().lower()
        if c2 not in CATEGORIES:
            raise InputError(f"unknown category {c!r}; allowed: {', '.join(CATEGORIES)}")
        if c2 not in cats:
            cats.append(c2)
    return exp, cats


def _kind(expected: str, rules_decision: str) -> str:
    e, r = Severity.parse(expected), Severity.parse(rules_decision)
    if e < Severity.NEEDS_APPROVAL <= r:
        return "false_alarm"
    if r < Severity.NEEDS_APPROVAL <= e or (e == Severity.DO_NOT_POST and r < e):
        return "missed"
    return "agree" if e == r else "severity"


def redact_text(text: str, config: Config, findings: list[Any]) -> str:
    """The draft with personal data replaced by placeholders (the LLM's own redaction)."""
    from bot.llm.redaction import redact

    try:
        from bot.policy import load_policy

        names = tuple(load_policy(config).vocab.get("first_names", ()))
    except Exception:  # a broken policy must not lose the report; emails etc. still go
        names = ()
    return redact(
        text, org=config.organisation, first_names=names, findings=findings, config=config
    ).text


def add_feedback(
    store: Store,
    config: Config,
    *,
    text: str,
    expected: str,
    by: str,
    platform: str = "cli",
    categories: list[str] | None = None,
    note: str | None = None,
    source: str | None = None,
    submission_id: str | None = None,
    now: datetime | None = None,
    approver: bool | None = None,
) -> FeedbackItem:
    """Store a "was this right?" report: redacted, confirmed at once when ``by`` approves.

    ``approver`` is the caller's answer to "does ``by`` approve here?" (a chat workflow
    also counts a Slack approver user group's members); without it the config's lists decide.
    The rules' own verdict on the draft is recorded with it (which rules fired), so the
    organisation model knows which rule a confirmed false alarm was about.
    """
    from bot.review import review_rules

    draft = check_draft(text)
    exp, cats = validate(expected, categories)
    if platform not in PLATFORMS:
        raise InputError(f"unknown platform {platform!r}; allowed: {', '.join(PLATFORMS)}")
    if not by or not by.strip():
        raise InputError("who is reporting is required (--by ID)")
    verdict = review_rules(Draft(draft), config=config, layers=False)
    now = now or datetime.now(UTC)
    if approver is None:
        approver = is_approver(config, platform, by)
    row = FeedbackRow(
        id="F-" + "".join(secrets.choice(_ALPHABET) for _ in range(10)),
        workspace=config.workspace,
        text=redact_text(draft, config, verdict.findings),
        expected=exp,
        categories=cats,
        kind=_kind(exp, verdict.decision.label),
        rules_decision=verdict.decision.label,
        rules_fired=sorted({f.rule for f in verdict.findings}),
        rules_matched=policy_words(config, list(verdict.findings)),
        status="confirmed" if approver else "pending",
        source=source or platform,
        by_id=by,
        by_platform=platform,
        note=note,
        submission_id=submission_id,
        created_at=now,
        reviewed_by=by if approver else None,
        reviewed_at=now if approver else None,
    )
    with store.write() as s:
        s.add(row)
        s.flush()
        item = _item(row)
    log.info(
        "feedback %s stored: kind=%s expected=%s status=%s", item.id, item.kind, exp, item.status
    )
    return item


def list_feedback(
    store: Store, config: Config, *, pending: bool = False, limit: int = 200
) -> list[FeedbackItem]:
    """Reports of this workspace, newest first (``pending``: only those awaiting an approver)."""
    q = select(FeedbackRow).where(FeedbackRow.workspace == config.workspace)
    if pending:
        q = q.where(FeedbackRow.status == "pending")
    q = q.order_by(FeedbackRow.created_at.desc(), FeedbackRow.id).limit(limit)
    with store.read() as s:
        return [_item(r) for r in s.scalars(q)]


def _review(
    store: Store,
    config: Config,
    feedback_id: str,
    *,
    by: str,
    platform: str,
    status: str,
    approver: bool | None = None,
) -> FeedbackItem:
    if not (is_approver(config, platform, by) if approver is None else approver):
        raise NotAnApprover(f"{by} is not an approver: only approvers confirm or dismiss feedback")
    fid = feedback_id.strip().upper()
    now = datetime.now(UTC)
    with store.write() as s:
        row = s.get(FeedbackRow, fid)
        if row is None or row.workspace != config.workspace:
            raise UnknownFeedback(f"no feedback {feedback_id!r}")
        if row.status != "pending":
            raise WorkflowError(
                f"feedback {fid} is already {row.status} (by {row.reviewed_by} at "
                f"{row.reviewed_at:%Y-%m-%d %H:%M} UTC)"
                if row.reviewed_at
                else f"feedback {fid} is already {row.status}"
            )
        row.status = status
        row.reviewed_by = by
        row.reviewed_at = now
        s.flush()
        return _item(row)


def confirm(
    store: Store,
    config: Config,
    feedback_id: str,
    *,
    by: str,
    platform: str = "cli",
    approver: bool | None = None,
) -> FeedbackItem:
    """An approver confirms someone's report: it now counts for training."""
    return _review(
        store, config, feedback_id, by=by, platform=platform, status="confirmed", approver=approver
    )


def dismiss(
    store: Store,
    config: Config,
    feedback_id: str,
    *,
    by: str,
    platform: str = "cli",
    approver: bool | None = None,
) -> FeedbackItem:
    """An approver dismisses a report: it never counts."""
    return _review(
        store, config, feedback_id, by=by, platform=platform, status="dismissed", approver=approver
    )


def record_decision(
    store: Store,
    config: Config,
    *,
    submission_id: str,
    text: str,
    decision: str,
    rules_decision: str,
    by: str,
    platform: str,
    categories: list[str] | None = None,
    note: str | None = None,
) -> FeedbackItem | None:
    """Turn an approver's decision on a submitted draft into confirmed feedback.

    ``decision`` is the workflow's verb: ``reject`` says the draft must not be posted,
    ``changes`` that it needed approval, ``approve`` that the verdict it got was right
    (an approved draft that the rules sent for approval still needed that approval). The
    workflow's decide step calls this after recording the decision; a storage failure is
    logged and never undoes the decision.
    """
    if decision == "approve":
        exp = rules_decision if rules_decision in DECISIONS else "ok"
    elif decision in _DECIDED:
        exp = _DECIDED[decision]
    else:
        raise InputError(f"unknown decision {decision!r}; allowed: approve, changes, reject")
    try:
        return add_feedback(
            store,
            config,
            text=text,
            expected=exp,
            by=by,
            platform=platform,
            categories=categories,
            note=note,
            source="decision",
            submission_id=submission_id,
        )
    except InputError:
        raise
    except Exception:
        log.exception("could not record decision on %s as feedback", submission_id)
        return None


def training_feedback(store: Store, config: Config) -> list[FeedbackItem]:
    """Confirmed reports within the retention period: what the organisation model learns."""
    q = select(FeedbackRow).where(
        FeedbackRow.workspace == config.workspace, FeedbackRow.status == "confirmed"
    )
    cutoff = _cutoff(config)
    if cutoff is not None:
        q = q.where(FeedbackRow.created_at >= cutoff)
    with store.read() as s:
        return [_item(r) for r in s.scalars(q.order_by(FeedbackRow.created_at))]


def _cutoff(config: Config, now: datetime | None = None) -> datetime | None:
    days = config.workflow.get("retention_days")
    if days is None or float(days) <= 0:
        return None
    return (now or datetime.now(UTC)) - timedelta(days=float(days))


def purge_expired(store: Store, config: Config, now: datetime | None = None) -> int:
    """Delete reports older than ``workflow.retention_days`` (all workspaces); return count."""
    cutoff = _cutoff(config, now)
    if cutoff is None:
        return 0
    with store.write() as s:
        res = s.execute(delete(FeedbackRow).where(FeedbackRow.created_at < cutoff))
        n = getattr(res, "rowcount", 0)
    if n:
        log.info("purged %d feedback reports past retention", n)
    return int(n or 0)


# ------------------------------------------------------------------------ stored models
def save_model(
    store: Store,
    config: Config,
    blob: bytes,
    *,
    version: str,
    fmt: int,
    summary: dict[str, Any],
    by: str | None = None,
) -> int:
    """Store a trained model as this workspace's active one; return its row id."""
    with store.write() as s:
        s.execute(
            update(LearnedModelRow)
            .where(LearnedModelRow.workspace == config.workspace, LearnedModelRow.active)
            .values(active=False)
        )
        row = LearnedModelRow(
            workspace=config.workspace,
            version=version,
            format=fmt,
            blob=blob,
            summary=summary,
            active=True,
            created_at=datetime.now(UTC),
            created_by=by,
        )
        s.add(row)
        s.flush()
        return int(row.id)


def reset_model(store: Store, config: Config) -> int:
    """Stop using the organisation model (the shipped one is used again); return rows changed."""
    with store.write() as s:
        res = s.execute(
            update(LearnedModelRow)
            .where(LearnedModelRow.workspace == config.workspace, LearnedModelRow.active)
            .values(active=False)
        )
        n = getattr(res, "rowcount", 0)
    return int(n or 0)


def active_model_summary(store: Store, config: Config) -> dict[str, Any] | None:
    """Id, version, time and summary of the active organisation model, if any."""
    q = (
        select(
            LearnedModelRow.id,
            LearnedModelRow.version,
            LearnedModelRow.created_at,
            LearnedModelRow.created_by,
            LearnedModelRow.summary,
        )
        .where(LearnedModelRow.workspace == config.workspace, LearnedModelRow.active)
        .order_by(LearnedModelRow.id.desc())
        .limit(1)
    )
    with store.read() as s:
        r = s.execute(q).first()
    if r is None:
        return None
    return {
        "id": r[0],
        "version": r[1],
        "created_at": r[2].isoformat(),
        "created_by": r[3],
        "summary": r[4],
    }
