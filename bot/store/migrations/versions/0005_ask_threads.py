"""Conversation threads for policy questions (issue 13).

One row per turn of a policy conversation: the question, the sections cited,
the short answer and, for a draft pasted mid-conversation, the verdict's
findings. A thread is (workspace, platform, thread key, user): two people in
the same Slack thread each have their own conversation. Rows older than
``workflow.retention_days`` are deleted.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
JSONT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ask_turns",
        sa.Column("id", BIGID, autoincrement=True, nullable=False),
        sa.Column("workspace", sa.String(64), server_default=sa.text("''"), nullable=False),
        sa.Column("platform", sa.String(16), nullable=False),
        sa.Column("thread_key", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("anchors", JSONT, nullable=False),
        sa.Column("topics", JSONT, nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("findings", JSONT, nullable=True),
        sa.Column("decision", sa.String(16), nullable=True),
        sa.CheckConstraint(
            "kind IN ('question','followup','draft','verdict','off_topic')",
            name="ck_ask_turns_kind",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_ask_turns"),
    )
    op.create_index(
        "ix_ask_turns_thread",
        "ask_turns",
        ["workspace", "platform", "thread_key", "user_id", "id"],
    )
    op.create_index("ix_ask_turns_at", "ask_turns", ["at"])


def downgrade() -> None:
    op.drop_index("ix_ask_turns_at", table_name="ask_turns")
    op.drop_index("ix_ask_turns_thread", table_name="ask_turns")
    op.drop_table("ask_turns")
