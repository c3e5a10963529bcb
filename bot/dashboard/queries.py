"""What the dashboard pages read: the queue, decisions history and the charts, in SQL.

Each function takes a :class:`~bot.store.Store` and returns plain values, so
handlers can run it in a thread and templates never touch the ORM. Aggregates
(counts, sums, percentiles) are computed by the database with indexes behind
them — ``ix_submissions_state_created_at`` for the queue,
``ix_submissions_decided_at`` for history and time to decision,
``ix_check_stats_workspace_day_decision`` and ``check_rule_days``'s key for
the charts — so pages stay fast with a million checks.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, text

from bot.store import Store
from bot.store import models as m
from bot.workflow import WorkflowSettings

#: Rows per page of the queue and the history.
PAGE = 50
#: Closed by an approver (not withdrawn or expired): what "time to decision" measures.
DECIDED_STATES: tuple[str, ...] = ("approved", "changes_requested", "rejected")
REVIEW_DECISIONS: tuple[str, ...] = ("ok", "advise", "needs_approval", "do_not_post")
SLA_STATES: tuple[str, ...] = ("on_time", "reminded", "overdue")
#: The decisions history counts exactly up to here (see :func:`history`).
HISTORY_COUNT_CAP = 10_000


@dataclass(frozen=True, slots=True)
class QueueFilters:
    """Filters of the queue page, from its query string (all optional)."""

    channel: str = ""
    review: str = ""
    author: str = ""
    sla: str = ""
    page: int = 1
    #: The Slack workspace / Teams tenant whose queue this is ("" for one organisation).
    workspace: str = ""


@dataclass(frozen=True, slots=True)
class QueueRow:
    id: str
    created_at: datetime
    author: str
    channel: str
    review: str
    categories: list[str]
    age: timedelta
    sla: str
    approvals: str


@dataclass(slots=True)
class Page:
    rows: list[Any]
    total: int
    page: int
    pages: int

    @property
    def total_label(self) -> str:
        """The count as shown: exact, or "10,000+" past the history's cap."""
        if self.total > HISTORY_COUNT_CAP:
            return f"{HISTORY_COUNT_CAP:,}+"
        return f"{self.total:,}"


def sla_state(age: timedelta, settings: WorkflowSettings) -> str:
    """``on_time`` before the reminder, ``reminded`` until escalation, then ``overdue``."""
    if settings.escalate_after is not None and age >= settings.escalate_after:
        return "overdue"
    if settings.reminder_after is not None and age >= settings.reminder_after:
        return "reminded"
    return "on_time"


def _queue_where(f: QueueFilters, settings: WorkflowSettings, now: datetime) -> list[Any]:
    s = m.Submission
    where: list[Any] = [s.workspace == f.workspace, s.state == "pending"]
    if f.channel:
        where.append(s.channel == f.channel)
    if f.review in REVIEW_DECISIONS:
        where.append(s.review_decision == f.review)
    if f.author:
        where.append(
            or_(s.author_id == f.author, s.author_name.icontains(f.author, autoescape=True))
        )
    remind, escalate = settings.reminder_after, settings.escalate_after
    if f.sla == "overdue" and escalate is not None:
        where.append(s.created_at <= now - escalate)
    elif f.sla == "reminded" and remind is not None:
        where.append(s.created_at <= now - remind)
        if escalate is not None:
            where.append(s.created_at > now - escalate)
    elif f.sla == "on_time" and remind is not None:
        where.append(s.created_at > now - remind)
    return where


