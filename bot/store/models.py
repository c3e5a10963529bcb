"""Tables of the approval queue.

The schema is owned by the migrations in ``bot/store/migrations/versions``;
these classes mirror it (a test compares the two) so the workflow can use the
ORM. Times are stored in UTC and always come back timezone-aware, on SQLite too.

``audit_log`` is append-only: database triggers refuse UPDATE and DELETE, so
not even a buggy retention job can rewrite who decided what.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

#: Every state a submission can be in; only ``pending`` is open.
STATES: tuple[str, ...] = (
    "pending",
    "approved",
    "changes_requested",
    "rejected",
    "withdrawn",
    "expired",
)
TERMINAL_STATES: tuple[str, ...] = STATES[1:]

# Stable constraint names, so migrations can refer to them on both backends.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC, returned timezone-aware on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: JSON everywhere, JSONB on PostgreSQL (indexable, compact).
JSONType = JSON().with_variant(JSONB(), "postgresql")
#: 64-bit ids on PostgreSQL; SQLite only auto-increments ``INTEGER PRIMARY KEY``.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Submission(Base):
    """A draft someone asked to post, its verdict, and where it stands."""

    __tablename__ = "submissions"
    __table_args__ = (
        CheckConstraint(
            "state IN ('pending','approved','changes_requested','rejected','withdrawn','expired')",
            name="state",
        ),
        Index("ix_submissions_state_created_at", "state", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(24), primary_key=True)
    text: Mapped[str | None] = mapped_column(Text)  # NULL once purged
    channel: Mapped[str] = mapped_column(String(16))
    author_platform: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[str] = mapped_column(String(128), index=True)
    author_name: Mapped[str | None] = mapped_column(String(200))
    verdict: Mapped[dict[str, Any]] = mapped_column(JSONType)
    review_decision: Mapped[str] = mapped_column(String(16))
    policy_version: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20), server_default=sql_text("'pending'"))
    note: Mapped[str | None] = mapped_column(Text)
    predecessor_id: Mapped[str | None] = mapped_column(ForeignKey("submissions.id"))
    approvals_needed: Mapped[int] = mapped_column(Integer, server_default=sql_text("1"))
    first_approved_by: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided_by_platform: Mapped[str | None] = mapped_column(String(16))
    decided_by_name: Mapped[str | None] = mapped_column(String(200))
    decision_note: Mapped[str | None] = mapped_column(Text)
    message_refs: Mapped[dict[str, Any]] = mapped_column(JSONType)
    # Added by 0002: one timestamp per notification stage, claimed by tick().
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Added by 0007 (issue 16): the Slack workspace / Teams tenant; "" for a single org.
    workspace: Mapped[str] = mapped_column(String(64), server_default=sql_text("''"))


class Decision(Base):
    """One approver's decision; ``final`` marks the one that closed the submission."""

    __tablename__ = "decisions"
    __table_args__ = (
        # Belt and braces for "exactly one decision": at most one final row.
        Index(
            "uq_decisions_one_final",
            "submission_id",
            unique=True,
            sqlite_where=sql_text("final"),
            postgresql_where=sql_text("final"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"), index=True)
    decision: Mapped[str] = mapped_column(String(20))
    final: Mapped[bool] = mapped_column(Boolean)
    approver_platform: Mapped[str] = mapped_column(String(16))
    approver_id: Mapped[str] = mapped_column(String(128))
    approver_name: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """Every attempt, allowed or refused. No foreign key: attempts on unknown ids count too."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    submission_id: Mapped[str | None] = mapped_column(String(24), index=True)
    action: Mapped[str] = mapped_column(String(24))
    outcome: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(40))
    actor_platform: Mapped[str | None] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(128))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Added by 0007 (issue 16): the workspace whose trail this is.
    workspace: Mapped[str] = mapped_column(String(64), server_default=sql_text("''"))


class IdempotencyKey(Base):
    """First result of an inbound platform event, so a redelivery replays it (0002)."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    action: Mapped[str] = mapped_column(String(24))
    submission_id: Mapped[str | None] = mapped_column(String(24))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class Notification(Base):
    """Outbox: a message owed to someone, written with the state change that caused it (0002).

    Delivery happens after commit; a failed send stays here and ``tick()``
    retries it, so a Slack outage delays a message but never loses it.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("submission_id", "kind"),
        Index("ix_notifications_unsent", "sent_at", "failed_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    submission_id: Mapped[str] = mapped_column(ForeignKey("submissions.id"))
    kind: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, server_default=sql_text("0"))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))


# --- issue 11: the comms team's watch list (migration 0004) ---


class WatchEntryRow(Base):
    """One watched term. Never deleted: removal sets ``removed_at``, so history stays.

    Only added and soft-removed, never edited, so ``count(*)``, ``count(removed_at)``
    and the latest timestamps of a workspace change whenever its list does (the
    cheap marker each worker polls, see ``bot.watch.live``).
    """

    __tablename__ = "watch_entries"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('case','injunction','embargo','codename','person','topic')", name="kind"
        ),
        CheckConstraint(
            "severity IS NULL OR severity IN ('advise','needs_approval','do_not_post')",
            name="severity",
        ),
        Index("ix_watch_entries_workspace_removed_at", "workspace", "removed_at"),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(64), server_default=sql_text("''"))
    term: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    aliases: Mapped[list[str]] = mapped_column(JSONType)
    severity: Mapped[str | None] = mapped_column(String(16))
    until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(Text)
    added_by: Mapped[str] = mapped_column(String(128))
    added_by_platform: Mapped[str] = mapped_column(String(16))
    added_by_name: Mapped[str | None] = mapped_column(String(200))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removed_by: Mapped[str | None] = mapped_column(String(128))


# ---------------------------------------------------------------------- issue 14: dashboard

from datetime import date  # noqa: E402  (kept with the section that needs it)

from sqlalchemy import Date  # noqa: E402


class CheckStat(Base):
    """One served check, without its text: what the dashboard's charts count (0006)."""

    __tablename__ = "check_stats"
    __table_args__ = (
        Index("ix_check_stats_workspace_day_decision", "workspace", "day", "decision"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    workspace: Mapped[str] = mapped_column(String(64), server_default=sql_text("''"))
    day: Mapped[date] = mapped_column(Date)
    decision: Mapped[str] = mapped_column(String(16))
    platform: Mapped[str] = mapped_column(String(16))
    categories: Mapped[list[str]] = mapped_column(JSONType)
    rules: Mapped[list[str]] = mapped_column(JSONType)


class CheckRuleDay(Base):
    """Findings per rule per day, upserted with every check: cheap category and rule charts."""

    __tablename__ = "check_rule_days"

    workspace: Mapped[str] = mapped_column(
        String(64), primary_key=True, server_default=sql_text("''")
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    rule: Mapped[str] = mapped_column(String(128), primary_key=True)
    category: Mapped[str] = mapped_column(String(24))
    hits: Mapped[int] = mapped_column(BigInteger, server_default=sql_text("0"))


class DashboardToken(Base):
    """A one-time sign-in link or a dashboard session; only the secret's SHA-256 is stored."""

    __tablename__ = "dashboard_tokens"
    __table_args__ = (CheckConstraint("kind IN ('link','session')", name="kind"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(64), server_default=sql_text("''"))
    kind: Mapped[str] = mapped_column(String(8))
    user_id: Mapped[str] = mapped_column(String(128))
    user_name: Mapped[str | None] = mapped_column(String(200))
    identity: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# Decisions history and time-to-decision read submissions by decision time.
Index("ix_submissions_decided_at", Submission.decided_at)


# ---------------------------------------------------------------------- issue 13: ask threads


class AskTurn(Base):
    """One turn of a policy conversation (0005); a thread is workspace+platform+key+user."""

    __tablename__ = "ask_turns"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('question','followup','draft','verdict','off_topic')", name="kind"
        ),
        Index("ix_ask_turns_thread", "workspace", "platform", "thread_key", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    workspace: Mapped[str] = mapped_column(String(64), server_default=sql_text("''"))
    platform: Mapped[str] = mapped_column(String(16))
    thread_key: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    question: Mapped[str] = mapped_column(Text)
    anchors: Mapped[list[str]] = mapped_column(JSONType)
    topics: Mapped[list[str]] = mapped_column(JSONType)
    answer: Mapped[str] = mapped_column(Text)
    findings: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    decision: Mapped[str | None] = mapped_column(String(16))


# ---------------------------------------------------------------------- issue 10: learned layer

from sqlalchemy import LargeBinary  # noqa: E402  (kept with the section that needs it)


class FeedbackRow(Base):
    """One "was this right?" report (0003), its draft redacted before storing.

    An approver's report is ``confirmed`` at once; anyone else's is ``pending`` until an
    approver confirms or dismisses it. Rows older than ``workflow.retention_days`` are purged.
    """

    __tablename__ = "feedback"
    __table_args__ = (
        CheckConstraint(
            "expected IN ('ok','advise','needs_approval','do_not_post')", name="expected"
        ),
        CheckConstraint("status IN ('pending','confirmed','dismissed')", name="status"),
        Index("ix_feedback_workspace_status", "workspace", "status"),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    workspace: Mapped[str] = mapped_column(String(64), server_default=sql_text("''"))
    text: Mapped[str] = mapped_column(Text)
    expected: Mapped[str] = mapped_column(String(16))
    categories: Mapped[list[str]] = mapped_column(JSONType)
    kind: Mapped[str] = mapped_column(String(16))
    rules_decision: Mapped[str] = mapped_column(String(16))
    rules_fired: Mapped[list[str]] = mapped_column(JSONType)
    #: Per rule (approval or more): the words it matched that are its own listed terms (0008).
    rules_matched: Mapped[dict[str, list[str]] | None] = mapped_column(JSONType, nullable=True)
    status: Mapped[str] = mapped_column(String(12))
    source: Mapped[str] = mapped_column(String(16))
    by_id: Mapped[str] = mapped_column(String(128))
    by_platform: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    submission_id: Mapped[str | None] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(128))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LearnedModelRow(Base):
    """An organisation's trained model (0003); the newest ``active`` row is the one in use."""

    __tablename__ = "learned_models"
    __table_args__ = (Index("ix_learned_models_workspace_active", "workspace", "active", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    workspace: Mapped[str] = mapped_column(String(64), server_default=sql_text("''"))
    version: Mapped[str] = mapped_column(String(32))
    format: Mapped[int] = mapped_column(Integer)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    summary: Mapped[dict[str, Any]] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(128))


# ---------------------------------------------------------------------- issue 16: workspaces

from sqlalchemy import Column, Table  # noqa: E402  (kept with the section that needs it)
from sqlalchemy import DateTime as NaiveDateTime  # noqa: E402

# Every Slack workspace / Teams tenant has its own queue and trail (0007): reads filter
# by ``workspace`` first.
Index(
    "ix_submissions_workspace_state_created_at",
    Submission.__table__.c.workspace,
    Submission.__table__.c.state,
    Submission.__table__.c.created_at,
)
Index("ix_audit_log_workspace_at", AuditEntry.__table__.c.workspace, AuditEntry.__table__.c.at)


class WorkspaceSettingsRow(Base):
    """What a workspace's admin set over the config file (0007); one row per workspace.

    ``version`` goes up with every change, so workers notice a change made elsewhere
    with one indexed read (see ``bot.workspaces.resolve``).
    """

    __tablename__ = "workspace_settings"

    workspace: Mapped[str] = mapped_column(
        String(64), primary_key=True, server_default=sql_text("''")
    )
    platform: Mapped[str] = mapped_column(String(16))
    settings: Mapped[dict[str, Any]] = mapped_column(JSONType)
    version: Mapped[int] = mapped_column(Integer, server_default=sql_text("1"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str | None] = mapped_column(String(128))


# The tables of slack_sdk's SQLAlchemy installation and OAuth state stores, column for
# column (tests/slack/test_oauth.py compares them with the SDK's own builders), so our
# migrations create them on both backends and the SDK's stores read and write them.
slack_installations = Table(
    "slack_installations",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("enterprise_url", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", NaiveDateTime),
    Column("user_id", String(32), nullable=False),
    Column("user_token", String(200)),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", String(200)),
    Column("user_token_expires_at", NaiveDateTime),
    Column("incoming_webhook_url", String(200)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, nullable=False),
    Column("token_type", String(32)),
    Column("installed_at", NaiveDateTime, nullable=False),
    Index(
        "slack_installations_idx",
        "client_id",
        "enterprise_id",
        "team_id",
        "user_id",
        "installed_at",
    ),
)
slack_bots = Table(
    "slack_bots",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("client_id", String(32), nullable=False),
    Column("app_id", String(32), nullable=False),
    Column("enterprise_id", String(32)),
    Column("enterprise_name", String(200)),
    Column("team_id", String(32)),
    Column("team_name", String(200)),
    Column("bot_token", String(200)),
    Column("bot_id", String(32)),
    Column("bot_user_id", String(32)),
    Column("bot_scopes", String(1000)),
    Column("bot_refresh_token", String(200)),
    Column("bot_token_expires_at", NaiveDateTime),
    Column("is_enterprise_install", Boolean, nullable=False),
    Column("installed_at", NaiveDateTime, nullable=False),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)
slack_oauth_states = Table(
    "slack_oauth_states",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", NaiveDateTime, nullable=False),
)
