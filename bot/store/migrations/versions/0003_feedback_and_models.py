"""Learned layer: feedback reports and the organisation's trained models (issue 10).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSONT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("id", sa.String(16), nullable=False),
        sa.Column("workspace", sa.String(64), server_default=sa.text("''"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("expected", sa.String(16), nullable=False),
        sa.Column("categories", JSONT, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("rules_decision", sa.String(16), nullable=False),
        sa.Column("rules_fired", JSONT, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("by_id", sa.String(128), nullable=False),
        sa.Column("by_platform", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("submission_id", sa.String(24), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("reviewed_by", sa.String(128), nullable=True),
        sa.Column("reviewed_at", TS, nullable=True),
        sa.CheckConstraint(
            "expected IN ('ok','advise','needs_approval','do_not_post')",
            name="ck_feedback_expected",
        ),
        sa.CheckConstraint(
            "status IN ('pending','confirmed','dismissed')", name="ck_feedback_status"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_feedback"),
    )
    op.create_index("ix_feedback_workspace_status", "feedback", ["workspace", "status"])
    op.create_index("ix_feedback_created_at", "feedback", ["created_at"])
    op.create_table(
        "learned_models",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("workspace", sa.String(64), server_default=sa.text("''"), nullable=False),
        sa.Column("version", sa.String(32), nullable=False),
        sa.Column("format", sa.Integer(), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.Column("summary", JSONT, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_learned_models"),
    )
    op.create_index(
        "ix_learned_models_workspace_active", "learned_models", ["workspace", "active", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_learned_models_workspace_active", table_name="learned_models")
    op.drop_table("learned_models")
    op.drop_index("ix_feedback_created_at", table_name="feedback")
    op.drop_index("ix_feedback_workspace_status", table_name="feedback")
    op.drop_table("feedback")
