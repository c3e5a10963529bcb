"""Text-free check counts for the dashboard, and dashboard sign-in tokens (issue 14).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

* ``check_stats``: one row per served check — day, decision, platform,
  categories and rule ids, never the text — so the charts need no stored drafts.
* ``check_rule_days``: hits per (workspace, day, rule), upserted with each
  check, so "findings by category" and "top rules" read a few thousand rows
  instead of unnesting a million.
* ``dashboard_tokens``: one-time sign-in links and sessions, stored only as
  SHA-256 hashes of the secret.
* ``ix_submissions_decided_at``: decisions history and time-to-decision.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSONT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _workspace() -> sa.Column[str]:
    return sa.Column("workspace", sa.String(64), server_default=sa.text("''"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "check_stats",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        _workspace(),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("categories", JSONT, nullable=False),
        sa.Column("rules", JSONT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_check_stats"),
    )
    op.create_index(
        "ix_check_stats_workspace_day_decision", "check_stats", ["workspace", "day", "decision"]
    )
    op.create_table(
        "check_rule_days",
        _workspace(),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("rule", sa.String(128), nullable=False),
        sa.Column("category", sa.String(24), nullable=False),
        sa.Column("hits", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("workspace", "day", "rule", name="pk_check_rule_days"),
    )
    op.create_table(
        "dashboard_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        _workspace(),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("user_name", sa.String(200), nullable=True),
        sa.Column("identity", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("used_at", TS, nullable=True),
        sa.CheckConstraint("kind IN ('link','session')", name="ck_dashboard_tokens_kind"),
        sa.PrimaryKeyConstraint("token_hash", name="pk_dashboard_tokens"),
    )
    op.create_index("ix_dashboard_tokens_expires_at", "dashboard_tokens", ["expires_at"])
    op.create_index("ix_submissions_decided_at", "submissions", ["decided_at"])


def downgrade() -> None:
    op.drop_index("ix_submissions_decided_at", table_name="submissions")
    op.drop_index("ix_dashboard_tokens_expires_at", table_name="dashboard_tokens")
    op.drop_table("dashboard_tokens")
    op.drop_table("check_rule_days")
    op.drop_index("ix_check_stats_workspace_day_decision", table_name="check_stats")
    op.drop_table("check_stats")