def queue(
    store: Store, f: QueueFilters, settings: WorkflowSettings, now: datetime | None = None
) -> Page:
    """Pending submissions matching ``f``, oldest first, one page of them."""
    now = now or datetime.now(UTC)
    s = m.Submission
    where = _queue_where(f, settings, now)
    with store.read() as db:
        total = db.scalar(select(func.count()).select_from(s).where(*where)) or 0
        pages = max(1, -(-total // PAGE))
        page = min(max(1, f.page), pages)
        rows = db.execute(
            select(
                s.id,
                s.created_at,
                s.author_id,
                s.author_name,
                s.channel,
                s.review_decision,
                s.verdict,
                s.approvals_needed,
                s.first_approved_by,
            )
            .where(*where)
            .order_by(s.created_at, s.id)
            .limit(PAGE)
            .offset((page - 1) * PAGE)
        ).all()
    out = []
    for r in rows:
        age = now - r.created_at
        cats: dict[str, None] = {}
        for finding in (r.verdict or {}).get("findings", []):
            cats.setdefault(str(finding.get("category", "")), None)
        approvals = ""
        if r.approvals_needed > 1:
            approvals = f"{1 if r.first_approved_by else 0} of {r.approvals_needed}"
        out.append(
            QueueRow(
                id=r.id,
                created_at=r.created_at,
                author=f"{r.author_name} ({r.author_id})" if r.author_name else r.author_id,
                channel=r.channel,
                review=r.review_decision,
                categories=list(cats),
                age=age,
                sla=sla_state(age, settings),
                approvals=approvals,
            )
        )
    return Page(rows=out, total=total, page=page, pages=pages)


def queue_channels(store: Store, workspace: str = "") -> list[str]:
    """Channels that have pending drafts (for the filter's choices)."""
    s = m.Submission
    with store.read() as db:
        return sorted(
            db.scalars(
                select(s.channel).where(s.workspace == workspace, s.state == "pending").distinct()
            )
        )


# ---------------------------------------------------------------------- decisions history


@dataclass(frozen=True, slots=True)
class HistoryFilters:
    q: str = ""
    state: str = ""
    page: int = 1
    workspace: str = ""


HISTORY_COLUMNS: tuple[str, ...] = (
    "id",
    "state",
    "author",
    "author_name",
    "channel",
    "review_decision",
    "created_at",
    "decided_at",
    "decided_by",
    "decided_by_name",
    "decided_by_platform",
    "decision_note",
)


def _history_where(f: HistoryFilters) -> list[ColumnElement[bool]]:
    s = m.Submission
    states = (f.state,) if f.state in m.TERMINAL_STATES else m.TERMINAL_STATES
    where: list[ColumnElement[bool]] = [
        s.workspace == f.workspace,
        s.state.in_(states),
        s.decided_at.is_not(None),
    ]
    q = f.q.strip()
    if q:
        where.append(
            or_(
                s.id == q.upper(),
                s.author_id == q,
                s.decided_by == q,
                s.author_name.icontains(q, autoescape=True),
                s.decided_by_name.icontains(q, autoescape=True),
                s.text.icontains(q, autoescape=True),
                s.decision_note.icontains(q, autoescape=True),
            )
        )
    return where


def _history_select() -> Any:
    s = m.Submission
    return select(
        s.id,
        s.state,
        s.author_id.label("author"),
        s.author_name,
        s.channel,
        s.review_decision,
        s.created_at,
        s.decided_at,
        s.decided_by,
        s.decided_by_name,
        s.decided_by_platform,
        s.decision_note,
    )


def history(store: Store, f: HistoryFilters) -> Page:
    """Closed submissions matching the search, most recently decided first."""
    s = m.Submission
    where = _history_where(f)
    with store.read() as db:
        # Counting a long history exactly costs a scan of all of it; past the cap the
        # page says "10,000+" and CSV export still has everything.
        capped = select(s.id).where(*where).limit(HISTORY_COUNT_CAP + 1).subquery()
        total = db.scalar(select(func.count()).select_from(capped)) or 0
        pages = max(1, -(-min(total, HISTORY_COUNT_CAP) // PAGE))
        page = min(max(1, f.page), pages)
        rows = db.execute(
            _history_select()
            .where(*where)
            .order_by(s.decided_at.desc(), s.id)
            .limit(PAGE)
            .offset((page - 1) * PAGE)
        ).all()
    return Page(rows=[r._asdict() for r in rows], total=total, page=page, pages=pages)


def history_csv(store: Store, f: HistoryFilters) -> Iterator[str]:
    """Every closed submission matching the search as CSV lines (header first), no draft text.

    Spreadsheet formula injection is defused: a cell starting with ``= + - @``
    gets a leading apostrophe.
    """
    s = m.Submission
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(HISTORY_COLUMNS)
    yield buf.getvalue()
    with store.read() as db:
        result = db.execute(
            _history_select()
            .where(*_history_where(f))
            .order_by(s.decided_at.desc(), s.id)
            .execution_options(yield_per=1000)
        )
        for part in result.partitions():
            buf.seek(0)
            buf.truncate()
            for r in part:
                writer.writerow([_csv_cell(v) for v in r])
            yield buf.getvalue()


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    text_value = str(value)
    return "'" + text_value if text_value[:1] in ("=", "+", "-", "@") else text_value


# ---------------------------------------------------------------------- charts


@dataclass(slots=True)
class Charts:
    """Everything the charts page draws, as plain lists (also shown as tables)."""

    days: list[str] = field(default_factory=list)
    checks_by_decision: dict[str, list[int]] = field(default_factory=dict)
    weeks: list[str] = field(default_factory=list)
    findings_by_category: dict[str, list[int]] = field(default_factory=dict)
    top_rules: list[dict[str, Any]] = field(default_factory=list)
    decision_weeks: list[dict[str, Any]] = field(default_factory=list)
    total_checks: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "days": self.days,
            # Lists, not objects: JSON serialisers may sort keys, and order matters here.
            "checks_by_decision": [
                {"decision": k, "counts": v} for k, v in self.checks_by_decision.items()
            ],
            "weeks": self.weeks,
            "findings_by_category": [
                {"category": k, "counts": v} for k, v in self.findings_by_category.items()
            ],
            "top_rules": self.top_rules,
            "decision_weeks": self.decision_weeks,
            "total_checks": self.total_checks,
        }


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _week_sql(dialect: str, column: str) -> str:
    """SQL for the Monday of the week containing ``column`` (a date or UTC timestamp)."""
    if dialect == "postgresql":
        return f"CAST(date_trunc('week', {column}) AS date)"
    return (
        f"date({column}, '-' || ((CAST(strftime('%w', {column}) AS INTEGER) + 6) % 7) || ' days')"
    )


def charts(
    store: Store,
    *,
    workspace: str = "",
    days: int = 30,
    weeks: int = 12,
    today: date | None = None,
    false_alarms: dict[str, int] | None = None,
) -> Charts:
    """The four charts, aggregated by the database.

    ``false_alarms`` maps rule ids to confirmed false-alarm reports (from the
    feedback the comms team confirmed); rules are ranked by hits.
    """
    today = today or datetime.now(UTC).date()
    first_day = today - timedelta(days=days - 1)
    first_week = _monday(today) - timedelta(weeks=weeks - 1)
    out = Charts()
    out.days = [(first_day + timedelta(days=i)).isoformat() for i in range(days)]
    out.weeks = [(first_week + timedelta(weeks=i)).isoformat() for i in range(weeks)]
    day_pos = {d: i for i, d in enumerate(out.days)}
    week_pos = {w: i for i, w in enumerate(out.weeks)}
    out.checks_by_decision = {d: [0] * days for d in REVIEW_DECISIONS}
    dialect = store.dialect
    week_of_day = _week_sql(dialect, "day")
    pg = dialect == "postgresql"
    decided_at = "(decided_at AT TIME ZONE 'UTC')" if pg else "decided_at"
    since_ts: Any = datetime.combine(first_week, datetime.min.time(), tzinfo=UTC)
    if not pg:
        since_ts = since_ts.strftime("%Y-%m-%d %H:%M:%S")
    with store.read() as db:
        cs = m.CheckStat
        for day, decision, n in db.execute(
            select(cs.day, cs.decision, func.count())
            .where(cs.workspace == workspace, cs.day >= first_day, cs.day <= today)
            .group_by(cs.day, cs.decision)
        ):
            pos = day_pos.get(_as_date(day).isoformat())
            if pos is not None and decision in out.checks_by_decision:
                out.checks_by_decision[decision][pos] += int(n)
                out.total_checks += int(n)
        for week, category, hits in db.execute(
            text(
                f"SELECT {week_of_day} AS week, category, SUM(hits) FROM check_rule_days "
                "WHERE workspace = :ws AND day >= :since AND day <= :today "
                "GROUP BY week, category"
            ),
            {"ws": workspace, "since": first_week, "today": today},
        ):
            pos = week_pos.get(_as_date(week).isoformat())
            if pos is not None:
                series = out.findings_by_category.setdefault(str(category), [0] * weeks)
                series[pos] += int(hits)
        # Biggest categories first, so the legend reads like a ranking.
        out.findings_by_category = dict(
            sorted(out.findings_by_category.items(), key=lambda kv: (-sum(kv[1]), kv[0]))
        )
        rd = m.CheckRuleDay
        top = db.execute(
            select(rd.rule, func.max(rd.category), func.sum(rd.hits).label("hits"))
            .where(rd.workspace == workspace, rd.day >= first_day, rd.day <= today)
            .group_by(rd.rule)
            .order_by(func.sum(rd.hits).desc(), rd.rule)
            .limit(10)
        ).all()
        out.top_rules = [
            {
                "rule": rule,
                "category": category,
                "hits": int(hits),
                "false_alarms": int((false_alarms or {}).get(rule, 0)),
            }
            for rule, category, hits in top
        ]
        hours = (
            "EXTRACT(EPOCH FROM (decided_at - created_at)) / 3600.0"
            if pg
            else "(julianday(decided_at) - julianday(created_at)) * 24.0"
        )
        decided = (
            "workspace = :ws AND state IN ('approved', 'changes_requested', 'rejected') "
            "AND decided_at >= :since"
        )
        if pg:
            sql = (
                f"SELECT {_week_sql(dialect, decided_at)} AS week, COUNT(*) AS n, "
                f"percentile_disc(0.5) WITHIN GROUP (ORDER BY {hours}) AS median, "
                f"percentile_disc(0.9) WITHIN GROUP (ORDER BY {hours}) AS p90 "
                f"FROM submissions WHERE {decided} GROUP BY week ORDER BY week"
            )
        else:  # nearest-rank percentiles with window functions, as percentile_disc does
            sql = (
                f"WITH d AS (SELECT {_week_sql(dialect, decided_at)} AS week, {hours} AS h "
                f"FROM submissions WHERE {decided}), "
                "r AS (SELECT week, h, ROW_NUMBER() OVER (PARTITION BY week ORDER BY h) AS rn, "
                "COUNT(*) OVER (PARTITION BY week) AS n FROM d) "
                "SELECT week, MAX(n) AS n, MIN(CASE WHEN rn >= 0.5 * n THEN h END) AS median, "
                "MIN(CASE WHEN rn >= 0.9 * n THEN h END) AS p90 FROM r GROUP BY week ORDER BY week"
            )
        by_week: dict[str, tuple[int, float | None, float | None]] = {
            _as_date(week).isoformat(): (int(n), float(med), float(p90))
            for week, n, med, p90 in db.execute(text(sql), {"since": since_ts, "ws": workspace})
        }
    for w in out.weeks:
        n, med, p90 = by_week.get(w) or (0, None, None)
        out.decision_weeks.append(
            {
                "week": w,
                "decisions": n,
                "median_hours": round(med, 2) if med is not None else None,
                "p90_hours": round(p90, 2) if p90 is not None else None,
            }
        )
    return out
